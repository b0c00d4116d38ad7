// What is owed to applications bound over SMPP (receipts, inbound messages), in PostgreSQL.
import type { Pool } from 'pg';
import type { EsmeOutboxItem, EsmeOutboxStore, EsmeSubmit } from '../../core/ports.js';
import { OUTBOX_COLUMNS, outboxItem, type OutboxRow } from '../sql/esme-outbox-rows.js';
import { runIndexed } from './hot-settings.js';
import { named, run } from './statements.js';
import { inTransaction } from './transaction.js';

const SUBMIT = named(`INSERT INTO esme_submits (message_id, system_id, registered_delivery, part_ids, submitted_at)
  VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`);
// A receipt for each submit whose recipient ended; failure-only submits (2) only when it failed.
// FOR UPDATE OF s SKIP LOCKED: two processes collecting at once take different submits.
const COLLECT = named(`WITH ended AS (
    SELECT s.message_id, s.system_id, s.part_ids, s.registered_delivery, s.submitted_at, r.source_tn, r.destination_tn,
      r.status, r.error_code, r.updated_at, coalesce(m.text, '') AS text
    FROM esme_submits s JOIN message_recipients r ON r.message_id = s.message_id JOIN messages m ON m.id = s.message_id
    WHERE s.receipt_done = 0 AND r.status IN ('DELIVERED', 'FAILED')
    FOR UPDATE OF s SKIP LOCKED),
  marked AS (UPDATE esme_submits SET receipt_done = 1 WHERE message_id IN (SELECT message_id FROM ended)),
  added AS (INSERT INTO esme_outbox (system_id, kind, message_id, part_ids, source_tn, destination_tn, status, error_code,
      text, submitted_at, done_at, next_attempt_at)
    SELECT system_id, 'receipt', message_id, part_ids, source_tn, destination_tn, status, error_code, text, submitted_at,
      updated_at, $1 FROM ended WHERE registered_delivery = 1 OR status = 'FAILED'
    ON CONFLICT DO NOTHING RETURNING 1)
  SELECT count(*) AS n FROM added`);
const INBOUND = named(`WITH added AS (INSERT INTO esme_outbox (system_id, kind, message_id, part_ids, source_tn, destination_tn,
      text, submitted_at, done_at, next_attempt_at)
    SELECT $1, 'inbound', m.id, '[]', r.source_tn, r.destination_tn, coalesce(m.text, ''), m.created_at, m.created_at, $2
    FROM message_recipients r JOIN messages m ON m.id = r.message_id
    WHERE r.account_id = $3 AND r.receive_time >= $4 AND r.direction = 'INBOUND' AND m.application_id = $5
    ON CONFLICT DO NOTHING RETURNING 1)
  SELECT count(*) AS n FROM added`);
const PENDING = named(`SELECT ${OUTBOX_COLUMNS} FROM esme_outbox
  WHERE system_id = $1 AND delivered_at IS NULL AND next_attempt_at <= $2 AND NOT (id = ANY($3::bigint[])) ORDER BY id LIMIT $4`);
const DELIVERED = named('UPDATE esme_outbox SET delivered_at = $1 WHERE id = $2');
const RETRY = named('UPDATE esme_outbox SET attempts = attempts + 1, next_attempt_at = $1 WHERE id = $2');
const PURGE = named(`WITH a AS (DELETE FROM esme_outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1 RETURNING 1),
  b AS (DELETE FROM esme_submits WHERE submitted_at < $2 RETURNING 1)
  SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) AS n`);
const BACKLOG = named('SELECT system_id, count(*) AS n FROM esme_outbox WHERE delivered_at IS NULL GROUP BY system_id');

export class PostgresEsmeOutbox implements EsmeOutboxStore {
  constructor(private readonly pool: Pool) {}

  async recordSubmit(submit: EsmeSubmit): Promise<void> {
    await run(this.pool, SUBMIT, [submit.messageId, submit.systemId, submit.registeredDelivery, JSON.stringify(submit.partIds), submit.submittedAt]);
  }

  async collectReceipts(now: number): Promise<number> {
    const { rows } = await runIndexed<{ n: number }>(this.pool, COLLECT, [now]);
    return Number(rows[0]?.n ?? 0);
  }

  collectInbound(accountId: string, applicationId: string, systemIds: readonly string[], since: number, now: number): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      let added = 0;
      for (const systemId of systemIds) {
        const { rows } = await run<{ n: number }>(client, INBOUND, [systemId, now, accountId, since, applicationId]);
        added += Number(rows[0]?.n ?? 0);
      }
      return added;
    });
  }

  async pending(systemId: string, now: number, limit: number, exclude: ReadonlySet<number>): Promise<EsmeOutboxItem[]> {
    const { rows } = await runIndexed<OutboxRow>(this.pool, PENDING, [systemId, now, [...exclude], limit]);
    return rows.map(outboxItem);
  }

  async markDelivered(id: number, time: number): Promise<void> {
    await run(this.pool, DELIVERED, [time, id]);
  }

  async markRetry(id: number, nextAttemptAt: number): Promise<void> {
    await run(this.pool, RETRY, [nextAttemptAt, id]);
  }

  async backlog(): Promise<Record<string, number>> {
    const { rows } = await run<{ system_id: string; n: number }>(this.pool, BACKLOG);
    return Object.fromEntries(rows.map((r) => [r.system_id, Number(r.n)]));
  }

  async purge(deliveredBefore: number, submittedBefore: number): Promise<number> {
    const { rows } = await run<{ n: number }>(this.pool, PURGE, [deliveredBefore, submittedBefore]);
    return Number(rows[0]?.n ?? 0);
  }
}
