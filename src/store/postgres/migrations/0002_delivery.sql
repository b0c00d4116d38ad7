-- Delivery: the event timeline, carrier correlation, the callback outbox and its attempts, rate-limit
-- buckets, runtime settings, and the simulated carrier's pending receipts.

-- Every status change of every recipient, in order, so a message's timeline can be read back.
CREATE TABLE message_events (
  id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id     TEXT COLLATE "C" NOT NULL,
  destination_tn TEXT COLLATE "C" NOT NULL,
  status         TEXT COLLATE "C" NOT NULL,
  time           BIGINT NOT NULL,
  error_code     INTEGER,
  detail         TEXT COLLATE "C"
);
CREATE INDEX message_events_message ON message_events (message_id, id);
-- recordProgress asks "has this recipient reached this status before?".
CREATE INDEX message_events_recipient_status ON message_events (message_id, destination_tn, status);

-- Submitted recipients waiting for their delivery receipt, found again by the carrier's own id.
CREATE TABLE carrier_refs (
  carrier            TEXT COLLATE "C" NOT NULL,
  carrier_message_id TEXT COLLATE "C" NOT NULL,
  message_id         TEXT COLLATE "C" NOT NULL,
  destination_tn     TEXT COLLATE "C" NOT NULL,
  submitted_at       BIGINT NOT NULL,
  -- Set when the recipient ended; the row stays so that a late duplicate receipt is recognised, not retried.
  settled            INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (carrier, carrier_message_id)
);
CREATE INDEX carrier_refs_message ON carrier_refs (message_id, destination_tn);
-- Settled refs are the vast majority and are never scanned by the receipt sweeper.
CREATE INDEX carrier_refs_awaiting ON carrier_refs (submitted_at) WHERE settled = 0;

-- Callbacks to send, written in the same transaction as the status change they report.
CREATE TABLE callback_outbox (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id       TEXT COLLATE "C" NOT NULL,
  account_id       TEXT COLLATE "C" NOT NULL,
  application_id   TEXT COLLATE "C" NOT NULL,
  event_type       TEXT COLLATE "C" NOT NULL,
  url              TEXT COLLATE "C" NOT NULL,
  body             TEXT COLLATE "C" NOT NULL,
  state            TEXT COLLATE "C" NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'abandoned')),
  created_at       BIGINT NOT NULL,
  run_at           BIGINT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT COLLATE "C",
  locked_by        TEXT COLLATE "C",
  locked_until     BIGINT
);
-- The claim scans pending callbacks in id order and, per candidate, looks for an earlier pending
-- one of the same message; both stay small however many delivered callbacks accumulate.
CREATE INDEX callback_outbox_pending ON callback_outbox (id) WHERE state = 'pending';
CREATE INDEX callback_outbox_pending_message ON callback_outbox (message_id, id) WHERE state = 'pending';
CREATE INDEX callback_outbox_message ON callback_outbox (message_id, id);

CREATE TABLE callback_attempts (
  outbox_id   BIGINT NOT NULL REFERENCES callback_outbox (id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,
  time        BIGINT NOT NULL,
  status_code INTEGER,
  latency_ms  BIGINT NOT NULL,
  error       TEXT COLLATE "C",
  PRIMARY KEY (outbox_id, attempt)
);

-- Token buckets of the per-number and per-account rate limits, shared by every process: a claim
-- locks the rows it uses (SELECT … FOR UPDATE) for the length of its transaction.
CREATE TABLE rate_buckets (
  key        TEXT COLLATE "C" PRIMARY KEY,
  tokens     DOUBLE PRECISION NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE settings (
  key        TEXT COLLATE "C" PRIMARY KEY,
  value      TEXT COLLATE "C" NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Receipts the simulated carrier owes, kept like an SMSC keeps them, so that a restart delivers them late rather than never.
CREATE TABLE simulator_receipts (
  carrier_message_id TEXT COLLATE "C" PRIMARY KEY,
  due_at             BIGINT NOT NULL,
  receipt            TEXT COLLATE "C" NOT NULL,
  -- Several processes may run the simulator against one database: a process that takes a due
  -- receipt leases it until then, and the row stays until the receipt is recorded (deleted) or
  -- rescheduled, so a process that dies mid-way leaves it to be taken again when the lease ends.
  locked_until       BIGINT
);
CREATE INDEX simulator_receipts_due ON simulator_receipts (due_at);
