// A fresh, empty database for one test Pigeon or store, on each storage engine the suite runs on:
// a temp SQLite file, or a new PostgreSQL database on the local server (dropped afterwards).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const BACKEND_NAMES = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKEND_NAMES)[number];

/**
 * Engines the suite runs on: PIGEON_TEST_BACKENDS=sqlite,postgres (the default, as CI runs it);
 * `sqlite` alone on a machine without PostgreSQL.
 */
export const BACKENDS: readonly Backend[] = (process.env.PIGEON_TEST_BACKENDS ?? 'sqlite,postgres')
  .split(',')
  .map((b) => b.trim())
  .filter((b): b is Backend => (BACKEND_NAMES as readonly string[]).includes(b));

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
