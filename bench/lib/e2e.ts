// The end-to-end scenario of `npm run bench`: a Pigeon deployment (one process in its default role
// on SQLite, or API and worker processes on PostgreSQL) takes a fixed number of SMS as fast as the
// load generator's connections send them, and the run ends when the customer's callback endpoint (a
// separate child process) has received the terminal callback of every one. Acceptance alone says how
// fast Pigeon promises; this says whether it keeps its promises as fast, and whether memory stays
// bounded while it catches up.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresCpuMs, printComplaints, processCpuMs, processesCpuMs, startBenchServer, type ChildServer } from './child.js';
import { createBenchDatabase, type BenchDatabase, type Engine } from './databases.js';
import { HangingEndpoint } from '../../test/helpers/hanging-endpoint.js';
import { Exposition } from '../../test/helpers/prometheus.js';
import {
  ACCOUNT_ID,
  accountsYaml,
  HANGING_MESSAGES_PATH,
  HANGING_REQUEST_BODY,
  HANGING_REQUEST_HEADERS,
  hangingAccountYaml,
  MESSAGES_PATH,
  REQUEST_BODY,
  REQUEST_HEADERS,
} from './fixture.js';
import { epochNow, runAmount, type AmountResult } from './load.js';
import { startDeployment, startPigeon, type Deployment, type DeploymentShape } from './pigeon.js';
import { printCapacity, printCapacityInputs } from './capacity.js';
import { pgWorkEnd, pgWorkFinish, pgWorkStart, type PgWork } from './pg-work.js';
import { printSqlProfile, SQL_PROFILE_PRELOAD, sqlProfileDir } from './sql-profile.js';
import { printSqlRows, readSqlRows, SQL_ROWS_PRELOAD, sqlRowsDir, type SqlRows } from './sql-rows.js';
import { fixed, formatTable } from './table.js';

export interface E2eOptions {
  /** What the report calls this deployment, e.g. "sqlite, 1 process (role all)". */
  label: string;
  engine: Engine;
  shape: DeploymentShape;
  root: string;
  tempDir: string;
  messages: number;
  connections: number;
  callbackConcurrency: number;
  /** delivery.concurrency; undefined leaves Pigeon's default. */
  deliveryConcurrency: number | undefined;
  /** How long after the last 202 the callbacks may take before the bench fails. */
  deadlineSeconds: number;
  nodeArgs: string[];
  sqliteQuery: string;
  /** Where problems that fail the bench go. */
  failures: string[];
  /**
   * The isolation scenario: a second customer whose webhook hangs sends this many SMS just before
   * the measured load, so that thousands of its callbacks wait beside the measured ones.
   */
  hangingMessages?: number;
  /**
   * The SMPP scenario: `carriers` and `routes` YAML sending every message to an SMSC (`pigeon smsc`)
   * instead of the built-in simulator, and a name for that carrier in the output.
   */
  carrier?: { yaml: string; name: string };
  /** Time every SQLite statement in the Pigeon processes and print the totals per message (bench/sql-profile.mjs). */
  sqlProfile?: boolean;
  /** Count the rows every SQLite statement writes, by table (bench/sql-rows.mjs). */
  sqlRows?: boolean;
  /**
   * The e2e-startup scenario: the deployment starts with a message already waiting in the queue
   * (accepted by a `--role api` process started and stopped before), and the first message of
   * its own (the smoke message) is sent the moment the API process listens, while the worker side
   * is still opening its connection and taking planner statistics (issue 21). The waiting message
   * makes those statistics deterministic: a message arriving just before the worker thread's
   * `PRAGMA optimize` is a race. Otherwise the first message is sent once the deployment has been
   * up for QUIET_START_MS.
   */
  messageAtStartUp?: boolean;
}

