// `BENCH_SQL_PROFILE=1`: where each SQLite thread of the end-to-end run spent its database time, per
// message and by statement, from the totals bench/sql-profile.mjs wrote in the Pigeon children.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, formatTable } from './table.js';

export const SQL_PROFILE_PRELOAD = fileURLToPath(new URL('../sql-profile.mjs', import.meta.url));

interface Totals {
  calls: number;
  ns: number;
}

/** An empty directory for one run's totals; the children find it in PIGEON_SQL_PROFILE_DIR. */
export function sqlProfileDir(tempDir: string, run: string): string {
  const dir = join(tempDir, `sql-profile-${run}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Prints, per thread, its database time per message and the statements that took most of it. */
export function printSqlProfile(dir: string, messages: number, top = 15): void {
  const files = readdirSync(dir).filter((name) => name.startsWith('sql-') && name.endsWith('.json'));
  for (const name of files.sort()) {
    const { pid, thread, totals } = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { pid: number; thread: number; totals: Array<[string, Totals]> };
    const sorted = totals.sort((a, b) => b[1].ns - a[1].ns);
    const totalNs = sorted.reduce((sum, [, t]) => sum + t.ns, 0);
    console.log(
      `\nSQL of process ${pid} ${thread === 0 ? 'main thread' : `thread ${thread}`}: ${fixed(totalNs / 1e3 / messages, 0)} µs per message ` +
        `(${fixed(totalNs / 1e9, 2)} s over ${messages} messages, the smoke run included)`,
    );
    const rows = sorted.slice(0, top).map(([sql, t]) => [
      sql.length > 100 ? `${sql.slice(0, 97)}...` : sql,
      fixed(t.ns / 1e3 / messages, 1),
      fixed(t.calls / messages, 2),
      fixed(t.ns / 1e3 / t.calls, 1),
    ]);
    console.log(formatTable(['statement', 'µs/msg', 'calls/msg', 'µs/call'], rows));
  }
}
