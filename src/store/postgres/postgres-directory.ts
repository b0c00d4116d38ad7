// The account directory in PostgreSQL. A write notifies `pigeon_directory` inside its transaction,
// so every listening process hears of it at the commit and reads the rows above its version.
// Many rows (a CSV import) go as multi-row statements: one round trip per few hundred rows.
import type { Pool, PoolClient } from 'pg';
import type {
  AuditEntry,
  AuditRecord,
  DirectoryChanges,
  DirectoryLoad,
  DirectoryStore,
  DirectoryWrite,
  EntryKind,
  ListQuery,
} from '../../core/accounts/directory-port.js';
import { toDollar } from '../sql/opt-out-rows.js';
import {
  addNumberList,
  addRow,
  AUDIT_INSERT,
  auditQuery,
  auditValues,
  CURRENT_VERSION,
  emptyChanges,
  fromSql,
  getQuery,
  keyValues,
  KINDS,
  listQuery,
  LIVE_NUMBERS,
  SMS_ONLY_NUMBERS,
  liveNumber,
  liveNumberLists,
  NEXT_VERSION,
  rowsQuery,
  toAudit,
  upsertStatement,
} from '../sql/directory-rows.js';
import { storeError } from './errors.js';
import { inTransaction } from './transaction.js';

import { CHANNELS } from './transaction.js';
const DIRECTORY_CHANNEL = CHANNELS.directory;
const ROWS_PER_STATEMENT = 500;

/** `INSERT … VALUES (…)` of one row as the same statement for `count` rows. */
function multiRow(sql: string, width: number, count: number): string {
  const row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return sql.replace(/VALUES \([^)]*\)/, `VALUES ${Array.from({ length: count }, () => row).join(', ')}`);
}

async function query(on: Pool | PoolClient, sql: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  try {
    return (await on.query(toDollar(sql), values)).rows as Array<Record<string, unknown>>;
  } catch (err) {
    throw storeError(err);
  }
}

export class PostgresDirectory implements DirectoryStore {
  constructor(private readonly pool: Pool) {}

  snapshot(): Promise<DirectoryChanges> {
    return this.read('live', 0);
  }

  changesSince(version: number): Promise<DirectoryChanges> {
    return this.read('since', version);
  }

  load(): Promise<DirectoryLoad> {
    return this.read('load', 0) as Promise<DirectoryLoad>;
  }

  write(writes: readonly DirectoryWrite[], audit: readonly AuditRecord[], time: number): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      // The counter's row lock orders writers: versions commit in the order they were taken.
      const version = Number((await query(client, NEXT_VERSION))[0]?.value);
      for (let i = 0; i < writes.length; ) {
        const first = writes[i] as DirectoryWrite;
        let j = i;
        while (j < writes.length && j - i < ROWS_PER_STATEMENT && (writes[j] as DirectoryWrite).kind === first.kind) j++;
        const statements = writes.slice(i, j).map((w) => upsertStatement(w, version, time));
        const one = statements[0] as { sql: string; values: unknown[] };
        await query(client, multiRow(one.sql, one.values.length, statements.length), statements.flatMap((s) => s.values));
        i = j;
      }
      for (let i = 0; i < audit.length; i += ROWS_PER_STATEMENT) {
        const chunk = audit.slice(i, i + ROWS_PER_STATEMENT);
        await query(client, multiRow(AUDIT_INSERT, 8, chunk.length), chunk.flatMap((r) => auditValues(r, time)));
      }
      await client.query(`SELECT pg_notify('${DIRECTORY_CHANNEL}', '')`);
      return version;
    });
  }

  async get(kind: EntryKind, key: string): Promise<never> {
    const rows = await query(this.pool, getQuery(kind), keyValues(kind, key));
    return (rows[0] && fromSql(kind, rows[0])) as never;
  }

  async list(kind: EntryKind, q: ListQuery): Promise<never> {
    const { sql, values } = listQuery(kind, q);
    return (await query(this.pool, sql, values)).map((row) => fromSql(kind, row)) as never;
  }

  async audit(q: { kind?: EntryKind; key?: string; accountId?: string; before?: number; limit: number }): Promise<AuditEntry[]> {
    const { sql, values } = auditQuery(q);
    return (await query(this.pool, sql, values)).map(toAudit);
  }

  /** In one REPEATABLE READ transaction, so the version and the rows agree. */
  private read(mode: 'live' | 'load' | 'since', version: number): Promise<DirectoryChanges | DirectoryLoad> {
    return inTransaction(
      this.pool,
      async (client) => {
        const changes = emptyChanges(Number((await query(client, CURRENT_VERSION))[0]?.value));
        for (const kind of KINDS) {
          if (mode !== 'since' && kind === 'number') continue;
          for (const row of await query(client, rowsQuery(kind, mode === 'since' ? 'since' : 'live'), mode === 'since' ? [version] : [])) addRow(changes, kind, row);
        }
        if (mode === 'since') return changes;
        // Numbers as arrays: a million through the generic row mapping took seconds.
        const arrays = async (text: string) =>
          (
            await client.query<unknown[]>({ text, rowMode: 'array' }).catch((err: unknown) => {
              throw storeError(err);
            })
          ).rows;
        if (mode === 'live') {
          for (const row of await arrays(LIVE_NUMBERS)) changes.numbers.push(liveNumber(row));
          return changes;
        }
        const load: DirectoryLoad = { ...changes, numbersByApplication: [], numberRates: [], smsOnly: [] };
        for (const row of await arrays(liveNumberLists('string_agg', 'rate_per_second::text'))) addNumberList(load, row);
        for (const row of await arrays(SMS_ONLY_NUMBERS)) load.smsOnly.push([row[0] as string, row[1] as string]);
        return load;
      },
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
  }
}
