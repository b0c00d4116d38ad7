// The shared store: one PostgreSQL database for any number of Pigeon processes (API servers and
// delivery workers). Work is handed out with row locks and leases (SELECT … FOR UPDATE SKIP
// LOCKED), rate-limit buckets are locked rows, and LISTEN/NOTIFY wakes the other processes'
// workers when work arrives; their polling remains the fallback.
//
// Durability: a method resolves after its COMMIT has returned, which with PostgreSQL's default
// synchronous_commit=on means the commit record is flushed to the WAL (and, with synchronous
// replication configured, acknowledged by a standby). A server set to synchronous_commit=off
// trades that for speed, as `sqlite:…?synchronous=normal` does.
import { PostgresPhoneScripts } from './postgres-phone-scripts.js';
import { PostgresNumbers } from './postgres-numbers.js';
import pg, { type Pool, type PoolConfig } from 'pg';
import type { Store } from '../../core/ports.js';
import { storeError } from './errors.js';
import { PostgresGroupCommitter } from './group-commit.js';
import { migratePostgres, postgresMigrations } from './migrate.js';
import { PostgresDirectory } from './postgres-directory.js';
import { NotificationListener } from './notification-listener.js';
import { PostgresDelivery } from './postgres-delivery.js';
import { PostgresMedia } from './postgres-media.js';
import { PostgresMessages } from './postgres-messages.js';
import { PostgresEsmeOutbox } from './postgres-esme-outbox.js';
import { PostgresInboundParts } from './postgres-inbound-parts.js';
import { PostgresOptOuts } from './postgres-opt-outs.js';
import { PostgresSimulator } from './postgres-simulator.js';
import { CHANNELS, Notifier, type Channel } from './transaction.js';

export interface PostgresOptions {
  /** The DATABASE_URL without Pigeon's own parameters, as pg understands it. */
  connectionString: string;
  poolSize: number;
  /** Where the pool's idle-connection errors and the listener's reconnects are reported. */
  onError?: (err: unknown) => void;
}

const DEFAULT_POOL_SIZE = 10;
/** Longest close() waits for sockets to close after asking them to. */
const CLOSE_TIMEOUT_MS = 5000;

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

/** `postgres://user:pass@host:5432/db?pool=20&sslmode=require`: `pool` is Pigeon's, the rest pg's. */
export function parsePostgresUrl(url: string): Omit<PostgresOptions, 'onError'> {
  if (!isPostgresUrl(url)) throw new Error(`DATABASE_URL: expected postgres:// or postgresql://`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not echoed: the URL may carry a password.
    throw new Error('DATABASE_URL: not a valid postgres:// URL');
  }
  const pool = parsed.searchParams.get('pool');
  if (pool === null) return { connectionString: url, poolSize: DEFAULT_POOL_SIZE };
  const poolSize = Number(pool);
  if (!/^\d+$/.test(pool) || poolSize < 1) throw new Error(`DATABASE_URL: pool must be a positive integer, not '${pool}'`);
  // pg would otherwise take an unknown query parameter as a connection option.
  parsed.searchParams.delete('pool');
  return { connectionString: parsed.toString(), poolSize };
}

function defaultOnError(err: unknown): void {
  console.error('pigeon postgres store:', err);
}

export class PostgresStore implements Store {
  readonly pool: Pool;
  readonly messages: PostgresMessages;
  readonly media: PostgresMedia;
  readonly delivery: PostgresDelivery;
  readonly simulator: PostgresSimulator;
  readonly inboundParts: PostgresInboundParts;
  readonly esmeOutbox: PostgresEsmeOutbox;
  readonly phones: PostgresPhoneScripts;
  readonly numbers: PostgresNumbers;
  readonly optOuts: PostgresOptOuts;
  readonly directory: PostgresDirectory;
  /** The workers' writes, batched into shared transactions (group-commit.ts). */
  readonly commits: PostgresGroupCommitter;
  private readonly listener: NotificationListener;
  private closed: Promise<void> | undefined;
  /** Pooled connections whose socket is still open; see close(). */
  private readonly connections = new Set<unknown>();
  private allClosed: (() => void) | undefined;

