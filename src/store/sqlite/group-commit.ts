// Group commit: writes that arrive while the event loop is busy run together in one transaction,
// so one fsync makes a whole batch durable. Each caller's promise settles only after the COMMIT
// that contains its write and, when a `sync` is given, after that sync has made it durable: this is
// what lets the API answer 202 only for data on disk. The sync runs off the event loop, so the next
// batch can be built and committed while the previous one is being flushed to disk.
//
// Waiting for the write lock. Another connection may hold it: the other thread of the embedded
// default (main/worker-thread.ts), `pigeon send`, a backup. SQLite's own busy handler would sleep
// inside BEGIN, blocking the event loop 1, 2, 5, 10 … ms at a time, usually long after the lock was
// released. With a `lockWait`, BEGIN is tried without waiting and, while the lock is held, tried
// again from the event loop (its next turns, then every millisecond): the thread keeps serving
// meanwhile, and writes that arrive join the waiting batch. Past the connection's busy timeout the
// batch fails with StoreBusyError, as SQLite's own wait would. The committer's own BEGIN is the only
// statement run with busy_timeout 0: reads, the statistics and the close still wait as SQLite does.
import type Database from 'better-sqlite3';
import { StoreBusyError, StoreUnavailableError } from '../../core/errors.js';
import { isBusy, sqliteStoreError } from './errors.js';
import { afterCommit, beforeCommit, type WriteKind } from '../../shared/failpoint.js';

interface Pending {
  work: () => unknown;
  /** What the write is, for the crash tests' failpoints (shared/failpoint.ts). */
  kind?: WriteKind | undefined;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What one batch took, for metrics: its size, the transaction, and the fsync after it (seconds). */
export type CommitObserver = (batch: { size: number; commitSeconds: number; syncSeconds: number | undefined }) => void;

/** Tries on the next turns of the event loop before falling back to a 1 ms timer. */
const IMMEDIATE_TRIES = 8;

export class GroupCommitter {
  private pending: Pending[] = [];
  private scheduled = false;
  /** A batch waiting for the write lock, and how to call off its next try. */
  private waiting: { batch: Pending[]; cancel: () => void } | undefined;
  /** Called after each batch that committed. */
  observer: CommitObserver | undefined;
  /** `PRAGMA busy_timeout` without waiting (for the committer's BEGIN) and back to the connection's. */
  private readonly busyTimeout: { none: Database.Statement; restore: Database.Statement };

  /** `busyTimeoutMs`: the connection's busy_timeout, which also bounds how long a batch waits for the lock. */
  constructor(
    private readonly db: Database.Database,
    private readonly busyTimeoutMs: number,
    private readonly sync?: () => Promise<void>,
    private readonly maxBatch = 512,
  ) {
    this.busyTimeout = {
      none: db.prepare('PRAGMA busy_timeout = 0'),
      restore: db.prepare(`PRAGMA busy_timeout = ${Math.floor(busyTimeoutMs)}`),
    };
  }

