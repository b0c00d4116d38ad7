// The directory scenario of `npm run bench` (`npm run bench:directory` runs it alone): the live
// tenant directory at scale. Per engine, two databases: one with only the bench account, one with
// 10 000 accounts (each with a user and an application) and 1 000 000 numbers besides. For each:
// how long reading the directory into memory takes (in the bench process, as each Pigeon thread
// does at start), how long a `--role api` process takes from spawn to listening, its memory, and
// its acceptance rate, the two databases' processes measured in turn in the same run. Targets
// (issue 23): start-up under 5 s, and acceptance with the large directory within 5% of the small
// one's. The gap between processes on PostgreSQL is measured by test/scaleout/directory-propagation.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccountDirectory } from '../../src/core/accounts/directory.js';
import type { DirectoryWrite } from '../../src/core/accounts/directory-port.js';
import { hashPassword } from '../../src/core/accounts/passwords.js';
import { openStore } from '../../src/store/open-store.js';
import { withSql } from '../../test/helpers/databases.js';
import { printComplaints, type ChildServer } from './child.js';
import { createBenchDatabase, type BenchDatabase, type Engine } from './databases.js';
import { rssKb } from './e2e.js';
import { accountsYaml, MESSAGES_PATH, REQUEST_BODY, REQUEST_HEADERS } from './fixture.js';
import { median, runLoad, type LoadResult } from './load.js';
import { startPigeon } from './pigeon.js';
import { fixed, formatTable } from './table.js';

export const TARGET_STARTUP_MS = 5000;
/** Acceptance with the large directory: at least this share of the small directory's. */
export const TARGET_ACCEPTANCE_SHARE = 0.95;
const CHUNK = 20_000;

export interface DirectoryOptions {
  root: string;
  tempDir: string;
  engines: readonly Engine[];
  /** Accounts and numbers of the large directory, besides the bench account. */
  accounts: number;
  numbers: number;
  /** Times each process is started; the figure is the median, the last start is measured. */
  starts: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  rounds: number;
  sqliteQuery: string;
  nodeArgs: readonly string[];
  failures: string[];
}

export interface DirectoryFigure {
  label: string;
  /** Reading the directory into memory in the bench process. */
  loadMs: number;
  /** Spawn to listening, each start. */
  startMs: number[];
  /** The API process's resident memory once it listens. */
  rssMb: number | undefined;
  /** Medians over the rounds. */
  requestsPerSecond: number;
  p99Ms: number;
  /** The process's CPU time per accepted message, µs, median over the rounds: steadier than the rate on a shared machine. */
  cpuUsPerMessage: number | undefined;
  rounds: LoadResult[];
}

export interface DirectoryRun {
  engine: Engine;
  small: DirectoryFigure;
  large: DirectoryFigure;
}

/** Fills the directory straight through the store (one hash for every user: scrypt per user would take minutes). */
export async function fillDirectory(db: BenchDatabase, accounts: number, numbers: number): Promise<void> {
  const store = await openStore(db.url);
  try {
    const passwordHash = await hashPassword('filler-password');
    const base = { deleted: false, source: 'api' as const };
    const writes: DirectoryWrite[] = [];
    for (let a = 0; a < accounts; a++) {
      const accountId = `fill-${a}`;
      writes.push({ kind: 'account', row: { id: accountId, name: undefined, throughput: undefined, ...base } });
      writes.push({ kind: 'user', row: { accountId, username: 'user', passwordHash, roles: ['messaging'], enabled: true, ...base } });
      writes.push({
        kind: 'application',
        row: { id: `app-${a}`, accountId, name: 'fill', callbackUrl: undefined, callbackUsername: undefined, callbackPassword: undefined, inboundCallbackUrl: undefined, optOut: undefined, smartEncoding: false, ...base },
      });
    }
    const perAccount = Math.ceil(numbers / accounts);
    for (let n = 0; n < numbers; n++) {
      const a = Math.floor(n / perAccount);
      writes.push({ kind: 'number', row: { number: `+1555${String(n).padStart(7, '0')}`, accountId: `fill-${a}`, applicationId: `app-${a}`, numberType: 'local', ratePerSecond: undefined, ...base } });
    }
    for (let i = 0; i < writes.length; i += CHUNK) await store.directory.write(writes.slice(i, i + CHUNK), [], Date.now());
  } finally {
    await store.close();
  }
  // A directory of this size is not new in production: vacuumed, analysed and checkpointed, rather
  // than measured while autovacuum and the checkpointer work through a million fresh rows beside the load.
  if (db.engine === 'postgres') {
    await withSql(db.url, async (c) => {
      await c.run('VACUUM ANALYZE');
      await c.run('CHECKPOINT');
    });
  }
}

