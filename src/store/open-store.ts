// Picks the storage engine from DATABASE_URL. The only place that knows which engines exist.
import type { Store } from '../core/ports.js';
import { isPostgresUrl, PostgresStore } from './postgres/postgres-store.js';
import { parseSqliteUrl, SqliteStore } from './sqlite/sqlite-store.js';

export async function openStore(databaseUrl: string, onError?: (err: unknown) => void): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) return new SqliteStore(parseSqliteUrl(databaseUrl));
  if (isPostgresUrl(databaseUrl)) return PostgresStore.open(databaseUrl, { onError });
  throw new Error(`DATABASE_URL: unsupported database '${databaseUrl.split(':')[0]}'`);
}
