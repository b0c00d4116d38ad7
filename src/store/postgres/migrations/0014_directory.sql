-- The account directory (core/accounts): accounts, API users, applications, numbers and SMPP users,
-- managed live through the admin API and provisioned from the config file. Every write takes the
-- next value of directory_version and stamps the rows it changes with it, so a process brings its
-- in-memory copy up to date by reading the rows above the version it has (WHERE version > ?):
-- one changed entry costs one row read, not a reload. Writers serialise on the counter's row, so
-- versions commit in order and no reader can see a later version before an earlier one.
-- Deleted accounts, applications and users stay as rows marked deleted: their ids are never
-- reused, and messages sent under them stay listable.
CREATE TABLE directory_version (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value BIGINT NOT NULL
);
INSERT INTO directory_version (id, value) VALUES (1, 0);

CREATE TABLE dir_accounts (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  name       TEXT,
  throughput TEXT,
  deleted    INTEGER NOT NULL DEFAULT 0,
  source     TEXT NOT NULL,
  version    BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX dir_accounts_version ON dir_accounts (version);

CREATE TABLE dir_api_users (
  account_id    TEXT COLLATE "C" NOT NULL,
  username      TEXT COLLATE "C" NOT NULL,
  password_hash TEXT NOT NULL,
  roles         TEXT NOT NULL,
  enabled       INTEGER NOT NULL DEFAULT 1,
  deleted       INTEGER NOT NULL DEFAULT 0,
  source        TEXT NOT NULL,
  version       BIGINT NOT NULL,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  PRIMARY KEY (account_id, username)
);
CREATE INDEX dir_api_users_version ON dir_api_users (version);

CREATE TABLE dir_applications (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  account_id           TEXT COLLATE "C" NOT NULL,
  name                 TEXT NOT NULL,
  callback_url         TEXT,
  callback_username    TEXT,
  callback_password    TEXT,
  inbound_callback_url TEXT,
  opt_out              TEXT,
  deleted              INTEGER NOT NULL DEFAULT 0,
  source               TEXT NOT NULL,
  version              BIGINT NOT NULL,
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL
);
CREATE INDEX dir_applications_version ON dir_applications (version);
CREATE INDEX dir_applications_account ON dir_applications (account_id, id);

-- A released number keeps its row (deleted = 1) with the application it last belonged to.
CREATE TABLE dir_numbers (
  number TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  account_id      TEXT COLLATE "C" NOT NULL,
  application_id  TEXT COLLATE "C" NOT NULL,
  number_type     TEXT NOT NULL,
  rate_per_second DOUBLE PRECISION,
  deleted         INTEGER NOT NULL DEFAULT 0,
  source          TEXT NOT NULL,
  version         BIGINT NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);
CREATE INDEX dir_numbers_version ON dir_numbers (version);
CREATE INDEX dir_numbers_application ON dir_numbers (application_id, number);
CREATE INDEX dir_numbers_account ON dir_numbers (account_id, number);

CREATE TABLE dir_smpp_users (
  system_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  account_id     TEXT COLLATE "C" NOT NULL,
  application_id TEXT COLLATE "C" NOT NULL,
  password_hash  TEXT NOT NULL,
  max_binds      INTEGER NOT NULL,
  enabled        INTEGER NOT NULL DEFAULT 1,
  deleted        INTEGER NOT NULL DEFAULT 0,
  source         TEXT NOT NULL,
  version        BIGINT NOT NULL,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
CREATE INDEX dir_smpp_users_version ON dir_smpp_users (version);

-- Every change, with who made it and the entry before and after (secrets masked by the writer).
CREATE TABLE dir_audit (
  id         BIGSERIAL PRIMARY KEY,
  time       BIGINT NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  entry_key  TEXT NOT NULL,
  account_id TEXT,
  before     TEXT,
  after      TEXT
);
CREATE INDEX dir_audit_entry ON dir_audit (kind, entry_key, id);
CREATE INDEX dir_audit_account ON dir_audit (account_id, id);
