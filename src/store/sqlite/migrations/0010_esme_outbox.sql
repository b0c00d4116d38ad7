-- Applications bound to Pigeon over SMPP (src/smpp-server). esme_submits remembers the submits
-- that asked for a receipt (registered_delivery), written once the message is durable and before
-- submit_sm_resp; part_ids are the ids submit_sm_resp gave (a JSON array), which the receipts carry.
-- A long message has a row per part that asked for a receipt (Kannel asks on the first part only).
CREATE TABLE esme_submits (
  message_id          TEXT NOT NULL,
  system_id           TEXT NOT NULL,
  registered_delivery INTEGER NOT NULL,
  part_ids            TEXT NOT NULL,
  submitted_at        INTEGER NOT NULL,
  receipt_done        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (message_id, part_ids)
);
CREATE INDEX esme_submits_waiting ON esme_submits (message_id) WHERE receipt_done = 0;

-- What is owed to an SMPP user: receipts and inbound messages, kept until its deliver_sm_resp. One
-- row per (user, kind, message, receipted ids), so a scan that finds the same thing twice adds nothing.
CREATE TABLE esme_outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  system_id       TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('receipt', 'inbound')),
  message_id      TEXT NOT NULL,
  part_ids        TEXT NOT NULL,
  source_tn       TEXT NOT NULL,
  destination_tn  TEXT NOT NULL,
  status          TEXT,
  error_code      INTEGER NOT NULL DEFAULT 0,
  text            TEXT NOT NULL,
  submitted_at    INTEGER NOT NULL,
  done_at         INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  delivered_at    INTEGER,
  UNIQUE (system_id, kind, message_id, part_ids)
);
CREATE INDEX esme_outbox_pending ON esme_outbox (system_id, id) WHERE delivered_at IS NULL;

-- The inbound scan reads inbound recipients of an account since a time; outbound ones (most rows)
-- are left out of this index.
CREATE INDEX message_recipients_inbound ON message_recipients (account_id, receive_time) WHERE direction = 'INBOUND';
