// HTTP to the upstream messaging API with Node's own fetch: at most `concurrency` requests at once,
// at most `requestsPerSecond`, each within `timeoutSeconds`. What says "not now" (a timeout, a
// connection error, 429, 5xx) is thrown as UpstreamUnavailable with the upstream's Retry-After;
// every other answer is returned for the caller to read. Counters and latency feed the status page.
import { Semaphore } from '../../core/accounts/authenticator.js';
import { UpstreamAuth, UpstreamAuthError } from './auth.js';
import type { BandwidthCarrierConfig } from './config.js';

export interface UpstreamResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export type UnavailableKind = 'timeout' | 'connection' | 'throttled' | 'server';

export class UpstreamUnavailable extends Error {
  constructor(
    message: string,
    readonly kind: UnavailableKind,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'UpstreamUnavailable';
  }
}

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Below baseUrl, e.g. `/users/123/messages`; or a full URL on the upstream's origin. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  body?: Buffer;
  contentType?: string;
  /** Responses larger than this are refused (media downloads). */
  maxBytes?: number;
}

export interface ClientCounters {
  requests: number;
  errors: number;
  timeouts: number;
  throttled: number;
}

const LATENCY_WINDOW = 256;
const DEFAULT_MAX_BYTES = 1 << 20;

export class UpstreamClient {
  readonly auth: UpstreamAuth;
  readonly counters: ClientCounters = { requests: 0, errors: 0, timeouts: 0, throttled: 0 };
  inFlight = 0;
  lastError: string | undefined;
  private readonly slots: Semaphore;
  private nextStart = 0;
  private readonly latencies: number[] = [];
  private readonly origin: string;

  constructor(
    private readonly config: BandwidthCarrierConfig,
    private readonly now: () => number,
  ) {
    this.auth = new UpstreamAuth(config, now);
    this.slots = new Semaphore(config.concurrency);
    this.origin = new URL(config.baseUrl).origin;
  }

  /** True for URLs on the upstream's own origin: the only ones the credentials are ever sent to. */
  isUpstreamUrl(url: string): boolean {
    return URL.canParse(url) && new URL(url).origin === this.origin;
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    return this.slots.run(async () => {
      await this.pace();
      const first = await this.once(req);
      if (first.status !== 401 || this.config.clientId === undefined) return first;
      // A bearer token the upstream no longer takes: once more with a fresh one.
      this.auth.rejected();
      return this.once(req);
    });
  }

  /** Median and 95th percentile of recent request latencies (ms), for the status page. */
  latency(): { p50: number; p95: number } | undefined {
    if (this.latencies.length === 0) return undefined;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return { p50: at(0.5), p95: at(0.95) };
  }

  private async pace(): Promise<void> {
    const rate = this.config.requestsPerSecond;
    if (rate <= 0) return;
    const now = this.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + 1000 / rate;
    if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
  }

  private async once(req: UpstreamRequest): Promise<UpstreamResponse> {
    const url = new URL(req.path.startsWith('http') ? req.path : `${this.config.baseUrl}${req.path}`);
    for (const [key, value] of Object.entries(req.query ?? {})) url.searchParams.set(key, value);
    let authorization: string;
    try {
      authorization = await this.auth.header();
    } catch (err) {
      this.noteError((err as Error).message);
      if (err instanceof UpstreamAuthError && err.transient) throw new UpstreamUnavailable(err.message, 'connection', undefined);
      // Refused client credentials: every request would be refused alike; answered as a 401.
      return { status: 401, headers: new Headers(), body: Buffer.from(JSON.stringify({ description: (err as Error).message })) };
    }
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    let body: string | Buffer | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.body !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/octet-stream';
      body = req.body;
    }
    this.counters.requests++;
    this.inFlight++;
    const started = this.now();
    try {
      // No redirects followed: the upstream's origin is the only host Pigeon sends its credentials to
      // or fetches media from (a redirect could point it at an internal address).
      const res = await fetch(url, { method: req.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutSeconds * 1000) });
      const data = await readLimited(res, req.maxBytes ?? DEFAULT_MAX_BYTES);
      this.noteLatency(this.now() - started);
      if (res.status === 429 || res.status >= 500) {
        if (res.status === 429) this.counters.throttled++;
        this.noteError(`${req.method} ${url.pathname} answered ${res.status}`);
        throw new UpstreamUnavailable(`upstream answered ${res.status}`, res.status === 429 ? 'throttled' : 'server', retryAfterMs(res.headers.get('retry-after'), this.now()));
      }
      return { status: res.status, headers: res.headers, body: data };
    } catch (err) {
      if (err instanceof UpstreamUnavailable) throw err;
      // Asking again gets the same bytes: answered as the 413 it amounts to, for the caller to treat as final.
      if (err instanceof TooLargeError) {
        this.noteError(`${req.method} ${url.pathname}: ${err.message}`);
        return { status: 413, headers: new Headers(), body: Buffer.alloc(0) };
      }
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      if (timedOut) this.counters.timeouts++;
      const reason = timedOut ? `no answer within ${this.config.timeoutSeconds}s` : describeFetchError(err);
      this.noteError(`${req.method} ${url.pathname}: ${reason}`);
      throw new UpstreamUnavailable(reason, timedOut ? 'timeout' : 'connection', undefined);
    } finally {
      this.inFlight--;
    }
  }

  private noteError(message: string): void {
    this.counters.errors++;
    this.lastError = message;
  }

  private noteLatency(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
  }
}

class TooLargeError extends Error {}

async function readLimited(res: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new TooLargeError(`response of ${declared} bytes is over the ${maxBytes}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      size += (chunk as Uint8Array).length;
      // Leaving the loop cancels the rest of the body.
      if (size > maxBytes) throw new TooLargeError(`response is over the ${maxBytes}-byte limit`);
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  }
  return Buffer.concat(chunks);
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
