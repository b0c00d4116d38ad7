// The PostgreSQL half of the hot-plan test. PostgreSQL has no index hints to compare a plan with, so
// the check is what a plan reads: each hot statement is run under EXPLAIN ANALYZE (and rolled
// back) on tables of thousands of rows, as a custom and as a generic plan, inside the transaction
// settings the store runs it with, and the rows it read from any work table must stay near its
// batch. The statements are the store's own: its queries are recorded while the real store
// methods run, text, parameters and the BEGIN that opened their transaction.
import pg from 'pg';
import type { Message } from '../../src/core/messages/message.js';
import type { DeliveryJob, RatePolicy } from '../../src/core/ports.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { WORK_TABLES } from './hot-plan-states.js';

export interface Recorded {
  /** The store method that sent it. */
  method: string;
  /** What opened its transaction: BEGIN and SET LOCAL settings; empty for a statement run alone. */
  begin: string;
  text: string;
  values: unknown[];
}

export const NOW = 5000;
const RECIPIENT = '+15550000002';
const UNLIMITED: RatePolicy = { unit: 'messages', senderLimit: () => undefined, accountLimit: () => undefined, limited: false };

function job(id: string): DeliveryJob {
  const message: Message = {
    id,
    accountId: 'acc',
    applicationId: 'app',
    direction: 'out',
    owner: '+15550000001',
    from: '+15550000001',
    to: [RECIPIENT],
    text: 'x',
    media: [],
    priority: 'default',
    segmentCount: 1,
    messageType: 'sms',
    time: 1000,
  } as unknown as Message;
  return { message, destinationTn: RECIPIENT, attempts: 1 };
}

const CALLBACK = {
  accountId: 'acc',
  applicationId: 'app',
  eventType: 'message-delivered',
  url: 'http://127.0.0.1:9/cb',
  body: '[]',
};

/**
 * Runs every store method of the hot path once against seeded tables and returns the statements
 * they sent. `label` names each; statements not tied to a batch are left out (QUEUED_COUNT and the
 * simulator's next due time read what their answer counts, by design).
 */
export async function recordHotStatements(store: PostgresStore): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  const begins = new WeakMap<object, string>();
  let method = '';
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: object, ...args: unknown[]) {
    const [config] = args;
    if (typeof config === 'string') {
      if (config.startsWith('BEGIN')) begins.set(this, config);
      else if (config === 'COMMIT' || config === 'ROLLBACK') begins.delete(this);
    } else if (config && typeof config === 'object' && 'name' in config && typeof config.name === 'string') {
      const { text, values } = config as unknown as { text: string; values?: unknown[] };
      recorded.push({ method, begin: begins.get(this) ?? '', text, values: values ?? [] });
    }
    return original.apply(this, args);
  };
  const as = async (name: string, call: () => Promise<unknown>) => {
    method = name;
    await call();
  };
  try {
    const d = store.delivery;
    await as('claimDeliveries', () => d.claimDeliveries({ workerId: 'w2', now: NOW, limit: 64, leaseMs: 30_000, rates: UNLIMITED }));
    await as('recordSubmitted', () => d.recordSubmitted(job('m1'), 'w2', 'simulator', ['x1'], NOW));
    await as('recordSubmitted (parts)', () => d.recordSubmitted(job('m3'), 'w2', 'simulator', ['x3a', 'x3b'], NOW));
    await as('recordProgress', () => d.recordProgress({ messageId: 'm5', destinationTn: RECIPIENT, status: 'SENDING', time: NOW }));
    await as('recordRetry', () => d.recordRetry(job('m7'), 'w', NOW + 1000, 'busy', NOW));
    await as('recordRetry (deferral)', () => d.recordRetry(job('m9'), 'w', NOW + 1000, 'busy', NOW, { attemptSpent: false }));
    await as('recordTerminal', () =>
      d.recordTerminal({
        messageId: 'm11',
        destinationTn: RECIPIENT,
        status: 'DELIVERED',
        time: NOW,
        callback: { ...CALLBACK, messageId: 'm11' },
      }),
    );
    await as('matchReceipt', () => d.matchReceipt('simulator', ['c13'], 'delivered'));
    await as('matchReceipt (handset)', () => d.matchReceipt('simulator', ['c19'], 'delivered', { destination: RECIPIENT }));
    await as('matchReceipt (parts)', () => d.matchReceipt('simulator', ['c15', 'c17'], 'delivered'));
    await as('matchReceipt (parked)', () =>
      d.matchReceipt('simulator', ['nope'], 'delivered', { park: { receiptKey: 'k', receipt: '{}', time: NOW } }),
    );
    await as('matchedParkedReceipts', () => d.matchedParkedReceipts(100));
    await as('deleteParkedReceipt', () => d.deleteParkedReceipt('simulator', 'k51'));
    await as('dropParkedReceiptsBefore', () => d.dropParkedReceiptsBefore(1100));
    await as('findAwaitingReceipt', () => d.findAwaitingReceipt(1100, 100));
    await as('pruneCarrierRefs', () => d.pruneCarrierRefs(1100, 5000));
    await as('claimCallbacks', () =>
      d.claimCallbacks({ workerId: 'w2', now: NOW, limit: 64, leaseMs: 30_000, perEndpoint: 32, turn: 0 }),
    );
    await as('recordCallbackAttempt', () =>
      d.recordCallbackAttempt(
        300,
        'w',
        { time: NOW, statusCode: 204, latencyMs: 1, error: undefined },
        { state: 'delivered' },
        {
          endpoint: CALLBACK.url,
          outcome: { ok: true, probe: false, time: NOW, error: '' },
          policy: { failureThreshold: 5, probeInitialMs: 5000, probeMaxMs: 60_000 },
        },
      ),
    );
    await as('dueReceipts', () => store.simulator.dueReceipts(NOW, 100, { idPrefix: 'c', othersAfterMs: 2000, leaseMs: 30_000 }));
    await as('scheduleReceipt', () => store.simulator.scheduleReceipt('c21', NOW, '{}'));
    await as('deleteReceipt', () => store.simulator.deleteReceipt('c23'));
    await as('esme pending', () => store.esmeOutbox.pending('esme', NOW, 100, new Set()));
    await as('esme collectReceipts', () => store.esmeOutbox.collectReceipts(NOW));
    await as('esme markDelivered', () => store.esmeOutbox.markDelivered(41, NOW));
  } finally {
    proto.query = original;
  }
  return recorded;
}

