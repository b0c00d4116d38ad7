// The embedded store: one SQLite file in WAL mode through better-sqlite3.
//
// Durability: `synchronous=FULL` by default, so a COMMIT is fsynced before the API answers 202 and
// an accepted message survives a power cut, not just a crash. Group commit (group-commit.ts) keeps
// that affordable under load. `sqlite:PATH?synchronous=normal` trades the last commits on power
// loss (never on a process crash) for fewer fsyncs.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store } from '../../core/ports.js';
import { GroupCommitter } from './group-commit.js';
import { loadMigrations, migrateSqlite } from './migrate.js';
import { SqliteDelivery } from './sqlite-delivery.js';
import { SqliteMedia } from './sqlite-media.js';
import { SqliteMessages } from './sqlite-messages.js';
import { SqliteSimulator } from './sqlite-simulator.js';

export interface SqliteOptions {
  path: string;
  synchronous?: 'full' | 'normal';
}

export function parseSqliteUrl(url: string): SqliteOptions {
  const rest = url.slice('sqlite:'.length);
  const [path = '', query = ''] = rest.split('?', 2);
  const synchronous = new URLSearchParams(query).get('synchronous');
  if (synchronous !== null && synchronous !== 'full' && synchronous !== 'normal') {
    throw new Error(`DATABASE_URL: synchronous must be 'full' or 'normal', not '${synchronous}'`);
  }
  return { path, synchronous: synchronous ?? 'full' };
}

const MIGRATIONS = new URL('./migrations/', import.meta.url);

export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly messages: SqliteMessages;
  readonly media: SqliteMedia;
  readonly delivery: SqliteDelivery;
  readonly simulator: SqliteSimulator;
  private readonly writes: GroupCommitter;

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    migrateSqlite(this.db, loadMigrations(MIGRATIONS));
    this.writes = new GroupCommitter(this.db);
    this.messages = new SqliteMessages(this.db, this.writes);
    this.media = new SqliteMedia(this.db);
    this.delivery = new SqliteDelivery(this.db, this.writes);
    this.simulator = new SqliteSimulator(this.db, this.writes);
  }

  async close(): Promise<void> {
    this.writes.flush();
    this.db.close();
  }
}
