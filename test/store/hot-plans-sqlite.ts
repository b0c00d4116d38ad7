// The SQLite half of the hot-plan test: the store's own statement texts, the parameters to explain
// them with, and the plan each was designed for.
import type Database from 'better-sqlite3';
import { CALLBACK_OUTBOX_SQL } from '../../src/store/sqlite/sqlite-callback-outbox.js';
import { DELIVERY_SQL, refForReceiptSql } from '../../src/store/sqlite/sqlite-delivery.js';
import { ESME_OUTBOX_SQL } from '../../src/store/sqlite/sqlite-esme-outbox.js';
import { SIMULATOR_SQL } from '../../src/store/sqlite/sqlite-simulator.js';
import { emptyTables, seedRows, WORK_TABLES } from './hot-plan-states.js';

type Params = unknown[] | Record<string, unknown>;

export interface HotStatement {
  name: string;
  sql: string;
  params: Params;
}

const NOW = 5000;
const RECIPIENT = ['m1', '+15550000002'];

/** Every statement on the path of a message, of its receipts and of its callbacks. */
export const SQLITE_HOT: readonly HotStatement[] = [
  { name: 'queue claim', sql: DELIVERY_SQL.candidates, params: { now: NOW, scan: 64 } },
  { name: 'lease', sql: DELIVERY_SQL.lease, params: ['w', NOW, ...RECIPIENT] },
  { name: 'postpone', sql: DELIVERY_SQL.postpone, params: [NOW, ...RECIPIENT] },
  { name: 'rate bucket', sql: DELIVERY_SQL.bucket, params: ['acc'] },
  { name: 'status change', sql: DELIVERY_SQL.status, params: ['FAILED', 4720, NOW, null, null, '', 'x', ...RECIPIENT] },
  { name: 'status change without error', sql: DELIVERY_SQL.statusOnly, params: ['SENT', NOW, 'm', 'm', 'y', 'x', ...RECIPIENT] },
  { name: 'status reported before', sql: DELIVERY_SQL.reached, params: ['{"s":"SENT"', ...RECIPIENT] },
  { name: 'status change out of the queue', sql: DELIVERY_SQL.statusDequeued, params: ['DELIVERED', 0, NOW, null, null, '', 'x', ...RECIPIENT] },
  { name: 'lease holder', sql: DELIVERY_SQL.holder, params: RECIPIENT },
  { name: 'dequeue', sql: DELIVERY_SQL.dequeue, params: RECIPIENT },
  { name: 'retry', sql: DELIVERY_SQL.retry, params: [NOW, 'e', NOW, null, null, '', 'x', ...RECIPIENT, 'w'] },
  { name: 'deferral', sql: DELIVERY_SQL.defer, params: [NOW, 'e', 1, NOW, 't', 'x', ...RECIPIENT, 'w'] },
  { name: 'receipt parked for a submit', sql: DELIVERY_SQL.parkedFor, params: ['simulator', 'c1'] },
  { name: 'settle carrier refs', sql: DELIVERY_SQL.settleRefs, params: RECIPIENT },
  { name: 'receipt match', sql: refForReceiptSql(1), params: ['c1', { carrier: 'simulator', destination: '+15550000002' }] },
  { name: 'receipt match (parts)', sql: refForReceiptSql(2), params: ['c1', 'c2', { carrier: 'simulator', destination: null }] },
  { name: 'receipt outcome', sql: DELIVERY_SQL.setOutcome, params: ['delivered', 1] },
  { name: 'parts delivered', sql: DELIVERY_SQL.partsDelivered, params: [...RECIPIENT, 'simulator', 2] },
  { name: 'parked-receipt search', sql: DELIVERY_SQL.matchedParked, params: [100] },
  { name: 'parked receipt deletion', sql: DELIVERY_SQL.deleteParked, params: ['simulator', 'k1'] },
  { name: 'parked receipts dropped', sql: DELIVERY_SQL.dropParked, params: [NOW] },
  { name: 'carrier refs to prune', sql: DELIVERY_SQL.prunableRefs, params: [NOW, 5000] },
  { name: 'carrier ref pruned', sql: DELIVERY_SQL.deleteRef, params: [1] },
  { name: 'awaiting receipt', sql: DELIVERY_SQL.awaitingReceipt, params: [NOW, 100] },
  { name: 'queued count', sql: DELIVERY_SQL.queued, params: ['acc'] },
  { name: 'callback endpoints', sql: CALLBACK_OUTBOX_SQL.endpoints, params: { now: NOW } },
  { name: 'callbacks in flight', sql: CALLBACK_OUTBOX_SQL.inFlight, params: { now: NOW } },
  { name: 'callback claim', sql: CALLBACK_OUTBOX_SQL.candidates, params: { now: NOW, url: 'http://127.0.0.1:9/cb', n: 32 } },
  { name: 'callback lease', sql: CALLBACK_OUTBOX_SQL.lease, params: ['w', NOW, NOW, 1] },
  { name: 'endpoint circuit', sql: CALLBACK_OUTBOX_SQL.circuit, params: ['callbacks', 'http://127.0.0.1:9/cb'] },
  { name: 'callback owned', sql: CALLBACK_OUTBOX_SQL.owned, params: [1, 'w'] },
  { name: 'callback attempt', sql: CALLBACK_OUTBOX_SQL.finish, params: ['delivered', NOW, null, 1, 'w'] },
  { name: 'callback delivered', sql: CALLBACK_OUTBOX_SQL.delivered, params: [NOW, NOW, 200, 3, 1, 'w'] },
  { name: 'simulator receipts due', sql: SIMULATOR_SQL.due, params: [NOW, 100] },
  { name: 'simulator next receipt', sql: SIMULATOR_SQL.next, params: [] },
  { name: 'simulator receipt deletion', sql: SIMULATOR_SQL.delete, params: ['c1'] },
  { name: 'esme receipts collected', sql: ESME_OUTBOX_SQL.collect, params: [NOW] },
  { name: 'esme submits done', sql: ESME_OUTBOX_SQL.done, params: [] },
  { name: 'esme inbound collected', sql: ESME_OUTBOX_SQL.inbound, params: ['esme', NOW, 'acc', 0, 'app'] },
  { name: 'esme outbox pending', sql: ESME_OUTBOX_SQL.pending, params: ['esme', NOW, 100] },
];

