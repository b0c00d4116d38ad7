// Several carriers behind the one adapter the delivery worker talks to. The ordered `routes` pick
// the carrier of each recipient (first match on the message's kind, destination prefix or
// allowlist, sending-number prefix and/or account), falling back in order while the chosen one is
// not connected. A group whose recipients match different routes is split: each carrier is told
// which recipients it carries (an upstream carrier sends the group to those). Carrier ids are kept as
// `carrier:id`, so that receipts of two SMSCs that number alike never meet in the store.
import {
  CarrierError,
  type CarrierAdapter,
  type CarrierEvents,
  type CarrierState,
  type CarrierSubmission,
  type DeliveryReceipt,
  type SubmitResult,
} from '../core/delivery/carrier.js';
import type { MessageKind, RouteConfig } from './carrier-config.js';

export interface RoutedCarrier {
  adapter: CarrierAdapter;
  /** False for a carrier that cannot take media (SMPP): never a fallback for a message with media. */
  carriesMedia?: boolean;
  /** What GET /admin/v1/status shows of it. */
  status(): Record<string, unknown>;
}

const NO_ROUTE_CODE = 4730;

export class RoutingCarrier implements CarrierAdapter {
  /** Stored with every carrier id; the carrier's own name is the id's prefix. */
  readonly name = 'routes';
  private current: CarrierState = 'disconnected';

  constructor(
    private readonly carriers: ReadonlyMap<string, RoutedCarrier>,
    private readonly routes: readonly RouteConfig[],
    private readonly onState: (carrier: string, state: CarrierState) => void,
  ) {}

  async start(events: CarrierEvents): Promise<void> {
    await Promise.all(
      [...this.carriers].map(([name, { adapter }]) =>
        adapter.start({
          receipt: (receipt) => events.receipt(prefixed(name, receipt)),
          inbound: (message) => events.inbound(message),
          stateChanged: (state) => {
            this.onState(name, state);
            const next = this.aggregate();
            if (next !== this.current) {
              this.current = next;
              events.stateChanged(next);
            }
          },
        }),
      ),
    );
    this.current = this.aggregate();
  }

  async submit(submission: CarrierSubmission): Promise<SubmitResult> {
    const route = this.routeOf(submission, submission.destination);
    if (route === undefined) {
      throw new CarrierError(`no route matches ${submission.destination} from ${submission.from}`, false, NO_ROUTE_CODE);
    }
    const names = [route.carrier, ...route.fallback];
    // A fallback that cannot carry the message (media over SMPP) would fail it for good: while the
    // route's carrier is down such a message waits for it instead.
    const hasMedia = (submission.media?.length ?? 0) > 0;
    const usable = (name: string) => {
      const candidate = this.carriers.get(name);
      return candidate?.adapter.state() === 'connected' && (!hasMedia || candidate.carriesMedia !== false || name === route.carrier);
    };
    const chosen = names.find(usable) ?? route.carrier;
    const carrier = this.carriers.get(chosen);
    if (carrier === undefined) throw new CarrierError(`route names unknown carrier '${chosen}'`, false, NO_ROUTE_CODE);
    const routedRecipients = submission.recipients.filter((to) => this.routeOf(submission, to) === route);
    const { carrierMessageIds, receipt } = await carrier.adapter.submit(
      routedRecipients.length === submission.recipients.length ? submission : { ...submission, routedRecipients },
    );
    const routed = (id: string) => `${chosen}:${id}`;
    return {
      carrierMessageIds: carrierMessageIds.map(routed),
      ...(receipt && { receipt: { ...receipt, carrierMessageId: routed(receipt.carrierMessageId) } }),
    };
  }

  state(): CarrierState {
    return this.current;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.carriers.values()].map(({ adapter }) => adapter.stop()));
    this.current = 'disconnected';
  }

  status(): Array<Record<string, unknown>> {
    return [...this.carriers.values()].map((c) => c.status());
  }

  private routeOf(submission: CarrierSubmission, destination: string): RouteConfig | undefined {
    return this.routes.find((r) => matches(r, submission, destination));
  }

  private aggregate(): CarrierState {
    const states = [...this.carriers.values()].map(({ adapter }) => adapter.state());
    return states.includes('connected') ? 'connected' : states.includes('connecting') ? 'connecting' : 'disconnected';
  }
}

export function messageKind(submission: Pick<CarrierSubmission, 'recipients' | 'type'>): MessageKind {
  return submission.recipients.length > 1 ? 'group' : submission.type;
}

function matches(route: RouteConfig, submission: CarrierSubmission, destination: string): boolean {
  return (
    (route.kind === undefined || route.kind.includes(messageKind(submission))) &&
    (route.to === undefined || destination.startsWith(route.to)) &&
    (route.numbers === undefined || route.numbers.includes(destination)) &&
    (route.from === undefined || submission.from.startsWith(route.from)) &&
    (route.account === undefined || submission.accountId === route.account)
  );
}

export function prefixed(carrier: string, receipt: DeliveryReceipt): DeliveryReceipt {
  return {
    ...receipt,
    carrierMessageId: `${carrier}:${receipt.carrierMessageId}`,
    ...(receipt.alternateIds !== undefined && { alternateIds: receipt.alternateIds.map((id) => `${carrier}:${id}`) }),
  };
}
