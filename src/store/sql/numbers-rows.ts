// The Numbers API's table (migration 0020) as both engines read and write it, with `?`
// placeholders (PostgreSQL's store turns them into $n with toDollar).
import type { ResourceKind, StoredResource } from '../../core/numbers/numbers-port.js';

const COLUMNS = 'kind, id, account_id, parent_id, doc, created_at, updated_at';

export const NUMBERS_SQL = {
  insert: `INSERT INTO nb_resources (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING`,
  update: 'UPDATE nb_resources SET parent_id = ?, doc = ?, updated_at = ? WHERE kind = ? AND id = ? AND account_id = ?',
  get: `SELECT ${COLUMNS} FROM nb_resources WHERE kind = ? AND id = ? AND account_id = ?`,
  list: `SELECT ${COLUMNS} FROM nb_resources WHERE account_id = ? AND kind = ? ORDER BY id`,
  listUnder: `SELECT ${COLUMNS} FROM nb_resources WHERE account_id = ? AND kind = ? AND parent_id = ? ORDER BY id`,
  remove: 'DELETE FROM nb_resources WHERE kind = ? AND id = ? AND account_id = ?',
  nextId: 'UPDATE nb_sequence SET value = value + 1 WHERE id = 1 RETURNING value',
} as const;

/** Many rows in one INSERT (PostgreSQL); those whose key is taken are skipped. */
export function insertManyQuery(count: number): string {
  const row = `(${Array.from({ length: 7 }, () => '?').join(', ')})`;
  return `INSERT INTO nb_resources (${COLUMNS}) VALUES ${Array.from({ length: count }, () => row).join(', ')} ON CONFLICT (kind, id) DO NOTHING RETURNING id`;
}

/** Numbers asked about at once in `taken` (well under both engines' parameter limits). */
export const TAKEN_CHUNK = 400;

export function takenQuery(count: number): string {
  const marks = Array.from({ length: count }, () => '?').join(', ');
  return `SELECT id AS number FROM nb_resources WHERE kind = 'hold' AND id IN (${marks})
    UNION SELECT number FROM dir_numbers WHERE deleted = 0 AND number IN (${marks})`;
}

export interface ResourceSqlRow {
  kind: string;
  id: string;
  account_id: string;
  parent_id: string | null;
  doc: string;
  created_at: number | string;
  updated_at: number | string;
}

export function insertValues(r: StoredResource): unknown[] {
  return [r.kind, r.id, r.accountId, r.parentId ?? null, JSON.stringify(r.doc), r.createdAt, r.updatedAt];
}

export function updateValues(r: StoredResource): unknown[] {
  return [r.parentId ?? null, JSON.stringify(r.doc), r.updatedAt, r.kind, r.id, r.accountId];
}

export function toResource<T>(row: ResourceSqlRow): StoredResource<T> {
  return {
    kind: row.kind as ResourceKind,
    id: row.id,
    accountId: row.account_id,
    parentId: row.parent_id ?? undefined,
    doc: JSON.parse(row.doc) as T,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