/** A parameter as an SQL literal, for EXPLAIN EXECUTE (which takes its arguments as expressions). */
function literal(client: pg.Client, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (Array.isArray(value)) {
    return client.escapeLiteral(`{${value.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`);
  }
  return client.escapeLiteral(String(value));
}

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows each work table gave the plan's scans, filtered out or not. */
function rowsRead(node: PlanNode, into = new Map<string, number>()): Map<string, number> {
  const table = node['Relation Name'];
  if (table && (WORK_TABLES as readonly string[]).includes(table)) {
    const loops = node['Actual Loops'] ?? 1;
    const rows = (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0);
    into.set(table, (into.get(table) ?? 0) + rows * loops);
  }
  for (const child of node.Plans ?? []) rowsRead(child, into);
  return into;
}

/**
 * Runs `statement` under EXPLAIN ANALYZE in the transaction it runs in (its BEGIN, and its
 * settings), as a custom or a generic plan, rolls it back, and returns the rows read per work table.
 */
export async function readsOf(client: pg.Client, statement: Recorded, mode: 'custom' | 'generic'): Promise<Map<string, number>> {
  await client.query(statement.begin || 'BEGIN');
  try {
    await client.query(`SET LOCAL plan_cache_mode = force_${mode}_plan`);
    await client.query(`PREPARE hot AS ${statement.text}`);
    const args = statement.values.length === 0 ? '' : `(${statement.values.map((v) => literal(client, v)).join(', ')})`;
    const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE hot${args}`);
    const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
    if (!plan) throw new Error('no plan');
    return rowsRead(plan);
  } finally {
    await client.query('ROLLBACK');
    await client.query('DEALLOCATE ALL');
  }
}

/** Statistics states of the work tables; each starts from empty tables that autovacuum leaves alone. */
export const POSTGRES_STATES: ReadonlyArray<{ name: string; apply: (client: pg.Client, seed: (from: number, n: number) => Promise<void>) => Promise<void> }> = [
  { name: 'never analyzed', apply: async (_c, seed) => seed(1, 3000) },
  {
    name: 'analyzed empty, thousands since',
    apply: async (client, seed) => {
      await analyze(client);
      await seed(1, 3000);
    },
  },
  {
    name: 'analyzed with the first message in flight, thousands since',
    apply: async (client, seed) => {
      await seed(3000, 1);
      await analyze(client);
      await seed(1, 2999);
    },
  },
  {
    name: 'analyzed with a few rows, thousands since',
    apply: async (client, seed) => {
      await seed(1, 12);
      await analyze(client);
      await seed(13, 2988);
    },
  },
  {
    name: 'analyzed with thousands of rows',
    apply: async (client, seed) => {
      await seed(1, 3000);
      await analyze(client);
    },
  },
  {
    name: 'millions of rows per the statistics (stale the other way)',
    apply: async (client, seed) => {
      await seed(1, 3000);
      await analyze(client);
      // The planner scales reltuples by the table's current size in pages: three million rows in it.
      await client.query(`UPDATE pg_class SET reltuples = 3000000 * greatest(relpages, 1) / greatest(pg_relation_size(oid) / 8192, 1)
        WHERE relname = ANY($1)`, [[...WORK_TABLES]]);
    },
  },
];

async function analyze(client: pg.Client): Promise<void> {
  for (const table of WORK_TABLES) await client.query(`ANALYZE ${table}`);
}
