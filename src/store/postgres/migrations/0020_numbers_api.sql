-- The Numbers (Dashboard) API (core/numbers): sites, SIP peers (locations), orders, disconnects and
-- the hold each ordered number has, one row each, the resource kept as a JSON document. The key is
-- (kind, id) across accounts, so a number is held by one account at most: of two orders for it,
-- one insert wins. Ids of sites, peers and notes come from one counter.
CREATE TABLE nb_resources (
  kind       TEXT COLLATE "C" NOT NULL,
  id         TEXT COLLATE "C" NOT NULL,
  account_id TEXT COLLATE "C" NOT NULL,
  parent_id  TEXT,
  doc        TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX nb_resources_account ON nb_resources (account_id, kind, parent_id, id);

CREATE TABLE nb_sequence (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value BIGINT NOT NULL
);
INSERT INTO nb_sequence (id, value) VALUES (1, 0);

-- A number whose location has SMS but not MMS sends SMS only; numbers provisioned otherwise send both.
ALTER TABLE dir_numbers ADD COLUMN mms INTEGER NOT NULL DEFAULT 1;
