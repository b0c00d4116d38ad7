// Group commit: writes that arrive while the event loop is busy run together in one transaction,
// so one fsync makes a whole batch durable. Each caller's promise settles only after the COMMIT
// that contains its write and, when a `sync` is given, after that sync has made it durable: this is
// what lets the API answer 202 only for data on disk. The sync runs off the event loop, so the next
// batch can be built and committed while the previous one is being flushed to disk.
import type Database from 'better-sqlite3';
import { StoreBusyError, StoreUnavailableError } from '../../core/errors.js';
import { sqliteStoreError } from './errors.js';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What one batch took, for metrics: its size, the transaction, and the fsync after it (seconds). */
export type CommitObserver = (batch: { size: number; commitSeconds: number; syncSeconds: number | undefined }) => void;

export class GroupCommitter {
  private pending: Pending[] = [];
  private scheduled = false;
  /** Called after each batch that committed. */
  observer: CommitObserver | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly sync?: () => Promise<void>,
    private readonly maxBatch = 512,
  ) {}

  /** Runs `work` inside the next batch's transaction and resolves with its result after the COMMIT. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after pending I/O callbacks, so requests parsed in this loop turn join the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const settled: Array<{ p: Pending; ok: boolean; value: unknown }> = [];
    const started = performance.now();
    try {
      const results = this.db.transaction(() => batch.map((p) => p.work())).immediate();
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
}
