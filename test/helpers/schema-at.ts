// A database migrated up to an older schema only, to put data in as an older Pigeon wrote it
// before the store (opening it) runs the migrations that follow.
import Database from 'better-sqlite3';
import pg from 'pg';
import { migratePostgres, postgresMigrations } from '../../src/store/postgres/migrate.js';
import { loadMigrations, migrateSqlite } from '../../src/store/sqlite/migrate.js';
import type { Backend } from './databases.js';

export interface OldSchema {
  /** Runs a statement written with `?` placeholders. */
  run(sql: string, params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** Migrates the database at `url` up to `version` and opens it. */
export async function schemaAt(backend: Backend, url: string, version: number): Promise<OldSchema> {
  if (backend === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length));
    migrateSqlite(db, loadMigrations(new URL('../../src/store/sqlite/migrations/', import.meta.url)).filter((m) => m.version <= version));
    return {
      run: async (sql, params) => void db.prepare(sql).run(...params),
      close: async () => void db.close(),
    };
  }
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await migratePostgres(pool, postgresMigrations().filter((m) => m.version <= version));
  return {
    run: async (sql, params) => {
      let n = 0;
      await pool.query(sql.replace(/\?/g, () => `$${++n}`), params);
    },
    close: () => pool.end(),
  };
}
