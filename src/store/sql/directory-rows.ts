// The directory's tables (migration 0014) as both engines read and write them: one descriptor per
// kind of entry maps its columns to the row's fields, and the statements are built from it with `?`
// placeholders (PostgreSQL's store turns them into $n with toDollar).
import type {
  AuditEntry,
  AuditRecord,
  DirectoryChanges,
  DirectoryLoad,
  DirectoryWrite,
  EntryKind,
  ListQuery,
  NumberRow,
} from '../../core/accounts/directory-port.js';

// 'boolTrue': a flag absent from older rows, true unless set false.
type Codec = 'text' | 'optText' | 'number' | 'optNumber' | 'bool' | 'boolTrue' | 'json';

interface Table {
  readonly name: string;
  /** Columns of the key, in order; a composite key is written `a/b`. */
  readonly key: readonly string[];
  /** column → [field, codec] */
  readonly columns: Readonly<Record<string, readonly [string, Codec]>>;
  /** Where `accountId` and `applicationId` filters apply; absent: not filterable that way. */
  readonly accountColumn?: string;
  readonly applicationColumn?: string;
}

const STAMPS = {
  deleted: ['deleted', 'bool'],
  source: ['source', 'text'],
  version: ['version', 'number'],
  created_at: ['createdAt', 'number'],
  updated_at: ['updatedAt', 'number'],
} as const;

export const TABLES: Readonly<Record<EntryKind, Table>> = {
  account: {
    name: 'dir_accounts',
    key: ['id'],
    columns: { id: ['id', 'text'], name: ['name', 'optText'], throughput: ['throughput', 'json'], ...STAMPS },
    accountColumn: 'id',
  },
  user: {
    name: 'dir_api_users',
    key: ['account_id', 'username'],
    columns: {
      account_id: ['accountId', 'text'],
      username: ['username', 'text'],
      password_hash: ['passwordHash', 'text'],
      roles: ['roles', 'json'],
      enabled: ['enabled', 'bool'],
      ...STAMPS,
    },
    accountColumn: 'account_id',
  },
  application: {
    name: 'dir_applications',
    key: ['id'],
    columns: {
      id: ['id', 'text'],
      account_id: ['accountId', 'text'],
      name: ['name', 'text'],
      callback_url: ['callbackUrl', 'optText'],
      callback_username: ['callbackUsername', 'optText'],
      callback_password: ['callbackPassword', 'optText'],
      inbound_callback_url: ['inboundCallbackUrl', 'optText'],
      opt_out: ['optOut', 'json'],
      smart_encoding: ['smartEncoding', 'bool'],
      ...STAMPS,
    },
    accountColumn: 'account_id',
  },
  number: {
    name: 'dir_numbers',
    key: ['number'],
    columns: {
      number: ['number', 'text'],
      account_id: ['accountId', 'text'],
      application_id: ['applicationId', 'text'],
      number_type: ['numberType', 'text'],
      rate_per_second: ['ratePerSecond', 'optNumber'],
      mms: ['mms', 'boolTrue'],
      ...STAMPS,
    },
    accountColumn: 'account_id',
    applicationColumn: 'application_id',
  },
  smppUser: {
    name: 'dir_smpp_users',
    key: ['system_id'],
    columns: {
      system_id: ['systemId', 'text'],
      account_id: ['accountId', 'text'],
      application_id: ['applicationId', 'text'],
      password_hash: ['passwordHash', 'text'],
      max_binds: ['maxBinds', 'number'],
      enabled: ['enabled', 'bool'],
      ...STAMPS,
    },
    accountColumn: 'account_id',
    applicationColumn: 'application_id',
  },
};

export const KINDS: readonly EntryKind[] = ['account', 'application', 'user', 'number', 'smppUser'];
/** Where each kind's rows go in DirectoryChanges. */
export const GROUP = { account: 'accounts', user: 'users', application: 'applications', number: 'numbers', smppUser: 'smppUsers' } as const;

type SqlRow = Record<string, unknown>;

const columnList = (table: Table) => Object.keys(table.columns).join(', ');

const COLUMNS = Object.fromEntries(KINDS.map((kind) => [kind, Object.entries(TABLES[kind].columns)])) as Record<EntryKind, Array<[string, readonly [string, Codec]]>>;

