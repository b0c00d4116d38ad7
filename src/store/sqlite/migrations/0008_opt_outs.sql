-- The opt-out list (core/opt-out): one row per block, and the audit trail of every keyword and
-- manual change. A block stops sends to `recipient` from its scope: the receiving number, the
-- application or the account (`scope_key`). Keyword replies are named in the trail
-- (`reply_message_id`), which is what exempts them from the block they confirm.
CREATE TABLE opt_outs (
  recipient          TEXT NOT NULL,
  scope              TEXT NOT NULL CHECK (scope IN ('number', 'application', 'account')),
  scope_key          TEXT NOT NULL,
  account_id         TEXT NOT NULL,
  keyword            TEXT,
  source             TEXT NOT NULL,
  inbound_message_id TEXT,
  created_at         INTEGER NOT NULL,
  PRIMARY KEY (recipient, scope, scope_key)
);
CREATE INDEX opt_outs_account ON opt_outs (account_id, created_at);
CREATE INDEX opt_outs_created ON opt_outs (created_at, recipient);

CREATE TABLE opt_out_events (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  time               INTEGER NOT NULL,
  action             TEXT NOT NULL CHECK (action IN ('opt-out', 'opt-in', 'help')),
  account_id         TEXT NOT NULL,
  scope              TEXT NOT NULL,
  scope_key          TEXT NOT NULL,
  recipient          TEXT NOT NULL,
  keyword            TEXT,
  source             TEXT NOT NULL,
  inbound_message_id TEXT,
  reply_message_id   TEXT,
  changed            INTEGER NOT NULL
);
CREATE INDEX opt_out_events_recipient ON opt_out_events (recipient, id);
CREATE INDEX opt_out_events_account ON opt_out_events (account_id, id);
CREATE INDEX opt_out_events_reply ON opt_out_events (reply_message_id) WHERE reply_message_id IS NOT NULL;
