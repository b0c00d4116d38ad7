// Group commit for PostgreSQL: the accepts and the workers' writes issued in the same turn of the
// event loop (accepted messages, status changes, submit records, receipt matches, the simulator's
// receipts, callback attempts) run together in one transaction on one pooled connection, so a batch
// costs one COMMIT (one WAL flush) instead of one per write. Each caller's promise settles only after the COMMIT that holds its write,
// with what its own statements returned, as SQLite's GroupCommitter (store/sqlite/group-commit.ts).
//
// Every write keeps its own statements and the guarantees they were written for: in READ COMMITTED
// each statement of the batch takes a new snapshot, which sees what other transactions committed
// before it and everything the batch wrote before it, so a guarded status change, a calm check or a
// lease test behaves as it did in a transaction of its own. What changes is that the row locks of
// every write are held until the batch commits.
//
// Lock order. Writes are run in the order of their key: the kind of write first, in the lock order
// of the tables (0 accepted messages, new rows only; 1 recipients: queue row, recipient, carrier
// refs; 2 receipt matches: carrier refs; 3 parked receipts; 4 simulator receipts; 5 callback
// outbox), then the row (the recipient's `message_id|destination_tn`, a carrier id, an outbox id),
// so two batches that touch the same rows take their locks in the same order; a deadlock that still happens (a batch and a claim, a hash collision of the callback
// order locks) makes PostgreSQL abort one side, and that batch is run again.
//
// Failures. One failing write must not fail its neighbours. A failed statement aborts the whole
// transaction, so after any failure the batch is rolled back and each of its writes is run again in
// a transaction of its own (itself retried on a deadlock): the culprit alone fails. A write must
// therefore be safe to run again after a rollback: it may only change the database, and keep what
// it tells its caller (or does in memory) in its result. A COMMIT that fails leaves the outcome
// unknown, as for a single statement: every caller of the batch is told.
import type { Pool, PoolClient } from 'pg';
import { isRetriable, storeError } from './errors.js';
import { inTransaction } from './transaction.js';
import { afterCommit, beforeCommit, type WriteKind } from '../../shared/failpoint.js';

export type Work<T> = (client: PoolClient) => Promise<T>;

/**
 * Writes of one kind that can run as one multi-row statement: `execute` does the writes of every
 * input given (one statement, typically over unnest() arrays) and resolves when they are done.
 */
export interface Combined<I> {
  /** Tells the kinds apart within a batch; one per statement text. */
  kind: string;
  execute: (client: PoolClient, inputs: readonly I[]) => Promise<void>;
}

interface Pending {
  key: string;
  work: Work<unknown>;
  /** What the write is, for the crash tests' failpoints (shared/failpoint.ts). */
  kind?: WriteKind | undefined;
  /** Set for a write that may run together with the others of its kind (runCombined). */
  combined?: { of: Combined<unknown>; input: unknown };
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What one batch took, for metrics: its size and its transaction, COMMIT included (seconds). */
export type PostgresCommitObserver = (batch: { size: number; commitSeconds: number; syncSeconds: undefined }) => void;

/** Batches run again whole after a deadlock before their writes are run one by one. */
const BATCH_TRIES = 2;

/**
 * How a batch's transaction starts. Every statement of a batch finds its rows by a key (a primary
 * key, the recipient's index, a ctid), and named statements keep the generic plan PostgreSQL made
 * on their sixth run for the connection's life: made while a table was still small and never
 * analyzed, that plan was a sequential scan, which a long run then paid on a table grown to the
 * whole run. Sequential scans are turned off, as in the claims (postgres-delivery.ts,
 * CLAIM_BEGIN), so every plan, generic or custom, uses an index whatever the statistics say.
 * Bitmap scans stay allowed: without them a generic plan made on a small table matched a receipt
 * by `carrier` alone and filtered the ids (see MATCH_RECEIPT_ONE there). JIT off: a statement of a
 * few rows is never worth compiling.
 */
export const BATCH_BEGIN = 'BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL jit = off';

export class PostgresGroupCommitter {
  private pending: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  /** Called after each batch that committed. */
  observer: PostgresCommitObserver | undefined;

