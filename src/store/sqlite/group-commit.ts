// Group commit: writes that arrive while the event loop is busy are applied together in one
// transaction, so one fsync makes a whole batch durable. Each caller's promise settles only after
// the COMMIT that contains its write, which is what lets the API answer 202 only for data on disk.
import type Database from 'better-sqlite3';

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommitter<T> {
  private pending: Array<Pending<T>> = [];
  private scheduled = false;

  constructor(
    private readonly db: Database.Database,
    private readonly apply: (item: T) => void,
    private readonly maxBatch = 512,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
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
    try {
      this.db.transaction(() => {
        for (const p of batch) this.apply(p.item);
      }).immediate();
      for (const p of batch) p.resolve();
    } catch {
      // One bad write must not fail its neighbours: retry each on its own to find the culprit.
      for (const p of batch) {
        try {
          this.db.transaction(() => this.apply(p.item)).immediate();
          p.resolve();
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }
}
