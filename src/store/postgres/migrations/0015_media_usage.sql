-- What each account's stored media adds up to, kept by every media write in the same transaction
-- (postgres-media.ts), so that the quota check (media.accountQuotaBytes) reads one row instead of
-- summing the account's files.
CREATE TABLE media_usage (
  account_id TEXT COLLATE "C" PRIMARY KEY,
  bytes      BIGINT NOT NULL
);
INSERT INTO media_usage (account_id, bytes) SELECT account_id, SUM(size) FROM media GROUP BY account_id;
