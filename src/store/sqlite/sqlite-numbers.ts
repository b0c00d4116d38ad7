// The Numbers API's resources in SQLite; writes go through the group committer like every other write.
import type Database from 'better-sqlite3';
import type { NumbersStore, ResourceKind, StoredResource } from '../../core/numbers/numbers-port.js';
import { chunks, insertValues, NUMBERS_SQL, TAKEN_CHUNK, takenQuery, toResource, updateValues, type ResourceSqlRow } from '../sql/numbers-rows.js';
import { sqliteStoreError } from './errors.js';
import type { GroupCommitter } from './group-commit.js';

export class SqliteNumbers implements NumbersStore {
  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {}

  insert(resource: StoredResource): Promise<boolean> {
    return this.writes.run(() => this.db.prepare(NUMBERS_SQL.insert).run(...insertValues(resource)).changes === 1);
  }

  insertAll(resources: readonly StoredResource[]): Promise<Set<string>> {
    return this.writes.run(() => {
      const insert = this.db.prepare(NUMBERS_SQL.insert);
      return new Set(resources.filter((r) => insert.run(...insertValues(r)).changes === 1).map((r) => r.id));
    });
  }

  update(resource: StoredResource): Promise<boolean> {
    return this.writes.run(() => this.db.prepare(NUMBERS_SQL.update).run(...updateValues(resource)).changes === 1);
  }

  async get<T>(kind: ResourceKind, accountId: string, id: string): Promise<StoredResource<T> | undefined> {
    const row = this.read(() => this.db.prepare(NUMBERS_SQL.get).get(kind, id, accountId) as ResourceSqlRow | undefined);
    return row && toResource<T>(row);
  }

  async list<T>(kind: ResourceKind, accountId: string, parentId?: string): Promise<Array<StoredResource<T>>> {
    const rows = this.read(() =>
      parentId === undefined
        ? (this.db.prepare(NUMBERS_SQL.list).all(accountId, kind) as ResourceSqlRow[])
        : (this.db.prepare(NUMBERS_SQL.listUnder).all(accountId, kind, parentId) as ResourceSqlRow[]),
    );
    return rows.map((row) => toResource<T>(row));
  }

  remove(kind: ResourceKind, accountId: string, id: string): Promise<boolean> {
    return this.writes.run(() => this.db.prepare(NUMBERS_SQL.remove).run(kind, id, accountId).changes === 1);
  }

  nextId(): Promise<number> {
    return this.writes.run(() => Number((this.db.prepare(NUMBERS_SQL.nextId).get() as { value: number }).value));
  }

  async taken(numbers: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(numbers, TAKEN_CHUNK)) {
      const rows = this.read(() => this.db.prepare(takenQuery(part.length)).all(...part, ...part) as Array<{ number: string }>);
      for (const row of rows) out.add(row.number);
    }
    return out;
  }

  private read<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw sqliteStoreError(err);
    }
  }
}
