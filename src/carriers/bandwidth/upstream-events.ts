// The upstream's event callbacks, as Pigeon receives them at /carriers/{name}/callbacks: Basic
// credentials checked in constant time, the whole batch validated before anything changes, then
// message-delivered/failed become receipts of the recipients Pigeon sent (matched by the upstream
// id Pigeon recorded, and checked against the tag Pigeon wrote), and message-received (replies,
// group copies, media) enters the normal inbound path with its media copied into Pigeon's store.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { parseBasicAuth } from '../../core/accounts/authenticator.js';
import type { CarrierInbound, DeliveryReceipt, InboundAttachment } from '../../core/delivery/carrier.js';
import type { CarrierCallbackEndpoint, CarrierCallbackOutcome } from '../../core/ports.js';
import { UpstreamClient, UpstreamUnavailable } from './client.js';
import type { BandwidthCarrierConfig } from './config.js';
import { messageIdOfTag } from './tag.js';

export interface UpstreamEventSink {
  /** A receipt whose carrierMessageId is the upstream's own id. */
  receipt(receipt: DeliveryReceipt): Promise<void>;
  /** Resolves with the copies stored (0: no addressed number is Pigeon's). */
  inbound(message: CarrierInbound): Promise<number>;
  /** Whether Pigeon sent outbound message `messageId` to `destination`. */
  sent(messageId: string, destination: string): Promise<boolean>;
}

type EventOutcome = CarrierCallbackOutcome;

/** What one inbound event may bring: files past these pass on as the upstream's URLs, not copied. */
const MAX_MEDIA_PER_MESSAGE = 20;
const MAX_MEDIA_BYTES = 5 * 1024 * 1024;
const MAX_MESSAGE_MEDIA_BYTES = 20 * 1024 * 1024;

const eventSchema = z.object({
  type: z.string(),
  time: z.string().optional(),
  to: z.string().min(1),
  description: z.string().optional(),
  errorCode: z.number().int().optional(),
  message: z.object({
    id: z.string().min(1),
    from: z.string().min(1),
    to: z.array(z.string().min(1)).min(1),
    text: z.string().optional(),
    media: z.array(z.string()).max(MAX_MEDIA_PER_MESSAGE).optional(),
    tag: z.string().optional(),
  }),
});
const batchSchema = z.array(eventSchema).min(1).max(100);
type UpstreamEvent = z.output<typeof eventSchema>;

const STATUS_EVENTS = new Set(['message-sending', 'message-delivered', 'message-failed']);
/** Inbound events taken, remembered so that the upstream offering one again (its answer was lost) stores nothing twice. */
const RECENT_INBOUND_LIMIT = 10_000;

export class UpstreamEvents implements CarrierCallbackEndpoint {
  readonly counters = { events: 0, refused: 0, receipts: 0, inbound: 0, dropped: 0 };
  private readonly key = randomBytes(32);
  private readonly expected: Buffer;
  private readonly client: UpstreamClient;
  /** Upstream number → local number. */
  private readonly local = new Map<string, string>();
  private readonly recentInbound = new Set<string>();

  constructor(
    readonly config: BandwidthCarrierConfig,
    private readonly sink: UpstreamEventSink,
    private readonly now: () => number,
  ) {
    this.expected = this.digest(config.callbackUsername, config.callbackPassword);
    this.client = new UpstreamClient(config, now);
    for (const [localNumber, upstream] of Object.entries(config.numbers)) this.local.set(upstream, localNumber);
  }

  /** Compares HMACs of the credentials, so neither their length nor their content shows in the timing. */
  authorized(header: string | undefined): boolean {
    const credentials = parseBasicAuth(header);
    return credentials !== undefined && timingSafeEqual(this.digest(credentials.username, credentials.password), this.expected);
  }

  /** Counts a request refused for its credentials (the status page shows forged calls). */
  refusedCredentials(): void {
    this.counters.refused++;
  }

  async handle(body: unknown): Promise<EventOutcome> {
    try {
      return await this.apply(body);
    } catch (err) {
      if (!(err instanceof UpstreamUnavailable)) throw err;
      // Its media could not be fetched now: nothing was stored, and the upstream offers the event again.
      return { status: 503, error: `upstream media not available now: ${err.message}` };
    }
  }

