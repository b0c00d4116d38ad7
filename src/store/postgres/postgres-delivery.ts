// The delivery queue, status changes, carrier correlation and the callback outbox in PostgreSQL,
// shared by any number of processes. The workers' writes (status changes, submit records, receipt
// matches) run in group commits (group-commit.ts): each is one statement, or a few, in the
// transaction of a batch with the other writes of the same turn of the event loop, and resolves
// after that batch's COMMIT; claims are transactions of their own. A status change and the
// callback that reports it commit together, and after a commit that added callbacks the store
// notifies `pigeon_callbacks` so that callback workers in every process wake (Notifier).
//
// Lock order, the same everywhere so that two transactions never wait on each other in a circle:
// message_recipients row (whose state includes the queue entry, migration 0022), then carrier_refs
// rows; rate buckets by key.
import type { Pool, PoolClient } from 'pg';
import { bucketLimits, claimScan, planClaim } from '../../core/delivery/claim-plan.js';
import type { BucketLimit, BucketState } from '../../core/delivery/token-bucket.js';
import type { Message, MessageRecord } from '../../core/messages/message.js';
import type {
  CallbackRecord,
  CallbackToSend,
  ClaimRequest,
  ClaimResult,
  DeliveryJob,
  DeliveryStore,
  MessageDetail,
  MessageEvent,
  ParkedReceipt,
  QueueEntry,
  RatePolicy,
  ReceiptMatch,
  ReceiptToPark,
  StatusChange,
  SubmitRecorded,
  SubmitWith,
  CallbackFailure,
} from '../../core/ports.js';
import {
  candidateOf,
  candidatesQuery,
  jobOf,
  qualified,
  type ClaimSql,
  type QueueRow,
} from '../sql/queue-claim.js';
import {
  byMessage,
  callbacksFromRows,
  failureFromRow,
  MESSAGE_COLUMNS,
  messageFromRow,
  messageParams,
  RECORD_COLUMNS,
  recordFromRow,
  recordParams,
  type AttemptRow,
  type FailureRow,
  type MessageRow,
  type RecordRow,
} from '../sql/rows.js';
import type { LeasedRow } from '../sql/callback-claim.js';
import { noPin } from '../sql/index-pin.js';
import { queueEntry, retryDetail } from '../sql/queue-entry.js';
import { parkedClaimedBy, receiptPreference, refClaims } from '../sql/receipt-match.js';
import { PostgresCallbackOutbox } from './postgres-callback-outbox.js';
import {
  afterSending,
  DEFERRAL_TAIL,
  deferralLine,
  eventLine,
  reachedMarker,
  submitChange,
  timelineOf,
  type EventsAppend,
  type EventsRow,
} from '../sql/event-log.js';
import { CALLBACK_COLUMNS, callbackParams, valuesList } from './rows.js';
import { INDEX_PATHS_BEGIN, runIndexed } from './hot-settings.js';
import { named, run } from './statements.js';
import type { PostgresGroupCommitter } from './group-commit.js';
import { inTransaction, type Notifier } from './transaction.js';

type Int = number | string;

/** A callback as the admin view reads it: the leased shape, in any state, maybe never attempted. */
type OutboxRow = Omit<LeasedRow, 'first_attempt_at'> & {
  state: CallbackRecord['state'];
  first_attempt_at: Int | null;
  delivered_at: Int | null;
  delivered_status: number | null;
  delivered_latency_ms: Int | null;
};

const TERMINAL = `('DELIVERED', 'FAILED')`;

const OUTBOX_COLUMNS = `id, message_id, account_id, application_id, event_type, url, body, state, attempts, created_at,
  first_attempt_at, delivered_at, delivered_status, delivered_latency_ms`;

// ---- Static statements, prepared once per connection (statements.ts) ---------------------------

// FOR UPDATE SKIP LOCKED: the queue rows a claim reads are row-locked until it commits, and rows
// another claim has locked right now are passed over instead of waited for, so concurrent claims in
// any number of processes each get a disjoint set.
const CLAIM_SQL: ClaimSql = { now: '$1', scan: '$2', lock: 'FOR UPDATE SKIP LOCKED', rowRef: (alias) => `${alias}.ctid`, pin: noPin };
const CLAIM_CANDIDATES = named(candidatesQuery(CLAIM_SQL));
/**
 * How a claim's transaction starts. Its plan must not depend on the planner's estimates of the
 * queue: on a table not analyzed yet (a young database; autovacuum first analyzes a table a minute
 * or more after it fills) PostgreSQL takes `locked_by IS NULL` for 0.5 % of the rows, expects a
 * handful of candidates, and reads and sorts every due entry and hashes every message, 3 ms a
 * claim at a backlog of 3000 and more as it grows, where walking the ready index in order stops
 * after `scan` entries (0.3 ms). Sequential and bitmap scans and hash joins are what those plans
 * are made of, and every statement of a claim has an index or TID path and joins by key, so the
 * transaction does without them (hot-settings.ts, shared with the polls and sweeps).
 */
const CLAIM_BEGIN = INDEX_PATHS_BEGIN;
// The claim's writes address the rows it read by ctid: a TID scan whatever the planner estimates (a
// join on the key through unnest() got a generic plan that scanned the whole queue). A row this
// transaction has locked cannot be updated or moved by another until it commits, so the ctid that
// SELECT … FOR UPDATE returned (that of the version it locked) stays the row's.
const LEASE = named(`UPDATE message_recipients SET locked_by = $1, locked_until = $2, attempts = attempts + 1
  WHERE ctid = ANY($3::tid[])`);
const POSTPONE = named(`UPDATE message_recipients q SET run_at = j.run_at
  FROM unnest($1::tid[], $2::bigint[]) AS j (row_ref, run_at) WHERE q.ctid = j.row_ref`);
