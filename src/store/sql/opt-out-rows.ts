// Row mapping and SQL of the opt-out list that both engines share (`?` placeholders; PostgreSQL
// numbers them with toDollar).
import type { OptOutScope } from '../../core/opt-out/keywords.js';
import type { OptOutAction, OptOutChange, OptOutEntry, OptOutEvent, OptOutQuery, OptOutSource } from '../../core/opt-out/opt-out-port.js';

export const ENTRY_COLUMNS = 'recipient, scope, scope_key, account_id, keyword, source, inbound_message_id, created_at';
const EVENT_COLUMNS = `id, time, action, account_id, scope, scope_key, recipient, keyword, source, inbound_message_id,
  reply_message_id, changed`;

export interface EntryRow {
  recipient: string;
  scope: string;
  scope_key: string;
  account_id: string;
  keyword: string | null;
  source: string;
  inbound_message_id: string | null;
  created_at: number | string;
}

export interface EventRow extends Omit<EntryRow, 'created_at'> {
  id: number | string;
  time: number | string;
  action: string;
  reply_message_id: string | null;
  changed: number | boolean;
}

/** The columns a block and an audit event share. */
function facts(row: Omit<EntryRow, 'created_at'>): Omit<OptOutEntry, 'createdAt'> {
  return {
    accountId: row.account_id,
    scope: row.scope as OptOutScope,
    scopeKey: row.scope_key,
    recipient: row.recipient,
    keyword: row.keyword ?? undefined,
    source: row.source as OptOutSource,
    inboundMessageId: row.inbound_message_id ?? undefined,
  };
}

export function toEntry(row: EntryRow): OptOutEntry {
  return { ...facts(row), createdAt: Number(row.created_at) };
}

export function toEvent(row: EventRow): OptOutEvent {
  return {
    ...facts(row),
    id: Number(row.id),
    time: Number(row.time),
    action: row.action as OptOutAction,
    replyMessageId: row.reply_message_id ?? undefined,
    changed: row.changed === true || row.changed === 1,
  };
}

export const SQL = {
  insert: `INSERT INTO opt_outs (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  deleteOne: 'DELETE FROM opt_outs WHERE recipient = ? AND scope = ? AND scope_key = ?',
  /** Every block of a recipient that applies to sends from one number (of one application and account). */
  deleteApplying: `DELETE FROM opt_outs WHERE recipient = ? AND ((scope = 'number' AND scope_key = ?)
    OR (scope = 'application' AND scope_key = ?) OR (scope = 'account' AND scope_key = ?))`,
  applying: `SELECT ${ENTRY_COLUMNS} FROM opt_outs WHERE recipient = ? AND ((scope = 'number' AND scope_key = ?)
    OR (scope = 'application' AND scope_key = ?) OR (scope = 'account' AND scope_key = ?)) LIMIT 1`,
  exempt: 'SELECT 1 AS exempt FROM opt_out_events WHERE reply_message_id = ? LIMIT 1',
  event: `INSERT INTO opt_out_events (time, action, account_id, scope, scope_key, recipient, keyword, source,
    inbound_message_id, reply_message_id, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
} as const;

export function entryValues(e: OptOutEntry): unknown[] {
  return [e.recipient, e.scope, e.scopeKey, e.accountId, e.keyword ?? null, e.source, e.inboundMessageId ?? null, e.createdAt];
}

/** The statement and values that apply one change's effect on the list. */
export function changeStatement(change: OptOutChange): { sql: string; values: unknown[] } | undefined {
  const e = change.entry;
  if (change.action === 'opt-out') return { sql: SQL.insert, values: entryValues(e) };
  if (change.action === 'help') return undefined;
  if (change.from) {
    return { sql: SQL.deleteApplying, values: [e.recipient, change.from.number, change.from.applicationId, e.accountId] };
  }
  return { sql: SQL.deleteOne, values: [e.recipient, e.scope, e.scopeKey] };
}

export function eventValues(change: OptOutChange, changed: boolean, changedValue: (b: boolean) => unknown): unknown[] {
  const e = change.entry;
  return [
    change.time,
    change.action,
    e.accountId,
    e.scope,
    e.scopeKey,
    e.recipient,
    e.keyword ?? null,
    e.source,
    e.inboundMessageId ?? null,
    change.replyMessageId ?? null,
    changedValue(changed),
  ];
}

/** The conditions whose value is given, and their values in order. */
function conditions(candidates: Array<[string, string | undefined]>): { where: string[]; values: unknown[] } {
  const given = candidates.filter((c): c is [string, string] => c[1] !== undefined);
  return { where: given.map((c) => c[0]), values: given.map((c) => c[1]) };
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The list query (filters vary, so its text is built per call and must not be a named statement). */
export function listQuery(query: OptOutQuery): { sql: string; values: unknown[] } {
  const { where, values } = conditions([
    ['account_id = ?', query.accountId],
    ['scope = ?', query.scope],
    ['scope_key = ?', query.scopeKey],
    ['recipient = ?', query.recipient],
    ["recipient LIKE ? ESCAPE '\\'", query.recipientPrefix === undefined ? undefined : `${escapeLike(query.recipientPrefix)}%`],
  ]);
  values.push(query.limit, query.offset);
  return {
    sql: `SELECT ${ENTRY_COLUMNS} FROM opt_outs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at, recipient, scope, scope_key LIMIT ? OFFSET ?`,
    values,
  };
}

export function eventsQuery(query: { accountId?: string; recipient?: string; limit: number }): { sql: string; values: unknown[] } {
  const { where, values } = conditions([
    ['account_id = ?', query.accountId],
    ['recipient = ?', query.recipient],
  ]);
  values.push(query.limit);
  return {
    sql: `SELECT ${EVENT_COLUMNS} FROM opt_out_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    values,
  };
}

/** `?` placeholders as PostgreSQL's $1, $2 … */
export function toDollar(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
