// `BENCH_SQL_ROWS=1`: the rows the SQLite end-to-end run wrote per message, by table, from the
// totals bench/sql-rows.mjs wrote in the Pigeon children: SQLite's counterpart of PostgreSQL's
// pg_stat_user_tables line, for the rows-written target.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed } from './table.js';

export const SQL_ROWS_PRELOAD = fileURLToPath(new URL('../sql-rows.mjs', import.meta.url));

export interface SqlRows {
  /** Rows inserted, updated or deleted per message: every connection's total_changes(). */
  writtenPerMessage: number;
  byTable: Array<{ table: string; perMessage: number }>;
}

export function sqlRowsDir(tempDir: string, run: string): string {
  const dir = join(tempDir, `sql-rows-${run}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Sums the threads' counts; `messages` includes the smoke run's, as the counts include start-up. */
export function readSqlRows(dir: string, messages: number): SqlRows | undefined {
  const files = readdirSync(dir).filter((name) => name.startsWith('rows-') && name.endsWith('.json'));
  if (files.length === 0) return undefined;
  let total = 0;
  const tables = new Map<string, number>();
  for (const name of files) {
    const data = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { totalChanges: number; byTable: Array<[string, number]> };
    total += data.totalChanges;
    for (const [table, rows] of data.byTable) tables.set(table, (tables.get(table) ?? 0) + rows);
  }
  const attributed = [...tables.values()].reduce((a, b) => a + b, 0);
  if (total > attributed) tables.set('(unattributed)', total - attributed);
  return {
    writtenPerMessage: Math.max(total, attributed) / messages,
    byTable: [...tables]
      .map(([table, rows]) => ({ table, perMessage: rows / messages }))
      .sort((a, b) => b.perMessage - a.perMessage),
  };
}

export function printSqlRows(rows: SqlRows, label: string): void {
  console.log(`sqlite work per message (e2e ${label}): ${fixed(rows.writtenPerMessage, 1)} rows written (every connection's total_changes(), start-up and smoke included)`);
  // Start-up's rows (migrations, the directory from the config) round to nothing per message.
  const shown = rows.byTable.filter((t) => t.perMessage >= 0.05);
  console.log(`  rows written per message by table: ${shown.map((t) => `${t.table}×${fixed(t.perMessage, 1)}`).join(', ')}`);
}
