// The database a bench scenario runs Pigeon on, and a way to read it back afterwards: a fresh one
// per scenario, made and read with the test suite's own helpers, so that the same SQL checks both
// engines.
import { join } from 'node:path';
import { createTestDatabase, POSTGRES_ADMIN_URL, withSql } from '../../test/helpers/databases.js';

export type Engine = 'sqlite' | 'postgres';

export interface BenchDatabase {
  engine: Engine;
  /** DATABASE_URL for the Pigeon processes. */
  url: string;
  /** The first column of the first row, as a number (count(*) and the like). */
  scalar(sql: string): Promise<number>;
  /** Rows of (k, n), as "k×n, k×n" for the report. */
  groups(sql: string): Promise<string>;
  /** Every row, as the driver returns it (PostgreSQL bigints as strings). */
  rows<T extends object>(sql: string): Promise<T[]>;
  drop(): Promise<void>;
}

/** `sqliteQuery` is appended to an SQLite URL (e.g. `synchronous=normal`); PostgreSQL gets a fresh database of its own. */
export async function createBenchDatabase(engine: Engine, dir: string, name: string, sqliteQuery = ''): Promise<BenchDatabase> {
  const database =
    engine === 'sqlite'
      ? { url: `sqlite:${join(dir, `${name}.db`)}${sqliteQuery ? `?${sqliteQuery}` : ''}`, drop: async () => undefined }
      : await createTestDatabase('postgres');
  return {
    engine,
    url: database.url,
    scalar: (sql) => withSql(database.url, (c) => c.count(sql)),
    groups: (sql) =>
      withSql(database.url, async (c) => (await c.all<{ k: string; n: number | string }>(sql)).map((r) => `${r.k}×${r.n}`).join(', ')),
    rows: <T extends object>(sql: string) => withSql(database.url, (c) => c.all<T>(sql)),
    drop: () => database.drop(),
  };
}

/** Whether the PostgreSQL server the bench would use answers, so that a machine without one runs the SQLite scenarios alone. */
export async function postgresReachable(): Promise<{ ok: boolean; why?: string }> {
  try {
    await withSql(POSTGRES_ADMIN_URL, (c) => c.count('SELECT 1'));
    return { ok: true };
  } catch (err) {
    return { ok: false, why: err instanceof Error ? err.message : String(err) };
  }
}

export { POSTGRES_ADMIN_URL };
