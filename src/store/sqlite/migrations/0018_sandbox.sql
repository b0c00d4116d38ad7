-- Waiting for the next message (GET /admin/v1/messages/next) reads messages in acceptance order.
CREATE INDEX messages_created ON messages (created_at, id);

-- Smart encoding, opt-in per application (core/encoding/smart-encoding.ts).
ALTER TABLE dir_applications ADD COLUMN smart_encoding INTEGER NOT NULL DEFAULT 0;
