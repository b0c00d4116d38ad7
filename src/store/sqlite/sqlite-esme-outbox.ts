// What is owed to applications bound over SMPP (receipts, inbound messages), in SQLite.
import type Database from 'better-sqlite3';
import type { EsmeOutboxItem, EsmeOutboxStore, EsmeSubmit } from '../../core/ports.js';
import { OUTBOX_COLUMNS, outboxItem, type OutboxRow } from '../sql/esme-outbox-rows.js';
import { sqlitePin } from '../sql/index-pin.js';
import type { GroupCommitter } from './group-commit.js';
import { prepareAll } from './prepare-all.js';

const WAITING = `esme_submits s ${sqlitePin('esme_submits', 'esme_submits_waiting')}`;
const RECIPIENTS = `message_recipients r ${sqlitePin('message_recipients')}`;
const MESSAGE = `messages m ${sqlitePin('messages')}`;

/** The statements of the ESME outbox; exported for the plan tests (test/store/hot-plans.test.ts). */
export const ESME_OUTBOX_SQL = {
  submit: `INSERT OR IGNORE INTO esme_submits (message_id, system_id, registered_delivery, part_ids, submitted_at)
    VALUES (?, ?, ?, ?, ?)`,
  // A receipt for each submit whose recipient ended; failure-only submits (2) only when it failed.
  collect: `INSERT OR IGNORE INTO esme_outbox (system_id, kind, message_id, part_ids, source_tn, destination_tn,
      status, error_code, text, submitted_at, done_at, next_attempt_at)
    SELECT s.system_id, 'receipt', s.message_id, s.part_ids, r.source_tn, r.destination_tn, r.status, r.error_code,
      coalesce(m.text, ''), s.submitted_at, r.updated_at, ?
    FROM ${WAITING} CROSS JOIN ${RECIPIENTS} CROSS JOIN ${MESSAGE}
    WHERE r.message_id = s.message_id AND m.id = s.message_id
      AND s.receipt_done = 0 AND r.status IN ('DELIVERED', 'FAILED') AND (s.registered_delivery = 1 OR r.status = 'FAILED')`,
  done: `UPDATE esme_submits ${sqlitePin('esme_submits', 'esme_submits_waiting')} SET receipt_done = 1 WHERE receipt_done = 0 AND EXISTS
    (SELECT 1 FROM ${RECIPIENTS} WHERE r.message_id = esme_submits.message_id AND r.status IN ('DELIVERED', 'FAILED'))`,
  inbound: `INSERT OR IGNORE INTO esme_outbox (system_id, kind, message_id, part_ids, source_tn, destination_tn,
      text, submitted_at, done_at, next_attempt_at)
    SELECT ?, 'inbound', m.id, '[]', r.source_tn, r.destination_tn, coalesce(m.text, ''), m.created_at, m.created_at, ?
    FROM message_recipients r ${sqlitePin('message_recipients', 'message_recipients_inbound')} CROSS JOIN ${MESSAGE}
    WHERE m.id = r.message_id AND r.account_id = ? AND r.receive_time >= ? AND r.direction = 'INBOUND' AND m.application_id = ?`,
  pending: `SELECT ${OUTBOX_COLUMNS} FROM esme_outbox ${sqlitePin('esme_outbox', 'esme_outbox_pending')}
    WHERE system_id = ? AND delivered_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
  delivered: 'UPDATE esme_outbox SET delivered_at = ? WHERE id = ?',
  retry: 'UPDATE esme_outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?',
  purgeOutbox: 'DELETE FROM esme_outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?',
  purgeSubmits: 'DELETE FROM esme_submits WHERE submitted_at < ?',
  backlog: 'SELECT system_id, count(*) AS n FROM esme_outbox WHERE delivered_at IS NULL GROUP BY system_id',
};

export class SqliteEsmeOutbox implements EsmeOutboxStore {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {
    this.s = prepareAll(db, ESME_OUTBOX_SQL);
  }

  recordSubmit(submit: EsmeSubmit): Promise<void> {
    return this.writes.run(() => {
      this.s.submit.run(submit.messageId, submit.systemId, submit.registeredDelivery, JSON.stringify(submit.partIds), submit.submittedAt);
    });
  }

  collectReceipts(now: number): Promise<number> {
    return this.writes.run(() => {
      const added = this.s.collect.run(now).changes;
      this.s.done.run();
      return added;
    });
  }

  collectInbound(accountId: string, applicationId: string, systemIds: readonly string[], since: number, now: number): Promise<number> {
    return this.writes.run(() => {
      let added = 0;
      for (const systemId of systemIds) added += this.s.inbound.run(systemId, now, accountId, since, applicationId).changes;
      return added;
    });
  }

  async pending(systemId: string, now: number, limit: number, exclude: ReadonlySet<number>): Promise<EsmeOutboxItem[]> {
    const rows = this.s.pending.all(systemId, now, limit + exclude.size) as OutboxRow[];
    return rows.map(outboxItem).filter((item) => !exclude.has(item.id)).slice(0, limit);
  }

  markDelivered(id: number, time: number): Promise<void> {
    return this.writes.run(() => {
      this.s.delivered.run(time, id);
    });
  }

  markRetry(id: number, nextAttemptAt: number): Promise<void> {
    return this.writes.run(() => {
      this.s.retry.run(nextAttemptAt, id);
    });
  }

  async backlog(): Promise<Record<string, number>> {
    const rows = this.s.backlog.all() as Array<{ system_id: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.system_id, Number(r.n)]));
  }

  purge(deliveredBefore: number, submittedBefore: number): Promise<number> {
    return this.writes.run(() => this.s.purgeOutbox.run(deliveredBefore).changes + this.s.purgeSubmits.run(submittedBefore).changes);
  }
}