/** Reading the whole directory into memory, as each process does at start. */
async function loadMs(url: string, numbers: number): Promise<number> {
  const store = await openStore(url);
  try {
    const started = performance.now();
    const directory = AccountDirectory.fromRows(await store.directory.load());
    const ms = performance.now() - started;
    if (numbers > 0 && !directory.ownerOfNumber('+15550000000')) throw new Error('the filled directory did not load');
    return ms;
  } finally {
    await store.close();
  }
}

interface Side {
  figure: DirectoryFigure;
  server: ChildServer | undefined;
  db: BenchDatabase;
}

export async function runDirectory(options: DirectoryOptions): Promise<DirectoryRun[]> {
  console.log(
    `\n== directory: ${options.accounts} accounts and ${options.numbers} numbers besides the bench account; ` +
      `${options.starts} start(s) per process, warm-up ${options.warmupSeconds} s, then ${options.rounds} × ${options.seconds} s per process`,
  );
  const configPath = join(options.tempDir, 'pigeon-directory.yaml');
  writeFileSync(configPath, accountsYaml());
  const runs: DirectoryRun[] = [];
  for (const engine of options.engines) {
    const sides: Side[] = [];
    try {
      for (const large of [false, true]) {
        const name = large ? 'large' : 'small';
        const db = await createBenchDatabase(engine, options.tempDir, `directory-${name}`, options.sqliteQuery);
        const label = large ? `${engine}, ${options.accounts + 1} accounts, ${options.numbers + 1} numbers` : `${engine}, 1 account, 1 number`;
        sides.push({ db, server: undefined, figure: { label, loadMs: 0, startMs: [], rssMb: undefined, requestsPerSecond: 0, p99Ms: 0, cpuUsPerMessage: undefined, rounds: [] } });
        if (large) {
          const started = performance.now();
          await fillDirectory(db, options.accounts, options.numbers);
          console.log(`${engine}: filled in ${fixed((performance.now() - started) / 1000, 1)} s`);
        }
      }
      await measure(engine, sides, configPath, options);
      const [small, large] = sides.map((s) => s.figure) as [DirectoryFigure, DirectoryFigure];
      runs.push({ engine, small, large });
    } finally {
      for (const side of sides) {
        if (side.server) await stop(side.server, options.failures);
        await side.db.drop();
      }
    }
  }
  return runs;
}

async function stop(server: ChildServer, failures: string[]): Promise<void> {
  const started = performance.now();
  const code = await server.stop();
  if (code !== 0) failures.push(`${server.name} exited with code ${code} on SIGTERM, after ${fixed(performance.now() - started, 0)} ms`);
  printComplaints(server);
}

