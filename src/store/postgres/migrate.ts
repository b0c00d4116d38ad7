// Applies the numbered SQL files in ./migrations in order, each in its own transaction, and records
// them in schema_migrations. Several Pigeon processes may start against one database at the same
// moment, so the whole run holds a session-level advisory lock; a database migrated by a newer
// Pigeon is refused rather than guessed at.
import type { Pool } from 'pg';
import { loadMigrations, type Migration } from '../sqlite/migrate.js';

const MIGRATIONS = new URL('./migrations/', import.meta.url);

/**
 * The advisory lock key of the migration run: the bytes of "pigeonmg" read as a signed 64-bit
 * integer. Advisory keys are database-wide and shared with anything else using advisory locks, so
 * it is fixed and distinctive rather than small.
 */
export const MIGRATION_LOCK_KEY = '8100119090161413479';

export function postgresMigrations(): Migration[] {
  return loadMigrations(MIGRATIONS);
}

/** Brings the schema up to date; resolves with the versions this call applied. */
export async function migratePostgres(pool: Pool, migrations: readonly Migration[] = postgresMigrations()): Promise<number[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // Session-level, not transaction-level: the lock must span several transactions (one per
    // file). pg_advisory_lock waits, so a process that starts while another migrates simply
    // waits for it and then finds nothing left to do. If this connection dies, PostgreSQL
    // releases the lock with the session.
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      // Under the lock on purpose: CREATE TABLE IF NOT EXISTS is not safe against a concurrent
      // CREATE of the same table (both pass the check, one fails on pg_type's unique index).
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => Number(r.version)));
      const known = migrations.at(-1)?.version ?? 0;
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new Error(`database schema version ${newest} is newer than this Pigeon knows (${known}); upgrade Pigeon`);
      }
      const done: number[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        // PostgreSQL's DDL is transactional: a file that fails half-way leaves nothing behind.
        await client.query('BEGIN');
        try {
          // No parameters, so pg sends the simple query protocol, which accepts several statements.
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            Date.now(),
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
          throw new Error(`migration ${migration.version}_${migration.name} failed: ${(err as Error).message}`, { cause: err });
        }
        done.push(migration.version);
      }
      return done;
    } finally {
      if (!broken) {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch((err: Error) => (broken = err));
      }
    }
  } finally {
    // A connection whose unlock or rollback failed may still hold the lock or a transaction: it is
    // closed rather than returned to the pool, since ending the session releases both for sure.
    client.release(broken);
  }
}
