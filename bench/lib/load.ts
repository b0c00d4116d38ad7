// One closed-loop load phase with autocannon. Two things differ from a plain `autocannon({duration})`:
//
// - The phase ends by draining, not by cutting: at the deadline each connection finishes the
//   request it has in flight and then stops. autocannon's own end destroys sockets mid-request, and
//   a request the server committed but whose 202 never arrived would make "rows in the database =
//   2xx responses" unprovable.
// - Latency percentiles come from the per-response times (float ms) rather than autocannon's
//   histogram, which records whole milliseconds: too coarse for a baseline that answers in ~1-5 ms.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { postgresCpuMs, processesCpuMs } from './child.js';

export interface LoadOptions {
  /** Several URLs spread the connections over several servers (API processes behind a balancer). */
  url: string | string[];
  headers: Record<string, string>;
  body: string;
  seconds: number;
  connections: number;
  /** pids of the server processes, to report their CPU use over the measured window. */
  serverPids: readonly number[];
  /** Also report the PostgreSQL server's CPU use over the window. */
  postgres?: boolean;
}

export interface LoadResult {
  /** Every response, drain included: what the server must have persisted. */
  responses2xx: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Responses completed inside the measured window, and that window's length. */
  windowResponses: number;
  windowMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU used during the window as a percentage of one core; undefined where it cannot be read. */
  serverCpuPercent: number | undefined;
  /** The PostgreSQL server's, where asked for. */
  databaseCpuPercent: number | undefined;
  loadgenCpuPercent: number;
}

/** The parts of autocannon's client that the drain relies on; they are not in @types/autocannon. */
interface DrainableClient {
  reqsMade: number;
  responseMax: number | undefined;
}

// autocannon's own timer is only a backstop in case the drain never completes (a hung server).
const BACKSTOP_SECONDS = 30;

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** What autocannon is told by both kinds of phase: who to load, with what, over how many connections. */
function requestOptions(options: Pick<LoadOptions, 'url' | 'headers' | 'body' | 'connections'>) {
  return {
    // autocannon spreads the connections over an array of URLs; its typings only know a string.
    url: options.url as string,
    method: 'POST' as const,
    headers: options.headers,
    body: options.body,
    connections: options.connections,
    pipelining: 1,
  };
}

