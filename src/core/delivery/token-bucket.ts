// Token buckets for throughput limits. A bucket refills at `rate` tokens per second up to `burst`;
// sending costs one token per message or per segment. The state is plain data so that a store can
// keep it in the same transaction as the claim it gates, which makes limits hold across processes.

export interface BucketLimit {
  /** Tokens per second. */
  rate: number;
  /** Bucket size: how many can go at once after a quiet period. */
  burst: number;
}

export interface BucketState {
  tokens: number;
  updatedAt: number;
}

export type TakeResult = { ok: true; state: BucketState } | { ok: false; state: BucketState; waitMs: number };

export function refill(state: BucketState | undefined, limit: BucketLimit, now: number): BucketState {
  if (!state) return { tokens: limit.burst, updatedAt: now };
  const elapsed = Math.max(0, now - state.updatedAt) / 1000;
  // A claim whose clock reading is older than the bucket's (another process committed a later one
  // meanwhile) gets nothing and must not move the bucket back: the interval would be credited twice.
  return { tokens: Math.min(limit.burst, state.tokens + elapsed * limit.rate), updatedAt: Math.max(now, state.updatedAt) };
}

/**
 * Takes `cost` tokens if there are enough. A cost above the burst (a long SMS on a tiny bucket)
 * is allowed once the bucket is full, or it could never go at all.
 */
export function take(state: BucketState | undefined, limit: BucketLimit, cost: number, now: number): TakeResult {
  const current = refill(state, limit, now);
  const needed = Math.min(cost, limit.burst);
  if (current.tokens >= needed) {
    return { ok: true, state: { tokens: current.tokens - cost, updatedAt: current.updatedAt } };
  }
  // The ready time is computed from the stored state, not from `now`, so that jobs held back by
  // different claims get the same ready time and keep their order.
  const base = state ?? current;
  const readyAt = base.updatedAt + Math.ceil(((needed - base.tokens) / limit.rate) * 1000);
  return { ok: false, state: current, waitMs: Math.max(1, readyAt - now) };
}
