// A loop that runs `tick` again after the delay it returns, or sooner when woken. Background
// loops (delivery, callbacks, sweepers) get their I/O as the tick function and know nothing of timers.

export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking: Promise<void> | undefined;
  private wakeRequested = false;

  constructor(
    private readonly tick: () => Promise<number>,
    private readonly onError: (err: unknown) => void,
    /** Delay after a failed tick, so a broken database is not hammered. */
    private readonly errorDelayMs = 1000,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Runs the tick as soon as possible (now, or right after the one in progress). */
  wake(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.ticking;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), Math.max(0, delayMs));
  }

  private run(): void {
    if (!this.running || this.ticking) return;
    this.wakeRequested = false;
    this.ticking = this.tick()
      .catch((err: unknown) => {
        this.onError(err);
        return this.errorDelayMs;
      })
      .then((delay) => {
        this.ticking = undefined;
        if (this.running) this.schedule(this.wakeRequested ? 0 : delay);
      });
  }
}