/** The counts both kinds of phase take from autocannon's result, and the percentiles of the latencies they collected. */
function summarize(result: autocannon.Result, latencies: readonly number[]) {
  const statusCounts: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = stat.count ?? 0;
  const sorted = Float64Array.from(latencies).sort();
  return {
    responses2xx: result['2xx'],
    non2xx: result.non2xx,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
  };
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise<LoadResult>((resolve, reject) => {
    const clients: DrainableClient[] = [];
    const latencies: number[] = [];
    let inWindow = true;
    let windowEnd = 0;
    let serverCpuEnd: number | undefined;
    let databaseCpuEnd: number | undefined;
    let loadgenCpuEnd = 0;

    const serverCpuStart = processesCpuMs(options.serverPids);
    const databaseCpuStart = options.postgres ? postgresCpuMs() : undefined;
    const loadgenCpuStart = process.cpuUsage();
    const start = performance.now();
    const instance = autocannon(
      {
        ...requestOptions(options),
        duration: options.seconds + BACKSTOP_SECONDS,
        setupClient: (client) => clients.push(client as unknown as DrainableClient),
      },
      (err, result) => {
        clearTimeout(deadline);
        if (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (inWindow) {
          reject(new Error('autocannon finished before the measured window ended'));
          return;
        }
        const windowMs = windowEnd - start;
        const cpu = (used: number) => (100 * used) / windowMs;
        resolve({
          ...summarize(result, latencies),
          windowResponses: latencies.length,
          windowMs,
          requestsPerSecond: (latencies.length * 1000) / windowMs,
          serverCpuPercent:
            serverCpuStart !== undefined && serverCpuEnd !== undefined ? cpu(serverCpuEnd - serverCpuStart) : undefined,
          databaseCpuPercent:
            databaseCpuStart !== undefined && databaseCpuEnd !== undefined ? cpu(databaseCpuEnd - databaseCpuStart) : undefined,
          loadgenCpuPercent: cpu(loadgenCpuEnd),
        });
      },
    );

    instance.on('response', (_client, _statusCode, _bytes, responseTime) => {
      if (inWindow) latencies.push(responseTime);
    });

    const deadline = setTimeout(() => {
      inWindow = false;
      windowEnd = performance.now();
      serverCpuEnd = processesCpuMs(options.serverPids);
      if (options.postgres) databaseCpuEnd = postgresCpuMs();
      const used = process.cpuUsage(loadgenCpuStart);
      loadgenCpuEnd = (used.user + used.system) / 1000;
      // A client checks responseMax before sending its next request, so each stops after the response to the request it has in flight.
      for (const client of clients) client.responseMax = client.reqsMade;
    }, options.seconds * 1000);
  });
}

/** Wall-clock milliseconds with a fraction: comparable with timestamps taken in another process. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A fixed number of requests instead of a duration; the servers and the request as for `runLoad`. */
export interface AmountOptions extends Omit<LoadOptions, 'seconds' | 'postgres'> {
  /** Requests in all, spread over the connections; the phase ends with the last response. */
  amount: number;
  /** Called on every response, so that a sampler can follow acceptance while the phase runs. */
  onResponse?: (statusCode: number) => void;
  /** The phase is abandoned when no response came for this long (a hung or crashed server). */
  stallSeconds?: number;
}

export interface AmountResult {
  responses2xx: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  /** True when the phase was abandoned because responses stopped coming. */
  stalled: boolean;
  /** Epoch milliseconds (with a fraction) of the first request and the last response, comparable across processes. */
  startedAt: number;
  lastResponseAt: number;
  /** Responses over the first request to the last response: ramp-up and tail included, as the end-to-end figure has them. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCpuPercent: number | undefined;
  loadgenCpuPercent: number;
}

/**
 * A fixed number of requests rather than a fixed time. No drain is needed here: autocannon lets each
 * connection stop after the response to its last request, so nothing is cut mid-flight.
 */
export function runAmount(options: AmountOptions): Promise<AmountResult> {
  return new Promise<AmountResult>((resolve, reject) => {
    const latencies: number[] = [];
    let responses = 0;
    let end: { at: number; serverCpu: number | undefined; loadgenCpu: number } | undefined;
    let stalled = false;
    let lastResponse = performance.now();

    const serverCpuStart = processesCpuMs(options.serverPids);
    const loadgenCpuStart = process.cpuUsage();
    // autocannon reports its result only at its next one-second sample tick, so the end is taken at
    // the last response instead; the callback is the fallback when errors kept that from coming.
    const markEnd = () => {
      const used = process.cpuUsage(loadgenCpuStart);
      end ??= { at: epochNow(), serverCpu: processesCpuMs(options.serverPids), loadgenCpu: (used.user + used.system) / 1000 };
    };
    const startedAt = epochNow();
    const instance = autocannon(
      {
        ...requestOptions(options),
        amount: options.amount,
        // The default 10 s would count a slow 202 as an error, and the request it stood for as lost.
        timeout: 60,
      },
      (err, result) => {
        clearInterval(watchdog);
        if (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        markEnd();
        const last = end as NonNullable<typeof end>;
        const elapsedMs = last.at - startedAt;
        const cpu = (used: number) => (100 * used) / elapsedMs;
        resolve({
          ...summarize(result, latencies),
          stalled,
          startedAt,
          lastResponseAt: last.at,
          requestsPerSecond: (responses * 1000) / elapsedMs,
          serverCpuPercent:
            serverCpuStart !== undefined && last.serverCpu !== undefined ? cpu(last.serverCpu - serverCpuStart) : undefined,
          loadgenCpuPercent: cpu(last.loadgenCpu),
        });
      },
    );

    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      responses += 1;
      lastResponse = performance.now();
      options.onResponse?.(statusCode);
      if (responses === options.amount) markEnd();
    });

    // With `amount`, autocannon keeps reconnecting to a dead server for ever: this is the only way out.
    const stallMs = (options.stallSeconds ?? 30) * 1000;
    const watchdog = setInterval(() => {
      if (performance.now() - lastResponse < stallMs) return;
      stalled = true;
      instance.stop();
    }, 1000);
  });
}
