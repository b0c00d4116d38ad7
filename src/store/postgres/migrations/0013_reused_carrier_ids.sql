-- An SMSC's message id names a submit only while that submit waits for its receipt: a counter that
-- restarts with the SMSC, or a short id that wraps, gives an id again. Keyed by (carrier, id) alone,
-- the second submit's ref was dropped and its receipt went to the first, settled message. A ref is
-- now one part of one recipient's submit under an id; which of several takes a receipt is decided
-- in store/sql/receipt-match.ts. The rows stay where they are; only the key widens.
ALTER TABLE carrier_refs DROP CONSTRAINT carrier_refs_pkey;
ALTER TABLE carrier_refs ADD PRIMARY KEY (carrier, carrier_message_id, message_id, destination_tn, part_index);
-- Refs of ended recipients are pruned by age (the receipt sweep); the partial index holds only them.
CREATE INDEX carrier_refs_settled ON carrier_refs (submitted_at) WHERE settled = 1;

-- The handset a parked receipt names, if any: it decides which ref may take it (receipt-match.ts).
ALTER TABLE parked_receipts ADD COLUMN destination_tn TEXT COLLATE "C";
