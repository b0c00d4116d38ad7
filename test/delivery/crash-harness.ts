// Helpers of the crash-recovery test: a real `pigeon serve` child on a database that outlives it, a
// traffic plan whose expected outcome is known per recipient, a tracker of the terminal callbacks a
// CallbackReceiver saw, and an audit of the database (SQLite or PostgreSQL, the same SQL) once no
// Pigeon process is left.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallbackReceiver, ReceivedCallback } from '../helpers/callback-receiver.js';
import { eventsOfRecipient } from '../../src/store/sql/event-log.js';
import { spawnPigeon } from '../helpers/cli.js';
import { createTestDatabase, withSql, type Backend } from '../helpers/databases.js';
import { ACCOUNT_A, AUTH_A, fixtureConfigYaml } from '../helpers/fixtures.js';

/** The simulator's ready-made failing destination: a "failed" receipt with 4720. */
export const FAILING_NUMBER = '+15005550001';
export const FAILING_CODE = 4720;
/** Destinations under this prefix get their receipt late (a simulator rule in the config). */
export const SLOW_PREFIX = '+1704555';
export const SLOW_DELAY_MS = 300;
/** The workspace's `simulator.receiptLeaseSeconds`, in ms. */
export const RECEIPT_LEASE_MS = 2000;
export const ADMIN_TOKEN = 'crash-test-admin-token-0123456789';

export const TERMINAL_TYPES: ReadonlySet<string> = new Set(['message-delivered', 'message-failed']);

export type CallbackEvent = ReceivedCallback['body'][number];

/** A recipient of a message, as `messageId|destination`. */
export const recipientKey = (messageId: string, destination: string): string => `${messageId}|${destination}`;

export function expectedOutcome(destination: string): { type: string; errorCode?: number } {
  return destination === FAILING_NUMBER ? { type: 'message-failed', errorCode: FAILING_CODE } : { type: 'message-delivered' };
}

export interface CrashWorkspace {
  configPath: string;
  /** The database every child of one scenario shares: a file in the workspace, or a PostgreSQL database. */
  databaseUrl: string;
  remove(): Promise<void>;
}

