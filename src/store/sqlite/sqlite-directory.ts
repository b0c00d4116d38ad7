// The account directory in SQLite. Writes go through the group committer like every other write;
// the other thread of the process hears of them on the `directory` thread channel.
import type Database from 'better-sqlite3';
import type {
  AuditEntry,
  AuditRecord,
  DirectoryChanges,
  DirectoryLoad,
  DirectoryStore,
  DirectoryWrite,
  EntryKind,
  ListQuery,
} from '../../core/accounts/directory-port.js';
import {
  addNumberList,
  addRow,
  AUDIT_INSERT,
  auditQuery,
  auditValues,
  CURRENT_VERSION,
  emptyChanges,
  fromSql,
  getQuery,
  keyValues,
  KINDS,
  listQuery,
  LIVE_NUMBERS,
  SMS_ONLY_NUMBERS,
  liveNumber,
  liveNumberLists,
  NEXT_VERSION,
  rowsQuery,
  toAudit,
  upsertStatement,
} from '../sql/directory-rows.js';
import { sqliteStoreError } from './errors.js';
import type { GroupCommitter } from './group-commit.js';

export class SqliteDirectory implements DirectoryStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommitter,
    private readonly announce: () => void,
  ) {}

  async snapshot(): Promise<DirectoryChanges> {
    return this.live((changes) => {
      for (const row of this.prepare(LIVE_NUMBERS).raw(true).iterate()) changes.numbers.push(liveNumber(row as unknown[]));
      return changes;
    });
  }

  async load(): Promise<DirectoryLoad> {
    return this.live((changes) => {
      const load: DirectoryLoad = { ...changes, numbersByApplication: [], numberRates: [], smsOnly: [] };
      for (const row of this.prepare(liveNumberLists('group_concat', 'rate_per_second')).raw(true).iterate()) addNumberList(load, row as unknown[]);
      for (const row of this.prepare(SMS_ONLY_NUMBERS).raw(true).iterate()) load.smsOnly.push([(row as unknown[])[0] as string, (row as unknown[])[1] as string]);
      return load;
    });
  }

  /** The live rows but numbers, then `numbers`' own reading, in one read transaction so the version and the rows agree. */
  private live<T>(numbers: (changes: DirectoryChanges) => T): Promise<T> {
    return Promise.resolve(
      this.read(() =>
        this.db.transaction(() => {
          const changes = emptyChanges(Number((this.prepare(CURRENT_VERSION).get() as { value: number }).value));
          for (const kind of KINDS) {
            if (kind !== 'number') for (const row of this.prepare(rowsQuery(kind, 'live')).iterate()) addRow(changes, kind, row as Record<string, unknown>);
          }
          return numbers(changes);
        })(),
      ),
    );
  }

  async changesSince(version: number): Promise<DirectoryChanges> {
    return this.read(() =>
      this.db.transaction(() => {
        const changes = emptyChanges(Number((this.prepare(CURRENT_VERSION).get() as { value: number }).value));
        for (const kind of KINDS) for (const row of this.prepare(rowsQuery(kind, 'since')).iterate(version)) addRow(changes, kind, row as Record<string, unknown>);
        return changes;
      })(),
    );
  }

  async write(writes: readonly DirectoryWrite[], audit: readonly AuditRecord[], time: number): Promise<number> {
    const version = await this.writes.run(() => {
      const next = Number((this.prepare(NEXT_VERSION).get() as { value: number }).value);
      for (const write of writes) {
        const { sql, values } = upsertStatement(write, next, time);
        this.prepare(sql).run(...values);
      }
      const insertAudit = this.prepare(AUDIT_INSERT);
      for (const record of audit) insertAudit.run(...auditValues(record, time));
      return next;
    });
    this.announce();
    return version;
  }

  get(kind: EntryKind, key: string): Promise<never> {
    return Promise.resolve(
      this.read(() => {
        const row = this.prepare(getQuery(kind)).get(...keyValues(kind, key)) as Record<string, unknown> | undefined;
        return row && fromSql(kind, row);
      }) as never,
    );
  }

  list(kind: EntryKind, query: ListQuery): Promise<never> {
    const { sql, values } = listQuery(kind, query);
    return Promise.resolve(this.read(() => (this.db.prepare(sql).all(...values) as Array<Record<string, unknown>>).map((row) => fromSql(kind, row))) as never);
  }

  async audit(query: { kind?: EntryKind; key?: string; accountId?: string; before?: number; limit: number }): Promise<AuditEntry[]> {
    const { sql, values } = auditQuery(query);
    return this.read(() => (this.db.prepare(sql).all(...values) as Array<Record<string, unknown>>).map(toAudit));
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  private read<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw sqliteStoreError(err);
    }
  }
}