/**
 * The plan each statement was designed for: the lines that decide what it reads (scans, searches,
 * sorts), in loop order. A scan here walks a partial index of due work in order and stops at the
 * batch; a sort sorts what the batch returned.
 */
export const SQLITE_DESIGNED: Readonly<Record<string, readonly string[]>> = {
  'queue claim': [
    'SCAN q USING INDEX message_recipients_ready',
    'SCAN ready',
    'SEARCH q USING INDEX message_recipients_leased (locked_until<?)',
    'USE TEMP B-TREE FOR ORDER BY',
    'SCAN expired',
    'SCAN c',
    'SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)',
    'USE TEMP B-TREE FOR ORDER BY',
  ],
  'lease': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'postpone': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'rate bucket': [
    'SEARCH rate_buckets USING INDEX sqlite_autoindex_rate_buckets_1 (key=?)',
  ],
  'status change': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'status change without error': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'status change out of the queue': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'lease holder': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'status reported before': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'dequeue': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'retry': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'deferral': [
    'SEARCH message_recipients USING PRIMARY KEY (message_id=? AND destination_tn=?)',
  ],
  'receipt parked for a submit': [
    'SEARCH parked_receipts USING COVERING INDEX sqlite_autoindex_parked_receipts_1 (carrier=? AND carrier_message_id=?)',
  ],
  'settle carrier refs': [
    'SEARCH carrier_refs USING INDEX carrier_refs_message (message_id=? AND destination_tn=?)',
  ],
  // The refs with the receipt's id (one or a few) are sorted by receipt-match.ts's preference.
  'receipt match': [
    'SEARCH r USING INDEX sqlite_autoindex_carrier_refs_1 (carrier=? AND carrier_message_id=?)',
    'SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)',
    'USE TEMP B-TREE FOR ORDER BY',
  ],
  'receipt match (parts)': [
    'SEARCH r USING INDEX sqlite_autoindex_carrier_refs_1 (carrier=? AND carrier_message_id=?)',
    'SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)',
    'USE TEMP B-TREE FOR ORDER BY',
  ],
  'receipt outcome': [
    'SEARCH carrier_refs USING INTEGER PRIMARY KEY (rowid=?)',
  ],
  'parts delivered': [
    'USE TEMP B-TREE FOR count(DISTINCT)',
    'SEARCH carrier_refs USING INDEX carrier_refs_message (message_id=? AND destination_tn=?)',
  ],
  'parked-receipt search': [
    'SCAN p USING INDEX parked_receipts_key',
    'SEARCH r EXISTS USING INDEX sqlite_autoindex_carrier_refs_1 (carrier=? AND carrier_message_id=?)',
    'USE TEMP B-TREE FOR ORDER BY',
  ],
  'parked receipt deletion': [
    'SEARCH parked_receipts USING INDEX parked_receipts_key (carrier=? AND receipt_key=?)',
  ],
  'parked receipts dropped': [
    'SEARCH parked_receipts USING INDEX parked_receipts_age (parked_at<?)',
  ],
  'carrier refs to prune': [
    'SEARCH carrier_refs USING COVERING INDEX carrier_refs_awaiting (settled=? AND submitted_at<?)',
  ],
  'carrier ref pruned': [
    'SEARCH carrier_refs USING INTEGER PRIMARY KEY (rowid=?)',
  ],
  'awaiting receipt': [
    'SEARCH r USING INDEX carrier_refs_awaiting (settled=? AND submitted_at<?)',
    'SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)',
    'USE TEMP B-TREE FOR GROUP BY',
    'USE TEMP B-TREE FOR ORDER BY',
  ],
  'queued count': [
    'SEARCH message_recipients USING INDEX message_recipients_queued (account_id=?)',
  ],
  'callback endpoints': [
    'SCAN CONSTANT ROW',
    'SCAN o USING INDEX callback_outbox_endpoint_ready',
    'SCAN free_urls',
    'SEARCH o USING INDEX callback_outbox_endpoint_ready (url>?)',
    'SCAN free_urls',
    'USE TEMP B-TREE FOR ORDER BY',
    'SEARCH o USING INDEX callback_outbox_leased (locked_until<?)',
    'USE TEMP B-TREE FOR ORDER BY',
  ],
  'callbacks in flight': [
    'SEARCH o USING INDEX callback_outbox_leased (locked_until>?)',
    'USE TEMP B-TREE FOR GROUP BY',
  ],
  'callback claim': [
    'SEARCH o USING INDEX callback_outbox_endpoint_ready (url=?)',
    'SEARCH p USING INDEX callback_outbox_message (message_id=? AND id<?)',
    'SCAN (subquery-2)',
    'USE TEMP B-TREE FOR ORDER BY',
    'SEARCH o USING INDEX callback_outbox_leased (locked_until<?)',
    'SEARCH p USING INDEX callback_outbox_message (message_id=? AND id<?)',
    'SCAN (subquery-5)',
    'USE TEMP B-TREE FOR ORDER BY',
  ],
  'callback lease': [
    'SEARCH callback_outbox USING INTEGER PRIMARY KEY (rowid=?)',
  ],
  'endpoint circuit': [
    'SEARCH endpoint_circuits USING INDEX sqlite_autoindex_endpoint_circuits_1 (queue=? AND endpoint=?)',
  ],
  'callback owned': [
    'SEARCH callback_outbox USING INTEGER PRIMARY KEY (rowid=?)',
  ],
  'callback attempt': [
    'SEARCH callback_outbox USING INTEGER PRIMARY KEY (rowid=?)',
  ],
  'callback delivered': [
    'SEARCH callback_outbox USING INTEGER PRIMARY KEY (rowid=?)',
  ],
  'simulator receipts due': [
    'SEARCH simulator_receipts USING INDEX simulator_receipts_due (due_at<?)',
  ],
  'simulator next receipt': [
    'SEARCH simulator_receipts USING COVERING INDEX simulator_receipts_due',
  ],
  'simulator receipt deletion': [
    'SEARCH simulator_receipts USING INDEX sqlite_autoindex_simulator_receipts_1 (carrier_message_id=?)',
  ],
  'esme receipts collected': [
    'SCAN s USING INDEX esme_submits_waiting',
    'SEARCH r USING PRIMARY KEY (message_id=?)',
    'SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)',
  ],
  'esme submits done': [
    'SCAN esme_submits USING COVERING INDEX esme_submits_waiting',
    'SEARCH r USING PRIMARY KEY (message_id=?)',
  ],
  'esme inbound collected': [
    'SEARCH r USING INDEX message_recipients_inbound (account_id=? AND receive_time>?)',
    'SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)',
  ],
  'esme outbox pending': [
    'SEARCH esme_outbox USING INDEX esme_outbox_pending (system_id=?)',
  ],
};

