-- The delivery queue becomes the state of the recipient's own row: a recipient is queued while its
-- `run_at` is set, and its lease and retries are columns beside its status. Accepting a message no
-- longer writes a queue row, and handing it to the carrier no longer deletes one: the writes that
-- change the status change the queue state too (2 of the 10 rows written per message end to end).
-- Entries queued or in flight when this runs keep their place, lease and attempts.
ALTER TABLE message_recipients ADD COLUMN priority INTEGER;            -- 0 = high, 1 = default
ALTER TABLE message_recipients ADD COLUMN queue_seq INTEGER;           -- arrival order within a millisecond
ALTER TABLE message_recipients ADD COLUMN run_at INTEGER;              -- set while queued
ALTER TABLE message_recipients ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_recipients ADD COLUMN last_error TEXT;
ALTER TABLE message_recipients ADD COLUMN locked_by TEXT;
ALTER TABLE message_recipients ADD COLUMN locked_until INTEGER;
UPDATE message_recipients SET (priority, queue_seq, run_at, attempts, last_error, locked_by, locked_until) = (
    SELECT q.priority, q.seq, q.run_at, q.attempts, q.last_error, q.locked_by, q.locked_until FROM delivery_queue q
    WHERE q.message_id = message_recipients.message_id AND q.destination_tn = message_recipients.destination_tn)
  WHERE EXISTS (SELECT 1 FROM delivery_queue q
    WHERE q.message_id = message_recipients.message_id AND q.destination_tn = message_recipients.destination_tn);
DROP TABLE delivery_queue;

-- As the queue's own indexes were (0004): free entries in claim order, leases by their end, and the
-- queued recipients of an account; each holds queued rows only, so delivered history costs them nothing.
CREATE INDEX message_recipients_ready ON message_recipients (priority, receive_time, queue_seq)
  WHERE run_at IS NOT NULL AND locked_by IS NULL;
CREATE INDEX message_recipients_leased ON message_recipients (locked_until) WHERE run_at IS NOT NULL AND locked_by IS NOT NULL;
CREATE INDEX message_recipients_queued ON message_recipients (account_id, receive_time) WHERE run_at IS NOT NULL;

-- What the queue table showed, for operators' queries and monitoring.
CREATE VIEW delivery_queue AS
  SELECT r.queue_seq AS seq, r.message_id, r.destination_tn, r.account_id, r.source_tn, r.priority, r.segment_count,
    r.receive_time AS enqueued_at, r.run_at, m.expires_at, r.attempts, r.last_error, r.locked_by, r.locked_until
  FROM message_recipients r JOIN messages m ON m.id = r.message_id
  WHERE r.run_at IS NOT NULL;
