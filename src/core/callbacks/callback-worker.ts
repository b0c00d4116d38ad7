// Sends callbacks from the durable outbox: at least once, in order per message (the store only
// hands out a message's next callback once the previous one is settled), retried with capped
// exponential backoff until the retry window (24 h by default) after its first attempt has passed
// (reference e.1). Every attempt is recorded.
//
// Callbacks are scheduled per endpoint, the callback URL: the store hands out each endpoint's free
// share of `perEndpointConcurrency`, round-robin across the endpoints with work, so an endpoint that
// hangs holds at most its own share. After `circuitFailureThreshold` consecutive timeouts or errors
// its circuit opens and it gets one probe at a time, with backoff, until it answers again
// (core/endpoints/circuit.ts); the callbacks waiting meanwhile are not attempted, so not charged.
import type { AccountDirectory } from '../accounts/directory.js';
import { backoffMs } from '../delivery/backoff.js';
import type { CircuitPolicy } from '../endpoints/circuit.js';
import type { CallbackNext, ClaimedCallback, DeliveryStore, EndpointChange, WorkLog } from '../ports.js';
import { ClaimLoop } from '../../shared/claim-loop.js';
import { messageLogContext } from '../../shared/log-context.js';
import type { CallbackTransport } from './callback-transport.js';

export interface CallbackWorkerOptions {
  workerId: string;
  concurrency: number;
  leaseMs: number;
  timeoutMs: number;
  retryWindowMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  authMode: 'preemptive' | 'challenge';
  idleMs: number;
  perEndpointConcurrency: number;
  circuitFailureThreshold: number;
  probeInitialMs: number;
  probeMaxMs: number;
}

export interface CallbackWorkerDeps {
  store: DeliveryStore;
  transport: CallbackTransport;
  directory: AccountDirectory;
  now: () => number;
  onError: (err: unknown, context: string) => void;
  /** An endpoint's circuit opened or closed: once per change, in the process that made it. */
  onEndpointChange?: (change: EndpointChange) => void;
  /** Lines about each attempt, which name the message and the request that sent it; absent, none. */
  log?: WorkLog;
}

export class CallbackWorker {
  readonly counters = { delivered: 0, failedAttempts: 0, abandoned: 0 };
  private readonly loop: ClaimLoop<ClaimedCallback>;
  private readonly circuit: CircuitPolicy;
  /** Claims made so far: which endpoint goes first moves on by one with each. */
  private turn = 0;

  constructor(
    private readonly deps: CallbackWorkerDeps,
    private readonly options: CallbackWorkerOptions,
  ) {
    this.circuit = {
      failureThreshold: options.circuitFailureThreshold,
      probeInitialMs: options.probeInitialMs,
      probeMaxMs: options.probeMaxMs,
    };
    this.loop = new ClaimLoop({
      concurrency: options.concurrency,
      idleMs: options.idleMs,
      claim: async (limit) => ({
        items: await deps.store.claimCallbacks({
          workerId: options.workerId,
          now: deps.now(),
          limit,
          leaseMs: options.leaseMs,
          perEndpoint: options.perEndpointConcurrency,
          turn: this.turn++,
        }),
        delayMs: options.idleMs,
      }),
      handle: (callback) => this.send(callback),
      logContext: (callback) => messageLogContext({ id: callback.messageId, requestId: callback.requestId }),
      onError: (err, callback) => deps.onError(err, callback ? `callback ${callback.id}` : 'callback claim'),
    });
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async send(callback: ClaimedCallback): Promise<void> {
    const { transport, directory, store, now } = this.deps;
    const started = now();
    let statusCode: number | undefined;
    let error: string | undefined;
    try {
      // The application as it is now: a callback URL or credentials changed since the callback was
      // queued apply to it. One whose application was deleted still goes where it was meant to.
      const application = directory.application(callback.accountId, callback.applicationId);
      const current = application && (callback.eventType === 'message-received' ? (application.inboundCallbackUrl ?? application.callbackUrl) : application.callbackUrl);
      ({ statusCode } = await transport.post({
        url: current ?? callback.url,
        body: callback.body,
        // The application's credentials go only with its URL as it is now, never to the URL a
        // callback was queued with (they belong to the new receiver); a deleted application's none.
        credentials: current !== undefined ? application?.callbackCredentials : undefined,
        authMode: this.options.authMode,
        timeoutMs: this.options.timeoutMs,
      }));
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const finished = now();
    const ok = statusCode !== undefined && statusCode >= 200 && statusCode < 300;
    let next: CallbackNext;
    if (ok) {
      next = { state: 'delivered' };
      this.counters.delivered++;
    } else {
      this.counters.failedAttempts++;
      // From the first attempt, not from the callback's creation: one that waited behind earlier
      // callbacks of its message gets the whole window. A backoff that would pass the end of the
      // window is cut short, so the last attempt is made when the window ends.
      const windowEnd = callback.firstAttemptAt + this.options.retryWindowMs;
      if (finished >= windowEnd) {
        next = { state: 'abandoned' };
        this.counters.abandoned++;
      } else {
        const backoff = backoffMs(callback.attempts, this.options.retryInitialMs, this.options.retryMaxMs);
        next = { state: 'retry', runAt: Math.min(windowEnd, finished + backoff) };
      }
    }
    const change = await store.recordCallbackAttempt(
      callback.id,
      this.options.workerId,
      { time: started, statusCode, latencyMs: finished - started, error },
      next,
      {
        endpoint: callback.url,
        outcome: { ok, probe: callback.probe, time: finished, error: error ?? `HTTP ${statusCode}` },
        policy: this.circuit,
      },
    );
    if (change) this.deps.onEndpointChange?.(change);
    const line = { eventType: callback.eventType, attempt: callback.attempts, statusCode, latencyMs: finished - started };
    if (next.state === 'delivered') this.deps.log?.debug(line, 'callback delivered');
    else if (next.state === 'retry') this.deps.log?.debug({ ...line, error, retryAt: new Date(next.runAt).toISOString() }, 'callback refused: retrying');
    else this.deps.log?.warn({ ...line, error }, 'callback given up: its retry window has passed');
    // Retry on time rather than at the next idle poll.
    if (next.state === 'retry') setTimeout(() => this.loop.wake(), Math.max(0, next.runAt - now())).unref();
  }
}
