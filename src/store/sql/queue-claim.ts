// The part of a delivery claim both engines share: which queue entries are candidates, in what
// order, and how a candidate row becomes a claim candidate and a job. What is taken of the
// candidates is decided by the core (core/delivery/claim-plan.ts). The callback outbox is claimed
// per endpoint instead (callback-claim.ts).
//
// The queue is the state of the recipients' own rows (migration 0022): a recipient is queued while
// its run_at is set. An entry is free when nobody holds it (locked_by IS NULL) or when its holder's
// lease ran out (locked_until < now: the holder died or stalled, and the entry is taken over). The
// two kinds are read separately, each through a partial index of its own: free entries through an
// index in claim order that holds only them, so a claim never walks past the entries in flight,
// which sit at the head of the queue; expired leases through the index of lease ends, which is
// empty of due rows but for a worker's failure. Both are read in claim order and merged.
import type { ClaimCandidate } from '../../core/delivery/claim-plan.js';
import type { DeliveryJob } from '../../core/ports.js';
import type { IndexPin } from './index-pin.js';
import { MESSAGE_COLUMNS, messageFromRow, type MessageRow } from './rows.js';

type Int = number | string;

export type QueueRow = MessageRow & {
  destination_tn: string;
  queue_account_id: string;
  source_tn: string;
  q_segment_count: Int;
  attempts: Int;
  /** The engine's physical address of the recipient's row (see ClaimSql.rowRef), to lease exactly the row read. */
  row_ref: string | number | null;
};

/** How an engine writes the parts of a claim query that differ. */
export interface ClaimSql {
  /** Placeholders of the claim time and of the number of rows to read. */
  now: string;
  scan: string;
  /**
   * Appended to each branch: PostgreSQL's `FOR UPDATE SKIP LOCKED`, which row-locks what a branch
   * returns and passes over rows another claim is locking at this moment; empty for SQLite, whose
   * claim runs under the database's write lock.
   */
  lock: string;
  /** An expression for the row's physical address: PostgreSQL's `ctid`; SQLite's rows are written back by their key. */
  rowRef: (alias: string) => string;
  /** Pins each table read to the index the claim is designed around (index-pin.ts). */
  pin: IndexPin;
}

/**
 * A comma-separated column list qualified by `alias` (`m.id, m.account_id, …`): columns are listed
 * rather than selected with `m.*`, because a prepared statement must not select `*` (see
 * postgres/statements.ts).
 */
export function qualified(columns: string, alias: string): string {
  return columns
    .split(',')
    .map((column) => `${alias}.${column.trim()}`)
    .join(', ');
}

const M_COLUMNS = qualified(MESSAGE_COLUMNS, 'm');

/**
 * The CTEs `ready` (free entries nobody holds) and `expired` (entries whose lease ran out), each
 * the first `scan` of its kind that satisfy `where`, ready ones in `order.ready`, expired ones in
 * `order.expired`. `where` must contain the partial indexes' other conditions literally (the
 * planners use a partial index only for a query that implies its predicate).
 */
function freeEntries(
  sql: ClaimSql,
  table: { from: string; alias: string; select: string; indexes: { ready: string; expired: string } },
  where: string,
  order: { ready: string; expired: string },
): string {
  const { from, alias, select, indexes } = table;
  const branch = (index: string, free: string, by: string) =>
    `SELECT ${select} FROM ${from} ${alias} ${sql.pin(from, index)} WHERE ${free} AND ${where} ORDER BY ${by} LIMIT ${sql.scan} ${sql.lock}`;
  return `ready AS (${branch(indexes.ready, `${alias}.locked_by IS NULL`, order.ready)}),
    expired AS (${branch(indexes.expired, `${alias}.locked_by IS NOT NULL AND ${alias}.locked_until < ${sql.now}`, order.expired)})`;
}

/**
 * Due, free queue entries in dequeue order, at most `scan` of them, with their messages. Arrival is
 * the acceptance time, then `seq`, the order entries were written in, so that entries accepted in
 * the same millisecond (the recipients of one message among them) do not fall back on the order of
 * their message ids, whose suffix is random.
 *
 * The queue rows are read (and, in PostgreSQL, locked) first and joined to their messages after,
 * so that each claim reads `scan` messages by primary key whatever the planner estimates of the
 * queue: on a young database without statistics, it would otherwise hash all messages. SQLite is
 * held to that order by CROSS JOIN and to the indexes by pins: with statistics taken while the
 * tables held a message or two, it scanned every message for each candidate and the whole queue
 * for expired leases, so each claim read what the burst had queued (issue 21).
 */
export function candidatesQuery(sql: ClaimSql): string {
  const order = 'q.priority, q.receive_time, q.queue_seq';
  const columns = `q.message_id, q.destination_tn, q.account_id, q.source_tn, q.segment_count, q.attempts, q.priority,
    q.receive_time, q.queue_seq, ${sql.rowRef('q')} AS row_ref`;
  // Expired leases in dequeue order too: FIFO per sender holds for work taken over from a dead worker.
  const table = {
    from: 'message_recipients',
    alias: 'q',
    select: columns,
    indexes: { ready: 'message_recipients_ready', expired: 'message_recipients_leased' },
  };
  return `WITH ${freeEntries(sql, table, `q.run_at IS NOT NULL AND q.run_at <= ${sql.now}`, { ready: order, expired: order })}
    SELECT ${M_COLUMNS}, c.destination_tn, c.account_id AS queue_account_id, c.source_tn,
      c.segment_count AS q_segment_count, c.attempts, c.row_ref
    FROM (SELECT * FROM ready UNION ALL SELECT * FROM expired) c CROSS JOIN messages m ${sql.pin('messages')}
    WHERE m.id = c.message_id
    ORDER BY c.priority, c.receive_time, c.queue_seq
    LIMIT ${sql.scan}`;
}

export function candidateOf(row: QueueRow): ClaimCandidate {
  return {
    accountId: row.queue_account_id,
    sourceTn: row.source_tn,
    segmentCount: Number(row.q_segment_count),
    expiresAt: row.expires_at === null ? undefined : Number(row.expires_at),
  };
}

export function jobOf(row: QueueRow): DeliveryJob {
  return { message: messageFromRow(row), destinationTn: row.destination_tn, attempts: Number(row.attempts) };
}
