// `npm run bench`: each scenario on each storage engine, beside a bare Node http server measured in
// the same run on the same machine. Absolute numbers on shared 2-core machines swing from run to
// run; ratios to the same-run baseline are the figures to compare across runs.
//
// - acceptance: how fast `--role api` processes answer POST /api/v2/users/{accountId}/messages with
//   202, over a fixed time: SQLite with one process; PostgreSQL with one and with two processes on
//   one database (bench/lib/acceptance.ts).
// - e2e: a whole deployment (SQLite: one process, role all; PostgreSQL: two API and two worker
//   processes) takes a fixed number of SMS, and the run lasts until a callback receiver has had every
//   terminal callback: sustained end-to-end throughput, drain time after the last 202, and memory
//   meanwhile (bench/lib/e2e.ts). Its first message goes 3 s after the processes listen.
// - e2e-startup: the same run, but the deployment starts with a message waiting in the queue (from a
//   `--role api` process run just before) and the first message is sent the moment the API process
//   listens, while the worker side is still starting (it took planner statistics of those messages,
//   and each claim then read every stored message: issue 21). Reported beside the plain run.
// - smpp: the e2e deployment and load again, sending through `pigeon smsc` (a child process) over
//   SMPP instead of the built-in simulator: submit_sm, submit_sm_resp, the receipt as deliver_sm,
//   then the callback. Reported beside the simulator's e2e figure of the same run, which it runs
//   first when the e2e scenario is not asked for (bench/lib/smpp.ts).
// - isolation: the e2e deployment twice, back to back: alone, then beside a second customer whose
//   webhook accepts connections and never answers, with thousands of its callbacks pending. The
//   measured customer's end-to-end throughput and callback p99 (acceptance to terminal callback)
//   with the hanging endpoint, against the run without it.
//
// - list: GET …/messages over 10 000, 100 000 and 1 000 000 stored records per engine, filled with
//   bulk SQL: the first page of every filter and sort, a deep page through page tokens, the console's
//   list route; p50/p99 per query and size, and p99 at the largest size over the smallest (bench/lib/list.ts).
//
// - export: GET /admin/v1/messages/export of 1 000 000 messages of one account (filled with the list
//   scenario's bulk SQL), streamed as NDJSON and as CSV from a `--role api` child: rows/s, total time,
//   the child's peak RSS over its RSS before, and whether it stayed flat; a wrong row count fails
//   the bench (bench/lib/export.ts).
//
// Environment:
//   BENCH_SCENARIOS=acceptance,e2e,e2e-startup,smpp,isolation,list,export,directory   which scenarios to run (all by default)
//   BENCH_ENGINES=sqlite,postgres    which engines; by default PostgreSQL only where it answers
//   BENCH_SECONDS=10            measured run per acceptance target
//   BENCH_WARMUP_SECONDS=2      warm-up per target (JIT, authenticator cache, page caches)
//   BENCH_CONNECTIONS=64
//   BENCH_ROUNDS=1              measured runs per acceptance target, in turn; ratios use the median
//   BENCH_SQLITE_QUERY=         appended to the SQLite DATABASE_URL, e.g. synchronous=normal
//   BENCH_PIGEON_NODE_ARGS=     extra node flags for the Pigeon children, e.g. --cpu-prof --cpu-prof-dir=.bench
//   BENCH_SQL_PROFILE=1         time each SQLite statement in the end-to-end runs and print them per message
//   BENCH_SQL_ROWS=1            count the rows each SQLite statement writes in the end-to-end runs, per message by table
//   BENCH_SMPP_ENGINES=         the engines the smpp scenario runs on (default: every engine of the bench)
//   BENCH_RESULTS_JSON=         write the e2e and smpp results to this file as JSON (bench/kannel.sh reads it)
//   BENCH_E2E_MESSAGES=100000   SMS sent in each e2e run (simulator and SMPP alike)
//   BENCH_SMPP_WINDOW=          the SMPP carrier's window (submits without a response per bind); unset: Pigeon's default
//   BENCH_SMPP_BINDS=           the SMPP carrier's binds per Pigeon process; unset: Pigeon's default
//   BENCH_E2E_CALLBACK_CONCURRENCY=64
//   BENCH_E2E_DELIVERY_CONCURRENCY=   delivery.concurrency; unset: Pigeon's default
//   BENCH_E2E_DEADLINE_SECONDS=180    how long after the last 202 the callbacks may take
//   BENCH_ISOLATION_MESSAGES=30000    SMS of the measured customer in each isolation run
//   BENCH_ISOLATION_HANGING=3000      SMS of the customer whose webhook hangs
//   BENCH_LIST_SIZES=10000,100000,1000000   stored records in each list run
//   BENCH_LIST_REPEATS=15       timed requests per list query (after two warm-ups; 5 when one takes over 500 ms)
//   BENCH_LIST_DEEP_PAGES=50    the deep page the list scenario reaches through tokens
//   BENCH_EXPORT_MESSAGES=1000000   messages in the export scenario's store, per engine
//   BENCH_DIRECTORY_ACCOUNTS=10000   accounts of the large directory (each with a user and an application)
//   BENCH_DIRECTORY_NUMBERS=1000000  numbers of the large directory
//   BENCH_DIRECTORY_STARTS=2         starts of each directory's API process (the start-up figure is their median)
//   BENCH_DIRECTORY_ROUNDS=3         measured runs per directory, in turn (a 5% target needs more than one on a shared machine)
//   BENCH_SKIP_BUILD=1          use dist/ as it is instead of running `npm run build`
//   PIGEON_TEST_POSTGRES_URL    the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
//                               each scenario gets a fresh database on it, dropped afterwards
//
// Exits non-zero only when the bench itself failed (a server did not start or stop cleanly, a
// response other than 202, a connection error, a database that does not hold exactly the messages
// that were acknowledged, a terminal callback missing at the deadline); missing a performance
// target is reported, not failed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAcceptance, type AcceptanceSummary } from './lib/acceptance.js';
import { killAllChildren } from './lib/child.js';
import { postgresReachable, POSTGRES_ADMIN_URL, type Engine } from './lib/databases.js';
import { FLAT_SLACK_MB, FLAT_TOLERANCE, runEndToEnd, type E2eOptions, type E2eResult } from './lib/e2e.js';
import { numberFromEnv } from './lib/fixture.js';
import { printExport, runExport } from './lib/export.js';
import { printDirectory, runDirectory } from './lib/directory.js';
import { printList, runList } from './lib/list.js';
import { printSmpp, runSmppEndToEnd, type SmppRun } from './lib/smpp.js';
import { fixed, formatTable } from './lib/table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function listFromEnv<T extends string>(name: string, allowed: readonly T[]): T[] | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const values = raw.split(',').map((v) => v.trim());
  for (const value of values) {
    if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name}: unknown value '${value}' (one of ${allowed.join(', ')})`);
  }
  return values as T[];
}

const ALL_SCENARIOS = ['acceptance', 'e2e', 'e2e-startup', 'smpp', 'isolation', 'list', 'export', 'directory'] as const;
const SCENARIOS = new Set(listFromEnv('BENCH_SCENARIOS', ALL_SCENARIOS) ?? ALL_SCENARIOS);
const ENGINES_ASKED = listFromEnv('BENCH_ENGINES', ['sqlite', 'postgres'] as const);
const SECONDS = numberFromEnv('BENCH_SECONDS', 10);
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP_SECONDS', 2);
const CONNECTIONS = Math.round(numberFromEnv('BENCH_CONNECTIONS', 64));
const ROUNDS = Math.round(numberFromEnv('BENCH_ROUNDS', 1));
const SQLITE_QUERY = process.env.BENCH_SQLITE_QUERY ?? '';
const NODE_ARGS = (process.env.BENCH_PIGEON_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const SQL_PROFILE = process.env.BENCH_SQL_PROFILE === '1';
const SQL_ROWS = process.env.BENCH_SQL_ROWS === '1';
const SMPP_ENGINES = listFromEnv('BENCH_SMPP_ENGINES', ['sqlite', 'postgres'] as const);
const RESULTS_JSON = process.env.BENCH_RESULTS_JSON;
const E2E_MESSAGES = Math.round(numberFromEnv('BENCH_E2E_MESSAGES', 100_000));
const E2E_CALLBACK_CONCURRENCY = Math.round(numberFromEnv('BENCH_E2E_CALLBACK_CONCURRENCY', 64));
const E2E_DELIVERY_CONCURRENCY = process.env.BENCH_E2E_DELIVERY_CONCURRENCY
  ? Math.round(numberFromEnv('BENCH_E2E_DELIVERY_CONCURRENCY', 64))
  : undefined;
const E2E_DEADLINE_SECONDS = numberFromEnv('BENCH_E2E_DEADLINE_SECONDS', 180);
const ISOLATION_MESSAGES = Math.round(numberFromEnv('BENCH_ISOLATION_MESSAGES', 30_000));
const ISOLATION_HANGING = Math.round(numberFromEnv('BENCH_ISOLATION_HANGING', 3000));
const SMPP_WINDOW = process.env.BENCH_SMPP_WINDOW ? Math.round(numberFromEnv('BENCH_SMPP_WINDOW', 10)) : undefined;
const SMPP_BINDS = process.env.BENCH_SMPP_BINDS ? Math.round(numberFromEnv('BENCH_SMPP_BINDS', 1)) : undefined;

const LIST_SIZES = (process.env.BENCH_LIST_SIZES ?? '10000,100000,1000000').split(',').map((v) => {
  const size = Number(v.trim());
  if (!Number.isInteger(size) || size < 100) throw new Error(`BENCH_LIST_SIZES: '${v}' is not a record count of at least 100`);
  return size;
});
const LIST_REPEATS = Math.round(numberFromEnv('BENCH_LIST_REPEATS', 15));
const LIST_DEEP_PAGES = Math.round(numberFromEnv('BENCH_LIST_DEEP_PAGES', 50));
const EXPORT_MESSAGES = Math.round(numberFromEnv('BENCH_EXPORT_MESSAGES', 1_000_000));
const DIRECTORY_ACCOUNTS = Math.round(numberFromEnv('BENCH_DIRECTORY_ACCOUNTS', 10_000));
const DIRECTORY_NUMBERS = Math.round(numberFromEnv('BENCH_DIRECTORY_NUMBERS', 1_000_000));
const DIRECTORY_STARTS = Math.round(numberFromEnv('BENCH_DIRECTORY_STARTS', 2));
const DIRECTORY_ROUNDS = Math.round(numberFromEnv('BENCH_DIRECTORY_ROUNDS', Math.max(ROUNDS, 3)));

const TARGET_E2E_RATIO = 0.7;
/** Beside a hanging endpoint: at least this share of the throughput alone, at most this multiple of its callback p99. */
const TARGET_ISOLATION_THROUGHPUT = 0.9;
const TARGET_ISOLATION_P99 = 2;

const E2E_DEPLOYMENTS = {
  sqlite: { label: 'sqlite, 1 process (role all)', shape: { allInOne: true } },
  postgres: { label: 'postgres, 2 api + 2 worker', shape: { apis: 2, workers: 2 } },
} as const;

const failures: string[] = [];
let tempDir: string | undefined;

function cleanup(): void {
  killAllChildren();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}

/**
 * How busy the machine is before the bench adds its own load. Other processes (a test suite, say)
 * compete for the same two cores and can halve either target's figure, so this goes in the output.
 */
function machineLoad(): { text: string; busy: boolean } {
  let pressure: number | undefined;
  try {
    const avg10 = /avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1];
    pressure = avg10 === undefined ? undefined : Number(avg10);
  } catch {
    // No PSI on this kernel; the load average alone has to do.
  }
  const load1 = loadavg()[0] ?? 0;
  return {
    text: `load average ${load1.toFixed(2)}${pressure === undefined ? '' : `, CPU pressure avg10 ${pressure.toFixed(1)}%`}`,
    // The load average decays over minutes (a previous bench still shows), so PSI decides when present.
    busy: pressure === undefined ? load1 > 1 : pressure > 10,
  };
}

function build(): void {
  if (process.env.BENCH_SKIP_BUILD === '1') {
    console.log('build: skipped (BENCH_SKIP_BUILD=1), using dist/ as it is');
    return;
  }
  process.stdout.write('build: npm run build … ');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    console.log('failed');
    throw new Error(`npm run build failed (BENCH_SKIP_BUILD=1 runs on the existing dist/):\n${result.stdout}${result.stderr}`);
  }
  console.log('ok');
}

/** The engines to run: as asked, or SQLite plus PostgreSQL where a server answers. */
async function engines(): Promise<Engine[]> {
  const postgres = await postgresReachable();
  if (ENGINES_ASKED) {
    if (ENGINES_ASKED.includes('postgres') && !postgres.ok) {
      throw new Error(`BENCH_ENGINES includes postgres, but ${POSTGRES_ADMIN_URL} does not answer: ${postgres.why}`);
    }
    return ENGINES_ASKED;
  }
  if (!postgres.ok) console.log(`postgres: skipped, ${POSTGRES_ADMIN_URL} does not answer (${postgres.why})`);
  return postgres.ok ? ['sqlite', 'postgres'] : ['sqlite'];
}

function mb(value: number | undefined): string {
  return value === undefined ? '-' : `${fixed(value, 0)} MB`;
}

function printSummary(acceptance: AcceptanceSummary | undefined, e2es: readonly E2eResult[]): void {
  const rows: string[][] = [];
  const ofBare = (value: number | undefined) =>
    acceptance === undefined || value === undefined ? '-' : `${fixed((100 * value) / acceptance.bare, 1)}% of bare`;
  if (acceptance) {
    rows.push(['bare node http: acceptance', fixed(acceptance.bare, 0), '-', '']);
    for (const figure of acceptance.pigeon) {
      rows.push([`${figure.label}: acceptance`, fixed(figure.requestsPerSecond, 0), fixed(figure.cpuUsPerMessage, 0), ofBare(figure.requestsPerSecond)]);
    }
  }
  for (const e2e of e2es) {
    const sendRate = e2e.send.requestsPerSecond;
    const ratio = e2e.endToEndPerSecond === undefined ? undefined : e2e.endToEndPerSecond / sendRate;
    // The same engine and number of API processes accepting alone, without delivery on the machine.
    const alone = acceptance?.pigeon.find((f) => f.engine === e2e.engine && f.apis === e2e.apis);
    const ofAlone =
      alone === undefined || e2e.endToEndPerSecond === undefined
        ? ''
        : `, ${fixed((100 * e2e.endToEndPerSecond) / alone.requestsPerSecond, 1)}% of acceptance alone`;
    rows.push([`e2e ${e2e.label}: acceptance during the send`, fixed(sendRate, 0), '-', ofBare(sendRate)]);
    rows.push([
      `e2e ${e2e.label}: end-to-end (202 to terminal callback)`,
      fixed(e2e.endToEndPerSecond, 0),
      fixed(e2e.pigeonCpuUsPerMessage, 0),
      ratio === undefined ? 'incomplete' : `${fixed(100 * ratio, 1)}% of its acceptance${ofAlone}, ${ofBare(e2e.endToEndPerSecond)}`,
    ]);
  }
  console.log(`\n== summary\n${formatTable(['figure', 'per second', 'pigeon CPU µs/msg', 'relative'], rows)}`);
  for (const e2e of e2es) {
    const m = e2e.memory;
    const span = (e2e.lastCallbackAt ?? e2e.send.lastResponseAt) - e2e.send.startedAt;
    const ratio = e2e.endToEndPerSecond === undefined ? undefined : e2e.endToEndPerSecond / e2e.send.requestsPerSecond;
    console.log(`\ne2e ${e2e.label}:`);
    console.log(
      `  ${e2e.messages} SMS; send ${fixed((e2e.send.lastResponseAt - e2e.send.startedAt) / 1000, 1)} s ` +
        `(p50 ${fixed(e2e.send.p50Ms, 1)} ms, p99 ${fixed(e2e.send.p99Ms, 1)} ms), first request to last terminal callback ` +
        `${e2e.lastCallbackAt === undefined ? '-' : fixed(span / 1000, 1)} s, ` +
        `drain after the last 202 ${e2e.drainMs === undefined ? '-' : fixed(e2e.drainMs / 1000, 1)} s`,
    );
    console.log(
      `  CPU over the run (100% = one core): pigeon ${fixed(e2e.pigeonCpuPercent, 0)}%, ` +
        `${e2e.databaseCpuPercent === undefined ? '' : `postgres ${fixed(e2e.databaseCpuPercent, 0)}%, `}` +
        `callback receiver ${fixed(e2e.receiverCpuPercent, 0)}%, load generator during the send ${fixed(e2e.send.loadgenCpuPercent, 0)}%`,
    );
    console.log(
      `  pigeon RSS (all processes): ${mb(m.beforeMb)} before, peak ${mb(m.peakMb)}; ` +
        `at ${m.atShare.map((a) => `${fixed(a.share * 100, 0)}%`).join('/')} of callbacks ` +
        `${m.atShare.map((a) => (a.mb === undefined ? '-' : fixed(a.mb, 0))).join('/')} MB`,
    );
    console.log(
      `  memory flat (last-quarter peak at most max(${FLAT_SLACK_MB} MB, ${FLAT_TOLERANCE * 100}%) above the first-quarter peak): ` +
        `${m.flat === undefined ? 'unknown' : m.flat ? 'yes' : 'NO'} (last ${mb(m.lastQuarterPeakMb)}, first ${mb(m.firstQuarterPeakMb)}, ` +
        `allowed growth ${mb(m.allowedGrowthMb)})`,
    );
    console.log(
      `  target end-to-end >= ${TARGET_E2E_RATIO * 100}% of acceptance during the send: ` +
        `${ratio === undefined ? 'MISS (incomplete)' : ratio >= TARGET_E2E_RATIO ? 'PASS' : 'MISS'}`,
    );
  }
}

/** An end-to-end run of the engine's deployment as configured by the environment. */
function e2eOptions(engine: Engine, label: string, messages: number): E2eOptions {
  return {
    ...E2E_DEPLOYMENTS[engine],
    label,
    engine,
    root: ROOT,
    tempDir: tempDir as string,
    messages,
    connections: CONNECTIONS,
    callbackConcurrency: E2E_CALLBACK_CONCURRENCY,
    deliveryConcurrency: E2E_DELIVERY_CONCURRENCY,
    deadlineSeconds: E2E_DEADLINE_SECONDS,
    nodeArgs: NODE_ARGS,
    sqliteQuery: SQLITE_QUERY,
    sqlProfile: SQL_PROFILE,
    sqlRows: SQL_ROWS,
    failures,
  };
}

function printIsolation(runs: ReadonlyArray<{ alone: E2eResult; beside: E2eResult }>): void {
  if (runs.length === 0) return;
  const rows = runs.flatMap(({ alone, beside }) =>
    [alone, beside].map((r) => [
      r.label,
      fixed(r.endToEndPerSecond, 0),
      fixed(r.callbackLatency?.p50Ms ?? undefined, 0),
      fixed(r.callbackLatency?.p99Ms ?? undefined, 0),
      fixed(r.pigeonCpuUsPerMessage, 0),
    ]),
  );
  console.log(`\n== isolation\n${formatTable(['run', 'end-to-end per second', 'callback p50 ms', 'callback p99 ms', 'pigeon CPU µs/msg'], rows)}`);
  for (const { alone, beside } of runs) {
    const throughput =
      alone.endToEndPerSecond === undefined || beside.endToEndPerSecond === undefined ? undefined : beside.endToEndPerSecond / alone.endToEndPerSecond;
    const p99Alone = alone.callbackLatency?.p99Ms ?? undefined;
    const p99Beside = beside.callbackLatency?.p99Ms ?? undefined;
    const p99 = p99Alone === undefined || p99Beside === undefined ? undefined : p99Beside / p99Alone;
    const verdict = (ok: boolean | undefined) => (ok === undefined ? 'MISS (incomplete)' : ok ? 'PASS' : 'MISS');
    console.log(
      `${beside.engine}: throughput beside the hanging endpoint ${throughput === undefined ? '-' : `${fixed(100 * throughput, 1)}%`} of alone ` +
        `(target >= ${TARGET_ISOLATION_THROUGHPUT * 100}%: ${verdict(throughput === undefined ? undefined : throughput >= TARGET_ISOLATION_THROUGHPUT)}); ` +
        `callback p99 ${p99 === undefined ? '-' : `${fixed(p99, 2)}x`} of alone ` +
        `(target <= ${TARGET_ISOLATION_P99}x: ${verdict(p99 === undefined ? undefined : p99 <= TARGET_ISOLATION_P99)})`,
    );
  }
}

async function main(): Promise<number> {
  const engineList = await engines();
  console.log(
    `pigeon bench: node ${process.version}, ${availableParallelism()} CPUs, scenarios ${[...SCENARIOS].join(', ')}, ` +
      `engines ${engineList.join(', ')}`,
  );
  const load = machineLoad();
  console.log(`machine before the bench: ${load.text}`);
  if (load.busy) console.log('warning: other processes are using the CPU; absolute figures and even ratios will be off');
  build();
  tempDir = mkdtempSync(join(tmpdir(), 'pigeon-bench-'));

  // What every scenario that starts its own Pigeon processes is given.
  const common = { root: ROOT, tempDir, engines: engineList, sqliteQuery: SQLITE_QUERY, nodeArgs: NODE_ARGS, failures };
  const acceptance = SCENARIOS.has('acceptance')
    ? await runAcceptance({ ...common, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, rounds: ROUNDS })
    : undefined;
  const e2es: E2eResult[] = [];
  if (SCENARIOS.has('e2e')) {
    for (const engine of engineList) {
      const deployment = E2E_DEPLOYMENTS[engine];
      console.log(`\n== e2e: ${deployment.label}`);
      e2es.push(await runEndToEnd(e2eOptions(engine, deployment.label, E2E_MESSAGES)));
    }
  }
  if (SCENARIOS.has('e2e-startup')) {
    for (const engine of engineList) {
      const label = `${E2E_DEPLOYMENTS[engine].label}, first message at start-up`;
      console.log(`\n== e2e-startup: ${label}`);
      e2es.push(await runEndToEnd({ ...e2eOptions(engine, label, E2E_MESSAGES), messageAtStartUp: true }));
    }
  }
  const smpp: SmppRun[] = [];
  if (SCENARIOS.has('smpp')) {
    for (const engine of engineList.filter((e) => SMPP_ENGINES === undefined || SMPP_ENGINES.includes(e))) {
      const deployment = E2E_DEPLOYMENTS[engine];
      let simulator = e2es.find((e) => e.engine === engine);
      if (simulator === undefined) {
        console.log(`\n== e2e: ${deployment.label} (the simulator figure the SMPP run is set beside)`);
        simulator = await runEndToEnd(e2eOptions(engine, deployment.label, E2E_MESSAGES));
        e2es.push(simulator);
      }
      console.log(`\n== smpp: ${deployment.label}, through pigeon smsc`);
      const run = await runSmppEndToEnd(e2eOptions(engine, `${deployment.label}, SMPP`, E2E_MESSAGES), {
        window: SMPP_WINDOW,
        binds: SMPP_BINDS,
      });
      smpp.push({ ...run, simulator });
    }
  }
  const isolation: Array<{ alone: E2eResult; beside: E2eResult }> = [];
  if (SCENARIOS.has('isolation')) {
    for (const engine of engineList) {
      const deployment = E2E_DEPLOYMENTS[engine];
      const run = (label: string, hangingMessages: number | undefined) =>
        runEndToEnd({ ...e2eOptions(engine, label, ISOLATION_MESSAGES), hangingMessages });
      console.log(`\n== isolation: ${deployment.label}, alone`);
      const alone = await run(`${deployment.label}, alone`, undefined);
      console.log(`\n== isolation: ${deployment.label}, beside a hanging endpoint`);
      const beside = await run(`${deployment.label}, beside a hanging endpoint`, ISOLATION_HANGING);
      isolation.push({ alone, beside });
    }
  }
  const list = SCENARIOS.has('list')
    ? await runList({ ...common, sizes: LIST_SIZES, repeats: LIST_REPEATS, deepPages: LIST_DEEP_PAGES })
    : [];
  const exports = SCENARIOS.has('export') ? await runExport({ ...common, messages: EXPORT_MESSAGES }) : [];
  const directory = SCENARIOS.has('directory')
    ? await runDirectory({
        ...common,
        accounts: DIRECTORY_ACCOUNTS,
        numbers: DIRECTORY_NUMBERS,
        starts: DIRECTORY_STARTS,
        seconds: SECONDS,
        warmupSeconds: WARMUP_SECONDS,
        connections: CONNECTIONS,
        rounds: DIRECTORY_ROUNDS,
      })
    : [];
  if (acceptance || e2es.length > 0) printSummary(acceptance, e2es);
  printSmpp(smpp);
  printIsolation(isolation);
  printList(list, LIST_SIZES);
  printExport(exports);
  printDirectory(directory);
  console.log(`\nmachine after the bench: ${machineLoad().text}`);
  if (RESULTS_JSON) {
    const smppResults = smpp.map(({ smpp: run, simulator, smscCpuUsPerMessage }) => ({ engine: run.engine, run, simulator: simulator.label, smscCpuUsPerMessage }));
    writeFileSync(RESULTS_JSON, JSON.stringify({ e2e: e2es, smpp: smppResults, failures }, null, 1));
  }

  if (failures.length > 0) {
    console.error(`\nbench FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  return 0;
}

process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(`\nbench FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
