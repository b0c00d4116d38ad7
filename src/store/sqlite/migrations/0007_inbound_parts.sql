-- Parts of long inbound SMS that came over SMPP (deliver_sm with a UDH or SAR numbering). Each is
-- stored before the SMSC is told it was taken, so a crash before the last part arrives loses
-- nothing; the whole message is handed to the inbound path once every part is here, then deleted.
-- message_key is (source, destination, reference, total) as the carrier adapter spells it.
CREATE TABLE inbound_parts (
  carrier     TEXT NOT NULL,
  message_key TEXT NOT NULL,
  sequence    INTEGER NOT NULL,
  total       INTEGER NOT NULL,
  text        TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (carrier, message_key, sequence)
);
CREATE INDEX inbound_parts_age ON inbound_parts (received_at);
