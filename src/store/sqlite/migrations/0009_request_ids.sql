-- The X-Request-Id of the request that sent a message, kept with the message and with each of its
-- callbacks, so that the log lines of its delivery and callbacks name the request, in whichever
-- process does the work. NULL for messages of no request (older rows, inbound from the carrier).
ALTER TABLE messages ADD COLUMN request_id TEXT;
ALTER TABLE callback_outbox ADD COLUMN request_id TEXT;