export interface E2eResult {
  label: string;
  engine: Engine;
  /** API processes the load was spread over. */
  apis: number;
  messages: number;
  send: AmountResult;
  /** Epoch ms of the last distinct terminal callback the receiver counted; undefined when they did not all come. */
  lastCallbackAt: number | undefined;
  /** Terminal callbacks received for the measured messages (distinct recipients). */
  callbacks: number;
  endToEndPerSecond: number | undefined;
  drainMs: number | undefined;
  /** From acceptance to the terminal callback, over the measured messages (the receiver's clock). */
  callbackLatency: { p50Ms: number | null; p99Ms: number | null } | undefined;
  pigeonCpuPercent: number | undefined;
  /**
   * Pigeon's CPU time over the run per message, in µs: accepting, delivering and calling back one
   * message. Other processes on the machine stretch the run but barely change this, so it is the
   * figure to compare between runs on a busy machine.
   */
  pigeonCpuUsPerMessage: number | undefined;
  receiverCpuPercent: number | undefined;
  /** The PostgreSQL server's CPU over the run; undefined on SQLite, which runs inside Pigeon. */
  databaseCpuPercent: number | undefined;
  memory: MemoryFigures;
  /** SQLite with `sqlRows`: rows written per message, by table. */
  sqliteRows?: SqlRows;
  /** PostgreSQL: the primary's work per message over the run, the capacity model's inputs. */
  pgWork?: PgWork;
}

interface MemoryFigures {
  beforeMb: number | undefined;
  peakMb: number | undefined;
  atShare: Array<{ share: number; mb: number | undefined }>;
  firstQuarterPeakMb: number | undefined;
  lastQuarterPeakMb: number | undefined;
  /** How far the last quarter's peak may rise above the first quarter's: max(FLAT_SLACK_MB, FLAT_TOLERANCE of it). */
  allowedGrowthMb: number | undefined;
  flat: boolean | undefined;
}

interface ReceiverStats {
  requests: number;
  badBodies: number;
  byType: Record<string, number>;
  terminal: number;
  duplicates: number;
  firstTerminalAt: number | null;
  lastTerminalAt: number | null;
  rssKb: number;
}

interface Sample {
  /** Epoch ms. */
  at: number;
  rssKb: number | undefined;
  pigeonCpuMs: number | undefined;
  accepted: number;
  /**
   * Handed to the carrier, from the admin API's worker counters; undefined when the call failed or
   * the deployment's workers serve no HTTP (separate worker processes).
   */
  submitted: number | undefined;
  callbacks: number | undefined;
}

const SAMPLE_MS = 500;
// While waiting for the last callbacks the receiver is asked more often than memory is sampled,
// so that the wait ends soon after the last one; the end-to-end time itself is the receiver's timestamp.
const COMPLETION_POLL_MS = 100;
// A run whose callback count has not moved for this long is stuck, whatever the deadline says.
const STALL_MS = 30_000;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
/** How long the plain run leaves a fresh deployment alone before its first message: start-up is over by then. */
const QUIET_START_MS = 3000;
const MB = 1024;
/**
 * Memory is flat when the peak RSS (all Pigeon processes together) of the run's last quarter is at
 * most max(FLAT_SLACK_MB, FLAT_TOLERANCE × the first quarter's peak) above the first quarter's peak.
 * The load runs at full rate from the first second, so by the end of the first quarter the heaps
 * are sized for it; what a steady state adds after that is noise, and a leak grows with the
 * messages handled, i.e. with the three quarters in between. The noise: where a 500 ms sample
 * falls against V8's major collections and old-generation growth steps, tens of MB on these
 * processes, hence the absolute slack for a small deployment; the share for a large one. The
 * quarters are of the span from the first request to the last terminal callback.
 */
export const FLAT_TOLERANCE = 0.1;
export const FLAT_SLACK_MB = 32;

/** Resident set size in kB, from /proc (Linux); undefined elsewhere or once the process is gone. */
export function rssKb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The deployment's memory: the RSS of all its processes together. */
function totalRssKb(processes: readonly ChildServer[]): number | undefined {
  let total = 0;
  for (const process of processes) {
    const rss = rssKb(process.pid);
    if (rss === undefined) return undefined;
    total += rss;
  }
  return total;
}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T | undefined> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
    if (!response.ok) return undefined;
    return (await response.json()) as T;
  } catch {
    return undefined;
  }
}

