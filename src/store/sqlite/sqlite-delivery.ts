// The delivery queue, status changes, carrier correlation and the callback outbox in SQLite. Every
// write goes through the group committer, so a change and the callback that reports it commit together.
import type Database from 'better-sqlite3';
import type { Message, MessageRecord } from '../../core/messages/message.js';
import { claimScan, planClaim } from '../../core/delivery/claim-plan.js';
import type { BucketState } from '../../core/delivery/token-bucket.js';
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
  ReceiptMatch,
  ReceiptToPark,
  StatusChange,
  SubmitRecorded,
  SubmitWith,
  CallbackFailure,
} from '../../core/ports.js';
import type { GroupCommitter } from './group-commit.js';
import { INSERT_MESSAGE, INSERT_RECORD } from './sqlite-messages.js';
import { candidateOf, candidatesQuery, jobOf, type ClaimSql, type QueueRow } from '../sql/queue-claim.js';
import { SqliteCallbackOutbox } from './sqlite-callback-outbox.js';
import {
  byMessage,
  callbacksFromRows,
  failureFromRow,
  messageFromRow,
  messageParams,
  recordFromRow,
  recordParams,
  type AttemptRow,
  type CallbackRow,
  type FailureRow,
  type MessageRow,
  type RecordRow,
} from '../sql/rows.js';
import { queueEntry, retryDetail } from '../sql/queue-entry.js';
import { parkedClaimedBy, receiptPreference, refClaims } from '../sql/receipt-match.js';
import { sqlitePin } from '../sql/index-pin.js';
import { prepareAll } from './prepare-all.js';
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

const TERMINAL = `('DELIVERED', 'FAILED')`;

// No row locks: a claim runs in one write transaction, which no other writer overlaps. Rows are
// written back by their key (the recipient's primary key, a WITHOUT ROWID table's only address).
const CLAIM_SQL: ClaimSql = { now: '@now', scan: '@scan', lock: '', rowRef: () => 'NULL', pin: sqlitePin };

// The indexes the hot statements are pinned to (index-pin.ts): a recipient's queue entry, its carrier refs.
const REFS_OF_RECIPIENT = `carrier_refs ${sqlitePin('carrier_refs', 'carrier_refs_message')}`;
const RECIPIENT = `message_recipients ${sqlitePin('message_recipients')}`;
// Out of the queue (migration 0022: the queue is the recipient row's state).
const DEQUEUED = 'run_at = NULL, locked_by = NULL, locked_until = NULL';
const KEY = 'message_id = ? AND destination_tn = ?';
const APPEND_EVENTS = `coalesce(events, '') || CASE WHEN ? IS NULL OR instr(coalesce(events, ''), ?) = 0 THEN ? ELSE '' END || ?`;

