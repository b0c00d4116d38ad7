// The part of a delivery claim both engines share: which queue entries are candidates, in dequeue
// order (priority, then arrival), and how a candidate row becomes a claim candidate and a job. What
// is taken of them is decided by the core (core/delivery/claim-plan.ts).
import type { ClaimCandidate } from '../../core/delivery/claim-plan.js';
import type { DeliveryJob } from '../../core/ports.js';
import { messageFromRow, type MessageRow } from './rows.js';

type Int = number | string;

export type QueueRow = MessageRow & {
  destination_tn: string;
  queue_account_id: string;
  source_tn: string;
  q_segment_count: Int;
  attempts: Int;
};

/**
 * Due, unleased entries in dequeue order, at most `scan` of them; `now` and `scan` are the engine's
 * placeholders. Arrival is the acceptance time, then `seq`, the order entries were written in, so
 * that entries accepted in the same millisecond (the recipients of one message among them) do not
 * fall back on the order of their message ids, whose suffix is random.
 */
export function candidatesQuery(now: string, scan: string): string {
  return `SELECT m.*, q.destination_tn, q.account_id AS queue_account_id, q.source_tn,
      q.segment_count AS q_segment_count, q.attempts
    FROM delivery_queue q JOIN messages m ON m.id = q.message_id
    WHERE q.run_at <= ${now} AND (q.locked_until IS NULL OR q.locked_until < ${now})
    ORDER BY q.priority, q.enqueued_at, q.seq
    LIMIT ${scan}`;
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
