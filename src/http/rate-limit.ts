// A fixed-window request counter per key (the client address for the list endpoint, as Bandwidth
// limits it). Windows are per process; the map is swept when a window turns so it cannot grow without bound.

export class FixedWindowLimiter {
  private counts = new Map<string, number>();
  private windowStart = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns 0 when the request may go ahead, else the seconds until the window turns. */
  take(key: string): number {
    if (this.limit <= 0) return 0;
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now - (now % this.windowMs);
      this.counts = new Map();
    }
    const used = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, used);
    if (used <= this.limit) return 0;
    return Math.max(1, Math.ceil((this.windowStart + this.windowMs - now) / 1000));
  }
}