export function fromSql(kind: EntryKind, row: SqlRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, [field, codec]] of COLUMNS[kind]) {
    const value = row[column];
    if (codec === 'bool' || codec === 'boolTrue') out[field] = value === 1 || value === true;
    else if (codec === 'json') out[field] = value === null || value === undefined ? undefined : JSON.parse(String(value));
    else if (codec === 'number') out[field] = Number(value);
    else if (codec === 'optNumber') out[field] = value === null || value === undefined ? undefined : Number(value);
    else out[field] = value === null || value === undefined ? undefined : String(value);
  }
  return out;
}

function toSql(kind: EntryKind, row: Record<string, unknown>): unknown[] {
  return Object.values(TABLES[kind].columns).map(([field, codec]) => {
    const value = row[field];
    if (codec === 'bool') return value ? 1 : 0;
    if (codec === 'boolTrue') return value === false ? 0 : 1;
    if (codec === 'json') return value === undefined ? null : JSON.stringify(value);
    return value ?? null;
  });
}

export function keyOf(kind: EntryKind, row: Record<string, unknown>): string {
  return TABLES[kind].key.map((column) => String(row[(TABLES[kind].columns[column] as readonly [string, Codec])[0]])).join('/');
}

/** The key's column values from `a` or `a/b` (a username may contain '/', an account id may not). */
export function keyValues(kind: EntryKind, key: string): string[] {
  if (TABLES[kind].key.length === 1) return [key];
  const slash = key.indexOf('/');
  return slash < 0 ? [key, ''] : [key.slice(0, slash), key.slice(slash + 1)];
}

