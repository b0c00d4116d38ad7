// The simulated carrier's pending receipts in PostgreSQL. With several processes on one database
// each runs a simulator, so a due receipt is leased to the one that takes it: the row stays until
// the receipt has been recorded (deleteReceipt) or rescheduled (scheduleReceipt), and a process
// that dies in between leaves it to be taken again once the lease runs out.
import type { Pool } from 'pg';
import type { ReceiptOwner, SimulatorStore } from '../../core/ports.js';
import type { Combined, PostgresGroupCommitter } from './group-commit.js';
import { runIndexed } from './hot-settings.js';
import { named, run } from './statements.js';

/**
 * Without an owner's own lease (ReceiptOwner.leaseMs, the config's `simulator.receiptLeaseSeconds`):
 * far longer than recording a batch of receipts takes; short enough that a crash delays little.
 */
const RECEIPT_LEASE_MS = 30_000;

type DueReceipt = { carrierMessageId: string; dueAt: number; receipt: string };

// One statement: the CTE picks and row-locks due, unleased receipts, skipping rows another process
// is leasing at this very moment (SKIP LOCKED), and the UPDATE leases them. After the commit the
// lease itself keeps the others away. $4 is the taker's id prefix: another process's receipts are
// left to it until due before $5 (ReceiptOwner in core/ports.ts).
const TAKE_DUE = named(`WITH due AS (
    SELECT carrier_message_id FROM simulator_receipts
    WHERE due_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
      AND (starts_with(carrier_message_id, $4) OR due_at <= $5)
    ORDER BY due_at LIMIT $2
    FOR UPDATE SKIP LOCKED)
  UPDATE simulator_receipts s SET locked_until = $3
  FROM due WHERE s.carrier_message_id = due.carrier_message_id
  RETURNING s.carrier_message_id, s.due_at, s.receipt`);
/**
 * The schedules of one group commit, one statement; of two schedules of one id the later wins, as
 * one after the other would. A reschedule (the receipt was refused and is retried later) also ends
 * the current lease.
 */
const SCHEDULE_MANY = named(`INSERT INTO simulator_receipts (carrier_message_id, due_at, receipt)
  SELECT DISTINCT ON (s.id) s.id, s.due_at, s.receipt
  FROM unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS s (id, due_at, receipt, ord)
  ORDER BY s.id, s.ord DESC
  ON CONFLICT (carrier_message_id) DO UPDATE SET due_at = excluded.due_at, receipt = excluded.receipt,
    locked_until = NULL`);
// A leased receipt is not due again before its lease ends, nor another process's before it is $2
// overdue; reporting its due_at would make the simulator poll for it in a loop meanwhile.
const NEXT_DUE = named(`SELECT min(GREATEST(CASE WHEN starts_with(carrier_message_id, $1) THEN due_at ELSE due_at + $2 END,
    COALESCE(locked_until + 1, 0))) AS due_at FROM simulator_receipts`);
const DELETE = named('DELETE FROM simulator_receipts WHERE carrier_message_id = ANY($1::text[])');

type Schedule = { carrierMessageId: string; dueAt: number; receipt: string };

// The simulator's writes of one group commit go as one statement each (group-commit.ts, runCombined).
const SCHEDULES: Combined<Schedule> = {
  kind: 'simulator schedule',
  execute: async (client, inputs) => {
    await run(client, SCHEDULE_MANY, [inputs.map((i) => i.carrierMessageId), inputs.map((i) => i.dueAt), inputs.map((i) => i.receipt)]);
  },
};
const DELETES: Combined<string> = {
  kind: 'simulator delete',
  execute: async (client, ids) => {
    await run(client, DELETE, [[...ids]]);
  },
};

export class PostgresSimulator implements SimulatorStore {
  constructor(
    private readonly pool: Pool,
    /** Where schedules and deletions are written, batched with the workers' other writes (group-commit.ts). */
    private readonly batch: PostgresGroupCommitter,
  ) {}

  async scheduleReceipt(carrierMessageId: string, dueAt: number, receipt: string): Promise<void> {
    await this.batch.runCombined(`4|${carrierMessageId}`, SCHEDULES, { carrierMessageId, dueAt, receipt });
  }

  async dueReceipts(now: number, limit: number, owner?: ReceiptOwner): Promise<DueReceipt[]> {
    const { rows } = await runIndexed<{ carrier_message_id: string; due_at: number | string; receipt: string }>(this.pool, TAKE_DUE, [
      now,
      limit,
      now + (owner?.leaseMs ?? RECEIPT_LEASE_MS),
      owner?.idPrefix ?? '',
      now - (owner?.othersAfterMs ?? 0),
    ]);
    // RETURNING has no defined order.
    return rows
      .map((r) => ({ carrierMessageId: r.carrier_message_id, dueAt: Number(r.due_at), receipt: r.receipt }))
      .sort((a, b) => a.dueAt - b.dueAt);
  }

  async nextReceiptDueAt(owner?: ReceiptOwner): Promise<number | undefined> {
    const { rows } = await run<{ due_at: number | string | null }>(this.pool, NEXT_DUE, [owner?.idPrefix ?? '', owner?.othersAfterMs ?? 0]);
    const dueAt = rows[0]?.due_at;
    return dueAt === null || dueAt === undefined ? undefined : Number(dueAt);
  }

  async deleteReceipt(carrierMessageId: string): Promise<void> {
    await this.batch.runCombined(`4|${carrierMessageId}`, DELETES, carrierMessageId);
  }
}
