// Sends callbacks from the durable outbox: at least once, in order per message (the store only
// hands out a message's next callback once the previous one is settled), retried with capped
// exponential backoff until the retry window (24 h by default) after its first attempt has passed
// (reference e.1). Every attempt is recorded.
import type { AccountDirectory } from '../accounts/directory.js';
import { backoffMs } from '../delivery/backoff.js';
import type { CallbackNext, ClaimedCallback, DeliveryStore } from '../ports.js';
import { ClaimLoop } from '../../shared/claim-loop.js';
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
}

export interface CallbackWorkerDeps {
  store: DeliveryStore;
  transport: CallbackTransport;
  directory: AccountDirectory;
  now: () => number;
  onError: (err: unknown, context: string) => void;
}

export class CallbackWorker {
  readonly counters = { delivered: 0, failedAttempts: 0, abandoned: 0 };
  private readonly loop: ClaimLoop<ClaimedCallback>;

  constructor(
    private readonly deps: CallbackWorkerDeps,
    private readonly options: CallbackWorkerOptions,
  ) {
    this.loop = new ClaimLoop({
      concurrency: options.concurrency,
      idleMs: options.idleMs,
      claim: async (limit) => ({
        items: await deps.store.claimCallbacks({ workerId: options.workerId, now: deps.now(), limit, leaseMs: options.leaseMs }),
        delayMs: options.idleMs,
      }),
      handle: (callback) => this.send(callback),
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
      const application = directory.application(callback.accountId, callback.applicationId);
      ({ statusCode } = await transport.post({
        url: callback.url,
        body: callback.body,
        credentials: application?.callbackCredentials,
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
    await store.recordCallbackAttempt(
      callback.id,
      this.options.workerId,
      { time: started, statusCode, latencyMs: finished - started, error },
      next,
    );
    // Retry on time rather than at the next idle poll.
    if (next.state === 'retry') setTimeout(() => this.loop.wake(), Math.max(0, next.runAt - now())).unref();
  }
}
