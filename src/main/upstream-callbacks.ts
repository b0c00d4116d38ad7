// The event endpoints of the upstream carriers (carriers/bandwidth): one handler per `bandwidth`
// carrier, feeding the same receipt and inbound paths as a carrier's own events. They run where HTTP
// is served, which may be another thread or process than the one that submitted: a receipt that
// overtakes the recording of its submit is parked and applied once the submit is recorded.
import type { BandwidthCarrierConfig } from '../carriers/bandwidth/config.js';
import { UpstreamEvents } from '../carriers/bandwidth/upstream-events.js';
import type { CarrierConfig } from '../carriers/carrier-config.js';
import { prefixed } from '../carriers/routing-carrier.js';
import type { CarrierInbound, DeliveryReceipt } from '../core/delivery/carrier.js';
import type { DeliveryStore } from '../core/ports.js';

export interface CarrierEventPaths {
  /** A receipt as the routing carrier's own events give it (carrier ids prefixed with the carrier's name). */
  receipt(receipt: DeliveryReceipt): Promise<void>;
  /** Resolves with the number of copies stored. */
  inbound(message: CarrierInbound): Promise<number>;
}

export function upstreamCallbackHandlers(
  carriers: readonly CarrierConfig[],
  deps: { store: Pick<DeliveryStore, 'getMessage'>; paths: CarrierEventPaths; now: () => number },
): Map<string, UpstreamEvents> {
  const handlers = new Map<string, UpstreamEvents>();
  for (const carrier of carriers) {
    if (carrier.type !== 'bandwidth') continue;
    const config: BandwidthCarrierConfig = carrier;
    handlers.set(
      config.name,
      new UpstreamEvents(
        config,
        {
          receipt: (receipt) => deps.paths.receipt(prefixed(config.name, receipt)),
          inbound: (message) => deps.paths.inbound(message),
          sent: async (messageId, destination) => {
            const message = await deps.store.getMessage(messageId);
            return message !== undefined && message.direction === 'out' && message.to.includes(destination);
          },
        },
        deps.now,
      ),
    );
  }
  return handlers;
}