async function receiverStats(receiver: ChildServer): Promise<ReceiverStats> {
  const stats = await getJson<ReceiverStats>(`${receiver.url}/stats`);
  if (!stats) throw new Error('the callback receiver did not answer GET /stats');
  return stats;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function configYaml(callbackUrl: string, options: E2eOptions, hangingUrl: string | undefined): string {
  // Zero carrier latency and no rate limits (the defaults): what is measured is Pigeon's own work per message.
  const delivery = options.deliveryConcurrency === undefined ? '' : `delivery: { concurrency: ${options.deliveryConcurrency} }\n`;
  return `
admin: { token: ${ADMIN_TOKEN} }
simulator: { latencyMs: 0 }
callbacks: { concurrency: ${options.callbackConcurrency} }
${options.carrier?.yaml ?? ''}${delivery}${accountsYaml(callbackUrl)}${hangingUrl === undefined ? '' : hangingAccountYaml(hangingUrl)}`;
}

/**
 * One message through each API process and the whole path before the load, so that a broken set-up
 * fails in seconds with a reason. Resolves with the number of messages sent.
 */
async function smoke(deployment: Deployment, receiver: ChildServer, waiting = 0): Promise<number> {
  for (const api of deployment.apis) {
    const response = await fetch(`${api.url}${MESSAGES_PATH}`, { method: 'POST', headers: REQUEST_HEADERS, body: REQUEST_BODY });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`e2e smoke request to ${api.name} answered ${response.status}, expected 202: ${text}`);
  }
  const deadline = Date.now() + 30_000;
  while ((await receiverStats(receiver)).terminal < deployment.apis.length + waiting) {
    if (Date.now() > deadline) throw new Error('e2e smoke messages: not every terminal callback within 30 s');
    await sleep(50);
  }
  return deployment.apis.length;
}

class Sampler {
  readonly samples: Sample[] = [];
  accepted = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<unknown> | undefined;

  constructor(
    private readonly deployment: Deployment,
    /** Where the worker counters are read, when one process both serves HTTP and delivers. */
    private readonly statusUrl: string | undefined,
    private readonly receiver: ChildServer,
    /** Terminal callbacks counted before the run (the smoke messages'), subtracted from every sample. */
    private readonly baseline: number,
    /** Smoke messages, submitted before the run: subtracted from the worker counter. */
    private readonly smokeMessages: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.busy ??= this.sample().finally(() => {
        this.busy = undefined;
      });
    }, SAMPLE_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.busy;
  }

  async sample(): Promise<Sample> {
    const rss = totalRssKb(this.deployment.processes);
    const pigeonCpuMs = processesCpuMs(this.deployment.processes.map((p) => p.pid));
    const accepted = this.accepted;
    const [stats, status] = await Promise.all([
      getJson<ReceiverStats>(`${this.receiver.url}/stats`),
      this.statusUrl === undefined
        ? undefined
        : getJson<{ delivery?: { submitted?: number } }>(this.statusUrl, { authorization: `Bearer ${ADMIN_TOKEN}` }),
    ]);
    const sample: Sample = {
      at: epochNow(),
      rssKb: rss,
      pigeonCpuMs,
      accepted,
      submitted: status?.delivery?.submitted === undefined ? undefined : status.delivery.submitted - this.smokeMessages,
      callbacks: stats === undefined ? undefined : stats.terminal - this.baseline,
    };
    this.samples.push(sample);
    return sample;
  }
}

function peak(samples: readonly Sample[]): number | undefined {
  const values = samples.map((s) => s.rssKb).filter((v): v is number => v !== undefined);
  return values.length > 0 ? Math.max(...values) / MB : undefined;
}

function memoryFigures(
  samples: readonly Sample[],
  before: number | undefined,
  start: number,
  end: number | undefined,
  total: number,
): MemoryFigures {
  const atShare = [0.1, 0.5, 0.9, 1].map((share) => {
    const reached = samples.find((s) => s.callbacks !== undefined && s.callbacks >= share * total && s.rssKb !== undefined);
    return { share, mb: reached?.rssKb === undefined ? undefined : reached.rssKb / MB };
  });
  const span = (end ?? samples.at(-1)?.at ?? start) - start;
  const quarter = (q: number) => samples.filter((s) => s.at >= start + (span * (q - 1)) / 4 && s.at <= start + (span * q) / 4);
  const first = peak(quarter(1));
  const last = peak(quarter(4));
  const allowed = first === undefined ? undefined : Math.max(FLAT_SLACK_MB, first * FLAT_TOLERANCE);
  return {
    beforeMb: before === undefined ? undefined : before / MB,
    peakMb: peak(samples),
    atShare,
    firstQuarterPeakMb: first,
    lastQuarterPeakMb: last,
    allowedGrowthMb: allowed,
    flat: first === undefined || last === undefined || allowed === undefined ? undefined : last - first <= allowed,
  };
}

interface StoredCounts {
  outbound: number;
  recipients: number;
  delivered: number;
  otherStatuses: string;
  queued: number;
  outbox: number;
  outboxDelivered: number;
  outboxOther: string;
  receiptsOwed: number;
  unsettledRefs: number;
}

