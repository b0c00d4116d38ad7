-- The delivery queue becomes the state of the recipient's own row: a recipient is queued while its
-- `run_at` is set, and its lease and retries are columns beside its status. Accepting a message no
-- longer writes a queue row, and handing it to the carrier no longer deletes one: the writes that
-- change the status change the queue state too (2 of the 10 rows written per message end to end).
-- Entries queued or in flight when this runs keep their place, lease and attempts.
ALTER TABLE message_recipients ADD COLUMN priority INTEGER;            -- 0 = high, 1 = default
ALTER TABLE message_recipients ADD COLUMN queue_seq BIGINT;            -- arrival order within a millisecond
ALTER TABLE message_recipients ADD COLUMN run_at BIGINT;               -- set while queued
ALTER TABLE message_recipients ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_recipients ADD COLUMN last_error TEXT COLLATE "C";
ALTER TABLE message_recipients ADD COLUMN locked_by TEXT COLLATE "C";
ALTER TABLE message_recipients ADD COLUMN locked_until BIGINT;
UPDATE message_recipients r SET priority = q.priority, queue_seq = q.seq, run_at = q.run_at, attempts = q.attempts,
    last_error = q.last_error, locked_by = q.locked_by, locked_until = q.locked_until
  FROM delivery_queue q WHERE q.message_id = r.message_id AND q.destination_tn = r.destination_tn;
-- New rows draw from a sequence that continues the queue's (set after the column exists, so that
-- existing rows are not rewritten with values of their own).
CREATE SEQUENCE message_recipients_queue_seq;
SELECT setval('message_recipients_queue_seq', coalesce((SELECT max(seq) FROM delivery_queue), 0) + 1, false);
ALTER TABLE message_recipients ALTER COLUMN queue_seq SET DEFAULT nextval('message_recipients_queue_seq');
ALTER SEQUENCE message_recipients_queue_seq OWNED BY message_recipients.queue_seq;
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
