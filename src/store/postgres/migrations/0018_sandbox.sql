-- Waiting for the next message (GET /admin/v1/messages/next) reads messages in acceptance order.
CREATE INDEX messages_created ON messages (created_at, id);