/** The group committer's totals, summed over a process's threads: time in transactions, batches, writes. */
interface CommitTotals {
  commitSeconds: number;
  batches: number;
  writes: number;
}

async function commitTotals(apiUrl: string | undefined): Promise<CommitTotals | undefined> {
  if (apiUrl === undefined) return undefined;
  const res = await fetch(`${apiUrl}/metrics`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const metrics = new Exposition(await res.text());
  return {
    commitSeconds: metrics.sum('pigeon_db_commit_duration_seconds', { phase: 'commit' }),
    batches: metrics.value('pigeon_db_commit_batch_size'),
    writes: metrics.sum('pigeon_db_commit_batch_size'),
  };
}

async function storedCounts(db: BenchDatabase): Promise<StoredCounts> {
  const n = (sql: string) => db.scalar(sql);
  return {
    outbound: await n("SELECT count(*) AS n FROM messages WHERE direction = 'out'"),
    recipients: await n("SELECT count(*) AS n FROM message_recipients WHERE direction = 'OUTBOUND'"),
    delivered: await n("SELECT count(*) AS n FROM message_recipients WHERE direction = 'OUTBOUND' AND status = 'DELIVERED'"),
    otherStatuses: await db.groups(
      "SELECT status AS k, count(*) AS n FROM message_recipients WHERE direction = 'OUTBOUND' AND status <> 'DELIVERED' GROUP BY status",
    ),
    queued: await n('SELECT count(*) AS n FROM delivery_queue'),
    // The measured customer's callbacks: the isolation scenario's hanging customer has its own, pending.
    outbox: await n(`SELECT count(*) AS n FROM callback_outbox WHERE account_id = '${ACCOUNT_ID}'`),
    outboxDelivered: await n(`SELECT count(*) AS n FROM callback_outbox WHERE account_id = '${ACCOUNT_ID}' AND state = 'delivered'`),
    outboxOther: await db.groups(
      `SELECT event_type || '/' || state AS k, count(*) AS n FROM callback_outbox
        WHERE account_id = '${ACCOUNT_ID}' AND state <> 'delivered' GROUP BY event_type, state`,
    ),
    receiptsOwed: await n('SELECT count(*) AS n FROM simulator_receipts'),
    unsettledRefs: await n('SELECT count(*) AS n FROM carrier_refs WHERE settled = 0'),
  };
}

/** `hanging`: the isolation scenario's other customer's messages, delivered but with their callbacks pending. */
async function verifyStore(db: BenchDatabase, label: string, acknowledged: number, hanging: number, failures: string[]): Promise<void> {
  const c = await storedCounts(db);
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(`e2e ${label} database: ${what}`);
    return ok ? 'ok' : 'WRONG';
  };
  const line = (label: string, value: string, ok: boolean, problem: string) =>
    console.log(`  ${label.padEnd(40)} ${value}: ${check(ok, problem)}`);
  console.log(`e2e ${label} database (${acknowledged} messages acknowledged with 202, smoke included):`);
  const messages = acknowledged + hanging;
  if (hanging > 0) console.log(`  (and ${hanging} of the customer whose webhook hangs)`);
  line('outbound messages', String(c.outbound), c.outbound === messages, `${c.outbound} outbound messages, ${messages} acknowledged`);
  line(
    'recipients DELIVERED',
    `${c.delivered} of ${c.recipients}`,
    c.delivered === messages && c.recipients === messages,
    `${c.delivered} of ${c.recipients} recipients DELIVERED (${c.otherStatuses || 'no other status'}), ${messages} expected`,
  );
  line('delivery_queue rows', String(c.queued), c.queued === 0, `${c.queued} rows left in delivery_queue`);
  // An SMS has no message-sending callback: one terminal callback per message.
  line(
    'callback_outbox delivered',
    `${c.outboxDelivered} of ${c.outbox}`,
    c.outbox === acknowledged && c.outboxDelivered === c.outbox,
    `callback_outbox holds ${c.outbox} rows, ${c.outboxDelivered} delivered (${c.outboxOther || 'no other state'}), ${acknowledged} expected`,
  );
  line(
    'receipts owed / unsettled carrier refs',
    `${c.receiptsOwed} / ${c.unsettledRefs}`,
    c.receiptsOwed === 0 && c.unsettledRefs === 0,
    `${c.receiptsOwed} simulator receipts still owed, ${c.unsettledRefs} carrier refs unsettled`,
  );
}

