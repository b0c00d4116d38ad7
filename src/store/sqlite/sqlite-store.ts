// The embedded store: one SQLite file in WAL mode through better-sqlite3.
//
// Durability: by default every committed batch is fsynced before the API answers 202, so an
// accepted message survives a power cut, not just a crash. SQLite's own `synchronous=FULL` would
// fsync inside COMMIT and block the event loop for the whole flush; instead the connection runs with
// `synchronous=NORMAL` (in WAL mode: consistent, no fsync per commit) and the group committer
// fdatasyncs the WAL file on libuv's thread pool after each batch. A committed WAL frame that is on
// disk is recovered on the next open, which is exactly what FULL guarantees. Group commit keeps the
// number of fsyncs low under load. `sqlite:PATH?synchronous=normal` skips the fsync: the last
// commits may be lost on power loss (never on a process crash). `?busy_timeout=MS` (default 5000) is
// how long a write waits for another process's lock (e.g. `pigeon send`); past it the API answers 503.
import { SqlitePhoneScripts } from './sqlite-phone-scripts.js';
import { SqliteNumbers } from './sqlite-numbers.js';
import Database from 'better-sqlite3';
import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Store, StoreChannel } from '../../core/ports.js';
import { sqliteStoreError } from './errors.js';
import { GroupCommitter, type CommitObserver } from './group-commit.js';
import { loadMigrations, migrateSqlite } from './migrate.js';
import { SqliteDelivery } from './sqlite-delivery.js';
import { SqliteDirectory } from './sqlite-directory.js';
import { SqliteMedia } from './sqlite-media.js';
import { SqliteMessages } from './sqlite-messages.js';
import { SqliteEsmeOutbox } from './sqlite-esme-outbox.js';
import { SqliteInboundParts } from './sqlite-inbound-parts.js';
import { SqliteOptOuts } from './sqlite-opt-outs.js';
import { SqliteSimulator } from './sqlite-simulator.js';
import { ThreadChannels } from './thread-channels.js';

export interface SqliteOptions {
  path: string;
  synchronous?: 'full' | 'normal';
  /** How long a write waits for another connection's lock before the request gets a 503. */
  busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** Rows sampled per index by ANALYZE under PRAGMA optimize (SQLite suggests a few hundred). */
const ANALYSIS_LIMIT = 400;
/** How often a long-running process refreshes the planner statistics. */
const OPTIMIZE_INTERVAL_MS = 3 * 3_600_000;
// Pages the WAL may hold before a commit checkpoints it into the database file (SQLite's default:
// 1000). The checkpoint runs inside the COMMIT that crosses the mark, on the committing thread, and
// fsyncs the file; at 1000 pages the hot path checkpointed every few dozen batches, and COMMIT cost
// 105 µs per message end to end (the SQL profile of `npm run bench`), half of it checkpoints. With
// 8192 pages (32 MiB at SQLite's 4 KiB page) a page rewritten by many batches (an index's last
// leaf, a queue's head) is copied once per checkpoint instead of once per few batches: 53 µs.
const WAL_AUTOCHECKPOINT_PAGES = 8192;

export function parseSqliteUrl(url: string): SqliteOptions {
  const rest = url.slice('sqlite:'.length);
  const [path = '', query = ''] = rest.split('?', 2);
  const params = new URLSearchParams(query);
  const synchronous = params.get('synchronous');
  if (synchronous !== null && synchronous !== 'full' && synchronous !== 'normal') {
    throw new Error(`DATABASE_URL: synchronous must be 'full' or 'normal', not '${synchronous}'`);
  }
  const busyTimeout = params.get('busy_timeout');
  if (busyTimeout !== null && !/^\d{1,6}$/.test(busyTimeout)) {
    throw new Error(`DATABASE_URL: busy_timeout must be a number of milliseconds, not '${busyTimeout}'`);
  }
  return {
    path,
    synchronous: synchronous ?? 'full',
    busyTimeoutMs: busyTimeout === null ? DEFAULT_BUSY_TIMEOUT_MS : Number(busyTimeout),
  };
}

const MIGRATIONS = new URL('./migrations/', import.meta.url);

export class SqliteStore implements Store {
  readonly db: Database.Database;
  readonly messages: SqliteMessages;
  readonly media: SqliteMedia;
  readonly delivery: SqliteDelivery;
  readonly simulator: SqliteSimulator;
  readonly inboundParts: SqliteInboundParts;
  readonly esmeOutbox: SqliteEsmeOutbox;
  readonly phones: SqlitePhoneScripts;
  readonly numbers: SqliteNumbers;
  readonly optOuts: SqliteOptOuts;
  readonly directory: SqliteDirectory;
  private readonly writes: GroupCommitter;
  private readonly walFd: number | undefined;
  private readonly path: string;
  /** Wake-ups for other threads of this process on the same file; none for an in-memory database, which no other connection sees. */
  private readonly threads: ThreadChannels | undefined;

