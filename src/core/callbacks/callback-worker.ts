// Sends callbacks from the durable outbox: at least once, in order per message (the store only
// hands out a message's next callback once the previous one is settled), retried with capped
// exponential backoff until the retry window (24 h by default) has passed. Every attempt is recorded.
import type { AccountDirectory } from '../accounts/directory.js';
import { backoffMs } from '../delivery/backoff.js';
import type { CallbackNext, ClaimedCallback, DeliveryStore } from '../ports.js';
import { PollLoop } from '../../shared/poll-loop.js';
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
  private inFlight = 0;
  private readonly loop: PollLoop;
  private readonly active = new Set<Promise<void>>();

  constructor(
    private readonly deps: CallbackWorkerDeps,
    private readonly options: CallbackWorkerOptions,
  ) {
    this.loop = new PollLoop(() => this.tick(), (err) => deps.onError(err, 'callback claim'));
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.active]);
  }

  private async tick(): Promise<number> {
    const free = this.options.concurrency - this.inFlight;
    if (free <= 0) return this.options.idleMs;
    const claimed = await this.deps.store.claimCallbacks({
      workerId: this.options.workerId,
      now: this.deps.now(),
      limit: free,
      leaseMs: this.options.leaseMs,
    });
    for (const callback of claimed) {
      this.inFlight++;
      const work = this.send(callback)
        .catch((err: unknown) => this.deps.onError(err, `callback ${callback.id}`))
        .finally(() => {
          this.inFlight--;
          this.active.delete(work);
          this.loop.wake();
        });
      this.active.add(work);
    }
    return claimed.length === free ? 0 : this.options.idleMs;
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
      const runAt = finished + backoffMs(callback.attempts, this.options.retryInitialMs, this.options.retryMaxMs);
      if (runAt - callback.createdAt > this.options.retryWindowMs) {
        next = { state: 'abandoned' };
        this.counters.abandoned++;
      } else {
        next = { state: 'retry', runAt };
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
