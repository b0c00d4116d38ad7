// The opt-out list in SQLite. Changes go through the group committer; the block check reads the
// connection directly, which sees every committed batch (a batch's transaction is opened and
// committed within one synchronous flush, so no read here ever runs inside an open one).
import type Database from 'better-sqlite3';
import type { OptOutChange, OptOutCheck, OptOutEntry, OptOutEvent, OptOutQuery, OptOutStore } from '../../core/opt-out/opt-out-port.js';
import { sqliteStoreError } from './errors.js';
import type { GroupCommitter } from './group-commit.js';
import { changeStatement, eventsQuery, eventValues, listQuery, SQL, toEntry, toEvent, type EntryRow, type EventRow } from '../sql/opt-out-rows.js';

export class SqliteOptOuts implements OptOutStore {
  private readonly s;

  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {
    this.s = {
      insert: db.prepare(SQL.insert),
      deleteOne: db.prepare(SQL.deleteOne),
      deleteApplying: db.prepare(SQL.deleteApplying),
      applying: db.prepare(SQL.applying),
      exempt: db.prepare(SQL.exempt),
      event: db.prepare(SQL.event),
    };
  }

  record(changes: readonly OptOutChange[]): Promise<boolean[]> {
    const statements = new Map<string, Database.Statement>([
      [SQL.insert, this.s.insert],
      [SQL.deleteOne, this.s.deleteOne],
      [SQL.deleteApplying, this.s.deleteApplying],
    ]);
    return this.writes.run(() =>
      changes.map((change) => {
        const effect = changeStatement(change);
        const changed = effect ? (statements.get(effect.sql) as Database.Statement).run(...effect.values).changes > 0 : false;
        this.s.event.run(...eventValues(change, changed, (b) => (b ? 1 : 0)));
        return changed;
      }),
    );
  }

  async blockFor(check: OptOutCheck): Promise<OptOutEntry | undefined> {
    return this.read(() => {
      const row = this.s.applying.get(check.recipient, check.from, check.applicationId, check.accountId) as EntryRow | undefined;
      if (!row || this.s.exempt.get(check.messageId)) return undefined;
      return toEntry(row);
    });
  }

  async list(query: OptOutQuery): Promise<OptOutEntry[]> {
    const { sql, values } = listQuery(query);
    return this.read(() => (this.db.prepare(sql).all(...values) as EntryRow[]).map(toEntry));
  }

  async events(query: { accountId?: string; recipient?: string; limit: number }): Promise<OptOutEvent[]> {
    const { sql, values } = eventsQuery(query);
    return this.read(() => (this.db.prepare(sql).all(...values) as EventRow[]).map(toEvent));
  }

  private read<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw sqliteStoreError(err);
    }
  }
}
