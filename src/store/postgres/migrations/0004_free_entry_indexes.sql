-- Claims read free entries through indexes that hold only them (src/store/sql/queue-claim.ts).
--
-- The entries in flight (claimed, not yet submitted or delivered) are the oldest ones, at the head
-- of the claim order, so a claim through an index of every entry walked past all of them, each a
-- heap fetch, before reaching one it could take: up to delivery.concurrency × workers rows per
-- claim, and claims come as often as slots free up. Here an entry that is leased leaves the
-- claim-order index, and the index of leases by their end finds those that ran out (a worker that
-- died) without scanning anything while none has.

CREATE INDEX delivery_queue_ready ON delivery_queue (priority, enqueued_at, seq) WHERE locked_by IS NULL;
CREATE INDEX delivery_queue_leased ON delivery_queue (locked_until) WHERE locked_by IS NOT NULL;
DROP INDEX delivery_queue_order;

-- The same for callbacks. The earlier-pending check per message keeps callback_outbox_pending_message.
CREATE INDEX callback_outbox_ready ON callback_outbox (id) WHERE state = 'pending' AND locked_by IS NULL;
CREATE INDEX callback_outbox_leased ON callback_outbox (locked_until) WHERE state = 'pending' AND locked_by IS NOT NULL;
DROP INDEX callback_outbox_pending;
