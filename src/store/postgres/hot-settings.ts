// PostgreSQL has no index hints, so the hot statements that pick work (claims, polls, sweeps) run
// in transactions that leave the planner index paths only. Made on a young table (never analyzed,
// or analyzed a minute ago while it held the first message) a plan expects a handful of rows and
// reads and sorts all of them, or hashes a whole joined table; named statements keep such a plan
// as their generic plan. With sequential and bitmap scans off, a statement whose WHERE and ORDER BY
// an index serves walks that index and stops at its batch; with hash and merge joins off, what it
// joins to those rows is looked up by key, row by row (a hash join read every message, or every
// simulator receipt, to join the batch's 50 or 100 in the plan test). So each reads its batch,
// whatever the statistics say (test/store/hot-plans.test.ts). JIT off: a plan that still used a disabled path would carry its
// penalty cost, far above the JIT threshold, and be compiled for a quarter of a second.
import type { Pool, QueryResult, QueryResultRow } from 'pg';
import { run, type Statement } from './statements.js';
import { inTransaction } from './transaction.js';

export const INDEX_PATHS_BEGIN = `BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;
  SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL jit = off`;

/** Runs one named statement in a transaction of its own with index paths only. */
export function runIndexed<R extends QueryResultRow = QueryResultRow>(
  pool: Pool,
  statement: Statement,
  values: unknown[] = [],
): Promise<QueryResult<R>> {
  return inTransaction(pool, (client) => run<R>(client, statement, values), INDEX_PATHS_BEGIN);
}
