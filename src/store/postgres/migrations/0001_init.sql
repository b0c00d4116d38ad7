-- The SQLite schema in PostgreSQL dialect, column for column, so that the shared list query
-- (src/store/sql/message-list-query.ts) runs unchanged. Times are epoch milliseconds in BIGINT,
-- as in SQLite, rather than timestamptz: the core speaks epoch ms everywhere.
--
-- Every TEXT column is COLLATE "C": byte order, as SQLite's BINARY collation, so both engines sort
-- and page lists the same way whatever the database's default locale; a plain btree index then
-- serves `LIKE 'prefix%'` (under a locale collation it cannot); and no comparison between two
-- columns ever mixes collations, which PostgreSQL rejects.

-- Messages as accepted (outbound) or received (inbound). Text is kept: the simulated carrier and the
-- console need it, although the Bandwidth list API never returns it.
CREATE TABLE messages (
  id             TEXT COLLATE "C" PRIMARY KEY,
  account_id     TEXT COLLATE "C" NOT NULL,
  application_id TEXT COLLATE "C" NOT NULL,
  direction      TEXT COLLATE "C" NOT NULL CHECK (direction IN ('in', 'out')),
  owner          TEXT COLLATE "C" NOT NULL,
  from_tn        TEXT COLLATE "C" NOT NULL,
  to_json        TEXT COLLATE "C" NOT NULL,
  text           TEXT COLLATE "C",
  media_json     TEXT COLLATE "C",
  tag            TEXT COLLATE "C",
  priority       TEXT COLLATE "C" NOT NULL CHECK (priority IN ('default', 'high')),
  expiration     TEXT COLLATE "C",
  expires_at     BIGINT,
  segment_count  INTEGER NOT NULL,
  message_type   TEXT COLLATE "C" NOT NULL CHECK (message_type IN ('sms', 'mms')),
  created_at     BIGINT NOT NULL
);

-- One row per (message, destination number): what GET …/messages lists, with its current status.
CREATE TABLE message_recipients (
  message_id       TEXT COLLATE "C" NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  destination_tn   TEXT COLLATE "C" NOT NULL,
  account_id       TEXT COLLATE "C" NOT NULL,
  source_tn        TEXT COLLATE "C" NOT NULL,
  direction        TEXT COLLATE "C" NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND')),
  message_type     TEXT COLLATE "C" NOT NULL,
  status           TEXT COLLATE "C" NOT NULL,
  error_code       INTEGER NOT NULL DEFAULT 0,
  carrier_name     TEXT COLLATE "C",
  segment_count    INTEGER NOT NULL,
  message_size     INTEGER NOT NULL,
  message_length   INTEGER NOT NULL,
  attachment_count INTEGER NOT NULL,
  recipient_count  INTEGER NOT NULL,
  calling_a3       TEXT COLLATE "C",
  called_a3        TEXT COLLATE "C",
  product          TEXT COLLATE "C",
  campaign_class   TEXT COLLATE "C",
  campaign_id      TEXT COLLATE "C",
  location         TEXT COLLATE "C",
  bw_latency       BIGINT,
  carrier_latency  BIGINT,
  receive_time     BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  PRIMARY KEY (message_id, destination_tn)
);
CREATE INDEX message_recipients_account_time ON message_recipients (account_id, receive_time);
CREATE INDEX message_recipients_account_source ON message_recipients (account_id, source_tn);
CREATE INDEX message_recipients_account_destination ON message_recipients (account_id, destination_tn);

-- Work for the delivery workers: one entry per outbound recipient, written in the same transaction
-- as the message. The retry and lease state lives in the row so that a restart loses nothing.
CREATE TABLE delivery_queue (
  message_id     TEXT COLLATE "C" NOT NULL,
  destination_tn TEXT COLLATE "C" NOT NULL,
  account_id     TEXT COLLATE "C" NOT NULL,
  source_tn      TEXT COLLATE "C" NOT NULL,
  priority       INTEGER NOT NULL,           -- 0 = high, 1 = default: ascending order dequeues high first
  segment_count  INTEGER NOT NULL,
  enqueued_at    BIGINT NOT NULL,
  run_at         BIGINT NOT NULL,
  expires_at     BIGINT,
  attempts       INTEGER NOT NULL DEFAULT 0,
  last_error     TEXT COLLATE "C",
  locked_by      TEXT COLLATE "C",
  locked_until   BIGINT,
  -- Insertion order, to break ties between entries enqueued in the same millisecond (the recipients
  -- of one message, or messages accepted together by several API processes) deterministically.
  seq            BIGINT GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (message_id, destination_tn)
);
-- Claims walk the queue in dequeue order (priority, then arrival) and stop after a batch.
CREATE INDEX delivery_queue_order ON delivery_queue (priority, enqueued_at, seq);
CREATE INDEX delivery_queue_account ON delivery_queue (account_id);

CREATE TABLE media (
  account_id    TEXT COLLATE "C" NOT NULL,
  name          TEXT COLLATE "C" NOT NULL,   -- listed in byte order, paged with `name > after`
  content_type  TEXT COLLATE "C" NOT NULL,
  cache_control TEXT COLLATE "C",
  size          INTEGER NOT NULL,
  data          BYTEA NOT NULL,
  created_at    BIGINT NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE INDEX media_created ON media (created_at);