/**
 * What the run cost PostgreSQL per message, from its own statistics (flushed when Pigeon's
 * connections closed): the figures to watch when changing how the store talks to it.
 */
async function printDatabaseWork(db: BenchDatabase, messages: number): Promise<void> {
  const per = async (column: string) =>
    (await db.scalar(`SELECT ${column} FROM pg_stat_database WHERE datname = current_database()`)) / messages;
  console.log(
    `postgres work per message: ${fixed(await per('xact_commit'), 1)} commits, ${fixed(await per('xact_rollback'), 2)} rollbacks, ` +
      `${fixed(await per('tup_returned'), 0)} rows scanned, ${fixed(await per('tup_fetched'), 0)} fetched, ` +
      `${fixed(await per('tup_inserted + tup_updated + tup_deleted'), 1)} written`,
  );
  const tables = await db.groups(
    `SELECT relname AS k, round((seq_tup_read + coalesce(idx_tup_fetch, 0))::numeric / ${messages}, 1) AS n
       FROM pg_stat_user_tables WHERE seq_tup_read + coalesce(idx_tup_fetch, 0) > 0 ORDER BY 2 DESC`,
  );
  console.log(`  rows read per message by table: ${tables}`);
  // Where those reads happen: sequential scans and each index, the largest first.
  const paths = await db.groups(
    `SELECT k, n FROM (
        SELECT relname || ' seq scan' AS k, round(seq_tup_read::numeric / ${messages}, 1) AS n FROM pg_stat_user_tables
        UNION ALL
        SELECT relname || ' ' || indexrelname, round(idx_tup_read::numeric / ${messages}, 1) FROM pg_stat_user_indexes) p
      WHERE n >= 0.5 ORDER BY n DESC LIMIT 8`,
  );
  console.log(`  rows read per message by path: ${paths}`);
  const written = await db.groups(
    `SELECT relname AS k, round((n_tup_ins + n_tup_upd + n_tup_del)::numeric / ${messages}, 1) AS n
       FROM pg_stat_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY 2 DESC`,
  );
  console.log(`  rows written per message by table: ${written}`);
}

function printSamples(samples: readonly Sample[], start: number, total: number): void {
  if (samples.length === 0) return;
  // About a dozen rows spread over the run, always with the last one.
  const step = Math.max(1, Math.ceil(samples.length / 12));
  const shown = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  const rows = shown.map((s) => {
    const i = samples.indexOf(s);
    const previous = samples[i - step] ?? samples[i - 1];
    const cpu =
      previous && previous !== s && s.pigeonCpuMs !== undefined && previous.pigeonCpuMs !== undefined
        ? (100 * (s.pigeonCpuMs - previous.pigeonCpuMs)) / (s.at - previous.at)
        : undefined;
    const waiting = s.submitted === undefined ? undefined : s.accepted - s.submitted;
    const inFlight = s.submitted === undefined || s.callbacks === undefined ? undefined : s.submitted - s.callbacks;
    return [
      fixed((s.at - start) / 1000, 1),
      String(s.accepted),
      s.submitted === undefined ? '-' : String(s.submitted),
      s.callbacks === undefined ? '-' : `${s.callbacks} (${fixed((100 * s.callbacks) / total, 0)}%)`,
      s.callbacks === undefined ? '-' : String(s.accepted - s.callbacks),
      waiting === undefined ? '-' : String(waiting),
      inFlight === undefined ? '-' : String(inFlight),
      s.rssKb === undefined ? '-' : fixed(s.rssKb / MB, 0),
      fixed(cpu, 0),
    ];
  });
  console.log(
    `\n${formatTable(
      ['t s', 'accepted', 'submitted', 'callbacks', 'backlog', 'queued', 'sent, no callback', 'RSS MB', 'pigeon CPU %'],
      rows,
    )}`,
  );
  console.log('  backlog = accepted − callbacks = queued (accepted, not yet handed to the carrier) + sent, no callback yet');
}

/**
 * The isolation scenario's other customer sends its SMS just before the measured load; their
 * callbacks go to the endpoint that hangs. Resolves with how many were acknowledged.
 */