const SAVE_BUCKETS = named(`UPDATE rate_buckets b SET tokens = s.tokens, updated_at = s.updated_at
  FROM unnest($1::text[], $2::float8[], $3::bigint[]) AS s (key, tokens, updated_at)
  WHERE b.key = s.key`);
const CREATE_BUCKETS = named(`INSERT INTO rate_buckets (key, tokens, updated_at)
  SELECT key, tokens, $3 FROM unnest($1::text[], $2::float8[]) AS n (key, tokens) ORDER BY key
  ON CONFLICT (key) DO NOTHING`);
const LOCK_BUCKETS = named('SELECT key, tokens, updated_at FROM rate_buckets WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE');
const QUEUED_COUNT = named('SELECT count(*) AS n FROM message_recipients WHERE account_id = $1 AND run_at IS NOT NULL');
/** Out of the queue (migration 0022). */
const DEQUEUED = 'run_at = NULL, locked_by = NULL, locked_until = NULL';
/** A recipient that ended is out of the queue, whoever held it (written only where one is still queued). */
const DEQUEUE_ENDED = named(`UPDATE message_recipients SET ${DEQUEUED}
  WHERE message_id = $1 AND destination_tn = $2 AND run_at IS NOT NULL AND status IN ('DELIVERED', 'FAILED')`);
// `settled + 0 = 0`, not `settled = 0`, wherever a recipient's refs are settled: the planner cannot
// prove the partial index of refs awaiting a receipt (carrier_refs_awaiting) from it, so the refs
// are found through carrier_refs_message; with `settled = 0` a plan made on young statistics walked
// every unsettled ref of the table (1 500 in the plan test) for each terminal change.
const UNSETTLED = 'settled + 0 = 0';
const SETTLE_REFS = named(`UPDATE carrier_refs SET settled = 1 WHERE message_id = $1 AND destination_tn = $2 AND ${UNSETTLED}`);
// Picks the part a receipt goes to (receipt-match.ts: of the refs with any of its ids, $8 is the
// handset it names, if any), records the receipt's outcome on it unless its recipient ended, and
// returns its recipient; or, when no part takes it (the receipt overtook its submit) and $4 is set,
// parks it under each id instead.
// The refs are read id by id, each a primary-key range by `=` (the LATERAL subquery runs once per
// id, whatever the statistics; `OFFSET 0` keeps the planner from flattening it into a join): a generic plan made while the table was small took
// `carrier_message_id = ANY($2)` as a filter over every ref of the carrier (up to 9 700 rows per
// message in the bench), and a join of the ids as rows put carrier_refs first.
// The outcome is written by the part's key, not its ctid: a concurrent receipt of the same part may
// have moved the row, and READ COMMITTED re-checks the key on the newest version. The key is taken
// from hit as scalar subqueries (evaluated once, then an index condition): joined on hit's columns,
// a plan made on young statistics walked every ref and probed hit for each (3 000 rows in the plan test).
const MATCH_RECEIPT = named(`WITH hit AS (
    SELECT r.carrier_message_id, r.message_id, r.destination_tn, r.part_index, r.part_count, r.settled
    FROM unnest($2::text[]) AS i(id)
    CROSS JOIN LATERAL (SELECT * FROM carrier_refs c WHERE c.carrier = $1 AND c.carrier_message_id = i.id OFFSET 0) r
    WHERE ${refClaims('r', '$8::text')}
    ORDER BY ${receiptPreference('r', '$8::text')} LIMIT 1),
  noted AS (UPDATE carrier_refs r SET outcome = $3
    WHERE r.carrier = $1 AND r.carrier_message_id = (SELECT carrier_message_id FROM hit)
      AND r.message_id = (SELECT message_id FROM hit) AND r.destination_tn = (SELECT destination_tn FROM hit)
      AND r.part_index = (SELECT part_index FROM hit) AND (SELECT settled FROM hit) = 0),
  park AS (INSERT INTO parked_receipts (carrier, carrier_message_id, receipt_key, receipt, parked_at, destination_tn)
    SELECT $1, p.id, $5, $6, $7, $8::text FROM unnest($2::text[]) AS p(id) WHERE $4::boolean AND NOT EXISTS (SELECT 1 FROM hit)
    ON CONFLICT DO NOTHING)
  SELECT ${qualified(MESSAGE_COLUMNS, 'm')}, h.destination_tn, h.part_count
  FROM hit h JOIN messages m ON m.id = h.message_id`);
// A statement of its own, after the outcome's commit: of two parts' receipts committing at once,
// the one that commits last sees both outcomes, so a message's last part is never missed.
const PARTS_DELIVERED = named(`SELECT count(DISTINCT part_index)::int AS n FROM carrier_refs
  WHERE message_id = $1 AND destination_tn = $2 AND carrier = $3 AND part_count = $4 AND outcome = 'delivered'`);
// A scalar subquery, not EXISTS: EXISTS becomes a semi-join, which on a young database (no
// statistics yet) the planner ran as a hash join over a sequential scan of the whole carrier_refs,
// every poll (the bench read ~11 000 carrier_refs rows per message). As a subplan it is one
// primary-key lookup per parked receipt, whatever the statistics say.
const MATCHED_PARKED = named(`SELECT p.carrier, p.receipt_key, min(p.receipt) AS receipt FROM parked_receipts p
  WHERE (SELECT 1 FROM carrier_refs r WHERE r.carrier = p.carrier AND r.carrier_message_id = p.carrier_message_id
    AND ${parkedClaimedBy('r', 'p')} LIMIT 1) IS NOT NULL
  GROUP BY p.carrier, p.receipt_key ORDER BY min(p.parked_at) LIMIT $1`);