  private async apply(body: unknown): Promise<EventOutcome> {
    const parsed = batchSchema.safeParse(body);
    if (!parsed.success) return this.refuse(400, `not a batch of message events: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    // Every event is checked before any is applied: a batch with one bad event changes nothing.
    for (const event of parsed.data) {
      if (event.type === 'message-received') continue;
      if (!STATUS_EVENTS.has(event.type)) return this.refuse(400, `unknown event type '${event.type}'`);
      const messageId = messageIdOfTag(event.message.tag);
      if (messageId === undefined || !(await this.sink.sent(messageId, event.to))) {
        return this.refuse(404, 'the event is about no message Pigeon sent to that number');
      }
    }
    for (const event of parsed.data) {
      this.counters.events++;
      if (event.type === 'message-received') {
        const key = `${event.message.id}|${event.to}`;
        if (this.recentInbound.has(key)) continue;
        // A number nobody owns here (released a moment ago): dropped, as Bandwidth drops such a message,
        // and the rest of the batch is applied; asking the upstream to send it again would change nothing.
        if ((await this.sink.inbound(await this.inbound(event))) === 0) {
          this.counters.dropped++;
          continue;
        }
        this.recentInbound.add(key);
        if (this.recentInbound.size > RECENT_INBOUND_LIMIT) this.recentInbound.delete(this.recentInbound.values().next().value ?? '');
        this.counters.inbound++;
      } else if (event.type !== 'message-sending') {
        // message-sending says the upstream took it: the recipient is SENT already.
        await this.sink.receipt(this.receipt(event));
        this.counters.receipts++;
      }
    }
    return { status: 200 };
  }

  private receipt(event: UpstreamEvent): DeliveryReceipt {
    const delivered = event.type === 'message-delivered';
    const time = event.time !== undefined && !Number.isNaN(Date.parse(event.time)) ? Date.parse(event.time) : this.now();
    return {
      carrierMessageId: event.message.id,
      destination: event.to,
      delivered,
      ...(!delivered && { errorCode: event.errorCode ?? 9999 }),
      ...(event.description !== undefined && { carrierDetail: `upstream: ${event.description}`.slice(0, 500) }),
      time,
    };
  }

  private async inbound(event: UpstreamEvent): Promise<CarrierInbound> {
    const localOf = (n: string) => this.local.get(n) ?? n;
    const media: InboundAttachment[] = [];
    let bytes = 0;
    for (const url of event.message.media ?? []) {
      const attachment = await this.attachment(url, MAX_MESSAGE_MEDIA_BYTES - bytes);
      bytes += attachment.data?.length ?? 0;
      media.push(attachment);
    }
    return {
      from: event.message.from,
      to: event.message.to.map(localOf),
      owners: [localOf(event.to)],
      text: event.message.text,
      media,
      time: this.now(),
    };
  }

  /** Media the upstream hosts is copied into Pigeon's store (the application gets Pigeon URLs); other URLs pass as they are. */
  private async attachment(url: string, bytesLeft: number): Promise<InboundAttachment> {
    if (!this.client.isUpstreamUrl(url) || bytesLeft <= 0) return { url };
    // 429/5xx/timeouts throw UpstreamUnavailable: the event is refused with a 503 and the upstream offers it again.
    const res = await this.client.request({ method: 'GET', path: url, maxBytes: Math.min(MAX_MEDIA_BYTES, bytesLeft) });
    // Gone, too big or refused for good: the message is still taken, with the upstream's URL for what could not be copied.
    if (res.status >= 300) return { url };
    const last = new URL(url).pathname.split('/').pop() ?? '';
    let fileName = last;
    try {
      fileName = decodeURIComponent(last);
    } catch {
      // A stray '%': the name as it is (the media store makes it safe).
    }
    return { data: res.body, fileName, contentType: res.headers.get('content-type') ?? 'application/octet-stream' };
  }

  private refuse(status: 400 | 401 | 404, error: string): EventOutcome {
    this.counters.refused++;
    return { status, error };
  }

  private digest(username: string, password: string): Buffer {
    return createHmac('sha256', this.key).update(`${username}\u0000${password}`).digest();
  }
}
