-- Scripted phones (core/sandbox/scripted-phones.ts): the rules with their match counts, and the
-- step each conversation between a phone and an application number is at.
CREATE TABLE phone_rules (
  id TEXT PRIMARY KEY,
  priority INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  rule TEXT NOT NULL,
  max_matches INTEGER,
  matches INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE phone_conversations (
  phone TEXT NOT NULL,
  application_number TEXT NOT NULL,
  step INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (phone, application_number)
);