/** INSERT … ON CONFLICT DO UPDATE of one row; created_at is kept from the first insert. */
export function upsertStatement(write: DirectoryWrite, version: number, time: number): { sql: string; values: unknown[] } {
  const table = TABLES[write.kind];
  const row = { ...write.row, version, createdAt: time, updatedAt: time } as Record<string, unknown>;
  const columns = Object.keys(table.columns);
  const updates = columns.filter((c) => !table.key.includes(c) && c !== 'created_at').map((c) => `${c} = excluded.${c}`);
  return {
    sql: `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
      ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
    values: toSql(write.kind, row),
  };
}

export const NEXT_VERSION = 'UPDATE directory_version SET value = value + 1 WHERE id = 1 RETURNING value';
export const CURRENT_VERSION = 'SELECT value FROM directory_version WHERE id = 1';

/** All live rows of a kind (start-up), or every row written after a version. */
export function rowsQuery(kind: EntryKind, mode: 'live' | 'since'): string {
  const table = TABLES[kind];
  return mode === 'live'
    ? `SELECT ${columnList(table)} FROM ${table.name} WHERE deleted = 0`
    : `SELECT ${columnList(table)} FROM ${table.name} WHERE version > ? ORDER BY version`;
}

/**
 * The live numbers at start-up, read as arrays and turned into rows directly: a million numbers
 * through the generic mapping took seconds. Their stamps are not read (the directory does not use
 * them) and come back as 0.
 */
export const LIVE_NUMBERS = 'SELECT number, account_id, application_id, number_type, rate_per_second, mms FROM dir_numbers WHERE deleted = 0';

/** Start-up's live numbers that may not send MMS (Numbers API locations without MMS; few). */
export const SMS_ONLY_NUMBERS = 'SELECT number, application_id FROM dir_numbers WHERE deleted = 0 AND mms = 0';

/**
 * Start-up's numbers in one pass: per application, its live numbers as one string (numbers never
 * hold a comma) and those with a rate of their own as `number=rate` pairs, walked through the
 * application index: a hundred times fewer values crossing into JavaScript than a row per number.
 */
export function liveNumberLists(concat: 'group_concat' | 'string_agg', rateText: string): string {
  return `SELECT application_id, ${concat}(number, ','), ${concat}(CASE WHEN rate_per_second IS NOT NULL THEN number || '=' || ${rateText} END, ',') FROM dir_numbers WHERE deleted = 0 GROUP BY application_id`;
}

/** Adds one row of `liveNumberLists` to a start-up load. */
export function addNumberList(load: DirectoryLoad, r: unknown[]): void {
  load.numbersByApplication.push([r[0] as string, (r[1] as string).split(',')]);
  if (r[2] === null) return;
  for (const pair of (r[2] as string).split(',')) {
    const at = pair.indexOf('=');
    load.numberRates.push([pair.slice(0, at), Number(pair.slice(at + 1)), r[0] as string]);
  }
}

export function liveNumber(r: unknown[]): NumberRow {
  return {
    number: r[0] as string,
    accountId: r[1] as string,
    applicationId: r[2] as string,
    numberType: r[3] as string,
    ratePerSecond: r[4] === null ? undefined : Number(r[4]),
    mms: r[5] !== 0 && r[5] !== false,
    deleted: false,
    source: 'api',
    version: 0,
    createdAt: 0,
    updatedAt: 0,
  };
}

export function getQuery(kind: EntryKind): string {
  const table = TABLES[kind];
  return `SELECT ${columnList(table)} FROM ${table.name} WHERE ${table.key.map((c) => `${c} = ?`).join(' AND ')}`;
}

/** One page in key order: filters, then `key > after`. */
export function listQuery(kind: EntryKind, query: ListQuery): { sql: string; values: unknown[] } {
  const table = TABLES[kind];
  const where: string[] = [];
  const values: unknown[] = [];
  if (!query.includeDeleted) where.push('deleted = 0');
  if (query.accountId !== undefined) {
    if (!table.accountColumn) return { sql: 'SELECT 1 WHERE 1 = 0', values: [] };
    where.push(`${table.accountColumn} = ?`);
    values.push(query.accountId);
  }
  if (query.applicationId !== undefined && table.applicationColumn) {
    where.push(`${table.applicationColumn} = ?`);
    values.push(query.applicationId);
  }
  if (query.prefix !== undefined && kind === 'number') {
    // Numbers are +digits only, so the prefix needs no LIKE escaping; a range keeps the index usable on both engines.
    where.push('number >= ? AND number < ?');
    values.push(query.prefix, `${query.prefix}\u{10FFFF}`);
  }
  if (query.after !== undefined) {
    const keys = keyValues(kind, query.after);
    if (table.key.length === 1) {
      where.push(`${table.key[0]} > ?`);
      values.push(keys[0]);
    } else {
      where.push(`(${table.key[0]} > ? OR (${table.key[0]} = ? AND ${table.key[1]} > ?))`);
      values.push(keys[0], keys[0], keys[1]);
    }
  }
  values.push(query.limit);
  return {
    sql: `SELECT ${columnList(table)} FROM ${table.name} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${table.key.join(', ')} LIMIT ?`,
    values,
  };
}

export const AUDIT_INSERT =
  'INSERT INTO dir_audit (time, actor, action, kind, entry_key, account_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

export function auditValues(record: AuditRecord, time: number): unknown[] {
  return [
    time,
    record.actor,
    record.action,
    record.kind,
    record.key,
    record.accountId ?? null,
    record.before === undefined ? null : JSON.stringify(record.before),
    record.after === undefined ? null : JSON.stringify(record.after),
  ];
}

export function auditQuery(query: { kind?: EntryKind; key?: string; accountId?: string; before?: number; limit: number }): { sql: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const filter = (sql: string, value: unknown) => {
    if (value === undefined) return;
    where.push(sql);
    values.push(value);
  };
  filter('kind = ?', query.kind);
  filter('entry_key = ?', query.key);
  filter('account_id = ?', query.accountId);
  filter('id < ?', query.before);
  values.push(query.limit);
  return {
    sql: `SELECT id, time, actor, action, kind, entry_key, account_id, before, after FROM dir_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    values,
  };
}

export function toAudit(row: SqlRow): AuditEntry {
  return {
    id: Number(row.id),
    time: Number(row.time),
    actor: String(row.actor),
    action: row.action as AuditEntry['action'],
    kind: row.kind as EntryKind,
    key: String(row.entry_key),
    accountId: row.account_id === null ? undefined : String(row.account_id),
    before: row.before === null ? undefined : (JSON.parse(String(row.before)) as Record<string, unknown>),
    after: row.after === null ? undefined : (JSON.parse(String(row.after)) as Record<string, unknown>),
  };
}

export function emptyChanges(version: number): DirectoryChanges {
  return { version, accounts: [], users: [], applications: [], numbers: [], smppUsers: [] };
}

/** Puts a row read from `kind`'s table into its group of `changes`. */
export function addRow(changes: DirectoryChanges, kind: EntryKind, row: SqlRow): void {
  (changes[GROUP[kind]] as unknown[]).push(fromSql(kind, row));
}
