// An upstream messaging provider as a carrier: one POST /users/{accountId}/messages per Pigeon
// message (a group stays one group message upstream), its media uploaded to the upstream's media
// API first, its upstream id recorded for every recipient it carries. The delivery worker submits
// per recipient, so the recipients of one group share one upstream send here. Receipts and replies
// come back through the upstream's event callbacks (upstream-events.ts, served by src/http/carriers).
//
// Bandwidth has no idempotency key. When a send may have reached the upstream without Pigeon hearing
// its answer (a timeout, a connection dropped mid-request), or a recipient comes back for another
// attempt, the upstream's message list is searched before sending again: a message from the same
// number to the same destination since the first try that Pigeon does not already know is taken as
// this one. README "What happens on a timeout" says what that cannot tell.
import { randomUUID } from 'node:crypto';
import { CarrierError, type CarrierAdapter, type CarrierEvents, type CarrierState, type CarrierSubmission } from '../../core/delivery/carrier.js';
import { mediaRef } from '../../core/media/media-path.js';
import type { DeliveryStore, MediaStore } from '../../core/ports.js';
import type { UpstreamFigures } from '../../metrics/metrics.js';
import type { CarrierLog } from '../smpp/smpp-carrier.js';
import { UpstreamClient, UpstreamUnavailable } from './client.js';
import type { BandwidthCarrierConfig } from './config.js';
import { upstreamDetail, upstreamErrorCode } from './error-map.js';
import { pigeonTag } from './tag.js';

export interface BandwidthCarrierDeps {
  media: Pick<MediaStore, 'getMedia'>;
  /** The carrier ids recorded for a message's recipients (DeliveryStore.carrierRefsOf), as the router stored them (`{name}:{id}`). */
  refs?: DeliveryStore['carrierRefsOf'];
  now: () => number;
  log: CarrierLog;
}

/** Retried soon, not spending an attempt, when the upstream gave no Retry-After. */
const DEFAULT_RETRY_MS = 1000;
const UNAVAILABLE_CODE = 5500;
/** Sends remembered (so a group's later recipients reuse the upstream id) for this long. */
const SEND_MEMORY_MS = 60 * 60_000;
const SEND_MEMORY_LIMIT = 20_000;
/** Upstream ids of sends this process made: a search for a lost send skips them. */
const KNOWN_ID_LIMIT = 100_000;
/** The search for a lost send starts this long before its first try (clock skew with the upstream). */
const SEARCH_SLACK_MS = 5_000;
const MAX_MEDIA_BYTES = 3_500_000;

interface Send {
  id: Promise<string>;
  at: number;
}

export class BandwidthCarrier implements CarrierAdapter {
  readonly name: string;
  readonly client: UpstreamClient;
  readonly counters = { submitted: 0, refused: 0, deferred: 0, foundUpstream: 0, groupsReused: 0, mediaUploaded: 0 };
  private readonly sends = new Map<string, Send>();
  /** Sends that may have reached the upstream unanswered, with the time of their first try. */
  private readonly uncertain = new Map<string, number>();
  private readonly knownIds = new Set<string>();
  private downUntil = 0;
  private events: CarrierEvents | undefined;
  private stopped = false;

  constructor(
    private readonly config: BandwidthCarrierConfig,
    private readonly deps: BandwidthCarrierDeps,
  ) {
    this.name = config.name;
    this.client = new UpstreamClient(config, deps.now);
  }

  async start(events: CarrierEvents): Promise<void> {
    this.events = events;
    this.stopped = false;
    events.stateChanged('connected');
  }

  async submit(submission: CarrierSubmission): Promise<{ carrierMessageIds: readonly string[] }> {
    if (this.stopped) throw new CarrierError('carrier stopped', true, UNAVAILABLE_CODE, { spendsAttempt: false, retryAfterMs: DEFAULT_RETRY_MS });
    const to = [...new Set(submission.routedRecipients ?? submission.recipients)].sort();
    const recipients = to.length > 1 && to.includes(submission.destination) ? to : [submission.destination];
    const key = `${submission.messageId}|${recipients.join(',')}`;
    this.forgetOld();
    let send = this.sends.get(key);
    if (send === undefined) {
      send = { id: this.send(submission, key, recipients), at: this.deps.now() };
      this.sends.set(key, send);
      // A failed send is not remembered: the next recipient (or retry) tries again.
      send.id.catch(() => {
        if (this.sends.get(key) === send) this.sends.delete(key);
      });
    }
    return { carrierMessageIds: [await send.id] };
  }

