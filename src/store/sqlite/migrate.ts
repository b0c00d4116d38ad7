// Applies the numbered SQL files in ./migrations in order, each in its own transaction, and records
// them in schema_migrations. A database migrated by a newer Pigeon is refused rather than guessed at.
import type Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir: URL): Migration[] {
  const path = fileURLToPath(dir);
  return readdirSync(path)
    .map((file) => ({ file, m: MIGRATION_FILE.exec(file) }))
    .filter((entry): entry is { file: string; m: RegExpExecArray } => entry.m !== null)
    .map(({ file, m }) => ({ version: Number(m[1]), name: m[2] as string, sql: readFileSync(`${path}/${file}`, 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

export function migrateSqlite(db: Database.Database, migrations: readonly Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const known = migrations.at(-1)?.version ?? 0;
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new Error(`database schema version ${newest} is newer than this Pigeon knows (${known}); upgrade Pigeon`);
  }
  const done: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    // IMMEDIATE takes the write lock first, so two processes starting together cannot both apply it.
    db.transaction(() => {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (again) return;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      );
      done.push(migration.version);
    }).immediate();
  }
  return done;
}
