-- An SMSC's message id names a submit only while that submit waits for its receipt: a counter that
-- restarts with the SMSC, or a short id that wraps, gives an id again. Keyed by (carrier, id) alone,
-- the second submit's ref was dropped and its receipt went to the first, settled message. A ref is
-- now one part of one recipient's submit under an id; which of several takes a receipt is decided
-- in store/sql/receipt-match.ts. SQLite cannot change a primary key: the table is rebuilt.
CREATE TABLE carrier_refs_new (
  carrier            TEXT NOT NULL,
  carrier_message_id TEXT NOT NULL,
  message_id         TEXT NOT NULL,
  destination_tn     TEXT NOT NULL,
  submitted_at       INTEGER NOT NULL,
  -- Set when the recipient ended; the row stays (until pruned) so that a late duplicate receipt is recognised, not retried.
  settled            INTEGER NOT NULL DEFAULT 0,
  part_index         INTEGER NOT NULL DEFAULT 0,
  part_count         INTEGER NOT NULL DEFAULT 1,
  outcome            TEXT,
  PRIMARY KEY (carrier, carrier_message_id, message_id, destination_tn, part_index)
);
INSERT INTO carrier_refs_new (carrier, carrier_message_id, message_id, destination_tn, submitted_at, settled, part_index,
    part_count, outcome)
  SELECT carrier, carrier_message_id, message_id, destination_tn, submitted_at, settled, part_index, part_count, outcome
  FROM carrier_refs;
DROP TABLE carrier_refs;
ALTER TABLE carrier_refs_new RENAME TO carrier_refs;
CREATE INDEX carrier_refs_message ON carrier_refs (message_id, destination_tn);
-- The receipt timeout's sweep (settled = 0) and the pruning of old refs (settled = 1) by age.
CREATE INDEX carrier_refs_awaiting ON carrier_refs (settled, submitted_at);

-- The handset a parked receipt names, if any: it decides which ref may take it (receipt-match.ts).
ALTER TABLE parked_receipts ADD COLUMN destination_tn TEXT;
