// The statistics a planner may hold about the work tables, as states a test can put a database in:
// none, taken on empty tables, on the first message in flight, on millions of rows, and stale
// either way. The rows are written with SQL both engines run (a recursive CTE counts them out).

/** The tables the hot path reads and writes, whose size swings from nothing to a whole burst. */
export const WORK_TABLES = [
  'messages',
  'message_recipients',
  'carrier_refs',
  'parked_receipts',
  'callback_outbox',
  'callback_attempts',
  'simulator_receipts',
  'esme_submits',
  'esme_outbox',
] as const;

/** Statements that add `count` messages numbered from `from`, each at one stage of its way. */
export function seedRows(from: number, count: number): string[] {
  const n = `WITH RECURSIVE n (i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${from + count - 1})`;
  // As in a burst: most of the queue waits (free), a tenth is in flight, a few leases ran out; half
  // the recipients have ended; a few receipts are parked, a few callbacks in flight, a few ESME
  // receipts owed.
  return [
    `${n} INSERT INTO messages (id, account_id, application_id, direction, owner, from_tn, to_json, priority,
      segment_count, message_type, created_at) SELECT 'm' || i, 'acc', 'app', 'out', '+15550000001', '+15550000001',
      '["+15550000002"]', 'default', 1, 'sms', 1000 + i FROM n`,
    `${n} INSERT INTO message_recipients (message_id, destination_tn, account_id, source_tn, direction, message_type,
      status, segment_count, message_size, message_length, attachment_count, recipient_count, receive_time, updated_at, events,
      priority, queue_seq, run_at, locked_by, locked_until)
      SELECT 'm' || i, '+15550000002', 'acc', '+15550000001', 'OUTBOUND', 'sms',
      CASE WHEN i % 2 = 0 THEN 'DELIVERED' ELSE 'SENT' END, 1, 5, 5, 0, 1, 1000 + i, 1000 + i,
      '{"s":"SENT","t":' || (1000 + i) || ',"e":null,"d":null}\n', 1, i, 1000 + i,
      CASE WHEN i % 10 = 0 THEN 'w' END,
      CASE WHEN i % 100 = 10 THEN 1 WHEN i % 10 = 0 THEN 9000000000000 END FROM n`,
    `${n} INSERT INTO carrier_refs (carrier, carrier_message_id, message_id, destination_tn, submitted_at, settled)
      SELECT 'simulator', 'c' || i, 'm' || i, '+15550000002', 1000 + i, CASE WHEN i % 2 = 0 THEN 1 ELSE 0 END FROM n`,
    `${n} INSERT INTO parked_receipts (carrier, carrier_message_id, receipt_key, receipt, parked_at)
      SELECT 'simulator', 'p' || i, 'k' || i, '{}', 1000 + i FROM n WHERE i % 50 = 1`,
    `${n} INSERT INTO callback_outbox (message_id, account_id, application_id, event_type, url, body, state, created_at,
      run_at, locked_by, locked_until) SELECT 'm' || i, 'acc', 'app', 'message-delivered', 'http://127.0.0.1:9/cb', '{}',
      CASE WHEN i % 3 = 0 THEN 'pending' ELSE 'delivered' END, 1000 + i, 1000 + i,
      CASE WHEN i % 100 = 0 THEN 'w' END, CASE WHEN i % 100 = 0 THEN 9000000000000 END FROM n`,
    `${n} INSERT INTO simulator_receipts (carrier_message_id, due_at, receipt) SELECT 'c' || i, 1000 + i, '{}' FROM n WHERE i % 2 = 1`,
    `${n} INSERT INTO esme_submits (message_id, system_id, registered_delivery, part_ids, submitted_at, receipt_done)
      SELECT 'm' || i, 'esme', 1, '[]', 1000 + i, CASE WHEN i % 40 = 1 THEN 0 ELSE 1 END FROM n`,
    `${n} INSERT INTO esme_outbox (system_id, kind, message_id, part_ids, source_tn, destination_tn, text, submitted_at,
      done_at, next_attempt_at, delivered_at) SELECT 'esme', 'receipt', 'm' || i, '[]', '+15550000001', '+15550000002', 'x',
      1000 + i, 1000 + i, 1000 + i, CASE WHEN i % 40 = 1 THEN NULL ELSE 1000 + i END FROM n`,
  ];
}

export function emptyTables(): string[] {
  return [...WORK_TABLES].reverse().map((table) => `DELETE FROM ${table}`);
}
