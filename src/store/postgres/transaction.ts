// One transaction on one pooled connection. PostgreSQL's default isolation, READ COMMITTED, is
// what every store method is written for: each statement sees what committed before it started,
// and an UPDATE or SELECT … FOR UPDATE that waited on a row lock re-reads the row's newest version
// and re-checks its WHERE clause, which is what makes the guarded status changes safe.
import type { Pool, PoolClient } from 'pg';

/** The two notification channels, one per kind of background work. */
export const CHANNELS = { delivery: 'pigeon_delivery', callbacks: 'pigeon_callbacks' } as const;
export type Channel = keyof typeof CHANNELS;

// Locks are always taken in the same order (queue row, then recipient, then carrier refs; buckets
// by key), so a deadlock should never happen; should one still do (PostgreSQL aborts one side
// after deadlock_timeout), the transaction is simply run again.
const RETRIABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure
const MAX_TRIES = 3;

export function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return retrying(() => once(pool, work));
}

/** Runs `attempt` (one whole transaction, or one statement) again when PostgreSQL aborted it as a deadlock victim. */
export async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (tries >= MAX_TRIES || !RETRIABLE.has((err as { code?: string }).code ?? '')) throw err;
    }
  }
}

async function once<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // Set when ROLLBACK itself failed: the connection is in an unknown state and must not be reused.
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Queues a notification in the caller's transaction. PostgreSQL delivers it to listeners only when
 * that transaction commits (never if it rolls back), and folds identical notifications of one
 * transaction into one, so calling it per inserted row costs nothing extra.
 */
export async function notify(client: PoolClient, channel: Channel): Promise<void> {
  await client.query(`SELECT pg_notify('${CHANNELS[channel]}', '')`);
}
