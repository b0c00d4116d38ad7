// A worker's main loop: claim up to the free concurrency, handle each claimed item on its own,
// claim again as soon as a slot frees up, and otherwise sleep the delay the claim asked for.
// The delivery worker and the callback worker differ only in what they claim and how they handle it.
import { runWithLogContext, type LogContext } from './log-context.js';
import { PollLoop } from './poll-loop.js';

export interface ClaimLoopOptions<T> {
  concurrency: number;
  /** Claims at most `limit` items; `delayMs` is how long to sleep when fewer than `limit` came. */
  claim: (limit: number) => Promise<{ items: readonly T[]; delayMs: number }>;
  handle: (item: T) => Promise<void>;
  onError: (err: unknown, item: T | undefined) => void;
  idleMs: number;
  /** What every log line made while handling the item names (the request that caused it): its handling and its errors run inside it. */
  logContext?: (item: T) => LogContext;
}

export class ClaimLoop<T> {
  private inFlight = 0;
  private readonly active = new Set<Promise<void>>();
  private readonly loop: PollLoop;

  constructor(private readonly options: ClaimLoopOptions<T>) {
    this.loop = new PollLoop(() => this.tick(), (err) => options.onError(err, undefined));
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Stops claiming and waits for the items in hand. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.active]);
  }

  private async tick(): Promise<number> {
    const free = this.options.concurrency - this.inFlight;
    if (free <= 0) return this.options.idleMs;
    const { items, delayMs } = await this.options.claim(free);
    for (const item of items) {
      this.inFlight++;
      const handle = () => this.options.handle(item).catch((err: unknown) => this.options.onError(err, item));
      const context = this.options.logContext?.(item);
      const work = (context ? runWithLogContext(context, handle) : handle()).finally(() => {
        this.inFlight--;
        this.active.delete(work);
        this.loop.wake();
      });
      this.active.add(work);
    }
    return items.length === free ? 0 : delayMs;
  }
}