/** The statements of the delivery store; exported so that tests can check the plans of the real texts (test/store/hot-plans.test.ts). */
export const DELIVERY_SQL = {
  candidates: candidatesQuery(CLAIM_SQL),
  lease: `UPDATE ${RECIPIENT} SET locked_by = ?, locked_until = ?, attempts = attempts + 1 WHERE ${KEY}`,
  postpone: `UPDATE ${RECIPIENT} SET run_at = ? WHERE ${KEY}`,
  bucket: `SELECT tokens, updated_at AS updatedAt FROM rate_buckets ${sqlitePin('rate_buckets')} WHERE key = ?`,
  saveBucket: `INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
  queued: `SELECT count(*) AS n FROM message_recipients ${sqlitePin('message_recipients', 'message_recipients_queued')}
    WHERE account_id = ? AND run_at IS NOT NULL`,
  // The change and its events (event-log.ts) in one write: `first` is appended only while the
  // events hold no `once` (a status reported once per recipient), then `lines`.
  status: `UPDATE ${RECIPIENT} SET status = ?, error_code = ?, updated_at = ?, events = ${APPEND_EVENTS}
    WHERE message_id = ? AND destination_tn = ? AND status NOT IN ${TERMINAL}`,
  // SQLite rewrites every index on a column the SET names, changed or not: a change without an
  // error code leaves the (account, error code, time) index alone. A recipient that has not ended
  // has no error code to clear (only FAILED sets one).
  statusOnly: `UPDATE ${RECIPIENT} SET status = ?, updated_at = ?, events = ${APPEND_EVENTS}
    WHERE message_id = ? AND destination_tn = ? AND status NOT IN ${TERMINAL}`,
  // A change that also takes the recipient out of the queue: a terminal one, or a submit by the lease's holder.
  statusDequeued: `UPDATE ${RECIPIENT} SET status = ?, error_code = ?, updated_at = ?, events = ${APPEND_EVENTS}, ${DEQUEUED}
    WHERE ${KEY} AND status NOT IN ${TERMINAL}`,
  holder: `SELECT locked_by FROM ${RECIPIENT} WHERE ${KEY}`,
  reached: `SELECT instr(coalesce(events, ''), ?) > 0 AS reached FROM ${RECIPIENT} WHERE message_id = ? AND destination_tn = ?`,
  callback: `INSERT INTO callback_outbox (message_id, account_id, application_id, event_type, url, body,
      created_at, run_at, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  dequeue: `UPDATE ${RECIPIENT} SET ${DEQUEUED} WHERE ${KEY} AND run_at IS NOT NULL`,
  addRef: `INSERT OR IGNORE INTO carrier_refs (carrier, carrier_message_id, message_id, destination_tn,
      submitted_at, part_index, part_count, settled, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  parkedFor: `SELECT 1 FROM parked_receipts ${sqlitePin('parked_receipts')} WHERE carrier = ? AND carrier_message_id = ?`,
  // Only the unsettled: SQLite writes every row an UPDATE matches, changed or not.
  settleRefs: `UPDATE ${REFS_OF_RECIPIENT} SET settled = 1 WHERE message_id = ? AND destination_tn = ? AND settled = 0`,
  refsOfMessage: `SELECT carrier, carrier_message_id, destination_tn FROM ${REFS_OF_RECIPIENT} WHERE message_id = ?`,
  // Back in the queue, with the QUEUED event, while this worker holds the lease.
  retry: `UPDATE ${RECIPIENT} SET run_at = ?, last_error = ?, locked_by = NULL, locked_until = NULL,
      status = 'QUEUED', updated_at = ?, events = ${APPEND_EVENTS}
    WHERE ${KEY} AND locked_by = ? AND status NOT IN ${TERMINAL}`,
  // A deferral: the claim's attempt is given back (the carrier never offered the recipient); its
  // event is written unless the events end with a deferral's already (event-log.ts, DEFERRAL_TAIL).
  defer: `UPDATE ${RECIPIENT} SET run_at = ?, last_error = ?, locked_by = NULL, locked_until = NULL, attempts = ?,
      status = 'QUEUED', updated_at = ?,
      events = CASE WHEN substr(coalesce(events, ''), -${DEFERRAL_TAIL.length}) = ? THEN events ELSE coalesce(events, '') || ? END
    WHERE ${KEY} AND locked_by = ? AND status NOT IN ${TERMINAL}`,
  queueOf: `SELECT destination_tn, attempts, run_at, last_error, locked_until FROM ${RECIPIENT}
    WHERE message_id = ? AND run_at IS NOT NULL ORDER BY destination_tn`,
  setOutcome: 'UPDATE carrier_refs SET outcome = ? WHERE rowid = ?',
  partsDelivered: `SELECT count(DISTINCT part_index) AS n FROM ${REFS_OF_RECIPIENT}
    WHERE message_id = ? AND destination_tn = ? AND carrier = ? AND part_count = ? AND outcome = 'delivered'`,
  park: `INSERT OR IGNORE INTO parked_receipts (carrier, carrier_message_id, receipt_key, receipt, parked_at,
      destination_tn) VALUES (?, ?, ?, ?, ?, ?)`,
  // Reads every parked receipt (few: each waits for a submit being recorded), in the order of its key.
  matchedParked: `SELECT p.carrier, p.receipt_key AS receiptKey, min(p.receipt) AS receipt
    FROM parked_receipts p ${sqlitePin('parked_receipts', 'parked_receipts_key')}
    WHERE EXISTS (SELECT 1 FROM carrier_refs r ${sqlitePin('carrier_refs')} WHERE r.carrier = p.carrier AND r.carrier_message_id = p.carrier_message_id
      AND ${parkedClaimedBy('r', 'p')})
    GROUP BY p.carrier, p.receipt_key ORDER BY min(p.parked_at) LIMIT ?`,
  // In batches by age, on carrier_refs_awaiting (settled, submitted_at), then deleted one by rowid:
  // `DELETE … WHERE rowid IN (subquery)` was planned as a scan of the table under some statistics.
  prunableRefs: `SELECT rowid AS id FROM carrier_refs ${sqlitePin('carrier_refs', 'carrier_refs_awaiting')}
    WHERE settled = 1 AND submitted_at < ? LIMIT ?`,
  deleteRef: 'DELETE FROM carrier_refs WHERE rowid = ?',
  deleteParked: `DELETE FROM parked_receipts ${sqlitePin('parked_receipts', 'parked_receipts_key')} WHERE carrier = ? AND receipt_key = ?`,
  dropParked: `DELETE FROM parked_receipts ${sqlitePin('parked_receipts', 'parked_receipts_age')} WHERE parked_at < ?`,
  // One row per recipient, whatever the number of parts and submits it awaits receipts for.
  awaitingReceipt: `SELECT m.*, r.destination_tn
    FROM carrier_refs r ${sqlitePin('carrier_refs', 'carrier_refs_awaiting')} CROSS JOIN messages m ${sqlitePin('messages')}
    WHERE r.settled = 0 AND r.submitted_at < ? AND m.id = r.message_id GROUP BY r.message_id, r.destination_tn ORDER BY min(r.submitted_at) LIMIT ?`,
  message: 'SELECT * FROM messages WHERE id = ?',
  events: `SELECT destination_tn, events FROM ${RECIPIENT} WHERE message_id = ? ORDER BY destination_tn`,
  insertMessage: INSERT_MESSAGE,
  insertRecord: INSERT_RECORD,
  callbacksOf: 'SELECT * FROM callback_outbox WHERE message_id = ? ORDER BY id',
  resend: `INSERT INTO callback_outbox (message_id, account_id, application_id, event_type, url, body,
      created_at, run_at, request_id) SELECT message_id, account_id, application_id, event_type, ?, body, ?, ?, request_id
      FROM callback_outbox WHERE message_id = ? AND id = ?`,
  recentFailures: `SELECT o.application_id, o.message_id, o.event_type, o.url, a.time, a.status_code, a.error
  FROM callback_attempts a JOIN callback_outbox o ON o.id = a.outbox_id
  WHERE o.account_id = ? AND (a.status_code IS NULL OR a.status_code < 200 OR a.status_code > 299)
  ORDER BY a.time DESC LIMIT ?`,
  attemptsOf: `SELECT a.* FROM callback_attempts a JOIN callback_outbox o ON o.id = a.outbox_id
    WHERE o.message_id = ? ORDER BY a.outbox_id, a.attempt`,
  // The export's page of messages at once (messageDetails): the ids as one JSON array.
  // By the tables' message keys: an ORDER BY on an account index's column made SQLite walk that index.
  recordsIn: `SELECT * FROM message_recipients WHERE message_id IN (SELECT value FROM json_each(?))
    ORDER BY message_id, destination_tn`,
  messagesIn: 'SELECT * FROM messages WHERE id IN (SELECT value FROM json_each(?))',
  callbacksIn: 'SELECT * FROM callback_outbox WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, id',
  attemptsIn: `SELECT a.*, o.message_id FROM callback_attempts a JOIN callback_outbox o ON o.id = a.outbox_id
    WHERE o.message_id IN (SELECT value FROM json_each(?)) ORDER BY a.outbox_id, a.attempt`,
  getSetting: 'SELECT value FROM settings WHERE key = ?',
  putSetting: `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
};

/**
 * The ref a receipt goes to, of those with any of `count` ids (receipt-match.ts): the refs with one
 * id are read by the primary key's prefix, then their message by key.
 */
export function refForReceiptSql(count: number): string {
  const ids = Array.from({ length: count }, () => '?').join(', ');
  return `SELECT m.*, r.rowid AS ref_rowid, r.settled AS ref_settled, r.destination_tn, r.part_count
    FROM carrier_refs r ${sqlitePin('carrier_refs')} CROSS JOIN messages m ${sqlitePin('messages')}
    WHERE r.carrier = @carrier AND r.carrier_message_id IN (${ids}) AND m.id = r.message_id AND ${refClaims('r', '@destination')}
    ORDER BY ${receiptPreference('r', '@destination')} LIMIT 1`;
}

/** The parameters of APPEND_EVENTS, in its order. */
function appendParams(events: EventsAppend): readonly [string | null, string | null, string, string] {
  return [events.once ?? null, events.once ?? null, events.first ?? '', events.lines];
}

export class SqliteDelivery implements DeliveryStore {
  private readonly s;
  private readonly outbox: SqliteCallbackOutbox;
  private readonly refStatements = new Map<number, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommitter,
    /** Called when a write queued callbacks, so a callback worker in another thread looks once it is committed. */
    private readonly callbacksQueued: () => void = () => {},
  ) {
    this.outbox = new SqliteCallbackOutbox(db, writes);
    this.s = prepareAll(db, DELIVERY_SQL);
    // Prepared now, so that a pinned index that cannot serve them fails at start-up (up to the four spellings of an id a receipt brings).
    for (let count = 1; count <= 4; count++) this.refForReceipt(count);
  }

  claimDeliveries(request: ClaimRequest): Promise<ClaimResult> {
    return this.writes.run(() => this.claimNow(request), 'claim');
  }

  private claimNow({ workerId, now, limit, leaseMs, rates }: ClaimRequest): ClaimResult {
    const candidates = this.s.candidates.all({ now, scan: claimScan(rates, limit) }) as QueueRow[];
    const plan = planClaim(candidates, candidateOf, (key) => this.s.bucket.get(key) as BucketState | undefined, rates, now, limit);
    for (const { candidate, runAt } of plan.postponed) this.s.postpone.run(runAt, candidate.id, candidate.destination_tn);
    for (const row of plan.claimed) this.s.lease.run(workerId, now + leaseMs, row.id, row.destination_tn);
    for (const [key, bucket] of plan.buckets) this.s.saveBucket.run(key, bucket.tokens, bucket.updatedAt);
    return { jobs: plan.claimed.map(jobOf), nextDueAt: plan.nextDueAt };
  }

  async queuedCount(accountId: string): Promise<number> {
    return (this.s.queued.get(accountId) as { n: number }).n;
  }

  /**
   * The guarded change with its events: `events.lines`, after `events.first` unless the events hold
   * `events.once`; `dequeue` also takes the recipient out of the queue.
   */
  private setStatus(change: StatusChange, events: EventsAppend = { lines: eventLine(change) }, dequeue = false): number {
    const append = appendParams(events);
    const key = [change.messageId, change.destinationTn] as const;
    if (dequeue) return this.s.statusDequeued.run(change.status, change.errorCode ?? 0, change.time, ...append, ...key).changes;
    return change.errorCode
      ? this.s.status.run(change.status, change.errorCode, change.time, ...append, ...key).changes
      : this.s.statusOnly.run(change.status, change.time, ...append, ...key).changes;
  }

  private applyChange(change: StatusChange, events?: EventsAppend, dequeue = false): boolean {
    const updated = this.setStatus(change, events, dequeue);
    if (updated === 0) return false;
    if (change.callback) this.insertCallback(change.callback, change.time);
    return true;
  }

  /** Inside a group-commit batch: the callbacks channel is posted on after this turn, so after the batch's COMMIT. */
  private insertCallback(c: CallbackToSend, time: number): void {
    this.s.callback.run(c.messageId, c.accountId, c.applicationId, c.eventType, c.url, c.body, time, time, c.requestId ?? null);
    this.callbacksQueued();
  }

  recordProgress(change: StatusChange): Promise<boolean> {
    return this.writes.run(() => {
      // A status is reported once per recipient, even when a retry or a takeover passes through it again.
      const seen = this.s.reached.get(reachedMarker(change.status), change.messageId, change.destinationTn) as { reached: number } | undefined;
      if (seen?.reached) {
        this.setStatus(change, { lines: '' });
        return false;
      }
      return this.applyChange(change);
    });
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
    const key = [job.message.id, job.destinationTn] as const;
    return this.writes.run(() => {
      const owned = (this.s.holder.get(...key) as { locked_by: string | null } | undefined)?.locked_by === workerId;
      // Kept even for a duplicate submit, so that whichever receipt comes first can end the recipient;
      // settled at once when the receipt came with the submit.
      carrierMessageIds.forEach((id, part) =>
        this.s.addRef.run(carrier, id, job.message.id, job.destinationTn, time, part, carrierMessageIds.length, outcome ? 1 : 0, outcome),
      );
      // Out of the queue for the lease's holder: a worker that took the lease over submits again.
      // Whoever holds it when the outcome came with the submit: an ended recipient is never queued.
      const progressed = this.applyChange(change, events, owned || outcome !== null);
      if (!progressed) this.s.dequeue.run(...key);
      // Once it ended (before, or now), its refs await nothing.
      if (!progressed || outcome) this.s.settleRefs.run(...key);
      const receiptsWaiting = carrierMessageIds.some((id) => this.s.parkedFor.get(carrier, id) !== undefined);
      return { owned, receiptsWaiting, ended: progressed && outcome !== null };
    }, 'submit');
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
    const owner = [job.message.id, job.destinationTn, workerId] as const;
    // A QUEUED change has no callback: the write is the whole of it. A deferral was never offered
    // to the carrier: no SENDING goes with it (the submit that follows writes it).
    if (!options.attemptSpent) {
      const line = deferralLine(change);
      return this.writes.run(() => this.s.defer.run(runAt, error, job.attempts, time, DEFERRAL_TAIL, line, ...owner).changes > 0);
    }
    const append = appendParams(afterSending(options.sending, eventLine(change)));
    return this.writes.run(() => this.s.retry.run(runAt, error, time, ...append, ...owner).changes > 0);
  }

  recordTerminal(change: StatusChange, sending?: StatusChange): Promise<boolean> {
    return this.writes.run(() => {
      const applied = this.applyChange(change, afterSending(sending, eventLine(change)), true);
      // Also when it had already ended: nothing of the recipient may stay queued or await a receipt.
      if (!applied) this.s.dequeue.run(change.messageId, change.destinationTn);
      this.s.settleRefs.run(change.messageId, change.destinationTn);
      return applied;
    }, 'terminal');
  }

  /** The ref a receipt goes to, of those with any of `count` ids (receipt-match.ts); prepared once per count. */
  private refForReceipt(count: number): Database.Statement {
    let statement = this.refStatements.get(count);
    if (!statement) {
      statement = this.db.prepare(refForReceiptSql(count));
      this.refStatements.set(count, statement);
    }
    return statement;
  }

  matchReceipt(
    carrier: string,
    carrierMessageIds: readonly string[],
    outcome: 'delivered' | 'failed',
    options: { destination?: string | undefined; park?: ReceiptToPark | undefined } = {},
  ): Promise<ReceiptMatch | undefined> {
    const { destination = null, park } = options;
    // One write transaction: a submit recorded by this process cannot slip in between the lookup
    // and the parking, so a parked receipt always finds its submit through the sweep or the record.
    return this.writes.run(() => {
      const row = this.refForReceipt(carrierMessageIds.length).get(...carrierMessageIds, { carrier, destination }) as
        | (MessageRow & { ref_rowid: number; ref_settled: number; destination_tn: string; part_count: number })
        | undefined;
      if (row) {
        // A duplicate's outcome is not written over the one its ref's own receipt left.
        if (Number(row.ref_settled) === 0) this.s.setOutcome.run(outcome, row.ref_rowid);
        const partCount = Number(row.part_count);
        // A message in one part (nearly all) needs no count: this receipt is about its only part.
        const partsDelivered =
          partCount === 1
            ? Number(outcome === 'delivered')
            : Number((this.s.partsDelivered.get(row.id, row.destination_tn, carrier, partCount) as { n: number }).n);
        return { job: { message: messageFromRow(row), destinationTn: row.destination_tn, attempts: 0 }, partsDelivered, partCount };
      }
      if (park) for (const id of carrierMessageIds) this.s.park.run(carrier, id, park.receiptKey, park.receipt, park.time, destination);
      return undefined;
    });
  }

  async matchedParkedReceipts(limit: number): Promise<ParkedReceipt[]> {
    return this.s.matchedParked.all(limit) as ParkedReceipt[];
  }

  deleteParkedReceipt(carrier: string, receiptKey: string): Promise<void> {
    return this.writes.run(() => {
      this.s.deleteParked.run(carrier, receiptKey);
    });
  }

  dropParkedReceiptsBefore(time: number): Promise<number> {
    return this.writes.run(() => this.s.dropParked.run(time).changes);
  }

  pruneCarrierRefs(submittedBefore: number, limit: number): Promise<number> {
    return this.writes.run(() => {
      const ids = this.s.prunableRefs.pluck().all(submittedBefore, limit) as number[];
      for (const id of ids) this.s.deleteRef.run(id);
      return ids.length;
    });
  }

  async findAwaitingReceipt(submittedBefore: number, limit: number): Promise<DeliveryJob[]> {
    const rows = this.s.awaitingReceipt.all(submittedBefore, limit) as Array<MessageRow & { destination_tn: string }>;
    return rows.map((row) => ({ message: messageFromRow(row), destinationTn: row.destination_tn, attempts: 0 }));
  }

  acceptInbound(copies: ReadonlyArray<{ message: Message; record: MessageRecord; callback?: CallbackToSend }>): Promise<void> {
    return this.writes.run(() => {
      for (const { message, record, callback } of copies) {
        this.s.insertMessage.run(...messageParams(message));
        this.s.insertRecord.run(...recordParams(record));
        if (callback) this.insertCallback(callback, message.time);
      }
    });
  }

  async getMessage(messageId: string): Promise<Message | undefined> {
    const row = this.s.message.get(messageId) as MessageRow | undefined;
    return row && messageFromRow(row);
  }

  async carrierRefsOf(messageId: string): Promise<Array<{ carrier: string; carrierMessageId: string; destinationTn: string }>> {
    const rows = this.s.refsOfMessage.all(messageId) as Array<{ carrier: string; carrier_message_id: string; destination_tn: string }>;
    return rows.map((r) => ({ carrier: r.carrier, carrierMessageId: r.carrier_message_id, destinationTn: r.destination_tn }));
  }

  async queueEntries(messageId: string, now: number): Promise<QueueEntry[]> {
    const rows = this.s.queueOf.all(messageId) as Array<{
      destination_tn: string;
      attempts: number;
      run_at: number;
      last_error: string | null;
      locked_until: number | null;
    }>;
    return rows.map((r) => queueEntry(r, now));
  }

  async listEvents(messageId: string): Promise<MessageEvent[]> {
    return timelineOf(this.s.events.all(messageId) as EventsRow[]);
  }

  async messageDetails(messageIds: readonly string[]): Promise<MessageDetail[]> {
    // One statement per table for the whole list, as a JSON array (one prepared statement whatever its length).
    const ids = JSON.stringify(messageIds);
    // A record's row holds its events: the timeline always agrees with the status it shows.
    const records = byMessage(this.s.recordsIn.all(ids) as Array<RecordRow & EventsRow>);
    const messages = this.s.messagesIn.all(ids) as MessageRow[];
    const outbox = byMessage(this.s.callbacksIn.all(ids) as Array<CallbackRow & { message_id: string }>);
    const attempts = byMessage(this.s.attemptsIn.all(ids) as Array<AttemptRow & { message_id: string }>);
    return messages.map((row) => ({
      message: messageFromRow(row),
      records: (records.get(row.id) ?? []).map(recordFromRow),
      events: timelineOf(records.get(row.id) ?? []),
      callbacks: callbacksFromRows(outbox.get(row.id) ?? [], attempts.get(row.id) ?? []),
    }));
  }

  // Fair across endpoints, with a circuit per endpoint: sqlite-callback-outbox.ts.
  readonly claimCallbacks: DeliveryStore['claimCallbacks'] = (request) => this.outbox.claim(request);
  readonly recordCallbackAttempt: DeliveryStore['recordCallbackAttempt'] = (...args) => this.outbox.record(...args);
  readonly listEndpoints: DeliveryStore['listEndpoints'] = (now) => this.outbox.endpoints(now);

  async recentCallbackFailures(accountId: string, limit: number): Promise<CallbackFailure[]> {
    return (this.s.recentFailures.all(accountId, limit) as FailureRow[]).map(failureFromRow);
  }

  async resendCallback(messageId: string, id: number, url: string, now: number): Promise<number | undefined> {
    const result = await this.writes.run(() => this.s.resend.run(url, now, now, messageId, id));
    if (result.changes === 0) return undefined;
    this.callbacksQueued();
    return Number(result.lastInsertRowid);
  }

  async listCallbacks(messageId: string): Promise<CallbackRecord[]> {
    return callbacksFromRows(this.s.callbacksOf.all(messageId) as CallbackRow[], this.s.attemptsOf.all(messageId) as AttemptRow[]);
  }

  async getSetting(key: string): Promise<string | undefined> {
    return (this.s.getSetting.get(key) as { value: string } | undefined)?.value;
  }

  putSetting(key: string, value: string, time: number): Promise<void> {
    return this.writes.run(() => {
      this.s.putSetting.run(key, value, time);
    });
  }
}