/** The lines of a plan that decide how much is read: the scans, searches and sorts, in loop order. */
export function sqlitePlan(db: Database.Database, statement: HotStatement): string[] {
  const explain = db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`);
  const rows = (Array.isArray(statement.params) ? explain.all(...statement.params) : explain.all(statement.params)) as Array<{
    detail: string;
  }>;
  return rows.map((r) => r.detail).filter((d) => /^(SCAN|SEARCH|USE TEMP B-TREE)/.test(d));
}

function exec(db: Database.Database, statements: readonly string[]): void {
  for (const sql of statements) db.exec(sql);
}

/** Statistics rows saying every work table holds `rows` rows, each index narrowing to one row per key. */
function writeStats(db: Database.Database, rows: number): void {
  db.exec('ANALYZE');
  db.exec('DELETE FROM sqlite_stat1');
  db.exec("DELETE FROM sqlite_stat4");
  const indexes = db
    .prepare(`SELECT tbl_name AS tbl, name AS idx FROM sqlite_schema WHERE type = 'index' AND tbl_name IN (${WORK_TABLES.map(() => '?').join(', ')})`)
    .all(...WORK_TABLES) as Array<{ tbl: string; idx: string }>;
  const insert = db.prepare('INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)');
  for (const table of WORK_TABLES) insert.run(table, null, String(rows));
  for (const { tbl, idx } of indexes) {
    const columns = (db.prepare('SELECT count(*) AS n FROM pragma_index_info(?)').get(idx) as { n: number }).n;
    insert.run(tbl, idx, [rows, ...Array.from({ length: columns }, (_, i) => (i === columns - 1 ? 1 : 10))].join(' '));
  }
  db.exec('ANALYZE sqlite_schema');
}

/** The statistics states, each applied to the database from scratch. */
export const SQLITE_STATES: ReadonlyArray<{ name: string; apply: (db: Database.Database) => void }> = [
  {
    name: 'no statistics',
    apply: (db) => {
      exec(db, [...emptyTables(), ...seedRows(1, 200)]);
      db.exec('ANALYZE');
      db.exec('DELETE FROM sqlite_stat1');
      db.exec('DELETE FROM sqlite_stat4');
      db.exec('ANALYZE sqlite_schema');
    },
  },
  { name: 'analyzed empty', apply: (db) => exec(db, [...emptyTables(), 'ANALYZE']) },
  {
    name: 'analyzed with the first message in flight (PRAGMA optimize at start-up)',
    apply: (db) => exec(db, [...emptyTables(), ...seedRows(2, 1), 'ANALYZE']),
  },
  { name: 'analyzed with a few rows', apply: (db) => exec(db, [...emptyTables(), ...seedRows(1, 12), 'ANALYZE']) },
  {
    name: 'millions of rows',
    apply: (db) => {
      exec(db, emptyTables());
      writeStats(db, 3_000_000);
    },
  },
  {
    name: 'stale: analyzed with a few rows, thousands since',
    apply: (db) => exec(db, [...emptyTables(), ...seedRows(1, 12), 'ANALYZE', ...seedRows(13, 3000)]),
  },
  {
    name: 'stale: millions of rows per the statistics, a few in the table',
    apply: (db) => {
      exec(db, [...emptyTables(), ...seedRows(1, 12)]);
      writeStats(db, 3_000_000);
    },
  },
];