// In batches by age, on the partial index carrier_refs_settled; the rows by ctid, a TID scan.
const PRUNE_REFS = named(`DELETE FROM carrier_refs WHERE ctid = ANY(ARRAY(SELECT ctid FROM carrier_refs
  WHERE settled = 1 AND submitted_at < $1 LIMIT $2))`);
const DELETE_PARKED = named('DELETE FROM parked_receipts WHERE carrier = $1 AND receipt_key = $2');
const DROP_PARKED = named('DELETE FROM parked_receipts WHERE parked_at < $1');
// One row per recipient, whatever the number of parts and submits it awaits receipts for.
const AWAITING_RECEIPT = named(`SELECT ${qualified(MESSAGE_COLUMNS, 'm')}, a.destination_tn
  FROM (SELECT message_id, destination_tn, min(submitted_at) AS at FROM carrier_refs
    WHERE settled = 0 AND submitted_at < $1 GROUP BY message_id, destination_tn ORDER BY at LIMIT $2) a
  JOIN messages m ON m.id = a.message_id ORDER BY a.at`);
const REFS_OF_MESSAGE = named('SELECT carrier, carrier_message_id, destination_tn FROM carrier_refs WHERE message_id = $1');
const GET_MESSAGE = named(`SELECT ${qualified(MESSAGE_COLUMNS, 'm')} FROM messages m WHERE m.id = $1`);
const LIST_EVENTS = named('SELECT destination_tn, events FROM message_recipients WHERE message_id = $1 ORDER BY destination_tn');
const QUEUE_OF = named(
  `SELECT destination_tn, attempts, run_at, last_error, locked_until FROM message_recipients
    WHERE message_id = $1 AND run_at IS NOT NULL ORDER BY destination_tn`,
);
const RESEND_CALLBACK = named(`INSERT INTO callback_outbox (${CALLBACK_COLUMNS})
  SELECT message_id, account_id, application_id, event_type, $4, body, $3, $3, request_id FROM callback_outbox
  WHERE message_id = $1 AND id = $2 RETURNING id`);
const CALLBACKS_OF = named(`SELECT ${OUTBOX_COLUMNS} FROM callback_outbox WHERE message_id = $1 ORDER BY id`);
const RECENT_FAILURES = named(`SELECT o.application_id, o.message_id, o.event_type, o.url, a.time, a.status_code, a.error
  FROM callback_attempts a JOIN callback_outbox o ON o.id = a.outbox_id
  WHERE o.account_id = $1 AND (a.status_code IS NULL OR a.status_code < 200 OR a.status_code > 299)
  ORDER BY a.time DESC LIMIT $2`);
const ATTEMPTS_OF = named(`SELECT a.outbox_id, a.attempt, a.time, a.status_code, a.latency_ms, a.error
  FROM callback_attempts a JOIN callback_outbox o ON o.id = a.outbox_id
  WHERE o.message_id = $1 ORDER BY a.outbox_id, a.attempt`);
// The export's page of messages at once (messageDetails).
const RECORDS_IN = named(`SELECT * FROM message_recipients WHERE message_id = ANY($1::text[]) ORDER BY message_id, destination_tn`);
const MESSAGES_IN = named(`SELECT ${qualified(MESSAGE_COLUMNS, 'm')} FROM messages m WHERE m.id = ANY($1::text[])`);
const CALLBACKS_IN = named(`SELECT ${OUTBOX_COLUMNS} FROM callback_outbox WHERE message_id = ANY($1::text[]) ORDER BY message_id, id`);
const ATTEMPTS_IN = named(`SELECT a.outbox_id, a.attempt, a.time, a.status_code, a.latency_ms, a.error, o.message_id
  FROM callback_attempts a JOIN callback_outbox o ON o.id = a.outbox_id
  WHERE o.message_id = ANY($1::text[]) ORDER BY a.outbox_id, a.attempt`);
