-- Delivery: the event timeline, carrier correlation, the callback outbox and its attempts, rate-limit
-- buckets, runtime settings, and the simulated carrier's pending receipts.

-- Every status change of every recipient, in order, so a message's timeline can be read back.
CREATE TABLE message_events (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id     TEXT NOT NULL,
  destination_tn TEXT NOT NULL,
  status         TEXT NOT NULL,
  time           INTEGER NOT NULL,
  error_code     INTEGER,
  detail         TEXT
);
CREATE INDEX message_events_message ON message_events (message_id, id);

-- Submitted recipients waiting for their delivery receipt, found again by the carrier's own id.
CREATE TABLE carrier_refs (
  carrier            TEXT NOT NULL,
  carrier_message_id TEXT NOT NULL,
  message_id         TEXT NOT NULL,
  destination_tn     TEXT NOT NULL,
  submitted_at       INTEGER NOT NULL,
  -- Set when the recipient ended; the row stays so that a late duplicate receipt is recognised, not retried.
  settled            INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (carrier, carrier_message_id)
);
CREATE INDEX carrier_refs_message ON carrier_refs (message_id, destination_tn);
CREATE INDEX carrier_refs_awaiting ON carrier_refs (settled, submitted_at);

-- Callbacks to send, written in the same transaction as the status change they report.
CREATE TABLE callback_outbox (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id       TEXT NOT NULL,
  account_id       TEXT NOT NULL,
  application_id   TEXT NOT NULL,
  event_type       TEXT NOT NULL,
  url              TEXT NOT NULL,
  body             TEXT NOT NULL,
  state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'abandoned')),
  created_at       INTEGER NOT NULL,
  run_at           INTEGER NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT,
  locked_by        TEXT,
  locked_until     INTEGER
);
CREATE INDEX callback_outbox_pending ON callback_outbox (state, id);
CREATE INDEX callback_outbox_message ON callback_outbox (message_id, id);

CREATE TABLE callback_attempts (
  outbox_id   INTEGER NOT NULL REFERENCES callback_outbox (id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,
  time        INTEGER NOT NULL,
  status_code INTEGER,
  latency_ms  INTEGER NOT NULL,
  error       TEXT,
  PRIMARY KEY (outbox_id, attempt)
);

-- Token buckets of the per-number and per-account rate limits.
CREATE TABLE rate_buckets (
  key        TEXT PRIMARY KEY,
  tokens     REAL NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Receipts the simulated carrier owes, kept like an SMSC keeps them, so that a restart delivers them late rather than never.
CREATE TABLE simulator_receipts (
  carrier_message_id TEXT PRIMARY KEY,
  due_at             INTEGER NOT NULL,
  receipt            TEXT NOT NULL
);
CREATE INDEX simulator_receipts_due ON simulator_receipts (due_at);
