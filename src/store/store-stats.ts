// What monitoring reads of a store (GET /metrics): what the queues hold, from the database itself so
// that any process sharing it reports the same, and the engine's own figures (PostgreSQL's pool,
// SQLite's group commits). The SQL is the same for both engines (same tables and columns).
import type { Store } from '../core/ports.js';
import type { QueueFigures } from '../metrics/metrics.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export interface StoreStats {
  queues(): Promise<QueueFigures>;
  pool?: () => { total: number; idle: number; waiting: number };
  /** Called after each group commit with its size and timings (seconds); PostgreSQL has no separate sync. */
  onCommit?: (observer: (batch: { size: number; commitSeconds: number; syncSeconds: number | undefined }) => void) => void;
}

// The queued recipients' own rows (migration 0022), through their partial index, not the view's join.
const QUEUED = 'SELECT count(*) AS n, min(receive_time) AS oldest FROM message_recipients WHERE run_at IS NOT NULL';
// Recipients, not parts: a message sent in parts has a carrier_refs row per part.
const AWAITING = `SELECT carrier, count(*) AS n FROM
  (SELECT DISTINCT carrier, message_id, destination_tn FROM carrier_refs WHERE settled = 0) awaiting GROUP BY carrier`;
const OUTBOX = "SELECT count(*) AS n, min(created_at) AS oldest FROM callback_outbox WHERE state = 'pending'";

interface CountRow {
  n: number | string;
  oldest?: number | string | null;
}

function figures(queued: CountRow | undefined, awaiting: Array<CountRow & { carrier: string }>, outbox: CountRow | undefined): QueueFigures {
  const time = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
  return {
    queued: Number(queued?.n ?? 0),
    oldestQueuedAt: time(queued?.oldest),
    awaitingReceipt: awaiting.map((row) => ({ carrier: row.carrier, count: Number(row.n) })),
    outboxPending: Number(outbox?.n ?? 0),
    oldestOutboxAt: time(outbox?.oldest),
  };
}

/** Undefined for an engine this does not know. */
export function storeStats(store: Store): StoreStats | undefined {
  if (store instanceof SqliteStore) {
    const db = store.db;
    const statements = { queued: db.prepare(QUEUED), awaiting: db.prepare(AWAITING), outbox: db.prepare(OUTBOX) };
    return {
      queues: async () =>
        figures(
          statements.queued.get() as CountRow | undefined,
          statements.awaiting.all() as Array<CountRow & { carrier: string }>,
          statements.outbox.get() as CountRow | undefined,
        ),
      onCommit: (observer) => store.observeCommits(observer),
    };
  }
  if (store instanceof PostgresStore) {
    const pool = store.pool;
    return {
      queues: async () => {
        const [queued, awaiting, outbox] = await Promise.all([
          pool.query<CountRow>(QUEUED),
          pool.query<CountRow & { carrier: string }>(AWAITING),
          pool.query<CountRow>(OUTBOX),
        ]);
        return figures(queued.rows[0], awaiting.rows, outbox.rows[0]);
      },
      pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      onCommit: (observer) => {
        store.commits.observer = observer;
      },
    };
  }
  return undefined;
}