const GET_SETTING = named('SELECT value FROM settings WHERE key = $1');
const PUT_SETTING = named(`INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);

/** A status change's result row: `callbacks` is how many callbacks it queued (callbacksColumn). */
type Changed = { callbacks?: number };

export class PostgresDelivery implements DeliveryStore {
  private readonly outbox: PostgresCallbackOutbox;

  constructor(
    private readonly pool: Pool,
    private readonly notifier: Notifier,
    /** Where the workers' writes are batched (group-commit.ts). */
    private readonly batch: PostgresGroupCommitter,
  ) {
    this.outbox = new PostgresCallbackOutbox(pool, batch);
  }

  // ---- Claiming -------------------------------------------------------------------------------

  claimDeliveries(request: ClaimRequest): Promise<ClaimResult> {
    return inTransaction(this.pool, (client) => this.claim(client, request), CLAIM_BEGIN, 'claim');
  }

  private async claim(client: PoolClient, { workerId, now, limit, leaseMs, rates }: ClaimRequest): Promise<ClaimResult> {
    // Only queue rows are locked (CLAIM_SQL): the joined message row is read, never changed. Rows
    // leased and not expired are excluded by the WHERE clause; the lease, not the row lock, is what
    // keeps them after this transaction ends.
    const { rows: candidates } = await run<QueueRow>(client, CLAIM_CANDIDATES, [now, claimScan(rates, limit)]);
    if (candidates.length === 0) return { jobs: [], nextDueAt: undefined };

    const locked = await this.lockBuckets(client, candidates, rates, now);
    const plan = planClaim(candidates, candidateOf, (key) => locked.get(key), rates, now, limit);
    const { claimed, postponed } = plan;
    if (claimed.length > 0) {
      const { rowCount } = await run(client, LEASE, [workerId, now + leaseMs, claimed.map((r) => r.row_ref)]);
      // Cannot differ while the rows stay locked (above); if it ever did, a job handed out without its
      // lease could be claimed twice, so the claim fails and rolls back instead.
      if (rowCount !== claimed.length) throw new Error(`claim: leased ${rowCount} of ${claimed.length} locked queue rows`);
    }
    if (postponed.length > 0) {
      await run(client, POSTPONE, [postponed.map((p) => p.candidate.row_ref), postponed.map((p) => p.runAt)]);
    }
    if (plan.buckets.size > 0) {
      const keys = [...plan.buckets.keys()];
      const states = [...plan.buckets.values()];
      await run(client, SAVE_BUCKETS, [keys, states.map((s) => s.tokens), states.map((s) => s.updatedAt)]);
    }
    return { jobs: claimed.map(jobOf), nextDueAt: plan.nextDueAt };
  }

  /**
   * Locks, for the rest of the claim's transaction, every bucket the candidates may draw from, and
   * returns their states. Without the lock two processes would read the same tokens and both spend
   * them. A bucket never used before is created full (what the token bucket assumes of a missing
   * state) so that there is a row to lock: INSERT … ON CONFLICT DO NOTHING, because another claim
   * may be creating it at the same moment (the second waits for the first to commit, then does
   * nothing). Rows are inserted and locked in key order, so two claims never wait on each other in
   * a circle; SELECT … FOR UPDATE after waiting returns the newest committed tokens.
   */
  private async lockBuckets(
    client: PoolClient,
    candidates: readonly QueueRow[],
    rates: RatePolicy,
    now: number,
  ): Promise<Map<string, BucketState>> {
    const limits = new Map<string, BucketLimit>();
    for (const row of candidates) {
      for (const [key, limit] of bucketLimits(rates, row.queue_account_id, row.source_tn)) limits.set(key, limit);
    }
    const buckets = new Map<string, BucketState>();
    if (limits.size === 0) return buckets;
    const keys = [...limits.keys()];
    await run(client, CREATE_BUCKETS, [keys, keys.map((key) => (limits.get(key) as BucketLimit).burst), now]);
    const { rows } = await run<{ key: string; tokens: number; updated_at: Int }>(client, LOCK_BUCKETS, [keys]);
    for (const row of rows) buckets.set(row.key, { tokens: Number(row.tokens), updatedAt: Number(row.updated_at) });
    return buckets;
  }

  async queuedCount(accountId: string): Promise<number> {
    const { rows } = await run<{ n: Int }>(this.pool, QUEUED_COUNT, [accountId]);
    return Number(rows[0]?.n ?? 0);
  }

  // ---- Status changes -------------------------------------------------------------------------
  //
  // Each change is one statement where it can be: under load the time goes to round trips (each
  // waits for a turn of a busy event loop while the batch holds its connection and its row locks),
  // not to PostgreSQL. Each statement takes its own snapshot, also inside a batch, and sees what the
  // batch wrote before it, so what follows holds there as in a transaction of its own. The pieces are
  // data-modifying CTEs. They all see the snapshot the statement started with and none sees
  // another's changes except through RETURNING, so a piece that must follow another reads it: the
  // event and callback INSERTs select FROM upd (the guarded UPDATE), and a gate such as
  // `(SELECT count(*) FROM dq) >= 0` makes PostgreSQL run dq to completion before upd's scan
  // (an uncorrelated subquery is a one-time filter evaluated first), which keeps the lock order.

  recordProgress(change: StatusChange): Promise<boolean> {
    // Whether the recipient reached this status before is in its own row (event-log.ts): `cur`
    // row-locks it and reads the version it locked, after waiting for a concurrent change (READ
    // COMMITTED returns the newest version to a locking read), and the UPDATE, which follows the row
    // to that same version, appends the event only if it was not there. The status is written
    // either way: a retry passes through SENDING again.
    const p = new Params();
    const marker = reachedMarker(change.status);
    const sql = `WITH cur AS (SELECT position(${p.add(marker, 'text')} in coalesce(events, '')) > 0 AS reached FROM message_recipients
          WHERE ${recipientKey(p, change)} FOR UPDATE),
        ${guardedUpdate(p, change, '(SELECT count(*) FROM cur) >= 0', 'st', { once: marker, first: eventLine(change), lines: '' })},
        upd AS (SELECT 1 FROM st WHERE NOT (SELECT reached FROM cur))${callbackCte(p, change)}
      SELECT (SELECT count(*) FROM upd)::int AS applied${callbacksColumn(change)}`;
    return this.single(change, sql, p, 'applied');
  }

  recordSubmitted(
    job: DeliveryJob,
    workerId: string,
    carrier: string,
    carrierMessageIds: readonly string[],
    time: number,
    also: SubmitWith = {},
  ): Promise<SubmitRecorded> {
    const { change, events, outcome } = submitChange(job, carrier, carrierMessageIds, time, also);
    const p = new Params();
    const recipient = `message_id = ${p.add(change.messageId, 'text')} AND destination_tn = ${p.add(change.destinationTn, 'text')}`;
    const carrierParam = p.add(carrier, 'text');
    const ids = p.add(carrierMessageIds, 'text[]');
    // Settled at once when the receipt came with the submit.
    const settledNow = outcome ? 'true' : 'NOT EXISTS (SELECT 1 FROM upd)';
    // Out of the queue for the lease's holder (`cur` reads it from the version it locked, which the
    // UPDATE then writes): a worker that took the lease over submits again. Whoever holds it when the
    // outcome came with the submit: an ended recipient is never queued.
    const worker = p.add(workerId, 'text');
    const ownedOnly = (column: string) => `${column} = CASE WHEN locked_by = ${worker} THEN NULL ELSE ${column} END`;
    const dequeue = outcome ? DEQUEUED : ['run_at', 'locked_until', 'locked_by'].map(ownedOnly).join(', ');
    // `calm` (calmCtes): no transaction changed the row between this statement's snapshot and its
    // lock, so the snapshot holds every ref of the recipient and `settle` reaches them all.
    const sql = `WITH snap AS (SELECT xmin FROM message_recipients WHERE ${recipient}),
          cur AS (SELECT locked_by = ${worker} AS owned, xmin FROM message_recipients WHERE ${recipient} FOR UPDATE),
          calm AS (SELECT 1 WHERE (SELECT xmin FROM snap) IS NOT DISTINCT FROM (SELECT xmin FROM cur)),
          ${guardedUpdate(p, change, '(SELECT count(*) FROM cur) >= 0', 'upd', events, dequeue)}${callbackCte(p, change)},
          -- One ref per part. Kept even for a duplicate submit, so that whichever receipt comes
          -- first can end the recipient; settled at once when the recipient had already ended
          -- (another submit's receipt came first), since then these ids await nothing.
          ref AS (INSERT INTO carrier_refs (carrier, carrier_message_id, message_id, destination_tn, submitted_at, settled,
              part_index, part_count, outcome)
            SELECT ${carrierParam}, u.id, ${p.add(change.messageId, 'text')}, ${p.add(change.destinationTn, 'text')},
              ${p.add(time, 'bigint')}, CASE WHEN ${settledNow} THEN 1 ELSE 0 END, u.ord - 1,
              ${p.add(carrierMessageIds.length, 'integer')}, ${p.add(outcome, 'text')}
            FROM unnest(${ids}) WITH ORDINALITY AS u (id, ord)
            ON CONFLICT DO NOTHING),
          -- The recipient's earlier refs await nothing once it ended: before (no upd), or now.
          settle AS (UPDATE carrier_refs SET settled = 1 WHERE ${recipient} AND ${UNSETTLED}
            AND (NOT EXISTS (SELECT 1 FROM upd) OR ${outcome ? 'true' : 'false'}))
        SELECT coalesce((SELECT owned FROM cur), false)::int AS owned, (SELECT count(*) FROM upd)::int AS applied,
          EXISTS (SELECT 1 FROM calm) AS calm,
          EXISTS (SELECT 1 FROM parked_receipts WHERE carrier = ${carrierParam} AND carrier_message_id = ANY(${ids})) AS waiting
          ${callbacksColumn(change)}`;
    const statement = named(sql);
    return this.batch
      .run(recipientOrder(change), async (client) => {
        const { rows } = await run<Changed & { owned: number; applied: number; calm: boolean; waiting: boolean }>(client, statement, p.values);
        const row = rows[0] ?? { owned: 0, applied: 0, calm: true, waiting: false };
        // Statements of their own, whose snapshots are taken after the row lock: an ended recipient
        // is never queued, and its refs (a concurrent submit's among them) await nothing.
        if (row.applied === 0) await run(client, DEQUEUE_ENDED, [change.messageId, change.destinationTn]);
        if ((row.applied === 0 || outcome) && !row.calm) await run(client, SETTLE_REFS, [change.messageId, change.destinationTn]);
        return row;
      }, 'submit')
      .then((row) => {
        this.committed(row);
        return { owned: row.owned > 0, receiptsWaiting: row.waiting, ended: outcome !== null && row.applied > 0 };
      });
  }

  recordRetry(
    job: DeliveryJob,
    workerId: string,
    runAt: number,
    error: string,
    time: number,
    options: { attemptSpent: boolean; sending?: StatusChange } = { attemptSpent: true },
  ): Promise<boolean> {
    const detail = retryDetail(runAt, error, options.attemptSpent);
    const change: StatusChange = { messageId: job.message.id, destinationTn: job.destinationTn, status: 'QUEUED', time, detail };
    const p = new Params();
    // A deferral gives the claim's attempt back: the carrier never offered the recipient.
    const attempts = options.attemptSpent ? '' : `, attempts = ${p.add(job.attempts, 'integer')}`;
    const queued = `run_at = ${p.add(runAt, 'bigint')}, last_error = ${p.add(error, 'text')}, locked_by = NULL, locked_until = NULL${attempts}`;
    // While this worker holds the lease; a QUEUED change has no callback. A deferral was never
    // offered to the carrier: no SENDING goes with it, and it is written unless the events end with
    // a deferral's already (event-log.ts, DEFERRAL_TAIL).
    const events: EventsAppend = options.attemptSpent
      ? afterSending(options.sending, eventLine(change))
      : { lines: deferralLine(change), unlessTail: DEFERRAL_TAIL };
    const sql = `WITH ${guardedUpdate(p, change, `locked_by = ${p.add(workerId, 'text')}`, 'upd', events, queued)}
        SELECT (SELECT count(*) FROM upd)::int AS owned`;
    return this.single(change, sql, p, 'owned');
  }

  recordTerminal(change: StatusChange, sending?: StatusChange): Promise<boolean> {
    const events = afterSending(sending, eventLine(change));
    // Two terminal changes at once (a receipt and the receipt sweeper): the second UPDATE waits
    // for the first's row lock, then re-checks `status NOT IN (…)` on the committed row (READ
    // COMMITTED re-evaluates the WHERE clause of a row it waited for) and matches nothing, so
    // exactly one of them records an event and a callback, and takes the recipient out of the queue
    // (every terminal change does, so one that ended before is not queued); nothing may await a receipt.
    //
    // The carrier refs to settle must all be visible to the statement that settles them. A submit
    // that committed after this statement's snapshot, holding the recipient's row lock this one then
    // waited for, inserted a ref this snapshot cannot see; but such a submit also changed the
    // recipient's row, so when the row this statement locks is still the version its snapshot holds
    // (`calm`) there is no such ref, and one statement does everything. Otherwise it writes nothing,
    // and the transaction below settles in a statement of its own, whose snapshot is taken after the lock.
    const p = new Params();
    const recipient = recipientKey(p, change);
    const sql = `WITH ${calmCtes(recipient)},
        ${guardedUpdate(p, change, 'EXISTS (SELECT 1 FROM calm)', 'upd', events, DEQUEUED)}${callbackCte(p, change)},
        settle AS (UPDATE carrier_refs SET settled = 1 WHERE ${recipient} AND ${UNSETTLED} AND EXISTS (SELECT 1 FROM calm))
      ${calmResult(change)}`;
    return this.calmly(change, sql, p, (client) => this.recordTerminalLocked(client, change, events));
  }

  private async recordTerminalLocked(client: PoolClient, change: StatusChange, events: EventsAppend): Promise<Changed & { applied: number }> {
    const p = new Params();
    const sql = `WITH ${guardedUpdate(p, change, undefined, 'upd', events, DEQUEUED)}${callbackCte(p, change)}
      SELECT (SELECT count(*) FROM upd)::int AS applied${callbacksColumn(change)}`;
    const { rows } = await run<Changed & { applied: number }>(client, named(sql), p.values);
    // A statement of its own, because its snapshot must be taken after the recipient's row lock
    // was granted: a submit that held that lock (and was what the UPDATE above waited for)
    // inserted its carrier ref in the same transaction, and a row inserted after a statement's
    // snapshot is invisible to that statement, waited or not.
    await run(client, SETTLE_REFS, [change.messageId, change.destinationTn]);
    return rows[0] ?? { applied: 0 };
  }

  /** Runs a one-statement change in the next batch; resolves whether its result's `column` counted a row. */
  private single(change: StatusChange, sql: string, p: Params, column: 'owned' | 'applied'): Promise<boolean> {
    const statement = named(sql);
    return this.batch
      .run(recipientOrder(change), async (client) => {
        const { rows } = await run<Changed & Record<typeof column, number>>(client, statement, p.values);
        return rows[0] ?? { [column]: 0 };
      })
      .then((row) => Number(this.committed(row)[column]) > 0);
  }

  /**
   * Runs a one-statement change built on calmCtes and ending in calmResult, in the next batch; when
   * the recipient's row had changed under it (it then wrote nothing), runs `locked` in the same
   * transaction: the same change in statements whose later one sees what committed meanwhile.
   */
  private calmly(
    change: StatusChange,
    sql: string,
    p: Params,
    locked: (client: PoolClient) => Promise<Changed & { applied: number }>,
  ): Promise<boolean> {
    const statement = named(sql);
    return this.batch
      .run(recipientOrder(change), async (client) => {
        const { rows } = await run<Changed & { applied: number; calm: boolean }>(client, statement, p.values);
        const first = rows[0];
        const row = first?.calm ? first : await locked(client);
        // Also when it had ended before: nothing of it may stay queued.
        if (row.applied === 0) await run(client, DEQUEUE_ENDED, [change.messageId, change.destinationTn]);
        return row;
      }, 'terminal')
      .then((row) => this.committed(row).applied > 0);
  }

  /** After the commit of a change: callback workers in every process learn of the callbacks it queued. */
  private committed<R extends Changed>(row: R): R {
    if (Number(row.callbacks) > 0) this.notifier.wake('callbacks');
    return row;
  }

  /**
   * Callbacks of messages created in the same transaction: no other transaction can add callbacks
   * to them before it commits, so they need no callback-order lock.
   */
  private async insertCallbacks(client: PoolClient, rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const values = valuesList(rows);
    await client.query(`INSERT INTO callback_outbox (${CALLBACK_COLUMNS}) VALUES ${values.sql}`, values.params);
  }

  // ---- Lookups --------------------------------------------------------------------------------

  async matchReceipt(
    carrier: string,
    carrierMessageIds: readonly string[],
    outcome: 'delivered' | 'failed',
    options: { destination?: string | undefined; park?: ReceiptToPark | undefined } = {},
  ): Promise<ReceiptMatch | undefined> {
    const { destination = null, park } = options;
    // Parking and a submit's record can race here (neither sees the other's uncommitted row); the
    // parked-receipt sweep finds such a receipt once both have committed.
    type Matched = MessageRow & { destination_tn: string; part_count: number };
    const values = [carrier, carrierMessageIds, outcome, park !== undefined, park?.receiptKey ?? null, park?.receipt ?? null, park?.time ?? null, destination];
    const { rows } = await this.batch.run(`2|${carrier}|${carrierMessageIds[0] ?? ''}`, (client) => run<Matched>(client, MATCH_RECEIPT, values));
    const row = rows[0];
    if (!row) return undefined;
    const job = { message: messageFromRow(row), destinationTn: row.destination_tn, attempts: 0 };
    const partCount = Number(row.part_count);
    if (partCount === 1) return { job, partsDelivered: outcome === 'delivered' ? 1 : 0, partCount };
    const counted = await runIndexed<{ n: number }>(this.pool, PARTS_DELIVERED, [row.id, row.destination_tn, carrier, partCount]);
    return { job, partsDelivered: Number(counted.rows[0]?.n ?? 0), partCount };
  }

  async matchedParkedReceipts(limit: number): Promise<ParkedReceipt[]> {
    const { rows } = await runIndexed<{ carrier: string; receipt_key: string; receipt: string }>(this.pool, MATCHED_PARKED, [limit]);
    return rows.map((r) => ({ carrier: r.carrier, receiptKey: r.receipt_key, receipt: r.receipt }));
  }

  async deleteParkedReceipt(carrier: string, receiptKey: string): Promise<void> {
    await this.batch.run(`3|${carrier}|${receiptKey}`, (client) => run(client, DELETE_PARKED, [carrier, receiptKey]));
  }

  async dropParkedReceiptsBefore(time: number): Promise<number> {
    return (await runIndexed(this.pool, DROP_PARKED, [time])).rowCount ?? 0;
  }

  async pruneCarrierRefs(submittedBefore: number, limit: number): Promise<number> {
    return (await runIndexed(this.pool, PRUNE_REFS, [submittedBefore, limit])).rowCount ?? 0;
  }

  async findAwaitingReceipt(submittedBefore: number, limit: number): Promise<DeliveryJob[]> {
    const { rows } = await runIndexed<MessageRow & { destination_tn: string }>(this.pool, AWAITING_RECEIPT, [submittedBefore, limit]);
    return rows.map((row) => ({ message: messageFromRow(row), destinationTn: row.destination_tn, attempts: 0 }));
  }

  async acceptInbound(copies: ReadonlyArray<{ message: Message; record: MessageRecord; callback?: CallbackToSend }>): Promise<void> {
    if (copies.length === 0) return;
    const callbacks = copies.flatMap((c) => (c.callback ? [callbackParams(c.callback, c.message.time)] : []));
    await inTransaction(this.pool, async (client) => {
      const messages = valuesList(copies.map((c) => messageParams(c.message)));
      await client.query(`INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES ${messages.sql}`, messages.params);
      const records = valuesList(copies.map((c) => recordParams(c.record)));
      await client.query(`INSERT INTO message_recipients (${RECORD_COLUMNS}) VALUES ${records.sql}`, records.params);
      await this.insertCallbacks(client, callbacks);
    });
    this.committed({ callbacks: callbacks.length });
  }

  async getMessage(messageId: string): Promise<Message | undefined> {
    const { rows } = await run<MessageRow>(this.pool, GET_MESSAGE, [messageId]);
    const row = rows[0];
    return row && messageFromRow(row);
  }

  async carrierRefsOf(messageId: string): Promise<Array<{ carrier: string; carrierMessageId: string; destinationTn: string }>> {
    const { rows } = await run<{ carrier: string; carrier_message_id: string; destination_tn: string }>(this.pool, REFS_OF_MESSAGE, [messageId]);
    return rows.map((r) => ({ carrier: r.carrier, carrierMessageId: r.carrier_message_id, destinationTn: r.destination_tn }));
  }

  async queueEntries(messageId: string, now: number): Promise<QueueEntry[]> {
    const { rows } = await run<{
      destination_tn: string;
      attempts: number;
      run_at: Int;
      last_error: string | null;
      locked_until: Int | null;
    }>(this.pool, QUEUE_OF, [messageId]);
    return rows.map((r) => queueEntry(r, now));
  }

  async listEvents(messageId: string): Promise<MessageEvent[]> {
    const { rows } = await run<EventsRow>(this.pool, LIST_EVENTS, [messageId]);
    return timelineOf(rows);
  }

  async messageDetails(messageIds: readonly string[]): Promise<MessageDetail[]> {
    // One statement per table for the whole list, side by side on the pool's connections.
    const ids = [...messageIds];
    // The records first: the callbacks, read after, hold those of every status they show. A
    // record's row holds its events, so the timeline always agrees with its status.
    const records = byMessage((await run<RecordRow & EventsRow>(this.pool, RECORDS_IN, [ids])).rows);
    const [messages, outbox, attempts] = await Promise.all([
      run<MessageRow>(this.pool, MESSAGES_IN, [ids]),
      run<OutboxRow>(this.pool, CALLBACKS_IN, [ids]),
      run<AttemptRow & { message_id: string }>(this.pool, ATTEMPTS_IN, [ids]),
    ]);
    const outboxOf = byMessage(outbox.rows);
    const attemptsOf = byMessage(attempts.rows);
    return messages.rows.map((row) => ({
      message: messageFromRow(row),
      records: (records.get(row.id) ?? []).map(recordFromRow),
      events: timelineOf(records.get(row.id) ?? []),
      callbacks: callbacksFromRows(outboxOf.get(row.id) ?? [], attemptsOf.get(row.id) ?? []),
    }));
  }

  // ---- Callback outbox ------------------------------------------------------------------------

  // Fair across endpoints, with a circuit per endpoint: postgres-callback-outbox.ts.
  readonly claimCallbacks: DeliveryStore['claimCallbacks'] = (request) => this.outbox.claim(request);
  readonly recordCallbackAttempt: DeliveryStore['recordCallbackAttempt'] = (...args) => this.outbox.record(...args);
  readonly listEndpoints: DeliveryStore['listEndpoints'] = (now) => this.outbox.endpoints(now);

  async recentCallbackFailures(accountId: string, limit: number): Promise<CallbackFailure[]> {
    const result = await run<FailureRow>(this.pool, RECENT_FAILURES, [accountId, limit]);
    return result.rows.map(failureFromRow);
  }

  async resendCallback(messageId: string, id: number, url: string, now: number): Promise<number | undefined> {
    const result = await run<{ id: Int }>(this.pool, RESEND_CALLBACK, [messageId, id, now, url]);
    const row = result.rows[0];
    if (!row) return undefined;
    this.notifier.wake('callbacks');
    return Number(row.id);
  }

  async listCallbacks(messageId: string): Promise<CallbackRecord[]> {
    const outbox = await run<OutboxRow>(this.pool, CALLBACKS_OF, [messageId]);
    const attempts = await run<AttemptRow>(this.pool, ATTEMPTS_OF, [messageId]);
    return callbacksFromRows(outbox.rows, attempts.rows);
  }

  // ---- Settings -------------------------------------------------------------------------------

  async getSetting(key: string): Promise<string | undefined> {
    const { rows } = await run<{ value: string }>(this.pool, GET_SETTING, [key]);
    return rows[0]?.value;
  }

  async putSetting(key: string, value: string, time: number): Promise<void> {
    await run(this.pool, PUT_SETTING, [key, value, time]);
  }
}

// ---- SQL pieces of a status change ------------------------------------------------------------

/** Numbered parameters for a statement assembled from pieces; typed, as CTEs give no context to infer from. */
class Params {
  readonly values: unknown[] = [];

  add(value: unknown, type: 'text' | 'integer' | 'bigint' | 'text[]'): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** A change's place in a batch: by recipient, the lock order of status changes (group-commit.ts). */
function recipientOrder(change: StatusChange): string {
  return `1|${change.messageId}|${change.destinationTn}`;
}

/** `message_id = $n AND destination_tn = $m`: the change's recipient, in any of the tables keyed by it. */
function recipientKey(p: Params, change: StatusChange): string {
  return `message_id = ${p.add(change.messageId, 'text')} AND destination_tn = ${p.add(change.destinationTn, 'text')}`;
}

/**
 * CTEs `snap`, `cur` and `calm`. `cur` row-locks the recipient's row (after `gate`, which keeps the
 * lock order) and reads the version it locked: after waiting for a concurrent change, the newest
 * one. `snap` reads the version this statement's snapshot holds. `calm` has a row when both are the
 * same version, i.e. no transaction changed the row between the snapshot and the lock, so that what
 * the snapshot shows of the recipient (its events, its carrier refs) is all there is. A row version
 * is identified by its xmin, the transaction that wrote it.
 */
function calmCtes(recipient: string, gate?: string): string {
  return `snap AS (SELECT xmin FROM message_recipients WHERE ${recipient}),
    cur AS (SELECT xmin FROM message_recipients WHERE ${recipient}${gate ? ` AND ${gate}` : ''} FOR UPDATE),
    calm AS (SELECT 1 WHERE (SELECT xmin FROM snap) IS NOT DISTINCT FROM (SELECT xmin FROM cur))`;
}

/** The result row of a change built on calmCtes: whether it applied, whether it was calm, its callbacks. */
function calmResult(change: StatusChange): string {
  return `SELECT (SELECT count(*) FROM upd)::int AS applied, EXISTS (SELECT 1 FROM calm) AS calm${callbacksColumn(change)}`;
}

/**
 * The guarded change: nothing happens to a recipient that already ended. As a CTE (`cte` given) it
 * returns a row when it applied; `gate` is a condition that must hold, evaluated before the scan.
 */
function guardedUpdate(
  p: Params,
  change: StatusChange,
  gate?: string,
  cte?: string,
  events: EventsAppend = { lines: eventLine(change) },
  /** More columns to set (the queue state), `column = value, …`. */
  set?: string,
): string {
  // The events (event-log.ts) are appended to the version the UPDATE writes: after waiting for a
  // concurrent change, the newest, so `once` is looked for in everything written before.
  const first = events.once
    ? `CASE WHEN position(${p.add(events.once, 'text')} in coalesce(events, '')) > 0 THEN '' ELSE ${p.add(events.first ?? '', 'text')} END || `
    : '';
  const appended = `coalesce(events, '') || ${first}${p.add(events.lines, 'text')}`;
  const eventsSql = events.unlessTail
    ? `CASE WHEN right(coalesce(events, ''), ${events.unlessTail.length}) = ${p.add(events.unlessTail, 'text')} THEN events ELSE ${appended} END`
    : appended;
  const sql = `UPDATE message_recipients SET status = ${p.add(change.status, 'text')},
      error_code = ${p.add(change.errorCode ?? 0, 'integer')}, updated_at = ${p.add(change.time, 'bigint')},
      events = ${eventsSql}${set ? `, ${set}` : ''}
    WHERE ${recipientKey(p, change)} AND status NOT IN ${TERMINAL}${gate ? ` AND ${gate}` : ''}`;
  return cte ? `${cte} AS (${sql} RETURNING 1)` : sql;
}

/**
 * The class of the transaction-level advisory locks that order one message's callbacks: ids come
 * from a sequence when a row is inserted, but rows become visible when their transaction commits,
 * so two status changes of one message (two recipients of a group message) committing in the
 * opposite order to their ids would let a claim send the later callback before the earlier one
 * exists. Holding this lock (per message id, until commit) from before the id is drawn makes id
 * order and commit order the same. Two int4 keys ("pgcb", message hash): a key space apart from
 * the migration's single bigint key; a hash collision only makes two messages wait for each other.
 */
const CALLBACK_LOCK_CLASS = 0x70676362;

/**
 * `, cb AS (…)`: the change's callback, written only if `upd` returned a row, after taking the
 * message's callback-order lock before its id is drawn; empty when the change has none.
 */
function callbackCte(p: Params, change: StatusChange): string {
  if (!change.callback) return '';
  const values = callbackParams(change.callback, change.time);
  const types = ['text', 'text', 'text', 'text', 'text', 'text', 'bigint', 'bigint'] as const;
  const messageId = p.add(change.callback.messageId, 'text');
  return `, cb AS (INSERT INTO callback_outbox (${CALLBACK_COLUMNS})
      SELECT ${values.map((value, i) => p.add(value, types[i] ?? 'text')).join(', ')}
      FROM upd, LATERAL (SELECT pg_advisory_xact_lock(${CALLBACK_LOCK_CLASS}, hashtext(${messageId}))) AS serialized
      RETURNING 1)`;
}

/**
 * The result column `callbacks`: how many callbacks `cb` inserted, for the store to notify
 * `pigeon_callbacks` after the commit (Notifier; not pg_notify in the statement, whose commit would
 * then wait for every other notifying commit).
 */
function callbacksColumn(change: StatusChange): string {
  return change.callback ? ', (SELECT count(*) FROM cb)::int AS callbacks' : '';
}
