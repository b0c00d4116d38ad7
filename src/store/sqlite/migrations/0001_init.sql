-- Messages as accepted (outbound) or received (inbound). Text is kept: the simulated carrier and the
-- console need it, although the Bandwidth list API never returns it.
CREATE TABLE messages (
  id             TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL,
  application_id TEXT NOT NULL,
  direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  owner          TEXT NOT NULL,
  from_tn        TEXT NOT NULL,
  to_json        TEXT NOT NULL,
  text           TEXT,
  media_json     TEXT,
  tag            TEXT,
  priority       TEXT NOT NULL CHECK (priority IN ('default', 'high')),
  expiration     TEXT,
  expires_at     INTEGER,
  segment_count  INTEGER NOT NULL,
  message_type   TEXT NOT NULL CHECK (message_type IN ('sms', 'mms')),
  created_at     INTEGER NOT NULL
);

-- One row per (message, destination number): what GET …/messages lists, with its current status.
CREATE TABLE message_recipients (
  message_id       TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  destination_tn   TEXT NOT NULL,
  account_id       TEXT NOT NULL,
  source_tn        TEXT NOT NULL,
  direction        TEXT NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND')),
  message_type     TEXT NOT NULL,
  status           TEXT NOT NULL,
  error_code       INTEGER NOT NULL DEFAULT 0,
  carrier_name     TEXT,
  segment_count    INTEGER NOT NULL,
  message_size     INTEGER NOT NULL,
  message_length   INTEGER NOT NULL,
  attachment_count INTEGER NOT NULL,
  recipient_count  INTEGER NOT NULL,
  calling_a3       TEXT,
  called_a3        TEXT,
  product          TEXT,
  campaign_class   TEXT,
  campaign_id      TEXT,
  location         TEXT,
  bw_latency       INTEGER,
  carrier_latency  INTEGER,
  receive_time     INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (message_id, destination_tn)
) WITHOUT ROWID;
CREATE INDEX message_recipients_account_time ON message_recipients (account_id, receive_time);
CREATE INDEX message_recipients_account_source ON message_recipients (account_id, source_tn);
CREATE INDEX message_recipients_account_destination ON message_recipients (account_id, destination_tn);

-- Work for the delivery workers: one entry per outbound recipient, written in the same transaction
-- as the message. The retry and lease state lives in the row so that a restart loses nothing.
CREATE TABLE delivery_queue (
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
  locked_until   INTEGER,
  PRIMARY KEY (message_id, destination_tn)
) WITHOUT ROWID;
-- Claims walk the queue in dequeue order (priority, then arrival) and stop after a batch.
CREATE INDEX delivery_queue_order ON delivery_queue (priority, enqueued_at);
CREATE INDEX delivery_queue_account ON delivery_queue (account_id);

CREATE TABLE media (
  account_id    TEXT NOT NULL,
  name          TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  cache_control TEXT,
  size          INTEGER NOT NULL,
  data          BLOB NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE INDEX media_created ON media (created_at);