  constructor(options: SqliteOptions) {
    this.path = options.path;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    // Reads and one-off statements wait with the event loop blocked (better-sqlite3 is synchronous),
    // so it is kept to seconds; the group committer waits for the write lock without blocking.
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    this.db.pragma('foreign_keys = ON');
    migrateSqlite(this.db, loadMigrations(MIGRATIONS));
    const durable = options.synchronous !== 'normal' && options.path !== ':memory:';
    // The -wal file exists once the database has been written in WAL mode (the migrations did) and
    // keeps its inode while any connection is open: checkpoints rewrite it from the start, never replace it.
    this.walFd = durable ? openSync(`${options.path}-wal`, 'a') : undefined;
    const walFd = this.walFd;
    const sync =
      walFd === undefined
        ? undefined
        : () => new Promise<void>((resolve, reject) => fdatasync(walFd, (err) => (err ? reject(err) : resolve())));
    this.writes = new GroupCommitter(this.db, busyTimeoutMs, sync);
    this.threads = options.path === ':memory:' ? undefined : new ThreadChannels(options.path);
    const post = (channel: StoreChannel) => this.threads?.post(channel);
    this.messages = new SqliteMessages(this.db, this.writes, () => post('delivery'));
    this.media = new SqliteMedia(this.db, this.writes);
    this.delivery = new SqliteDelivery(this.db, this.writes, () => post('callbacks'));
    this.simulator = new SqliteSimulator(this.db, this.writes);
    this.inboundParts = new SqliteInboundParts(this.db, this.writes);
    this.esmeOutbox = new SqliteEsmeOutbox(this.db, this.writes);
    this.optOuts = new SqliteOptOuts(this.db, this.writes);
    this.phones = new SqlitePhoneScripts(this.db, this.writes);
    this.numbers = new SqliteNumbers(this.db, this.writes);
    this.directory = new SqliteDirectory(this.db, this.writes, () => post('directory'));
    // Statistics for the query planner, as SQLite recommends for long-lived connections: analyse at
    // open what has none or is out of date, again every few hours, and at close. Without them SQLite
    // may walk the time index for an exact number or status filter on a large store (a second at a
    // million records) instead of the index made for it. analysis_limit keeps each run to milliseconds.
    this.db.pragma(`analysis_limit = ${ANALYSIS_LIMIT}`);
    this.optimize('PRAGMA optimize = 0x10002');
    this.optimizer = setInterval(() => this.optimize('PRAGMA optimize'), OPTIMIZE_INTERVAL_MS);
    this.optimizer.unref();
  }

  private readonly optimizer: NodeJS.Timeout;

  /** Statistics only help the planner: a store locked by another process skips them this time. */
  private optimize(statement: string): void {
    try {
      this.db.exec(statement);
    } catch {
      // SQLITE_BUSY past the busy timeout, or a read-only file: the planner keeps the statistics it has.
    }
  }

  announce(channel: 'changes' | 'simulator', payload?: string): void {
    this.threads?.post(channel, payload);
  }

  async listen(channel: StoreChannel, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    return this.threads?.listen(channel, onNotify) ?? (async () => {});
  }

  /** For metrics: called after each group commit with its size and timings. */
  observeCommits(observer: CommitObserver): void {
    this.writes.observer = observer;
  }

  private readonly knownVersion = loadMigrations(MIGRATIONS).at(-1)?.version ?? 0;

  async readiness(): Promise<{ applied: number; known: number; freeBytes?: number }> {
    let applied: number;
    try {
      const row = this.db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
      applied = row.v ?? 0;
    } catch (err) {
      throw sqliteStoreError(err);
    }
    if (this.path === ':memory:') return { applied, known: this.knownVersion };
    const fs = await statfs(dirname(this.path)).catch(() => undefined);
    return { applied, known: this.knownVersion, freeBytes: fs ? fs.bavail * fs.bsize : undefined };
  }

  async close(): Promise<void> {
    this.threads?.close();
    clearInterval(this.optimizer);
    this.writes.flush();
    this.optimize('PRAGMA optimize');
    // Whatever the last batch committed reaches the disk before the file is closed.
    if (this.walFd !== undefined) {
      await new Promise<void>((resolve) => fdatasync(this.walFd as number, () => resolve()));
      closeSync(this.walFd);
    }
    this.db.close();
  }
}
