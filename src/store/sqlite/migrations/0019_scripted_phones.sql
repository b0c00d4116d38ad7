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
-- Answers waiting for their delay: written with the match, deleted by the process that sends
-- them (the delete is the claim, so of two processes that both hold one, one sends it).
CREATE TABLE phone_answers (
  id TEXT PRIMARY KEY,
  due_at INTEGER NOT NULL,
  phone TEXT NOT NULL,
  answer TEXT NOT NULL
);
