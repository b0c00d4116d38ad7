-- Queue entries get an arrival order, and callbacks the time of their first attempt.

-- Entries accepted in the same millisecond were ordered by their message id, whose suffix is random,
-- so two messages of one sender could leave in the opposite order to their acceptance. `seq` breaks
-- those ties, as it does in PostgreSQL. It is the rowid: SQLite gives a new row one more than the
-- largest rowid in the table, so every entry comes after all entries still queued, which is all the
-- claim's order needs (AUTOINCREMENT would also keep ids of deleted rows from coming back, at the
-- cost of a write to sqlite_sequence per insert). A WITHOUT ROWID table cannot get a rowid in place,
-- hence the copy.
CREATE TABLE delivery_queue_new (
  seq            INTEGER PRIMARY KEY,
  message_id     TEXT NOT NULL,
  destination_tn TEXT NOT NULL,
  account_id     TEXT NOT NULL,
  source_tn      TEXT NOT NULL,
  priority       INTEGER NOT NULL,           -- 0 = high, 1 = default: ascending order dequeues high first
  segment_count  INTEGER NOT NULL,
  enqueued_at    INTEGER NOT NULL,
  run_at         INTEGER NOT NULL,
  expires_at     INTEGER,
  attempts       INTEGER NOT NULL DEFAULT 0,
  last_error     TEXT,
  locked_by      TEXT,
  locked_until   INTEGER
);
-- Entries queued before this migration keep the order they had.
INSERT INTO delivery_queue_new (message_id, destination_tn, account_id, source_tn, priority, segment_count, enqueued_at,
    run_at, expires_at, attempts, last_error, locked_by, locked_until)
  SELECT message_id, destination_tn, account_id, source_tn, priority, segment_count, enqueued_at,
    run_at, expires_at, attempts, last_error, locked_by, locked_until
  FROM delivery_queue ORDER BY enqueued_at, message_id, destination_tn;
DROP TABLE delivery_queue;
ALTER TABLE delivery_queue_new RENAME TO delivery_queue;
CREATE UNIQUE INDEX delivery_queue_recipient ON delivery_queue (message_id, destination_tn);
-- Claims walk the queue in dequeue order (priority, then arrival) and stop after a batch.
CREATE INDEX delivery_queue_order ON delivery_queue (priority, enqueued_at, seq);
CREATE INDEX delivery_queue_account ON delivery_queue (account_id);

-- The retry window runs from the first attempt (reference e.1), not from when the callback was
-- written: a callback waiting behind earlier ones of its message must not use it up meanwhile.
ALTER TABLE callback_outbox ADD COLUMN first_attempt_at INTEGER;
UPDATE callback_outbox SET first_attempt_at = (SELECT min(a.time) FROM callback_attempts a WHERE a.outbox_id = callback_outbox.id)
  WHERE state = 'pending';
