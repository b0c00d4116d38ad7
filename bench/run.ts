// `npm run bench`: two scenarios, each beside a bare Node http server measured in the same run on
// the same machine. Absolute numbers on shared 2-core machines swing from run to run; ratios to the
// same-run baseline are the figures to compare across runs.
//
// - acceptance: how fast Pigeon (`--role api`) accepts POST /api/v2/users/{accountId}/messages with
//   its durable SQLite store, over a fixed time.
// - e2e: Pigeon in its default role (API + delivery + simulated carrier + callbacks) takes a fixed
//   number of SMS, and the run lasts until a callback receiver has had every terminal callback:
//   sustained end-to-end throughput, drain time after the last 202, and Pigeon's memory meanwhile.
//
// Environment:
//   BENCH_SCENARIOS=acceptance,e2e   which scenarios to run
//   BENCH_SECONDS=10            measured run per target
//   BENCH_WARMUP_SECONDS=2      warm-up per target (JIT, authenticator cache, SQLite page cache)
//   BENCH_CONNECTIONS=64
//   BENCH_ROUNDS=1              measured runs per target, alternating bare/pigeon; ratios use the median
//   BENCH_SQLITE_QUERY=         appended to DATABASE_URL, e.g. synchronous=normal
//   BENCH_PIGEON_NODE_ARGS=     extra node flags for the acceptance Pigeon child, e.g. --cpu-prof --cpu-prof-dir=.bench
//   BENCH_E2E_MESSAGES=100000   SMS sent in the e2e scenario
//   BENCH_E2E_CALLBACK_CONCURRENCY=64
//   BENCH_E2E_DELIVERY_CONCURRENCY=   delivery.concurrency; unset: Pigeon's default
//   BENCH_E2E_DEADLINE_SECONDS=120   how long after the last 202 the callbacks may take
//   BENCH_E2E_NODE_ARGS=        extra node flags for the e2e Pigeon child, e.g. --cpu-prof --cpu-prof-dir=.bench
//   BENCH_SKIP_BUILD=1          use dist/ as it is instead of running `npm run build`
//
// Exits non-zero only when the bench itself failed (a server did not start or stop cleanly, a
// response other than 202, a connection error, a database that does not hold exactly the messages
// that were acknowledged, a terminal callback missing at the deadline); missing a performance
// target is reported, not failed.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllChildren, startChild, type ChildServer } from './lib/child.js';
import { FLAT_TOLERANCE, runEndToEnd, type E2eResult } from './lib/e2e.js';
import { accountsYaml, MESSAGES_PATH, numberFromEnv, REQUEST_BODY, REQUEST_HEADERS } from './lib/fixture.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { fixed, formatTable } from './lib/table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const SCENARIOS = new Set((process.env.BENCH_SCENARIOS || 'acceptance,e2e').split(',').map((v) => v.trim()));
for (const scenario of SCENARIOS) {
  if (scenario !== 'acceptance' && scenario !== 'e2e') throw new Error(`BENCH_SCENARIOS: unknown scenario '${scenario}'`);
}
const SECONDS = numberFromEnv('BENCH_SECONDS', 10);
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP_SECONDS', 2);
const CONNECTIONS = Math.round(numberFromEnv('BENCH_CONNECTIONS', 64));
const ROUNDS = Math.round(numberFromEnv('BENCH_ROUNDS', 1));
const SQLITE_QUERY = process.env.BENCH_SQLITE_QUERY ?? '';
const PIGEON_NODE_ARGS = (process.env.BENCH_PIGEON_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const E2E_MESSAGES = Math.round(numberFromEnv('BENCH_E2E_MESSAGES', 100_000));
const E2E_CALLBACK_CONCURRENCY = Math.round(numberFromEnv('BENCH_E2E_CALLBACK_CONCURRENCY', 64));
const E2E_DELIVERY_CONCURRENCY = process.env.BENCH_E2E_DELIVERY_CONCURRENCY
  ? Math.round(numberFromEnv('BENCH_E2E_DELIVERY_CONCURRENCY', 64))
  : undefined;
const E2E_DEADLINE_SECONDS = numberFromEnv('BENCH_E2E_DEADLINE_SECONDS', 120);
const E2E_NODE_ARGS = (process.env.BENCH_E2E_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 20;
const TARGET_E2E_RATIO = 0.7;

const CONFIG_YAML = accountsYaml();

interface Target {
  label: string;
  server: ChildServer;
  /** 202s over smoke request, warm-up and measured runs: what the server must have stored. */
  acknowledged: number;
  rounds: LoadResult[];
}

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

/** One request before the load, so that a misconfiguration shows its error body instead of just a count of 4xx. */
async function smoke(server: ChildServer): Promise<void> {
  const response = await fetch(`${server.url}${MESSAGES_PATH}`, {
    method: 'POST',
    headers: REQUEST_HEADERS,
    body: REQUEST_BODY,
  });
  const text = await response.text();
  if (response.status !== 202) {
    throw new Error(`${server.name}: smoke request answered ${response.status}, expected 202: ${text}`);
  }
}

function checkLoad(label: string, phase: string, result: LoadResult): void {
  const others = Object.entries(result.statusCounts).filter(([code]) => code !== '202');
  if (others.length > 0 || result.non2xx > 0) {
    failures.push(`${label} ${phase}: responses other than 202: ${others.map(([c, n]) => `${c}×${n}`).join(', ')}`);
  }
  if (result.errors > 0) {
    failures.push(`${label} ${phase}: ${result.errors} connection errors (${result.timeouts} timeouts)`);
  }
}

function loadOptions(target: Target, seconds: number) {
  return {
    url: `${target.server.url}${MESSAGES_PATH}`,
    headers: REQUEST_HEADERS,
    body: REQUEST_BODY,
    connections: CONNECTIONS,
    serverPid: target.server.pid,
    seconds,
  };
}

async function warmUp(target: Target): Promise<void> {
  await smoke(target.server);
  target.acknowledged += 1;
  console.log(`${target.label}: warm-up ${WARMUP_SECONDS} s`);
  const result = await runLoad(loadOptions(target, WARMUP_SECONDS));
  checkLoad(target.label, 'warm-up', result);
  target.acknowledged += result.responses2xx;
}

async function measure(target: Target, round: number): Promise<void> {
  console.log(`${target.label}: measuring ${SECONDS} s${ROUNDS > 1 ? ` (round ${round})` : ''}`);
  const result = await runLoad(loadOptions(target, SECONDS));
  checkLoad(target.label, `round ${round}`, result);
  target.acknowledged += result.responses2xx;
  target.rounds.push(result);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function stopChecked(server: ChildServer): Promise<void> {
  const code = await server.stop();
  if (code !== 0) failures.push(`${server.name} exited with code ${code} on SIGTERM`);
  if (server.complaints.length > 0) {
    console.log(`${server.name} logged ${server.complaints.length} warning/error line(s); first ones:`);
    for (const line of server.complaints.slice(0, 5)) console.log(`  ${line}`);
  }
}

function countStoredMessages(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    // Outbound only: the bench sends nothing else, and inbound rows (replies from a simulated carrier) were never acknowledged to it.
    return (db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'out'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

interface AcceptanceSummary {
  /** Medians over the rounds, req/s. */
  bare: number;
  pigeon: number;
  ratio: number;
  /** Pigeon's CPU time per accepted message in the measured window, µs. */
  pigeonCpuUs: number | undefined;
}

async function runAcceptance(dir: string): Promise<AcceptanceSummary> {
  console.log(
    `\n== acceptance: ${CONNECTIONS} connections, pipelining 1, warm-up ${WARMUP_SECONDS} s, then ${ROUNDS} × ${SECONDS} s per target`,
  );
  const configPath = join(dir, 'pigeon.yaml');
  const dbPath = join(dir, 'bench.db');
  writeFileSync(configPath, CONFIG_YAML);
  const databaseUrl = `sqlite:${dbPath}${SQLITE_QUERY ? `?${SQLITE_QUERY}` : ''}`;
  const synchronous = /synchronous=(\w+)/.exec(SQLITE_QUERY)?.[1] ?? 'full';

  const servers: ChildServer[] = [];
  let bare: Target;
  let pigeon: Target;
  try {
    const bareServer = await startChild({
      name: 'bare-server',
      args: [join(ROOT, 'bench/bare-server.mjs')],
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
      cwd: ROOT,
    });
    servers.push(bareServer);
    const pigeonServer = await startChild({
      name: 'pigeon',
      args: [...PIGEON_NODE_ARGS, join(ROOT, 'bin/pigeon.js'), 'serve'],
      env: {
        ...process.env,
        PIGEON_CONFIG: configPath,
        DATABASE_URL: databaseUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        // Not warn: the "pigeon listening" line that carries the port is logged at info. Info adds no
        // per-request lines (request logging is off), only start-up and shutdown.
        PIGEON_LOG_LEVEL: 'info',
        // Acceptance alone: the delivery workers would share the event loop and the commits.
        PIGEON_ROLE: 'api',
      },
      cwd: ROOT,
      readyTimeoutMs: 60_000,
    });
    servers.push(pigeonServer);
    bare = { label: 'bare node http', server: bareServer, acknowledged: 0, rounds: [] };
    // 'full' is Pigeon's default: every batch fsynced before its 202s; 'normal' skips the fsync.
    const durability = synchronous === 'normal' ? 'no fsync' : 'fsync per batch';
    pigeon = { label: `pigeon (sqlite, ${durability})`, server: pigeonServer, acknowledged: 0, rounds: [] };

    await warmUp(bare);
    await warmUp(pigeon);
    // Rounds alternate between the targets so that a burst of load from elsewhere on the machine
    // tends to hit both sides of a ratio rather than one; the idle server costs nothing meanwhile.
    for (let round = 1; round <= ROUNDS; round++) {
      await measure(bare, round);
      await measure(pigeon, round);
    }
  } finally {
    for (const server of servers) await stopChecked(server);
  }

  const stored = countStoredMessages(dbPath);
  console.log(
    `\npigeon durability: ${pigeon.acknowledged} messages acknowledged with 202 (smoke + warm-up + measured), ` +
      `${stored} outbound rows in messages: ${stored === pigeon.acknowledged ? 'equal' : 'MISMATCH'}`,
  );
  if (stored !== pigeon.acknowledged) {
    failures.push(`database holds ${stored} messages but ${pigeon.acknowledged} were acknowledged`);
  }

  const rows: string[][] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const target of [bare, pigeon]) {
      const m = target.rounds[i];
      if (!m) continue;
      rows.push([
        ROUNDS > 1 ? `${target.label} #${i + 1}` : target.label,
        fixed(m.requestsPerSecond, 0),
        fixed(m.p50Ms, 2),
        fixed(m.p99Ms, 2),
        fixed(m.maxMs, 1),
        String(m.non2xx),
        String(m.errors),
        fixed(m.serverCpuPercent, 0),
        fixed(m.loadgenCpuPercent, 0),
      ]);
    }
  }
  console.log(
    `\n${formatTable(
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'server CPU %', 'loadgen CPU %'],
      rows,
    )}`,
  );

  const ratios = pigeon.rounds.map((m, i) => m.requestsPerSecond / (bare.rounds[i]?.requestsPerSecond ?? Number.NaN));
  const ratio = median(ratios);
  const p99 = median(pigeon.rounds.map((m) => m.p99Ms));
  const of = ROUNDS > 1 ? 'median of rounds ' : '';
  console.log(`\nthroughput ratio pigeon / bare: ${of}${fixed(ratio, 3)} (${fixed(ratio * 100, 1)}%)`);
  if (ROUNDS > 1) console.log(`  per round: ${ratios.map((r) => fixed(r, 3)).join(', ')}`);
  console.log(`target throughput >= ${TARGET_RATIO * 100}% of bare: ${ratio >= TARGET_RATIO ? 'PASS' : 'MISS'}`);
  console.log(`target p99 < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'PASS' : 'MISS'} (${of}${fixed(p99, 2)} ms)`);
  if (bare.rounds.some((m) => m.loadgenCpuPercent > 90)) {
    console.log('note: the load generator used a full core during a baseline run, so the baseline is a floor, not a ceiling');
  }
  return {
    bare: median(bare.rounds.map((m) => m.requestsPerSecond)),
    pigeon: median(pigeon.rounds.map((m) => m.requestsPerSecond)),
    ratio,
    pigeonCpuUs: pigeon.rounds.some((m) => m.serverCpuPercent === undefined)
      ? undefined
      : median(pigeon.rounds.map((m) => ((m.serverCpuPercent ?? 0) * m.windowMs * 10) / m.windowResponses)),
  };
}

function mb(value: number | undefined): string {
  return value === undefined ? '-' : `${fixed(value, 0)} MB`;
}

function printSummary(acceptance: AcceptanceSummary | undefined, e2e: E2eResult | undefined): void {
  const rows: string[][] = [];
  const ofBare = (value: number | undefined) =>
    acceptance === undefined || value === undefined ? '-' : `${fixed((100 * value) / acceptance.bare, 1)}% of bare`;
  if (acceptance) {
    rows.push(['bare node http: acceptance', fixed(acceptance.bare, 0), '-', '']);
    rows.push(['pigeon --role api: acceptance', fixed(acceptance.pigeon, 0), fixed(acceptance.pigeonCpuUs, 0), ofBare(acceptance.pigeon)]);
  }
  let e2eRatio: number | undefined;
  if (e2e) {
    const sendRate = e2e.send.requestsPerSecond;
    e2eRatio = e2e.endToEndPerSecond === undefined ? undefined : e2e.endToEndPerSecond / sendRate;
    rows.push(['pigeon --role all: acceptance during the e2e send', fixed(sendRate, 0), '-', ofBare(sendRate)]);
    const vsApi =
      acceptance && e2e.endToEndPerSecond !== undefined
        ? `, ${fixed((100 * e2e.endToEndPerSecond) / acceptance.pigeon, 1)}% of --role api`
        : '';
    rows.push([
      'pigeon --role all: end-to-end (202 to terminal callback)',
      fixed(e2e.endToEndPerSecond, 0),
      fixed(e2e.pigeonCpuUsPerMessage, 0),
      e2eRatio === undefined ? 'incomplete' : `${fixed(100 * e2eRatio, 1)}% of its acceptance${vsApi}`,
    ]);
  }
  console.log(`\n== summary\n${formatTable(['figure', 'per second', 'pigeon CPU µs/msg', 'relative'], rows)}`);
  if (!e2e) return;
  const m = e2e.memory;
  const span = (e2e.lastCallbackAt ?? e2e.send.lastResponseAt) - e2e.send.startedAt;
  console.log(
    `e2e: ${e2e.messages} SMS; send ${fixed((e2e.send.lastResponseAt - e2e.send.startedAt) / 1000, 1)} s ` +
      `(p50 ${fixed(e2e.send.p50Ms, 1)} ms, p99 ${fixed(e2e.send.p99Ms, 1)} ms), first request to last terminal callback ` +
      `${e2e.lastCallbackAt === undefined ? '-' : fixed(span / 1000, 1)} s, ` +
      `drain after the last 202 ${e2e.drainMs === undefined ? '-' : fixed(e2e.drainMs / 1000, 1)} s`,
  );
  console.log(
    `e2e CPU over the run (100% = one core): pigeon ${fixed(e2e.pigeonCpuPercent, 0)}%, ` +
      `callback receiver ${fixed(e2e.receiverCpuPercent, 0)}%, ` +
      `load generator during the send ${fixed(e2e.send.loadgenCpuPercent, 0)}%`,
  );
  console.log(
    `e2e pigeon RSS: ${mb(m.beforeMb)} before, peak ${mb(m.peakMb)}; ` +
      `at ${m.atShare.map((a) => `${fixed(a.share * 100, 0)}%`).join('/')} of callbacks ` +
      `${m.atShare.map((a) => (a.mb === undefined ? '-' : fixed(a.mb, 0))).join('/')} MB`,
  );
  console.log(
    `e2e memory flat (last-quarter peak within ${FLAT_TOLERANCE * 100}% of the second-quarter peak): ` +
      `${m.flat === undefined ? 'unknown' : m.flat ? 'yes' : 'NO'} (${mb(m.lastQuarterPeakMb)} vs ${mb(m.secondQuarterPeakMb)})`,
  );
  console.log(
    `target end-to-end >= ${TARGET_E2E_RATIO * 100}% of acceptance during the send: ` +
      `${e2eRatio === undefined ? 'MISS (incomplete)' : e2eRatio >= TARGET_E2E_RATIO ? 'PASS' : 'MISS'}`,
  );
}

async function main(): Promise<number> {
  console.log(
    `pigeon bench: node ${process.version}, ${availableParallelism()} CPUs, scenarios ${[...SCENARIOS].join(', ')}`,
  );
  const load = machineLoad();
  console.log(`machine before the bench: ${load.text}`);
  if (load.busy) console.log('warning: other processes are using the CPU; absolute figures and even ratios will be off');
  build();
  tempDir = mkdtempSync(join(tmpdir(), 'pigeon-bench-'));

  const acceptance = SCENARIOS.has('acceptance') ? await runAcceptance(tempDir) : undefined;
  let e2e: E2eResult | undefined;
  if (SCENARIOS.has('e2e')) {
    console.log('\n== e2e');
    e2e = await runEndToEnd({
      root: ROOT,
      tempDir,
      messages: E2E_MESSAGES,
      connections: CONNECTIONS,
      callbackConcurrency: E2E_CALLBACK_CONCURRENCY,
      deliveryConcurrency: E2E_DELIVERY_CONCURRENCY,
      deadlineSeconds: E2E_DEADLINE_SECONDS,
      nodeArgs: E2E_NODE_ARGS,
      sqliteQuery: SQLITE_QUERY,
      failures,
    });
  }
  printSummary(acceptance, e2e);

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
