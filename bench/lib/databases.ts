// The database a bench scenario runs Pigeon on, and a way to read it back afterwards. Both engines
// share table and column names, so the checks are one set of SQL run through either driver: what
// differs is only how a query reaches the engine, and that PostgreSQL returns count(*) as a string.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, POSTGRES_ADMIN_URL } from '../../test/helpers/databases.js';

export type Engine = 'sqlite' | 'postgres';

export interface BenchDatabase {
  engine: Engine;
  /** DATABASE_URL for the Pigeon processes. */
  url: string;
  /** The first column of the first row, as a number (count(*) and the like). */
  scalar(sql: string): Promise<number>;
  /** Rows of (k, n), as "k×n, k×n" for the report. */
  groups(sql: string): Promise<string>;
  drop(): Promise<void>;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function sqliteReader<T>(path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

const formatGroups = (rows: Array<{ k: string; n: number | string }>) => rows.map((r) => `${r.k}×${r.n}`).join(', ');

/** `sqliteQuery` is appended to an SQLite URL (e.g. `synchronous=normal`); PostgreSQL gets a fresh database of its own. */
export async function createBenchDatabase(engine: Engine, dir: string, name: string, sqliteQuery = ''): Promise<BenchDatabase> {
  if (engine === 'sqlite') {
    const path = join(dir, `${name}.db`);
    return {
      engine,
      url: `sqlite:${path}${sqliteQuery ? `?${sqliteQuery}` : ''}`,
      scalar: async (sql) => Number(sqliteReader(path, (db) => db.prepare(sql).pluck().get())),
      groups: async (sql) => formatGroups(sqliteReader(path, (db) => db.prepare(sql).all() as Array<{ k: string; n: number }>)),
      drop: async () => undefined,
    };
  }
  const database = await createTestDatabase('postgres');
  return {
    engine,
    url: database.url,
    scalar: (sql) => withClient(database.url, async (c) => Number(Object.values((await c.query(sql)).rows[0] ?? {})[0])),
    groups: (sql) => withClient(database.url, async (c) => formatGroups((await c.query<{ k: string; n: string }>(sql)).rows)),
    drop: () => database.drop(),
  };
}

/** Whether the PostgreSQL server the bench would use answers, so that a machine without one runs the SQLite scenarios alone. */
export async function postgresReachable(): Promise<{ ok: boolean; why?: string }> {
  try {
    await withClient(POSTGRES_ADMIN_URL, (c) => c.query('SELECT 1'));
    return { ok: true };
  } catch (err) {
    return { ok: false, why: err instanceof Error ? err.message : String(err) };
  }
}

export { POSTGRES_ADMIN_URL };
