// What one message costs the PostgreSQL primary, measured over the end-to-end run's window (from
// just before the first request to after Pigeon's connections have closed and flushed their
// statistics): the inputs of the capacity model in capacity.ts. Counters are read as differences,
// so the database's set-up, the smoke messages and the bench's own checks afterwards stay out.
import { readdirSync, readFileSync } from 'node:fs';
import { processCpuMs } from './child.js';
import type { BenchDatabase } from './databases.js';

interface Counters {
  lsn: string;
  commits: number;
  /** Commits in every other database of the server: whether the server-wide WAL figures are ours alone. */
  otherCommits: number;
  rowsWritten: number;
  rowsRead: number;
  /** pg_stat_wal (PostgreSQL 14–17); undefined where the server has no such columns. */
  walSync: number | undefined;
  walWrite: number | undefined;
  walSyncTimeMs: number | undefined;
}

export interface PgWorkStart {
  counters: Counters;
  cpuByPid: Map<number, number>;
}

export interface PgWorkEnd {
  cpuByPid: Map<number, number>;
  /** This database's backends and the server's background processes, while Pigeon is still connected. */
  pids: number[];
  /** Client connections Pigeon held: what can wait on a WAL flush at once. */
  connections: number;
}

export interface PgWork {
  messages: number;
  version: string;
  settings: string;
  commitsPerMessage: number;
  walBytesPerMessage: number;
  /** WAL fsyncs per message (server-wide); undefined where pg_stat_wal has no wal_sync. */
  flushesPerMessage: number | undefined;
  walWritesPerMessage: number | undefined;
  /** Mean fsync time in ms, when track_wal_io_timing is on. */
  flushMs: number | undefined;
  rowsWrittenPerMessage: number;
  rowsReadPerMessage: number;
  serverCpuUsPerMessage: number;
  /** The same over every postgres process on the machine (other databases' work included). */
  allPostgresCpuUsPerMessage: number;
  connections: number;
  otherCommits: number;
}

const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));

async function counters(db: BenchDatabase): Promise<Counters> {
  const [row] = await db.rows<Record<string, string | number>>(`
    SELECT pg_current_wal_lsn()::text AS lsn,
      (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS commits,
      (SELECT coalesce(sum(xact_commit), 0) FROM pg_stat_database WHERE datname IS DISTINCT FROM current_database()) AS other_commits,
      (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables) AS rows_written,
      (SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0) FROM pg_stat_user_tables) AS rows_read`);
  let wal: Record<string, string | number> | undefined;
  try {
    [wal] = await db.rows<Record<string, string | number>>('SELECT wal_sync, wal_write, wal_sync_time FROM pg_stat_wal');
  } catch {
    // PostgreSQL 18 moved these to pg_stat_io; the flush figure is then not measured.
  }
  return {
    lsn: String(row?.lsn),
    commits: Number(row?.commits),
    otherCommits: Number(row?.other_commits),
    rowsWritten: Number(row?.rows_written),
    rowsRead: Number(row?.rows_read),
    walSync: num(wal?.wal_sync),
    walWrite: num(wal?.wal_write),
    walSyncTimeMs: num(wal?.wal_sync_time),
  };
}

/** CPU ms of every process named `postgres` on this machine, by pid. */
function postgresCpuByPid(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    const ms = processCpuMs(Number(name));
    if (ms !== undefined) cpu.set(Number(name), ms);
  }
  return cpu;
}

export async function pgWorkStart(db: BenchDatabase): Promise<PgWorkStart> {
  return { counters: await counters(db), cpuByPid: postgresCpuByPid() };
}

/** At completion, before Pigeon stops: a backend that exits takes its CPU time with it. */
export async function pgWorkEnd(db: BenchDatabase): Promise<PgWorkEnd> {
  const cpuByPid = postgresCpuByPid();
  const rows = await db.rows<{ pid: number; client: boolean }>(`
    SELECT pid, backend_type = 'client backend' AS client FROM pg_stat_activity
     WHERE (datname = current_database() OR datname IS NULL) AND pid <> pg_backend_pid()`);
  return { cpuByPid, pids: rows.map((r) => r.pid), connections: rows.filter((r) => r.client).length };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * After Pigeon has stopped: waits for its backends to exit (each flushes its statistics as it goes),
 * then takes the differences.
 */
export async function pgWorkFinish(db: BenchDatabase, start: PgWorkStart, end: PgWorkEnd, messages: number): Promise<PgWork> {
  for (let i = 0; i < 50; i++) {
    const left = await db.scalar(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    if (left === 0) break;
    await sleep(100);
  }
  const a = start.counters;
  const b = await counters(db);
  const [walBytes] = await db.rows<{ n: string }>(`SELECT pg_wal_lsn_diff('${b.lsn}', '${a.lsn}') AS n`);
  const [info] = await db.rows<{ version: string; settings: string }>(`
    SELECT version() AS version,
      (SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
        WHERE name IN ('synchronous_commit', 'fsync', 'wal_sync_method', 'commit_delay', 'commit_siblings', 'track_wal_io_timing', 'wal_level')) AS settings`);
  // Backends that started inside the window count from zero; ones that ended inside it are lost (a floor).
  const cpuMs = (pids: Iterable<number>) => {
    let total = 0;
    for (const pid of pids) total += (end.cpuByPid.get(pid) ?? 0) - (start.cpuByPid.get(pid) ?? 0);
    return total;
  };
  const per = (x: number) => x / messages;
  const syncs = a.walSync === undefined || b.walSync === undefined ? undefined : b.walSync - a.walSync;
  const syncMs = a.walSyncTimeMs === undefined || b.walSyncTimeMs === undefined ? undefined : b.walSyncTimeMs - a.walSyncTimeMs;
  return {
    messages,
    version: info?.version.split(' on ')[0] ?? '?',
    settings: info?.settings ?? '',
    commitsPerMessage: per(b.commits - a.commits),
    walBytesPerMessage: per(Number(walBytes?.n)),
    flushesPerMessage: syncs === undefined ? undefined : per(syncs),
    walWritesPerMessage: a.walWrite === undefined || b.walWrite === undefined ? undefined : per(b.walWrite - a.walWrite),
    flushMs: syncs && syncMs ? syncMs / syncs : undefined,
    rowsWrittenPerMessage: per(b.rowsWritten - a.rowsWritten),
    rowsReadPerMessage: per(b.rowsRead - a.rowsRead),
    serverCpuUsPerMessage: per(cpuMs(end.pids) * 1000),
    allPostgresCpuUsPerMessage: per(cpuMs(end.cpuByPid.keys()) * 1000),
    connections: end.connections,
    otherCommits: b.otherCommits - a.otherCommits,
  };
}
