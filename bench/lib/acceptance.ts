// The acceptance scenario of `npm run bench`: how fast Pigeon answers POST …/messages with 202 —
// the message stored and queued durably first — on each engine, against a bare Node http server
// measured in the same run. `--role api` processes only: delivery workers would share the event
// loop and the database, and the end-to-end scenario measures them.
//
// PostgreSQL is measured through one API process and through two (the load spread over both, as a
// balancer would), on one database: what a second API process buys when the database is shared.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printComplaints, startBenchServer, type ChildServer } from './child.js';
import { createBenchDatabase, type BenchDatabase, type Engine } from './databases.js';
import { accountsYaml, MESSAGES_PATH, REQUEST_BODY, REQUEST_HEADERS } from './fixture.js';
import { median, runLoad, type LoadResult } from './load.js';
import { startDeployment } from './pigeon.js';
import { fixed, formatTable } from './table.js';

export interface AcceptanceOptions {
  root: string;
  tempDir: string;
  engines: readonly Engine[];
  seconds: number;
  warmupSeconds: number;
  connections: number;
  rounds: number;
  sqliteQuery: string;
  /** Extra node flags for the Pigeon processes, e.g. --cpu-prof. */
  nodeArgs: string[];
  /** Where problems that fail the bench go. */
  failures: string[];
}

export interface AcceptanceFigure {
  label: string;
  engine: Engine;
  /** API processes the load was spread over. */
  apis: number;
  /** Medians over the rounds. */
  requestsPerSecond: number;
  /** Median of the per-round ratios to the bare server. */
  ratio: number;
  p99Ms: number;
  /** Pigeon's CPU time per accepted message in the measured window, µs (all its processes). */
  cpuUsPerMessage: number | undefined;
}

export interface AcceptanceSummary {
  bare: number;
  pigeon: AcceptanceFigure[];
}

export const TARGET_RATIO = 0.5;
export const TARGET_P99_MS = 20;

interface Target {
  label: string;
  postgres: boolean;
  urls: string[];
  pids: number[];
  /** The database whose rows must equal the 202s; undefined for the bare server. */
  db: BenchDatabase | undefined;
  /** 202s over smoke requests, warm-up and measured runs: what the server must have stored. */
  acknowledged: number;
  rounds: LoadResult[];
}

function target(label: string, servers: readonly ChildServer[], db: BenchDatabase | undefined): Target {
  return {
    label,
    postgres: db?.engine === 'postgres',
    urls: servers.map((s) => `${s.url}${MESSAGES_PATH}`),
    pids: servers.map((s) => s.pid),
    db,
    acknowledged: 0,
    rounds: [],
  };
}

/** One request to each URL before the load, so that a misconfiguration shows its error body instead of just a count of 4xx. */
async function smoke(t: Target): Promise<void> {
  for (const url of t.urls) {
    const response = await fetch(url, { method: 'POST', headers: REQUEST_HEADERS, body: REQUEST_BODY });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`${t.label}: smoke request answered ${response.status}, expected 202: ${text}`);
    t.acknowledged += 1;
  }
}

export async function runAcceptance(options: AcceptanceOptions): Promise<AcceptanceSummary> {
  const { failures } = options;
  console.log(
    `\n== acceptance: ${options.connections} connections, pipelining 1, warm-up ${options.warmupSeconds} s, ` +
      `then ${options.rounds} × ${options.seconds} s per target`,
  );
  const configPath = join(options.tempDir, 'pigeon-acceptance.yaml');
  writeFileSync(configPath, accountsYaml());

  const servers: ChildServer[] = [];
  const databases: BenchDatabase[] = [];
  const targets: Target[] = [];
  try {
    await measureAll(options, configPath, servers, databases, targets);
  } finally {
    for (const server of servers) {
      const code = await server.stop();
      if (code !== 0) failures.push(`${server.name} exited with code ${code} on SIGTERM`);
      printComplaints(server);
    }
    try {
      // After the processes stopped: nothing is in flight any more.
      for (const db of databases) await checkStored(db, targets, failures);
    } finally {
      for (const db of databases) await db.drop();
    }
  }
  return report(targets, options);
}