async function measure(engine: Engine, sides: Side[], configPath: string, options: DirectoryOptions): Promise<void> {
  for (const side of sides) {
    const { figure } = side;
    figure.loadMs = await loadMs(side.db.url, side === sides[1] ? options.numbers : 0);
    for (let i = 0; i < options.starts; i++) {
      if (side.server) await stop(side.server, options.failures);
      const started = performance.now();
      side.server = await startPigeon({ root: options.root, name: `directory ${figure.label}`, role: 'api', configPath, databaseUrl: side.db.url, nodeArgs: [...options.nodeArgs] });
      figure.startMs.push(performance.now() - started);
    }
    const rss = side.server ? rssKb(side.server.pid) : undefined;
    figure.rssMb = rss === undefined ? undefined : rss / 1024;
    console.log(`${figure.label}: read in ${fixed(figure.loadMs, 0)} ms, started in ${figure.startMs.map((ms) => fixed(ms, 0)).join(', ')} ms`);
  }
  const run = async (side: Side, seconds: number, phase: string) => {
    const server = side.server as ChildServer;
    const result = await runLoad({
      url: `${server.url}${MESSAGES_PATH}`,
      headers: REQUEST_HEADERS,
      body: REQUEST_BODY,
      seconds,
      connections: options.connections,
      serverPids: [server.pid],
      postgres: engine === 'postgres',
    });
    if (result.non2xx > 0 || result.errors > 0) {
      options.failures.push(`directory ${side.figure.label} ${phase}: ${result.non2xx} non-2xx, ${result.errors} connection errors`);
    }
    return result;
  };
  for (const side of sides) await run(side, options.warmupSeconds, 'warm-up');
  // In turn, so that load from elsewhere on the machine tends to hit both sides of the ratio.
  for (let round = 1; round <= options.rounds; round++) {
    for (const side of sides) side.figure.rounds.push(await run(side, options.seconds, `round ${round}`));
  }
  for (const { figure } of sides) {
    figure.requestsPerSecond = median(figure.rounds.map((r) => r.requestsPerSecond));
    figure.p99Ms = median(figure.rounds.map((r) => r.p99Ms));
    const cpu = figure.rounds.map(cpuUsPerMessage);
    figure.cpuUsPerMessage = cpu.some((c) => c === undefined) ? undefined : median(cpu as number[]);
  }
}

function cpuUsPerMessage(r: LoadResult): number | undefined {
  return r.serverCpuPercent === undefined || r.windowResponses === 0 ? undefined : (r.serverCpuPercent * r.windowMs * 10) / r.windowResponses;
}

const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

export function printDirectory(runs: readonly DirectoryRun[]): void {
  if (runs.length === 0) return;
  const rows = runs.flatMap(({ small, large }) =>
    [small, large].map((f) => [
      f.label,
      fixed(f.loadMs, 0),
      f.startMs.map((ms) => fixed(ms, 0)).join(', '),
      fixed(f.rssMb, 0),
      f.rounds.map((r) => fixed(r.requestsPerSecond, 0)).join(', '),
      fixed(f.p99Ms, 1),
      fixed(f.cpuUsPerMessage, 0),
    ]),
  );
  console.log(`\n== directory\n${formatTable(['directory', 'read ms', 'start-up ms', 'RSS MB', 'req/s per round', 'p99 ms', 'CPU µs/msg'], rows)}`);
  for (const { engine, small, large } of runs) {
    const startMs = median(large.startMs);
    // The median of the rounds' ratios: each round measured both directories a few seconds apart.
    const shares = large.rounds.map((r, i) => r.requestsPerSecond / (small.rounds[i]?.requestsPerSecond ?? Number.NaN));
    const share = median(shares);
    console.log(
      `${engine}: start-up with the large directory ${fixed(startMs / 1000, 2)} s (median), target < ${TARGET_STARTUP_MS / 1000} s: ${verdict(startMs < TARGET_STARTUP_MS)}; ` +
        `acceptance ${fixed(large.requestsPerSecond, 0)} req/s beside ${fixed(small.requestsPerSecond, 0)} with one account, ` +
        `${fixed(100 * share, 1)}% (median of the rounds' ratios ${shares.map((r) => `${fixed(100 * r, 0)}%`).join(', ')}), ` +
        `target >= ${TARGET_ACCEPTANCE_SHARE * 100}%: ${verdict(share >= TARGET_ACCEPTANCE_SHARE)}`,
    );
    // What the rate's ratio estimates, without the other load on the machine: the CPU each 202 costs.
    if (large.cpuUsPerMessage !== undefined && small.cpuUsPerMessage !== undefined) {
      console.log(`  CPU per accepted message with the large directory: ${fixed((100 * large.cpuUsPerMessage) / small.cpuUsPerMessage, 1)}% of one account's`);
    }
  }
}

