// The Numbers API's resources in PostgreSQL. An order's holds are single-row inserts: the primary
// key decides which of two accounts ordering one number gets it.
import type { Pool, QueryResultRow } from 'pg';
import type { NumbersStore, ResourceKind, StoredResource } from '../../core/numbers/numbers-port.js';
import { toDollar } from '../sql/opt-out-rows.js';
import { chunks, insertManyQuery, insertValues, NUMBERS_SQL, TAKEN_CHUNK, takenQuery, toResource, updateValues, type ResourceSqlRow } from '../sql/numbers-rows.js';
import { storeError } from './errors.js';

const SQL = Object.fromEntries(Object.entries(NUMBERS_SQL).map(([k, v]) => [k, toDollar(v)])) as typeof NUMBERS_SQL;

export class PostgresNumbers implements NumbersStore {
  constructor(private readonly pool: Pool) {}

  async insert(resource: StoredResource): Promise<boolean> {
    return (await this.run(SQL.insert, insertValues(resource))).rowCount === 1;
  }

  /** One statement: the rows whose key is free go in, the others are skipped, and RETURNING names the added. */
  async insertAll(resources: readonly StoredResource[]): Promise<Set<string>> {
    const added = new Set<string>();
    for (const part of chunks(resources, TAKEN_CHUNK)) {
      const { rows } = await this.run<{ id: string }>(toDollar(insertManyQuery(part.length)), part.flatMap(insertValues));
      for (const row of rows) added.add(row.id);
    }
    return added;
  }

  async update(resource: StoredResource): Promise<boolean> {
    return (await this.run(SQL.update, updateValues(resource))).rowCount === 1;
  }

  async get<T>(kind: ResourceKind, accountId: string, id: string): Promise<StoredResource<T> | undefined> {
    const row = (await this.run<ResourceSqlRow>(SQL.get, [kind, id, accountId])).rows[0];
    return row && toResource<T>(row);
  }

  async list<T>(kind: ResourceKind, accountId: string, parentId?: string): Promise<Array<StoredResource<T>>> {
    const { rows } = parentId === undefined ? await this.run<ResourceSqlRow>(SQL.list, [accountId, kind]) : await this.run<ResourceSqlRow>(SQL.listUnder, [accountId, kind, parentId]);
    return rows.map((row) => toResource<T>(row));
  }

  async remove(kind: ResourceKind, accountId: string, id: string): Promise<boolean> {
    return (await this.run(SQL.remove, [kind, id, accountId])).rowCount === 1;
  }

  async nextId(): Promise<number> {
    return Number((await this.run<{ value: string }>(SQL.nextId, [])).rows[0]?.value);
  }

  async taken(numbers: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(numbers, TAKEN_CHUNK)) {
      const { rows } = await this.run<{ number: string }>(toDollar(takenQuery(part.length)), [...part, ...part]);
      for (const row of rows) out.add(row.number);
    }
    return out;
  }

  private run<R extends QueryResultRow = QueryResultRow>(sql: string, values: unknown[]) {
    return this.pool.query<R>(sql, values).catch((err: unknown) => Promise.reject(storeError(err)));
  }
}