/** Starts every target, warms each up, then measures them in turn; what it starts is left in `servers` and `databases`. */
async function measureAll(
  options: AcceptanceOptions,
  configPath: string,
  servers: ChildServer[],
  databases: BenchDatabase[],
  targets: Target[],
): Promise<void> {
  const { failures } = options;
  const bare = await startBenchServer(options.root, 'bare-server');
  servers.push(bare);
  targets.push(target('bare node http', [bare], undefined));

  const base = { root: options.root, configPath, nodeArgs: options.nodeArgs };
  for (const engine of options.engines) {
    const db = await createBenchDatabase(engine, options.tempDir, 'acceptance', options.sqliteQuery);
    databases.push(db);
    if (engine === 'sqlite') {
      // 'full' is Pigeon's default: every batch fsynced before its 202s; 'normal' skips the fsync.
      const durability = /synchronous=normal/.test(options.sqliteQuery) ? 'no fsync' : 'fsync per batch';
      const { apis } = await startDeployment({ ...base, databaseUrl: db.url }, 'sqlite', { apis: 1 }, servers);
      targets.push(target(`pigeon sqlite, 1 api (${durability})`, apis, db));
    } else {
      const { apis } = await startDeployment({ ...base, databaseUrl: db.url }, 'postgres', { apis: 2 }, servers);
      targets.push(target('pigeon postgres, 1 api', apis.slice(0, 1), db));
      targets.push(target('pigeon postgres, 2 api', apis, db));
    }
  }

  const run = async (t: Target, seconds: number, phase: string) => {
    const result = await runLoad({
      url: t.urls.length === 1 ? (t.urls[0] as string) : t.urls,
      headers: REQUEST_HEADERS,
      body: REQUEST_BODY,
      connections: options.connections,
      serverPids: t.pids,
      postgres: t.postgres,
      seconds,
    });
    const others = Object.entries(result.statusCounts).filter(([code]) => code !== '202');
    if (others.length > 0 || result.non2xx > 0) {
      failures.push(`${t.label} ${phase}: responses other than 202: ${others.map(([c, n]) => `${c}×${n}`).join(', ')}`);
    }
    if (result.errors > 0) failures.push(`${t.label} ${phase}: ${result.errors} connection errors (${result.timeouts} timeouts)`);
    t.acknowledged += result.responses2xx;
    return result;
  };
  for (const t of targets) {
    await smoke(t);
    console.log(`${t.label}: warm-up ${options.warmupSeconds} s`);
    await run(t, options.warmupSeconds, 'warm-up');
  }
  // Rounds go through the targets in turn so that a burst of load from elsewhere on the machine
  // tends to hit every side of a ratio rather than one; the idle servers cost nothing meanwhile.
  for (let round = 1; round <= options.rounds; round++) {
    for (const t of targets) {
      console.log(`${t.label}: measuring ${options.seconds} s${options.rounds > 1 ? ` (round ${round})` : ''}`);
      t.rounds.push(await run(t, options.seconds, `round ${round}`));
    }
  }
}

/** Every 202 a database's targets got is a row in it: durability, checked after the processes stopped. */
async function checkStored(db: BenchDatabase, targets: readonly Target[], failures: string[]): Promise<void> {
  const acknowledged = targets.filter((t) => t.db === db).reduce((sum, t) => sum + t.acknowledged, 0);
  // Outbound only: the bench sends nothing else.
  const stored = await db.scalar("SELECT count(*) FROM messages WHERE direction = 'out'");
  console.log(
    `${db.engine} durability: ${acknowledged} messages acknowledged with 202 (smoke + warm-up + measured), ` +
      `${stored} outbound rows in messages: ${stored === acknowledged ? 'equal' : 'MISMATCH'}`,
  );
  if (stored !== acknowledged) failures.push(`${db.engine} database holds ${stored} messages but ${acknowledged} were acknowledged`);
}

function report(targets: readonly Target[], options: AcceptanceOptions): AcceptanceSummary {
  const [bare, ...pigeons] = targets as [Target, ...Target[]];
  const rows: string[][] = [];
  for (let i = 0; i < options.rounds; i++) {
    for (const t of targets) {
      const m = t.rounds[i];
      if (!m) continue;
      rows.push([
        options.rounds > 1 ? `${t.label} #${i + 1}` : t.label,
        fixed(m.requestsPerSecond, 0),
        fixed(m.p50Ms, 2),
        fixed(m.p99Ms, 2),
        fixed(m.maxMs, 1),
        String(m.non2xx),
        String(m.errors),
        fixed(m.serverCpuPercent, 0),
        fixed(m.databaseCpuPercent, 0),
        fixed(m.loadgenCpuPercent, 0),
      ]);
    }
  }
  console.log(
    `\n${formatTable(['target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'server CPU %', 'postgres CPU %', 'loadgen CPU %'], rows)}`,
  );
  const of = options.rounds > 1 ? 'median of rounds ' : '';
  const figures = pigeons.map((t): AcceptanceFigure => {
    const ratios = t.rounds.map((m, i) => m.requestsPerSecond / (bare.rounds[i]?.requestsPerSecond ?? Number.NaN));
    const figure = {
      label: t.label,
      engine: (t.db as BenchDatabase).engine,
      apis: t.urls.length,
      requestsPerSecond: median(t.rounds.map((m) => m.requestsPerSecond)),
      ratio: median(ratios),
      p99Ms: median(t.rounds.map((m) => m.p99Ms)),
      cpuUsPerMessage: t.rounds.some((m) => m.serverCpuPercent === undefined)
        ? undefined
        : median(t.rounds.map((m) => ((m.serverCpuPercent ?? 0) * m.windowMs * 10) / m.windowResponses)),
    };
    console.log(
      `\n${t.label} / bare: ${of}${fixed(figure.ratio, 3)} (${fixed(figure.ratio * 100, 1)}%)` +
        (options.rounds > 1 ? `; per round ${ratios.map((r) => fixed(r, 3)).join(', ')}` : ''),
    );
    console.log(`  target throughput >= ${TARGET_RATIO * 100}% of bare: ${figure.ratio >= TARGET_RATIO ? 'PASS' : 'MISS'}`);
    console.log(`  target p99 < ${TARGET_P99_MS} ms: ${figure.p99Ms < TARGET_P99_MS ? 'PASS' : 'MISS'} (${of}${fixed(figure.p99Ms, 2)} ms)`);
    return figure;
  });
  if (bare.rounds.some((m) => m.loadgenCpuPercent > 90)) {
    console.log('note: the load generator used a full core during a baseline run, so the baseline is a floor, not a ceiling');
  }
  return { bare: median(bare.rounds.map((m) => m.requestsPerSecond)), pigeon: figures };
}