  state(): CarrierState {
    return this.stopped || this.deps.now() < this.downUntil ? 'disconnected' : 'connected';
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.events?.stateChanged('disconnected');
  }

  /** What GET /admin/v1/status shows of it. */
  status(): Record<string, unknown> {
    const latency = this.client.latency();
    return {
      name: this.name,
      type: 'bandwidth',
      state: this.state() === 'connected' ? 'up' : 'down',
      baseUrl: this.config.baseUrl,
      inFlight: this.client.inFlight,
      ...(latency && { latencyMs: latency }),
      ...(this.client.lastError !== undefined && { lastError: this.client.lastError }),
      counters: { ...this.counters, ...this.client.counters, tokensFetched: this.client.auth.tokensFetched },
    };
  }

  /** What /metrics shows of it. */
  figures(): UpstreamFigures {
    const latencyMs = this.client.latency();
    return {
      name: this.name,
      up: this.state() === 'connected',
      inFlight: this.client.inFlight,
      requests: this.client.counters.requests,
      errors: this.client.counters.errors,
      ...(latencyMs && { latencyMs }),
    };
  }

  private async send(submission: CarrierSubmission, key: string, to: readonly string[]): Promise<string> {
    const { accountId, applicationId, numbers } = this.config;
    const from = numbers[submission.from] ?? submission.from;
    if (to.length > 1) {
      const sent = await this.groupSentBefore(submission.messageId, to);
      if (sent !== undefined) return sent;
    }
    const firstTry = this.uncertain.get(key);
    if (firstTry !== undefined || submission.attempt > 1) {
      const found = await this.guard(() => this.findUpstream(from, to, firstTry ?? submission.acceptedAt ?? this.deps.now()));
      if (found !== undefined) {
        this.counters.foundUpstream++;
        this.uncertain.delete(key);
        this.knownIds.add(found);
        this.deps.log.info({ carrier: this.name, upstreamId: found }, 'a send whose answer was lost was found upstream: not sent again');
        return found;
      }
    }
    const media = await this.uploadMedia(submission);
    const body = {
      applicationId,
      to,
      from,
      ...(submission.text !== undefined && submission.text !== '' && { text: submission.text }),
      ...(media.length > 0 && { media }),
      tag: pigeonTag(submission.messageId),
      ...(submission.priority !== undefined && { priority: submission.priority }),
      ...(submission.expiresAt !== undefined && { expiration: new Date(submission.expiresAt).toISOString() }),
    };
    const started = this.deps.now();
    const res = await this.guard(
      () => this.client.request({ method: 'POST', path: `/users/${encodeURIComponent(accountId)}/messages`, json: body }),
      (err) => {
        // Refused outright, nothing reached the upstream; otherwise it may have taken the message.
        if (err.kind === 'timeout' || (err.kind === 'connection' && err.message !== 'ECONNREFUSED')) {
          if (!this.uncertain.has(key)) this.uncertain.set(key, started);
        }
      },
    );
    const json = parseJson(res.body);
    if (res.status >= 300) {
      this.counters.refused++;
      throw new CarrierError(upstreamDetail(res.status, json), false, upstreamErrorCode(res.status, json));
    }
    const id = (json as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || id === '') {
      throw new CarrierError(`upstream answered ${res.status} without a message id`, true, UNAVAILABLE_CODE);
    }
    this.counters.submitted++;
    this.uncertain.delete(key);
    this.remember(id);
    return id;
  }

  /**
   * The upstream id of a group another process, or this one before a restart, already sent: recorded
   * for one of the same recipients, by this carrier (the router stores ids as `{name}:{id}`).
   */
  private async groupSentBefore(messageId: string, to: readonly string[]): Promise<string | undefined> {
    if (!this.deps.refs) return undefined;
    const prefix = `${this.name}:`;
    let refs: Awaited<ReturnType<DeliveryStore['carrierRefsOf']>>;
    try {
      refs = await this.deps.refs(messageId);
    } catch (err) {
      // Without the store's answer the group is sent; the delivery worker meets the outage itself.
      this.deps.log.warn({ carrier: this.name, error: (err as Error).message }, 'could not read the carrier ids of a group: sending it');
      return undefined;
    }
    const ref = refs.find((r) => r.carrierMessageId.startsWith(prefix) && to.includes(r.destinationTn));
    if (ref === undefined) return undefined;
    this.counters.groupsReused++;
    return ref.carrierMessageId.slice(prefix.length);
  }

