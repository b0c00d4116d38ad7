-- Indexes for the web console. Tagged messages of an account, for the tag filter (untagged messages,
-- most of them, are not indexed); failed callback attempts by time, for the status page's recent
-- failures (successful attempts, most of them, are not indexed).
CREATE INDEX messages_account_tag ON messages (account_id, tag) WHERE tag IS NOT NULL;
CREATE INDEX callback_attempts_failed_time ON callback_attempts (time)
  WHERE status_code IS NULL OR status_code < 200 OR status_code > 299;
