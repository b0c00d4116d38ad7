// The statements of scripted phones (core/sandbox/phone-script-port.ts), shared by both engines:
// written with ? placeholders (SQLite), turned into $n for PostgreSQL (toDollar).
import type { PhoneRule } from '../../core/sandbox/phone-rule.js';
import type { PendingAnswer, PhoneConversation, StoredPhoneRule } from '../../core/sandbox/phone-script-port.js';

export const PHONE_SQL = {
  list: 'SELECT id, rule, matches, created_at FROM phone_rules ORDER BY priority, created_at, id',
  get: 'SELECT id, rule, matches, created_at FROM phone_rules WHERE id = ?',
  put: `INSERT INTO phone_rules (id, priority, created_at, rule, max_matches) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET priority = excluded.priority, rule = excluded.rule, max_matches = excluded.max_matches`,
  delete: 'DELETE FROM phone_rules WHERE id = ?',
  count: 'UPDATE phone_rules SET matches = matches + 1 WHERE id = ? AND (max_matches IS NULL OR matches < max_matches)',
  ensureConversation: `INSERT INTO phone_conversations (phone, application_number, step, updated_at) VALUES (?, ?, 0, ?)
    ON CONFLICT (phone, application_number) DO NOTHING`,
  move: 'UPDATE phone_conversations SET step = ?, updated_at = ? WHERE phone = ? AND application_number = ? AND step = ?',
  conversations: 'SELECT phone, application_number, step, updated_at FROM phone_conversations ORDER BY phone, application_number',
  conversationsOf: 'SELECT phone, application_number, step, updated_at FROM phone_conversations WHERE phone = ? ORDER BY application_number',
  addAnswer: 'INSERT INTO phone_answers (id, due_at, phone, answer) VALUES (?, ?, ?, ?)',
  pendingAnswers: 'SELECT id, due_at, phone, answer FROM phone_answers ORDER BY due_at, id',
  claimAnswer: 'DELETE FROM phone_answers WHERE id = ?',
  resetAll: 'DELETE FROM phone_conversations',
  resetPhone: 'DELETE FROM phone_conversations WHERE phone = ?',
  resetOne: 'DELETE FROM phone_conversations WHERE phone = ? AND application_number = ?',
};

export interface RuleRow {
  id: string;
  rule: string;
  matches: number | string;
  created_at: number | string;
}

export interface ConversationRow {
  phone: string;
  application_number: string;
  step: number | string;
  updated_at: number | string;
}

export interface AnswerRow {
  id: string;
  due_at: number | string;
  phone: string;
  answer: string;
}

export const toPending = (r: AnswerRow): PendingAnswer => ({ id: r.id, dueAt: Number(r.due_at), phone: r.phone, answer: r.answer });

export const answerValues = (a: PendingAnswer): unknown[] => [a.id, a.dueAt, a.phone, a.answer];

export const toRule = (r: RuleRow): StoredPhoneRule => ({ id: r.id, rule: JSON.parse(r.rule) as PhoneRule, matches: Number(r.matches), createdAt: Number(r.created_at) });

export const toConversation = (r: ConversationRow): PhoneConversation => ({
  phone: r.phone,
  applicationNumber: r.application_number,
  step: Number(r.step),
  updatedAt: Number(r.updated_at),
});

export const putValues = (s: StoredPhoneRule): unknown[] => [s.id, s.rule.priority, s.createdAt, JSON.stringify(s.rule), s.rule.maxMatches ?? null];

/** The statement and values that reset the conversations `phone` and `applicationNumber` select. */
export function resetStatement(phone?: string, applicationNumber?: string): { sql: string; values: string[] } {
  if (phone === undefined) return { sql: PHONE_SQL.resetAll, values: [] };
  if (applicationNumber === undefined) return { sql: PHONE_SQL.resetPhone, values: [phone] };
  return { sql: PHONE_SQL.resetOne, values: [phone, applicationNumber] };
}
