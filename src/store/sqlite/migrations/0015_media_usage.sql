-- What each account's stored media adds up to, kept by every media write in the same transaction
-- (sqlite-media.ts), so that the quota check (media.accountQuotaBytes) reads one row instead of
-- summing the account's files while it holds the write lock.
CREATE TABLE media_usage (
  account_id TEXT PRIMARY KEY,
  bytes      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO media_usage (account_id, bytes) SELECT account_id, SUM(size) FROM media GROUP BY account_id;