  /**
   * The upstream's own copy of a send whose answer was lost: an outbound message from `from` to the
   * first recipient, received upstream since `since`, whose id this process does not already know.
   * Exactly one such message is taken as this one; none or several (another send of the same pair
   * that this process did not make) mean "send again".
   */
  private async findUpstream(from: string, to: readonly string[], since: number): Promise<string | undefined> {
    const res = await this.client.request({
      method: 'GET',
      path: `/users/${encodeURIComponent(this.config.accountId)}/messages`,
      query: {
        sourceTn: from,
        destinationTn: to[0] ?? '',
        messageDirection: 'OUTBOUND',
        fromDateTime: new Date(since - SEARCH_SLACK_MS).toISOString(),
        limit: '100',
      },
    });
    if (res.status >= 300) {
      this.deps.log.warn({ carrier: this.name, status: res.status }, 'could not search the upstream for a lost send: sending again');
      return undefined;
    }
    const list = (parseJson(res.body) as { messages?: Array<{ messageId?: unknown }> } | undefined)?.messages ?? [];
    const candidates = list.flatMap((m) => (typeof m.messageId === 'string' && !this.knownIds.has(m.messageId) ? [m.messageId] : []));
    if (candidates.length > 1) {
      this.deps.log.warn({ carrier: this.name, candidates: candidates.length }, 'several upstream messages could be a lost send: sending again');
    }
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  /**
   * Media in Pigeon's store (a URL naming the sending account's media) is uploaded to the upstream
   * and sent by its upstream URL; any other URL is passed on for the upstream to fetch.
   */
  private async uploadMedia(submission: CarrierSubmission): Promise<string[]> {
    const out: string[] = [];
    for (const [index, url] of (submission.media ?? []).entries()) {
      const ref = mediaRef(url);
      const stored = ref && ref.accountId === submission.accountId ? await this.deps.media.getMedia(ref.accountId, ref.name) : undefined;
      if (!stored) {
        out.push(url);
        continue;
      }
      if (stored.data.length > MAX_MEDIA_BYTES) throw new CarrierError(`media '${ref?.name}' is over ${MAX_MEDIA_BYTES} bytes`, false, 4411);
      const baseName = (stored.name.split('/').pop() ?? 'media').replace(/[^A-Za-z0-9._-]/g, '_').slice(-100);
      const name = `pigeon-${submission.messageId}-${index}-${baseName || randomUUID()}`;
      const path = `/users/${encodeURIComponent(this.config.accountId)}/media/${encodeURIComponent(name)}`;
      const res = await this.guard(() => this.client.request({ method: 'PUT', path, body: stored.data, contentType: stored.contentType }));
      if (res.status >= 300) {
        this.counters.refused++;
        const json = parseJson(res.body);
        throw new CarrierError(`media upload: ${upstreamDetail(res.status, json)}`, false, res.status === 413 ? 4411 : 4410);
      }
      this.counters.mediaUploaded++;
      out.push(`${this.config.baseUrl}${path}`);
    }
    return out;
  }

  /** Runs an upstream request; "not now" becomes a deferral that spends no attempt, and marks the carrier down a while. */
  private async guard<T>(request: () => Promise<T>, onUnavailable?: (err: UpstreamUnavailable) => void): Promise<T> {
    try {
      const result = await request();
      this.setDown(false);
      return result;
    } catch (err) {
      if (!(err instanceof UpstreamUnavailable)) throw err;
      onUnavailable?.(err);
      this.counters.deferred++;
      if (err.kind !== 'throttled') this.setDown(true);
      throw new CarrierError(`upstream unavailable: ${err.message}`, true, UNAVAILABLE_CODE, {
        spendsAttempt: false,
        retryAfterMs: err.retryAfterMs ?? DEFAULT_RETRY_MS,
      });
    }
  }

  private setDown(down: boolean): void {
    const was = this.state();
    this.downUntil = down ? this.deps.now() + this.config.downSeconds * 1000 : 0;
    const is = this.state();
    if (is !== was) this.events?.stateChanged(is);
  }

  private remember(id: string): void {
    this.knownIds.add(id);
    if (this.knownIds.size > KNOWN_ID_LIMIT) {
      const oldest = this.knownIds.values().next().value;
      if (oldest !== undefined) this.knownIds.delete(oldest);
    }
  }

  private forgetOld(): void {
    if (this.sends.size < SEND_MEMORY_LIMIT) return;
    const cutoff = this.deps.now() - SEND_MEMORY_MS;
    for (const [key, send] of this.sends) {
      if (send.at < cutoff || this.sends.size >= SEND_MEMORY_LIMIT) this.sends.delete(key);
      else break;
    }
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
