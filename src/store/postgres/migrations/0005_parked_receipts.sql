-- Receipts that overtake their submit, and messages sent in several parts.
--
-- A carrier may report a receipt before Pigeon has recorded the submit it belongs to (the submit
-- response and the receipt travel separately, and the recording worker may be slow or dead).
-- Such a receipt is parked here, durably, so that the carrier can be told it was taken, and it is
-- applied when the submit is recorded. One row per id it may be known by (an SMSC may give the id
-- in hex in one PDU and in decimal in the other); `receipt_key` ties the rows of one receipt.
CREATE TABLE parked_receipts (
  carrier            TEXT COLLATE "C" NOT NULL,
  carrier_message_id TEXT COLLATE "C" NOT NULL,
  receipt_key        TEXT COLLATE "C" NOT NULL,
  receipt            TEXT NOT NULL,
  parked_at          BIGINT NOT NULL,
  PRIMARY KEY (carrier, carrier_message_id, receipt_key)
);
CREATE INDEX parked_receipts_key ON parked_receipts (carrier, receipt_key);
CREATE INDEX parked_receipts_age ON parked_receipts (parked_at);

-- A long SMS goes to an SMSC as several submits, each with its own carrier id. The recipient is
-- delivered once every part is, failed once any part fails: each ref knows its part and keeps
-- what its own receipt said ('delivered' or 'failed').
ALTER TABLE carrier_refs ADD COLUMN part_index INTEGER NOT NULL DEFAULT 0;
ALTER TABLE carrier_refs ADD COLUMN part_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE carrier_refs ADD COLUMN outcome TEXT;