  /**
   * `maxInFlight` batches run at once, each on its own connection; writes that arrive meanwhile wait
   * for the next, which is what makes batches grow under load. More than one, because a batch runs
   * its statements one after another, a round trip each: a single connection would bound the
   * process's writes by the round-trip time.
   */
  constructor(
    private readonly pool: Pool,
    private readonly maxBatch = 256,
    private readonly maxInFlight = 4,
  ) {}

  /**
   * Runs `work` in the next batch's transaction and resolves with its result after the COMMIT.
   * `key` orders the writes of a batch (see the lock order above).
   */
  run<T>(key: string, work: Work<T>, kind?: WriteKind): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ key, work, kind, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * Like run, for a write that returns nothing and can run together with the other writes of its
   * kind in the batch (`combined`): they go as one statement, at the place of the first of them in
   * the key order. Alone (a batch of one, or run again after a failed batch) it is that statement
   * with a single input.
   */
  runCombined<I>(key: string, combined: Combined<I>, input: I, kind?: WriteKind): Promise<void> {
    const of = combined as Combined<unknown>;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        key,
        kind,
        work: (client) => of.execute(client, [input]),
        combined: { of, input },
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.pending.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // setImmediate runs after pending I/O callbacks, so writes issued in this loop turn join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.pending.slice(0, this.maxBatch);
      this.pending = this.pending.slice(batch.length);
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    // Stable: writes of one key keep the order they were issued in.
    const ordered = batch.map((p, i) => ({ p, i })).sort((a, b) => (a.p.key < b.p.key ? -1 : a.p.key > b.p.key ? 1 : a.i - b.i));
    const items = ordered.map(({ p }) => p);
    const started = performance.now();
    for (let tries = 1; ; tries++) {
      let results: unknown[];
      try {
        results = await this.once(items);
      } catch (err) {
        if (err instanceof CommitUnknown) {
          for (const p of items) p.reject(err.cause);
          return;
        }
        if (isRetriable(err) && tries < BATCH_TRIES) continue;
        await this.oneByOne(items);
        return;
      }
      this.observer?.({ size: items.length, commitSeconds: (performance.now() - started) / 1000, syncSeconds: undefined });
      items.forEach((p, i) => p.resolve(results[i]));
      return;
    }
  }

  /** The batch as one transaction; throws what failed, CommitUnknown when the COMMIT itself did. */
  private async once(items: readonly Pending[]): Promise<unknown[]> {
    const client = await this.pool.connect();
    // Set when ROLLBACK itself failed: the connection is in an unknown state and must not be reused.
    let broken: Error | undefined;
    try {
      await client.query(BATCH_BEGIN);
      const results: unknown[] = [];
      // Combined writes of one kind run once, at the first of them; the others are done by then.
      const groups = new Map<string, Pending[]>();
      for (const p of items) {
        if (!p.combined) continue;
        const group = groups.get(p.combined.of.kind);
        if (group) group.push(p);
        else groups.set(p.combined.of.kind, [p]);
      }
      try {
        for (const p of items) {
          if (!p.combined) {
            results.push(await p.work(client));
            continue;
          }
          const group = groups.get(p.combined.of.kind);
          if (group) {
            groups.delete(p.combined.of.kind);
            await p.combined.of.execute(
              client,
              group.map((g) => g.combined?.input),
            );
          }
          results.push(undefined);
        }
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
        throw err;
      }
      const failpoint = beforeCommit(items.map((p) => p.kind));
      try {
        await client.query('COMMIT');
      } catch (err) {
        broken = err as Error;
        throw new CommitUnknown(storeError(err));
      }
      afterCommit(failpoint);
      return results;
    } finally {
      client.release(broken);
    }
  }

  /** After a failed batch: each write in a transaction of its own, so that only the culprit fails. */
  private async oneByOne(items: readonly Pending[]): Promise<void> {
    await Promise.all(
      items.map(async (p) => {
        try {
          p.resolve(await inTransaction(this.pool, p.work, BATCH_BEGIN));
        } catch (err) {
          p.reject(storeError(err));
        }
      }),
    );
  }
}

/** The COMMIT of a batch failed: whether it took effect is unknown, and no write may be run again. */
class CommitUnknown extends Error {
  constructor(override readonly cause: unknown) {
    super('COMMIT failed');
  }
}
