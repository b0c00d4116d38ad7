// The messages after a position in (created_at, id) order, for waiting on the next message that
// matches (core/sandbox/next-message.ts). Shared by both engines; only the placeholders differ.
import type { MessageFeedQuery } from '../../core/ports.js';
import { MESSAGE_COLUMNS } from './rows.js';

export function buildMessageFeedQuery(q: MessageFeedQuery, placeholder: (index: number) => string): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return placeholder(params.length);
  };
  const time = bind(q.after.time);
  const clauses = [`(created_at > ${time} OR (created_at = ${bind(q.after.time)} AND id > ${bind(q.after.id)}))`];
  if (q.accountId !== undefined) clauses.push(`account_id = ${bind(q.accountId)}`);
  if (q.direction !== undefined) clauses.push(`direction = ${bind(q.direction)}`);
  const sql = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE ${clauses.join(' AND ')} ORDER BY created_at, id LIMIT ${bind(q.limit)}`;
  return { sql, params };
}