  /** Opens the pool and brings the schema up to date; what open-store.ts calls. */
  static async open(databaseUrl: string, options: { onError?: (err: unknown) => void } = {}): Promise<PostgresStore> {
    const store = new PostgresStore({ ...parsePostgresUrl(databaseUrl), ...options });
    try {
      await migratePostgres(store.pool);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** Connects lazily and does not migrate: use PostgresStore.open unless the schema is known to be current. */
  constructor(options: PostgresOptions) {
    const onError = options.onError ?? defaultOnError;
    // INT8 (BIGINT, count(*)) comes back as a string by default, since it can exceed 2^53. Every
    // BIGINT here is epoch ms, an id or a count, so this pool, and only this pool (not pg's global
    // type table, which other code in the process may rely on), parses it as a number.
    const types = new pg.TypeOverrides();
    types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
    const base: PoolConfig = {
      connectionString: options.connectionString,
      application_name: 'pigeon',
      // A database that cannot be reached fails requests after this long instead of hanging them;
      // pg-pool applies the same limit to waiting for a free connection when all are in use.
      connectionTimeoutMillis: 15_000,
      keepAlive: true,
    };
    this.pool = new pg.Pool({ ...base, max: options.poolSize, types });
    // An idle pooled connection that breaks (server restart, failover) emits 'error' on the pool;
    // unhandled, that would crash the process. The pool drops it and connects anew when needed.
    this.pool.on('error', (err) => onError(storeError(err)));
    this.pool.on('connect', (client) => {
      this.connections.add(client);
      // pg-pool listens for errors of idle clients only, and hands a client to `await pool.connect()`
      // a microtask after removing its listener. The server's goodbye (a restart, a terminated
      // session) can arrive in the same read as the message that completed the connection or a
      // query: emitted with no listener, Node would make it an uncaught exception and end the
      // process. The query that was running, or the next one, fails anyway (and is answered 503),
      // and the pool discards a client that is no longer queryable when it is released.
      client.on('error', () => undefined);
    });
    this.pool.on('remove', (client) => {
      this.connections.delete(client);
      if (this.connections.size === 0) this.allClosed?.();
    });
    this.listener = new NotificationListener(base, onError);
    const notifier = new Notifier(this.pool);
    this.notifier = notifier;
    this.commits = new PostgresGroupCommitter(this.pool);
    this.messages = new PostgresMessages(this.pool, notifier, this.commits);
    this.media = new PostgresMedia(this.pool);
    this.delivery = new PostgresDelivery(this.pool, notifier, this.commits);
    this.simulator = new PostgresSimulator(this.pool, this.commits);
    this.inboundParts = new PostgresInboundParts(this.pool);
    this.esmeOutbox = new PostgresEsmeOutbox(this.pool);
    this.optOuts = new PostgresOptOuts(this.pool);
    this.phones = new PostgresPhoneScripts(this.pool);
    this.numbers = new PostgresNumbers(this.pool);
    this.directory = new PostgresDirectory(this.pool);
  }

  /**
   * Calls `onNotify` whenever any process commits new work of that kind: 'delivery' after an
   * accepted outbound message, 'callbacks' after a transaction that queued callbacks. A hint to
   * look now, not a count: notifications of one transaction are folded into one, and none arrive
   * while the listening connection is being re-established (all handlers are called once after).
   */
  private readonly notifier: Notifier;

  announce(channel: 'changes' | 'simulator', payload?: string): void {
    // A payload is not folded with others (observe-changes.ts sends at most one a quarter second).
    if (payload) void this.pool.query('SELECT pg_notify($1, $2)', [CHANNELS[channel], payload]).catch(() => undefined);
    else this.notifier.wake(channel);
  }

  listen(channel: Channel, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    return this.listener.listen(CHANNELS[channel], onNotify);
  }

  private readonly knownVersion = postgresMigrations().at(-1)?.version ?? 0;

  async readiness(): Promise<{ applied: number; known: number }> {
    try {
      const { rows } = await this.pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      return { applied: Number(rows[0]?.v ?? 0), known: this.knownVersion };
    } catch (err) {
      throw storeError(err);
    }
  }

  /** Resolves once every connection is closed, listener included; the pool cannot be used after. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.listener.close();
      // pool.end() resolves once it has asked every idle connection to end, not once their sockets
      // are closed; pg-pool emits 'remove' for each when it is. Waiting for those means that nothing
      // of this store talks to the server after close() (a DROP DATABASE right after, a shutdown).
      const drained = new Promise<void>((resolve) => (this.allClosed = resolve));
      await this.pool.end();
      if (this.connections.size > 0) {
        const timer = setTimeout(() => this.allClosed?.(), CLOSE_TIMEOUT_MS);
        await drained;
        clearTimeout(timer);
      }
    })();
    return this.closed;
  }
}