  /** Runs `work` inside the next batch's transaction and resolves with its result after the COMMIT. */
  run<T>(work: () => T, kind?: WriteKind): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, kind, resolve: resolve as (value: unknown) => void, reject });
      // While a batch waits for the lock, new writes wait with it and join it at its next try.
      if (this.waiting) return;
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after pending I/O callbacks, so requests parsed in this loop turn join the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Commits what is pending now. A batch waiting for the lock is committed too, this time waiting
   * for the lock as SQLite does (busy_timeout): the store calls this when it closes.
   */
  flush(): void {
    this.scheduled = false;
    const waiting = this.waiting;
    if (waiting) {
      waiting.cancel();
      this.waiting = undefined;
      this.pending = [...waiting.batch, ...this.pending];
    }
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.commit(batch, { blocking: waiting !== undefined });
  }

  private commit(batch: Pending[], attempt: { blocking: boolean; since?: number; tries?: number }): void {
    const started = performance.now();
    if (!attempt.blocking) {
      let began: boolean;
      try {
        began = this.tryBegin();
      } catch (err) {
        // The file cannot take writes (full, read-only, failing): no write ran.
        for (const p of batch) p.reject(sqliteStoreError(err));
        return;
      }
      if (!began) {
        this.waitForLock(batch, attempt.since ?? started, (attempt.tries ?? 0) + 1);
        return;
      }
    }
    const settled: Array<{ p: Pending; ok: boolean; value: unknown }> = [];
    try {
      const results = attempt.blocking ? this.db.transaction(() => batch.map((p) => p.work())).immediate() : this.inBegunTransaction(batch);
      batch.forEach((p, i) => settled.push({ p, ok: true, value: results[i] }));
    } catch (batchError) {
      const translated = sqliteStoreError(batchError);
      if (translated instanceof StoreBusyError || translated instanceof StoreUnavailableError) {
        // The lock was not ours, or the file cannot take writes (full, read-only): no write ran.
        // Retrying each write would fail the same way (waiting busy_timeout again per write, with
        // the event loop blocked); every caller is told at once instead.
        for (const p of batch) p.reject(translated);
        return;
      }
      // One failing write must not fail its neighbours: run each on its own to isolate the culprit.
      for (const p of batch) {
        try {
          settled.push({ p, ok: true, value: this.db.transaction(p.work).immediate() });
        } catch (err) {
          settled.push({ p, ok: false, value: sqliteStoreError(err) });
        }
      }
    }
    const committed = performance.now();
    const settle = () => {
      this.observer?.({
        size: batch.length,
        commitSeconds: (committed - started) / 1000,
        syncSeconds: this.sync ? (performance.now() - committed) / 1000 : undefined,
      });
      for (const { p, ok, value } of settled) (ok ? p.resolve : p.reject)(value);
    };
    if (!this.sync) {
      settle();
      return;
    }
    this.sync().then(settle, (err: unknown) => {
      // Committed but not known to be on disk: nobody may be told it is.
      const translated = sqliteStoreError(err);
      for (const { p } of settled) p.reject(translated);
    });
  }

  /** BEGIN IMMEDIATE without waiting: false while another connection holds the write lock. */
  private tryBegin(): boolean {
    this.busyTimeout.none.get();
    try {
      this.db.exec('BEGIN IMMEDIATE');
      return true;
    } catch (err) {
      if (isBusy(err)) return false;
      throw err;
    } finally {
      this.busyTimeout.restore.get();
    }
  }

  /** The batch's writes and COMMIT in the transaction tryBegin opened; rolled back when one throws. */
  private inBegunTransaction(batch: readonly Pending[]): unknown[] {
    try {
      const results = batch.map((p) => p.work());
      const failpoint = beforeCommit(batch.map((p) => p.kind));
      this.db.exec('COMMIT');
      afterCommit(failpoint);
      return results;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private waitForLock(batch: Pending[], since: number, tries: number): void {
    if (performance.now() - since >= this.busyTimeoutMs) {
      const busy = new StoreBusyError({ cause: new Error(`the write lock was held for ${this.busyTimeoutMs} ms by another connection`) });
      for (const p of batch) p.reject(busy);
      if (this.pending.length > 0) this.flush();
      return;
    }
    const again = () => {
      // Writes that arrived meanwhile join this try.
      const merged = [...batch, ...this.pending];
      this.pending = [];
      this.waiting = undefined;
      this.commit(merged, { blocking: false, since, tries });
    };
    if (tries <= IMMEDIATE_TRIES) {
      const immediate = setImmediate(again);
      this.waiting = { batch, cancel: () => clearImmediate(immediate) };
    } else {
      const timer = setTimeout(again, 1);
      this.waiting = { batch, cancel: () => clearTimeout(timer) };
    }
  }
}
