-- Claims read free entries through indexes that hold only them (src/store/sql/queue-claim.ts), as
-- in PostgreSQL's 0004: an entry that is leased leaves the claim-order index, so a claim no longer
-- steps over the entries in flight at the head of the queue, and the index of leases by their end
-- finds those that ran out.

CREATE INDEX delivery_queue_ready ON delivery_queue (priority, enqueued_at, seq) WHERE locked_by IS NULL;
CREATE INDEX delivery_queue_leased ON delivery_queue (locked_until) WHERE locked_by IS NOT NULL;
DROP INDEX delivery_queue_order;

CREATE INDEX callback_outbox_ready ON callback_outbox (id) WHERE state = 'pending' AND locked_by IS NULL;
CREATE INDEX callback_outbox_leased ON callback_outbox (locked_until) WHERE state = 'pending' AND locked_by IS NOT NULL;
DROP INDEX callback_outbox_pending;
