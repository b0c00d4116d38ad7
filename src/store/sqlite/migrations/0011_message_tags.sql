-- The console filters messages by tag: an index over the tagged messages of an account, so the filter
-- stays fast on a large store (untagged messages, most of them, are not indexed).
CREATE INDEX messages_account_tag ON messages (account_id, tag) WHERE tag IS NOT NULL;
