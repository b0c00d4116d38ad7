// A fresh, empty database for one test Pigeon or store, on each storage engine the suite runs on:
// a temp SQLite file, or a new PostgreSQL database on the local server (dropped afterwards); and a
// plain SQL connection to either, for tests that check what a Pigeon process left in its database.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const BACKEND_NAMES = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKEND_NAMES)[number];

/**
 * Engines the suite runs on: PIGEON_TEST_BACKENDS=sqlite,postgres (the default, as CI runs it);
 * `sqlite` alone on a machine without PostgreSQL. A typo must not pass as a green run of zero
 * engines, so an unknown or empty name throws.
 */
export function parseBackends(value: string): readonly Backend[] {
  const names = value.split(',').map((b) => b.trim());
  const unknown = names.filter((b) => !(BACKEND_NAMES as readonly string[]).includes(b));
  if (unknown.length > 0) {
    const shown = unknown.map((b) => (b === '' ? '(empty)' : `'${b}'`)).join(', ');
    throw new Error(`PIGEON_TEST_BACKENDS=${JSON.stringify(value)}: unknown engine ${shown}; use a comma-separated list of ${BACKEND_NAMES.join(', ')}`);
  }
  return [...new Set(names as Backend[])];
}

export const BACKENDS: readonly Backend[] = parseBackends(process.env.PIGEON_TEST_BACKENDS ?? 'sqlite,postgres');

/** The engine of a DATABASE_URL. */
export function backendOf(url: string): Backend {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

/** Where the tests find PostgreSQL: the server of this machine, trust auth, user postgres. */
export const POSTGRES_ADMIN_URL = process.env.PIGEON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(backend: Backend, dir?: string): Promise<TestDatabase> {
  if (backend === 'sqlite') {
    const folder = dir ?? mkdtempSync(join(tmpdir(), 'pigeon-db-'));
    return {
      url: `sqlite:${join(folder, 'pigeon.db')}`,
      drop: async () => {
        if (!dir) rmSync(folder, { recursive: true, force: true });
      },
    };
  }
  const name = `pigeon_t_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * A plain connection to a test database of either engine. Both schemas use the same table and
 * column names, so one SQL text serves both: write it with `?` placeholders (turned into $1, $2 …
 * for PostgreSQL) and no engine-specific syntax.
 */
export interface SqlConnection {
  readonly backend: Backend;
  all<T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** The first column of the first row as a number: PostgreSQL returns bigint counts as strings. */
  count(sql: string, params?: readonly unknown[]): Promise<number>;
  run(sql: string, params?: readonly unknown[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens `url` with better-sqlite3 or pg. SQLite is opened read-only unless `write` is set, so that a
 * check running next to a live Pigeon (a WAL reader) can never take its write lock.
 */
export async function connectSql(url: string, options: { write?: boolean } = {}): Promise<SqlConnection> {
  if (backendOf(url) === 'sqlite') {
    const path = (url.slice('sqlite:'.length).split('?')[0] ?? '');
    const db = new Database(path, { readonly: !options.write, fileMustExist: true, timeout: 5000 });
    return {
      backend: 'sqlite',
      all: async <T extends object>(sql: string, params: readonly unknown[] = []) => db.prepare(sql).all(...params) as T[],
      count: async (sql, params = []) => Number(Object.values(db.prepare(sql).get(...params) as object)[0]),
      run: async (sql, params = []) => {
        db.prepare(sql).run(...params);
      },
      close: async () => {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  const all = async <T extends object>(sql: string, params: readonly unknown[] = []) =>
    (await client.query<T>(numbered(sql), [...params])).rows;
  return {
    backend: 'postgres',
    all,
    count: async (sql, params = []) => Number(Object.values((await all(sql, params))[0] ?? {})[0]),
    run: async (sql, params = []) => {
      await client.query(numbered(sql), [...params]);
    },
    close: () => client.end(),
  };
}

/** Runs `work` on a connection to `url` and closes it. */
export async function withSql<T>(url: string, work: (sql: SqlConnection) => Promise<T>, options: { write?: boolean } = {}): Promise<T> {
  const connection = await connectSql(url, options);
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}