async function sendHanging(deployment: Deployment, pids: number[], amount: number, label: string, failures: string[]): Promise<number> {
  const sent = await runAmount({
    url: deployment.apis.map((api) => `${api.url}${HANGING_MESSAGES_PATH}`),
    headers: HANGING_REQUEST_HEADERS,
    body: HANGING_REQUEST_BODY,
    connections: 16,
    amount,
    serverPids: pids,
  });
  if (sent.responses2xx !== amount) failures.push(`e2e ${label}: ${sent.responses2xx} of ${amount} SMS of the hanging customer accepted`);
  console.log(`e2e ${label}: ${sent.responses2xx} SMS of a customer whose webhook hangs, sent just before the measured load`);
  return sent.responses2xx;
}

let runs = 0;

export async function runEndToEnd(options: E2eOptions): Promise<E2eResult> {
  const { failures } = options;
  const configPath = join(options.tempDir, `pigeon-e2e-${options.engine}.yaml`);
  // A database of its own per run: the SQLite file of an earlier run in the same bench is not removed.
  const db = await createBenchDatabase(options.engine, options.tempDir, `e2e-${++runs}`, options.sqliteQuery);

  const servers: ChildServer[] = [];
  let acknowledged = 0;
  let hangingAcknowledged = 0;
  const hanging = options.hangingMessages === undefined ? undefined : await new HangingEndpoint().start();
  try {
    const receiver = await startBenchServer(options.root, 'callback-receiver');
    servers.push(receiver);
    writeFileSync(configPath, configYaml(`${receiver.url}/callbacks`, options, hanging?.url));
    const pigeons: ChildServer[] = [];
    // Before the deployment: one message accepted by an API-only process, left in the queue.
    let waiting = 0;
    if (options.messageAtStartUp) {
      const api = await startPigeon({ root: options.root, name: 'pigeon-api-before', role: 'api', configPath, databaseUrl: db.url });
      const response = await fetch(`${api.url}${MESSAGES_PATH}`, { method: 'POST', headers: REQUEST_HEADERS, body: REQUEST_BODY });
      if (response.status !== 202) failures.push(`e2e ${options.label}: the message before start-up answered ${response.status}`);
      else waiting = 1;
      const exit = await api.stop(30_000);
      if (exit !== 0) failures.push(`pigeon-api-before exited with code ${exit} on SIGTERM`);
    }
    const profileDir = options.sqlProfile && options.engine === 'sqlite' ? sqlProfileDir(options.tempDir, `e2e-${runs}`) : undefined;
    const rowsDir = options.sqlRows && options.engine === 'sqlite' ? sqlRowsDir(options.tempDir, `e2e-${runs}`) : undefined;
    const preloads = [
      ...(profileDir === undefined ? [] : ['--import', SQL_PROFILE_PRELOAD]),
      ...(rowsDir === undefined ? [] : ['--import', SQL_ROWS_PRELOAD]),
    ];
    const deployment = await startDeployment(
      {
        root: options.root,
        configPath,
        databaseUrl: db.url,
        nodeArgs: [...options.nodeArgs, ...preloads],
        env: {
          ...(profileDir === undefined ? {} : { PIGEON_SQL_PROFILE_DIR: profileDir }),
          ...(rowsDir === undefined ? {} : { PIGEON_SQL_ROWS_DIR: rowsDir }),
        },
      },
      options.label,
      options.shape,
      pigeons,
    ).finally(() => servers.unshift(...pigeons));
    const pids = deployment.processes.map((p) => p.pid);

    if (!options.messageAtStartUp) await sleep(QUIET_START_MS);
    acknowledged += waiting + (await smoke(deployment, receiver, waiting));
    if (hanging && options.hangingMessages !== undefined) {
      hangingAcknowledged = await sendHanging(deployment, pids, options.hangingMessages, options.label, failures);
    }
    const baseline = (await receiverStats(receiver)).terminal;
    const statusUrl = options.shape.allInOne ? `${deployment.apis[0]?.url}/admin/v1/status` : undefined;
    const sampler = new Sampler(deployment, statusUrl, receiver, baseline, acknowledged);
    const before = totalRssKb(deployment.processes);
    const receiverCpuStart = processCpuMs(receiver.pid);
    const pigeonCpuStart = processesCpuMs(pids);
    const databaseCpuStart = options.engine === 'postgres' ? postgresCpuMs() : undefined;
    const pgStart = db.engine === 'postgres' ? await pgWorkStart(db) : undefined;
    // SQLite has one writer at a time: the share of the run spent inside write transactions says
    // how close the file's write lock is to being what limits the rate.
    const commitsUrl = options.engine === 'sqlite' && deployment.processes.length === 1 ? deployment.apis[0]?.url : undefined;
    const commitsStart = await commitTotals(commitsUrl);

    console.log(
      `e2e ${options.label}: ${options.messages} SMS at ${options.connections} connections ` +
        `(${options.carrier?.name ?? 'simulator'} latency 0, delivery concurrency ${options.deliveryConcurrency ?? 'default'} per worker, ` +
        `callback concurrency ${options.callbackConcurrency}), then waiting for every terminal callback`,
    );
    sampler.start();
    const send = await runAmount({
      url: deployment.apis.map((api) => `${api.url}${MESSAGES_PATH}`),
      headers: REQUEST_HEADERS,
      body: REQUEST_BODY,
      connections: options.connections,
      amount: options.messages,
      serverPids: pids,
      onResponse: (status) => {
        if (status === 202) sampler.accepted += 1;
      },
    });
    acknowledged += send.responses2xx;
    const others = Object.entries(send.statusCounts).filter(([code]) => code !== '202');
    if (others.length > 0 || send.non2xx > 0) {
      failures.push(`e2e ${options.label} send: responses other than 202: ${others.map(([c, n]) => `${c}×${n}`).join(', ')}`);
    }
    if (send.errors > 0) failures.push(`e2e ${options.label} send: ${send.errors} connection errors (${send.timeouts} timeouts)`);
    if (send.stalled) {
      failures.push(`e2e ${options.label} send: no response for 30 s after ${send.responses2xx + send.non2xx} responses; abandoned`);
    }
    console.log(
      `e2e: ${send.responses2xx} accepted in ${fixed((send.lastResponseAt - send.startedAt) / 1000, 1)} s; waiting for callbacks ` +
        `(deadline ${options.deadlineSeconds} s after the last 202)`,
    );

    // Every 202 must end in a terminal callback, so the target is what was acknowledged, not what was asked.
    const expected = send.responses2xx;
    const deadline = send.lastResponseAt + options.deadlineSeconds * 1000;
    let stats = await receiverStats(receiver);
    let progressAt = epochNow();
    let lastCount = stats.terminal;
    while (stats.terminal - baseline < expected) {
      const now = epochNow();
      if (now > deadline) {
        failures.push(
          `e2e ${options.label}: ${stats.terminal - baseline} of ${expected} terminal callbacks within ${options.deadlineSeconds} s of the last 202`,
        );
        break;
      }
      if (now - progressAt > STALL_MS) {
        failures.push(
          `e2e ${options.label}: stuck at ${stats.terminal - baseline} of ${expected} terminal callbacks, none for ${STALL_MS / 1000} s`,
        );
        break;
      }
      await sleep(COMPLETION_POLL_MS);
      stats = await receiverStats(receiver);
      if (stats.terminal !== lastCount) {
        lastCount = stats.terminal;
        progressAt = epochNow();
      }
    }
    const complete = stats.terminal - baseline >= expected;
    const doneAt = epochNow();
    const pigeonCpuEnd = processesCpuMs(pids);
    const receiverCpuEnd = processCpuMs(receiver.pid);
    const databaseCpuEnd = options.engine === 'postgres' ? postgresCpuMs() : undefined;
    const pgEnd = pgStart === undefined ? undefined : await pgWorkEnd(db);
    const commitsEnd = await commitTotals(commitsUrl);
    await sampler.stop();
    // The state at completion, for "RSS at 100%" and the last row of the table.
    await sampler.sample();

    const latency = await getJson<{ p50Ms: number | null; p99Ms: number | null }>(`${receiver.url}/latency`);
    if (hanging) {
      console.log(`hanging endpoint: ${hanging.accepted} callbacks attempted (of ${hangingAcknowledged} waiting for it)`);
      // Its requests then fail at once rather than holding Pigeon's shutdown until they time out.
      await hanging.stop();
    }
    // Pigeon stops first: it records the attempts of callbacks already answered, and anything it sends
    // while stopping (a duplicate, say) is still counted by the receiver.
    for (const pigeon of deployment.processes) {
      const exit = await pigeon.stop(30_000);
      if (exit !== 0) failures.push(`${pigeon.name} exited with code ${exit} on SIGTERM`);
    }
    const final = await receiverStats(receiver);
    if (profileDir !== undefined) printSqlProfile(profileDir, acknowledged);
    // Before the store is checked: those checks' scans would count as reads of the run.
    const pgWork = pgStart === undefined || pgEnd === undefined ? undefined : await pgWorkFinish(db, pgStart, pgEnd, expected);
    const sqliteRows = rowsDir === undefined ? undefined : readSqlRows(rowsDir, acknowledged);

    const lastCallbackAt = complete && stats.lastTerminalAt !== null ? stats.lastTerminalAt : undefined;
    const elapsed = (ms: number) => ms - send.startedAt;
    const cpuPercent = (startMs: number | undefined, endMs: number | undefined) =>
      startMs === undefined || endMs === undefined ? undefined : (100 * (endMs - startMs)) / elapsed(doneAt);
    const result: E2eResult = {
      label: options.label,
      engine: options.engine,
      apis: deployment.apis.length,
      messages: expected,
      send,
      lastCallbackAt,
      callbacks: final.terminal - baseline,
      endToEndPerSecond: lastCallbackAt === undefined ? undefined : (expected * 1000) / elapsed(lastCallbackAt),
      drainMs: lastCallbackAt === undefined ? undefined : lastCallbackAt - send.lastResponseAt,
      callbackLatency: latency,
      pigeonCpuPercent: cpuPercent(pigeonCpuStart, pigeonCpuEnd),
      pigeonCpuUsPerMessage:
        pigeonCpuStart === undefined || pigeonCpuEnd === undefined || !complete
          ? undefined
          : ((pigeonCpuEnd - pigeonCpuStart) * 1000) / expected,
      receiverCpuPercent: cpuPercent(receiverCpuStart, receiverCpuEnd),
      databaseCpuPercent: cpuPercent(databaseCpuStart, databaseCpuEnd),
      memory: memoryFigures(sampler.samples, before, send.startedAt, lastCallbackAt, expected),
      sqliteRows,
      pgWork,
    };

    printSamples(sampler.samples, send.startedAt, expected);
    if (commitsStart !== undefined && commitsEnd !== undefined) {
      const batches = commitsEnd.batches - commitsStart.batches;
      const writes = commitsEnd.writes - commitsStart.writes;
      console.log(
        `\nsqlite write lock: held ${fixed((100 * (commitsEnd.commitSeconds - commitsStart.commitSeconds) * 1000) / elapsed(doneAt), 0)} % of the run ` +
          `(both threads); ${fixed(writes / expected, 1)} writes per message in ${fixed(batches / expected, 2)} transactions per message, ` +
          `${fixed(writes / Math.max(1, batches), 1)} writes per transaction`,
      );
    }
    const types = Object.entries(final.byType).map(([type, n]) => `${type} ${n}`).join(', ');
    console.log(
      `\ncallback receiver: ${final.requests} requests; events: ${types}; ` +
        `${final.terminal} distinct recipients ended (smoke included), ${final.duplicates} duplicate terminal events`,
    );
    if (final.badBodies > 0) failures.push(`e2e ${options.label}: the callback receiver got ${final.badBodies} bodies that were not JSON arrays`);
    const failedCallbacks = final.byType['message-failed'] ?? 0;
    if (failedCallbacks > 0) failures.push(`e2e ${options.label}: ${failedCallbacks} message-failed callbacks; the carrier was set to deliver everything`);
    if (final.terminal - baseline !== expected && complete) {
      failures.push(`e2e ${options.label}: ${final.terminal - baseline} distinct terminal callbacks, ${expected} expected`);
    }
    const receiverExit = await receiver.stop();
    if (receiverExit !== 0) failures.push(`callback-receiver exited with code ${receiverExit} on SIGTERM`);
    for (const server of servers) printComplaints(server);
    await verifyStore(db, options.label, acknowledged, hangingAcknowledged, failures);
    if (db.engine === 'postgres') await printDatabaseWork(db, acknowledged);
    if (sqliteRows !== undefined) printSqlRows(sqliteRows, options.label);
    if (pgWork !== undefined) {
      printCapacityInputs(pgWork, result.pigeonCpuUsPerMessage);
      printCapacity(pgWork, result.pigeonCpuUsPerMessage);
    }
    return result;
  } finally {
    // Only on the way out of an error: all have been stopped and checked above otherwise.
    await hanging?.stop();
    for (const server of servers) await server.stop();
    await db.drop();
  }
}
