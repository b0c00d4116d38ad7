// Which queued recipients one claim takes within the throughput limits (reference d.4), the same for
// every storage engine: the store reads candidates in dequeue order and the bucket states (locking
// them where processes share the database), runs this, and writes back what it decided, all in the
// claim's transaction.
import type { RatePolicy } from '../ports.js';
import { take, type BucketLimit, type BucketState } from './token-bucket.js';

/** What the plan needs to know of a queued recipient. */
export interface ClaimCandidate {
  accountId: string;
  sourceTn: string;
  segmentCount: number;
  expiresAt: number | undefined;
}

export interface ClaimPlan<T> {
  /** To lease, in dequeue order. */
  claimed: T[];
  /** Not claimable before `runAt`. */
  postponed: Array<{ candidate: T; runAt: number }>;
  /** The new state of every bucket the claimed candidates drew from. */
  buckets: Map<string, BucketState>;
  nextDueAt: number | undefined;
}

/**
 * How many candidates a claim of `limit` reads. Where limits apply, more than it takes: candidates a
 * held-back bucket postpones are passed over, and the claim still fills up from the others (another
 * number, another account) in the same transaction. Without any limit every candidate is taken, so
 * reading more would only lock rows (a write to each row's heap page in PostgreSQL) to leave them.
 */
export function claimScan(rates: RatePolicy, limit: number): number {
  return rates.limited === false ? limit : limit * 4;
}

/** The buckets a recipient draws from: its sending number's and its account's, where they are limited. */
export function bucketLimits(rates: RatePolicy, accountId: string, sourceTn: string): Array<[string, BucketLimit]> {
  const limits: Array<[string, BucketLimit]> = [];
  const sender = rates.senderLimit(accountId, sourceTn);
  const account = rates.accountLimit(accountId);
  if (sender) limits.push([`sender:${accountId}:${sourceTn}`, sender]);
  if (account) limits.push([`account:${accountId}`, account]);
  return limits;
}

export function planClaim<T>(
  candidates: readonly T[],
  fieldsOf: (candidate: T) => ClaimCandidate,
  /** The stored state of a bucket; undefined for one never used (it starts full). */
  stored: (key: string) => BucketState | undefined,
  rates: RatePolicy,
  now: number,
  limit: number,
): ClaimPlan<T> {
  const plan: ClaimPlan<T> = { claimed: [], postponed: [], buckets: new Map(), nextDueAt: undefined };
  const read = new Map<string, BucketState | undefined>();
  const current = (key: string): BucketState | undefined => {
    if (plan.buckets.has(key)) return plan.buckets.get(key);
    if (!read.has(key)) read.set(key, stored(key));
    return read.get(key);
  };
  // A bucket that could not serve a candidate holds back every later candidate that draws from it,
  // until it could: first in, first out per sending number and per account. Only that bucket: when
  // one number is out of tokens, the account's other numbers still send on what is left to them.
  const heldUntil = new Map<string, number>();

  for (const candidate of candidates) {
    if (plan.claimed.length >= limit) break;
    const c = fieldsOf(candidate);
    // An expired recipient is claimed whatever the limits, for the worker to fail it with 4360.
    if (c.expiresAt === undefined || c.expiresAt > now) {
      const cost = rates.unit === 'segments' ? c.segmentCount : 1;
      const taken: Array<[string, BucketState]> = [];
      let runAt: number | undefined;
      for (const [key, bucketLimit] of bucketLimits(rates, c.accountId, c.sourceTn)) {
        let readyAt = heldUntil.get(key);
        if (readyAt === undefined) {
          const result = take(current(key), bucketLimit, cost, now);
          if (result.ok) {
            taken.push([key, result.state]);
            continue;
          }
          readyAt = now + result.waitMs;
          heldUntil.set(key, readyAt);
        }
        runAt = Math.max(runAt ?? readyAt, readyAt);
      }
      if (runAt !== undefined) {
        // A recipient that would expire while held back is looked at again when it expires, to fail it on time.
        const due = c.expiresAt === undefined ? runAt : Math.min(runAt, c.expiresAt);
        plan.postponed.push({ candidate, runAt: due });
        plan.nextDueAt = Math.min(plan.nextDueAt ?? due, due);
        continue;
      }
      for (const [key, next] of taken) plan.buckets.set(key, next);
    }
    plan.claimed.push(candidate);
  }
  return plan;
}
