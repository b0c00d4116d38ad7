// One transaction on one pooled connection. PostgreSQL's default isolation, READ COMMITTED, is
// what every store method is written for: each statement sees what committed before it started,
// and an UPDATE or SELECT … FOR UPDATE that waited on a row lock re-reads the row's newest version
// and re-checks its WHERE clause, which is what makes the guarded status changes safe.
import type { Pool, PoolClient } from 'pg';
import { isRetriable, storeError } from './errors.js';
import { named, run } from './statements.js';
import { afterCommit, beforeCommit, type WriteKind } from '../../shared/failpoint.js';

/** The notification channels: one per kind of background work, and `changes` for the console's live views. */
export const CHANNELS = {
  delivery: 'pigeon_delivery',
  callbacks: 'pigeon_callbacks',
  changes: 'pigeon_changes',
  simulator: 'pigeon_simulator',
  directory: 'pigeon_directory',
} as const;
export type Channel = keyof typeof CHANNELS;

/** `SELECT pg_notify(…)` per channel. */
export const NOTIFY = {
  delivery: named(`SELECT pg_notify('${CHANNELS.delivery}', '')`),
  callbacks: named(`SELECT pg_notify('${CHANNELS.callbacks}', '')`),
  changes: named(`SELECT pg_notify('${CHANNELS.changes}', '')`),
  simulator: named(`SELECT pg_notify('${CHANNELS.simulator}', '')`),
  directory: named(`SELECT pg_notify('${CHANNELS.directory}', '')`),
} as const;

// Locks are always taken in the same order (queue row, then recipient, then carrier refs; buckets
// by key), so a deadlock should never happen; should one still do (PostgreSQL aborts one side
// after deadlock_timeout), the transaction is simply run again.
const MAX_TRIES = 3;

/**
 * Runs `work` in one transaction, again when it was a deadlock victim. `begin` is the simple query
 * that opens it: BEGIN, optionally followed by SET LOCAL settings for this transaction only, in
 * the same round trip.
 */
export function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, begin = 'BEGIN', kind?: WriteKind): Promise<T> {
  return retrying(() => once(pool, work, begin, kind));
}

/**
 * Runs `attempt` (one whole transaction, or one statement) again when PostgreSQL aborted it as a
 * deadlock victim; what it finally fails with is the store's error (errors.ts): a deadlock that
 * persisted is StoreBusyError, a lost connection StoreUnavailableError.
 */
export async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (tries >= MAX_TRIES || !isRetriable(err)) throw storeError(err);
    }
  }
}

async function once<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, begin: string, kind: WriteKind | undefined): Promise<T> {
  const client = await pool.connect();
  // Set when ROLLBACK itself failed: the connection is in an unknown state and must not be reused.
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await work(client);
    const failpoint = beforeCommit([kind]);
    await client.query('COMMIT');
    afterCommit(failpoint);
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Tells the workers of every process that work was committed, by a NOTIFY of its own sent after the
 * commit. Not inside the transaction that wrote the work: PostgreSQL serialises the commits of all
 * transactions that notify, each holding a database-wide lock through its WAL flush, so accepts ran
 * at a third of their rate and status changes that queued a callback waited for one another's
 * commits. One notification per channel is in flight at a time; work committed meanwhile is covered
 * by one more sent after it. A notification is a hint to look now: one lost (the process died
 * between the commit and the notify, a listener was reconnecting) only delays the work until the
 * workers' next poll.
 */
export class Notifier {
  private readonly inFlight = new Map<Channel, { again: boolean }>();

  constructor(private readonly pool: Pool) {}

  wake(channel: Channel): void {
    const current = this.inFlight.get(channel);
    if (current) {
      current.again = true;
      return;
    }
    const sending = { again: false };
    this.inFlight.set(channel, sending);
    run(this.pool, NOTIFY[channel])
      .catch(() => undefined)
      .finally(() => {
        this.inFlight.delete(channel);
        if (sending.again) this.wake(channel);
      });
  }
}