/** A directory holding the config file, and the database, that every child of one scenario shares. */
export async function crashWorkspace(callbackUrl: string, backend: Backend, options: { latencyMs?: number } = {}): Promise<CrashWorkspace> {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-crash-'));
  const configPath = join(dir, 'pigeon.yaml');
  // A one-second delivery lease, so the work a killed process held is taken over quickly; callback
  // leases are three times the callback timeout, so a one-second timeout frees them after 3 s.
  const extra = `
delivery:
  leaseSeconds: 1
callbacks:
  timeoutSeconds: 1
  retryInitialSeconds: 0.2
  retryMaxSeconds: 1
simulator:
  latencyMs: ${options.latencyMs ?? 5}
  # A dead process's taken receipts are another's after this, not after the default 30 s.
  receiptLeaseSeconds: ${RECEIPT_LEASE_MS / 1000}
  rules:
    - { id: slow-receipts, to: "${SLOW_PREFIX}*", outcome: deliver, delayMs: ${SLOW_DELAY_MS} }
`;
  writeFileSync(configPath, fixtureConfigYaml({ callbackUrl, extra }));
  const database = await createTestDatabase(backend, dir);
  return {
    configPath,
    databaseUrl: database.url,
    remove: async () => {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PigeonChild {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `pigeon serve` (role all unless told) on the workspace's config and database; `env` adds to its environment. */
export async function startChild(workspace: CrashWorkspace, role: 'all' | 'api' = 'all', env: Record<string, string> = {}): Promise<PigeonChild> {
  const { child, output, match } = await spawnPigeon(
    ['serve', '--role', role],
    {
      PIGEON_CONFIG: workspace.configPath,
      DATABASE_URL: workspace.databaseUrl,
      PORT: '0',
      PIGEON_LOG_LEVEL: 'info',
      PIGEON_ADMIN_TOKEN: ADMIN_TOKEN,
      ...env,
    },
    /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, url: match[1] as string, output, exited };
}

/** Kills the child at once (no shutdown code runs) and resolves when it is gone. */
export async function killHard(pigeon: PigeonChild): Promise<void> {
  pigeon.child.kill('SIGKILL');
  const { signal } = await pigeon.exited;
  if (signal !== 'SIGKILL') throw new Error(`expected the child to die of SIGKILL, got ${String(signal)}`);
}

/** SIGTERM: the child drains and closes the database; resolves with its exit code. */
export async function stopGracefully(pigeon: PigeonChild): Promise<number | null> {
  pigeon.child.kill('SIGTERM');
  const { code } = await pigeon.exited;
  return code;
}

/** The destinations of message `i` of a run: singles, slow receipts, the failing number, and groups. */
export function destinationsOf(i: number): string[] {
  const normal = (n: number) => `+1919556${String(n % 10_000).padStart(4, '0')}`;
  const slow = (n: number) => `${SLOW_PREFIX}${String(n % 10_000).padStart(4, '0')}`;
  if (i % 7 === 3) {
    // A group MMS: one fast, one slow, and every other group has the failing number as a member.
    return [normal(i), slow(i), i % 14 === 3 ? FAILING_NUMBER : normal(i + 5000)];
  }
  if (i % 10 === 1) return [FAILING_NUMBER];
  if (i % 4 === 2) return [slow(i)];
  return [normal(i)];
}

export interface Accepted {
  id: string;
  to: string[];
}

/**
 * One authenticated request: with a cold credential cache every request of a concurrent burst runs
 * its own scrypt verification, and a burst of hundreds then takes many seconds instead of one.
 */
export async function warmUp(url: string): Promise<void> {
  const res = await fetch(`${url}/api/v2/users/${ACCOUNT_A.id}/messages`, { headers: { authorization: AUTH_A } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`warm-up request answered ${res.status}`);
}

/**
 * Sends messages 0..count-1 concurrently; resolves, once every request has settled, with those
 * answered 202 and what happened to the others (an HTTP status, or the network error of a killed server).
 */
export async function sendAll(url: string, count: number, label: string): Promise<{ accepted: Accepted[]; refused: string[] }> {
  const results = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      const res = await fetch(`${url}/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json' },
        body: JSON.stringify({
          applicationId: ACCOUNT_A.applicationId,
          from: i % 2 === 0 ? ACCOUNT_A.number : ACCOUNT_A.secondNumber,
          to: destinationsOf(i),
          text: `${label} ${i}`,
        }),
      });
      const body = (await res.json()) as { id?: string; to?: string[] };
      return { status: res.status, body };
    }),
  );
  const accepted: Accepted[] = [];
  const refused: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled' && r.value.status === 202 && r.value.body.id && r.value.body.to) {
      accepted.push({ id: r.value.body.id, to: r.value.body.to });
    } else {
      refused.push(r.status === 'fulfilled' ? `HTTP ${r.value.status}` : String(r.reason));
    }
  }
  return { accepted, refused };
}

/** Indexes the terminal callbacks a receiver got, incrementally, so waitFor conditions stay cheap. */
export class TerminalTracker {
  /** Every terminal event received, per recipient, in arrival order (duplicates included). */
  readonly byRecipient = new Map<string, CallbackEvent[]>();
  /** Recipients that got a message-sending callback (MMS only). */
  readonly sending = new Set<string>();
  nonTerminal = 0;
  total = 0;
  private scanned = 0;

  constructor(private readonly receiver: CallbackReceiver) {}

  update(): this {
    const received = this.receiver.received;
    for (; this.scanned < received.length; this.scanned++) {
      for (const event of received[this.scanned]?.body ?? []) {
        this.total++;
        const key = recipientKey(String(event.message.id), event.to);
        if (!TERMINAL_TYPES.has(event.type)) {
          this.nonTerminal++;
          if (event.type === 'message-sending') this.sending.add(key);
          continue;
        }
        const list = this.byRecipient.get(key);
        if (list) list.push(event);
        else this.byRecipient.set(key, [event]);
      }
    }
    return this;
  }

  /** How many of `keys` have at least one terminal callback. */
  covered(keys: readonly string[]): number {
    this.update();
    return keys.reduce((n, key) => n + (this.byRecipient.has(key) ? 1 : 0), 0);
  }
}

export interface DbAudit {
  recipients: Array<{ message_id: string; destination_tn: string; status: string; error_code: number }>;
  /** Terminal events (DELIVERED/FAILED) per recipient key. */
  terminalEvents: Map<string, number>;
  /** SENT events per recipient key (more than one: the recipient was submitted again after a takeover). */
  sentEvents: Map<string, number>;
  queueRows: number;
  /** Terminal callbacks in the outbox: recipient key → bodies. */
  terminalOutbox: Map<string, string[]>;
  outboxStates: Record<string, number>;
  carrierRefs: number;
  unsettledRefs: Array<{ message_id: string; destination_tn: string; status: string }>;
  pendingSimulatorReceipts: number;
}

/** Reads the database; call it only when no Pigeon process has it open. */
export function auditDatabase(databaseUrl: string): Promise<DbAudit> {
  return withSql(databaseUrl, async (db) => {
    const recipients = (
      await db.all<DbAudit['recipients'][number]>(
        `SELECT message_id, destination_tn, status, error_code FROM message_recipients WHERE direction = 'OUTBOUND'`,
      )
    ).map((r) => ({ ...r, error_code: Number(r.error_code) }));
    // Each recipient's timeline is in its row (store/sql/event-log.ts).
    const timelines = await db.all<{ message_id: string; destination_tn: string; events: string | null }>(
      `SELECT message_id, destination_tn, events FROM message_recipients WHERE direction = 'OUTBOUND'`,
    );
    const countsOf = async (statuses: readonly string[]) =>
      new Map(
        timelines
          .map((r) => [recipientKey(r.message_id, r.destination_tn), eventsOfRecipient(r.destination_tn, r.events).filter((e) => statuses.includes(e.status)).length] as const)
          .filter(([, n]) => n > 0),
      );
    const terminalOutbox = new Map<string, string[]>();
    const outboxStates: Record<string, number> = {};
    const outbox = await db.all<{ event_type: string; state: string; body: string }>('SELECT event_type, state, body FROM callback_outbox');
    for (const row of outbox) {
      outboxStates[row.state] = (outboxStates[row.state] ?? 0) + 1;
      if (!TERMINAL_TYPES.has(row.event_type)) continue;
      for (const event of JSON.parse(row.body) as CallbackEvent[]) {
        const key = recipientKey(String(event.message.id), event.to);
        terminalOutbox.set(key, [...(terminalOutbox.get(key) ?? []), JSON.stringify(event)]);
      }
    }
    return {
      recipients,
      terminalEvents: await countsOf(['DELIVERED', 'FAILED']),
      sentEvents: await countsOf(['SENT']),
      queueRows: await db.count('SELECT count(*) AS n FROM delivery_queue'),
      terminalOutbox,
      outboxStates,
      carrierRefs: await db.count('SELECT count(*) AS n FROM carrier_refs'),
      unsettledRefs: await db.all<DbAudit['unsettledRefs'][number]>(
        `SELECT r.message_id, r.destination_tn, mr.status FROM carrier_refs r
          JOIN message_recipients mr ON mr.message_id = r.message_id AND mr.destination_tn = r.destination_tn
          WHERE r.settled = 0`,
      ),
      pendingSimulatorReceipts: await db.count('SELECT count(*) AS n FROM simulator_receipts'),
    };
  });
}

/** The delivery and callback counters of a live child (admin API). */
export async function childStatus(pigeon: PigeonChild): Promise<unknown> {
  const res = await fetch(`${pigeon.url}/admin/v1/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return res.ok ? await res.json() : `HTTP ${res.status}`;
}

/** Error-level log lines of a child, counted by message (and error message), for the diagnostics. */
export function errorLines(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: number; msg?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if ((entry.level ?? 0) < 50) continue;
    const detail = (entry.err?.message ?? '').replace(/sim-[0-9a-f]+-[0-9a-z]+/g, 'sim-…').replace(/\d+ refusals/, 'N refusals');
    const key = `${entry.msg ?? ''}: ${detail}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Work still owed, read while a child may be running (neither engine blocks its writer for a reader). */
export function outstandingWork(databaseUrl: string): Promise<{ queued: number; pendingCallbacks: number; receiptsOwed: number }> {
  return withSql(databaseUrl, async (db) => ({
    queued: await db.count('SELECT count(*) AS n FROM delivery_queue'),
    pendingCallbacks: await db.count(`SELECT count(*) AS n FROM callback_outbox WHERE state = 'pending'`),
    // Receipts the simulator still owes: a recipient stored but never answered (cut off by the kill)
    // ends only once its receipt, leased to the dead process, is delivered by the next one.
    receiptsOwed: await db.count('SELECT count(*) AS n FROM simulator_receipts'),
  }));
}

/** Polls `probe` until it returns true; rejects with `what` after `timeoutMs`. */
export async function pollUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Submits recorded so far (carrier refs, one per submitted part), read while a child may be running. */
export function submittedCount(databaseUrl: string): Promise<number> {
  return withSql(databaseUrl, (db) => db.count('SELECT count(*) AS n FROM carrier_refs'));
}

/**
 * PostgreSQL only: Pigeon's transactions open right now that have written something (a group
 * commit in flight), and the database's rolled-back transactions so far (a transaction open when its
 * process was killed is rolled back by the server, and counted there).
 */
export function openWriteTransactions(databaseUrl: string): Promise<{ open: number; rolledBack: number }> {
  return withSql(databaseUrl, async (db) => ({
    open: await db.count(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pigeon'
        AND backend_xid IS NOT NULL`,
    ),
    rolledBack: await db.count('SELECT xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()'),
  }));
}

/** The child's group commits so far (GET /metrics): how many batches, and how many writes they held. */
export async function commitBatches(pigeon: PigeonChild): Promise<{ batches: number; writes: number }> {
  const res = await fetch(`${pigeon.url}/metrics`);
  const text = await res.text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { batches: value('pigeon_db_commit_batch_size_count'), writes: value('pigeon_db_commit_batch_size_sum') };
}
