// Scale-out on PostgreSQL: two API and two worker processes on one database, 4 000 messages
// through the simulated carrier, one worker killed with SIGKILL in the middle. Every recipient must
// end in exactly one terminal state with exactly one terminal callback event (re-deliveries of that
// same event are allowed: callbacks are at least once), and every carrier submit is counted: those
// repeated because the worker died may not exceed the claims it held when it died. Receipts that
// overtake the recording of their submit are parked and applied when it is recorded, so every
// receipt of a recorded submit is applied in the end, however slow the machine; the test waits for
// that state rather than timing anything.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pollUntil } from '../delivery/crash-harness.js';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { spawnPigeon } from '../helpers/cli.js';
import { BACKENDS, connectSql, createTestDatabase, type SqlConnection, type TestDatabase } from '../helpers/databases.js';
import { ACCOUNT_A, AUTH_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { eventCountSql } from '../helpers/store-rows.js';

// At least this many are sent; more when the kill has not happened by then (see the sending loop).
const MESSAGES = Number(process.env.PIGEON_SCALEOUT_MESSAGES ?? 4_000);
// How long any one wait may take before the test gives up. Nothing here is timed: these only stop a
// broken run, and a loaded machine can be many times slower than an idle one (each wait took
// 2-4 times longer with two CPU burners and other test suites running beside it).
const PATIENCE_MS = 600_000;
const WORKER_CONCURRENCY = 32;
// Long enough that a live worker never loses a lease it is still working on, even on a two-core
// machine with other work beside the test (a job here takes milliseconds), so every repeated submit
// is the dead worker's doing; the dead worker's claims are taken over when it runs out.
const LEASE_SECONDS = 15;
const FAILING = '+15005550001';

interface Child {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
}

/**
 * Kills `worker` with SIGKILL at a moment it holds claims, and resolves with how many it held.
 * The worker is frozen (SIGSTOP) while its claims are counted, so it can neither claim more nor
 * record what it holds between the count and its death; if it happens to hold none (between two
 * claims) it is thawed and tried again a moment later.
 */
async function killHoldingClaims(worker: Child, sql: SqlConnection, timeoutMs: number): Promise<number> {
  const { child } = worker;
  // The worker id is `host:pid:random` (src/main/server.ts), and a queue row names its holder.
  const held = () => sql.count('SELECT count(*) AS n FROM delivery_queue WHERE locked_by LIKE ?', [`%:${child.pid}:%`]);
  const died = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    child.kill('SIGSTOP');
    const frozen = await held();
    if (frozen > 0 || Date.now() > deadline) {
      child.kill('SIGKILL');
      assert.equal(await died, 'SIGKILL');
      // A claim whose COMMIT had already been sent when the worker froze commits after the first
      // count; the rows it died holding keep its name until their lease runs out.
      return Math.max(frozen, await held());
    }
    child.kill('SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('scale-out: 2 API + 2 worker processes on one PostgreSQL database', { skip: !BACKENDS.includes('postgres') }, () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  let database: TestDatabase | undefined;
  let receiver: CallbackReceiver | undefined;
  let sql: SqlConnection | undefined;
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sql?.close();
    await receiver?.stop();
    await database?.drop();
  });

  it('loses nothing and ends every recipient once when a worker is killed mid-run', async (t) => {
    receiver = await new CallbackReceiver().start();
    database = await createTestDatabase('postgres');
    const dir = mkdtempSync(join(tmpdir(), 'pigeon-scaleout-'));
    const configPath = join(dir, 'pigeon.yaml');
    writeFileSync(
      configPath,
      fixtureConfigYaml({
        callbackUrl: receiver.url,
        extra:
          `delivery: { concurrency: ${WORKER_CONCURRENCY}, leaseSeconds: ${LEASE_SECONDS} }\n` +
          'callbacks: { retryInitialSeconds: 0.1, retryMaxSeconds: 1, timeoutSeconds: 5 }\nsimulator: { latencyMs: 5 }\n',
      }),
    );
    const env = { PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: '0', PIGEON_WORKER_PORT: '0', PIGEON_LOG_LEVEL: 'info' };
    const start = async (role: 'api' | 'worker'): Promise<Child> => {
      const marker = role === 'api' ? /"url":"(http:\/\/127\.0\.0\.1:\d+)"/ : /pigeon worker running/;
      const started = await spawnPigeon(['serve', '--role', role], env, marker);
      children.push(started.child);
      return { child: started.child, url: started.match[1] ?? '', output: started.output };
    };
    const apis = await Promise.all([start('api'), start('api')]);
    const workers = await Promise.all([start('worker'), start('worker')]);
    const [victim] = workers as [Child, Child];
    sql = await connectSql(database.url);
    const db = sql;

    // The kill looks for its moment once a third of the messages are accepted, while the sending
    // goes on. The sending does not stop before the kill: work keeps arriving, so the victim keeps
    // claiming, however fast the workers drain the queue on this machine (waiting on callbacks
    // instead once let the queue run dry first, and the kill then waited for claims that never came).
    const began = Date.now();
    let killedAt = 0;
    const ids: string[] = [];
    const killing = pollUntil(async () => ids.length > MESSAGES / 3, PATIENCE_MS, 'a third of the messages accepted', 20).then(async () => {
      const claims = await killHoldingClaims(victim, db, PATIENCE_MS);
      killedAt = Date.now() - began;
      return claims;
    });
    let killSettled = false;
    // Settles with the kill either way: an early failure is reported where `killing` is awaited,
    // not as an unhandled rejection.
    void killing.then(
      () => (killSettled = true),
      () => (killSettled = true),
    );

    // Accept through both API processes, 64 requests in flight; every tenth message fails at the carrier.
    let next = 0;
    let busyAnswers = 0;
    const sendOne = async (i: number) => {
      const api = apis[i % 2] as Child;
      for (;;) {
        const res = await fetch(`${api.url}/api/v2/users/${ACCOUNT_A.id}/messages`, {
          method: 'POST',
          headers: { authorization: AUTH_A, 'content-type': 'application/json' },
          body: JSON.stringify(smsBody({ to: [i % 10 === 0 ? FAILING : `+1919555${String(i).padStart(4, '0')}`], text: `n${i}` })),
        });
        // A 503 stored nothing and asks the client to come back, as a client does (sooner than
        // Retry-After, to keep the test short); on a very loaded machine the database can be busy.
        if (res.status === 503 && busyAnswers < 1000) {
          busyAnswers++;
          await res.arrayBuffer();
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        assert.equal(res.status, 202, await res.clone().text());
        ids.push(((await res.json()) as { id: string }).id);
        return;
      }
    };
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        // Past MESSAGES only until the kill (bounded, should the kill fail and be reported below).
        while (next < MESSAGES || (!killSettled && next < 3 * MESSAGES)) await sendOne(next++);
      }),
    );
    const acceptedIn = Date.now() - began;
    const claimsHeld = await killing;
    assert.ok(claimsHeld > 0, 'the worker was killed while it held claims');
    // Every i with i % 10 === 0 went to the failing number.
    const total = ids.length;
    const failing = Math.ceil(total / 10);

    const terminal = () => receiver?.events((e) => e.type === 'message-delivered' || e.type === 'message-failed') ?? [];
    // The count comes first: the set is only worth building once enough callbacks are in.
    const done = () => (receiver?.received.length ?? 0) >= total && new Set(terminal().map((e) => e.message.id)).size >= total;
    await receiver.waitFor(done, PATIENCE_MS, 'every terminal callback');
    const drainedIn = Date.now() - began;

    // Exactly one terminal event per recipient: re-deliveries repeat the same body, never a second decision.
    const byMessage = new Map<string, Set<string>>();
    for (const e of terminal()) {
      const id = String(e.message.id);
      const bodies = byMessage.get(id) ?? new Set<string>();
      bodies.add(JSON.stringify(e));
      byMessage.set(id, bodies);
    }
    assert.equal(byMessage.size, total);
    assert.deepEqual(new Set(ids), new Set(byMessage.keys()));
    const conflicting = [...byMessage.values()].filter((bodies) => bodies.size !== 1);
    assert.equal(conflicting.length, 0, `recipients with more than one terminal event: ${conflicting.length}`);
    const redelivered = terminal().length - total;
    for (const e of terminal()) {
      if (e.to === FAILING) assert.equal(e.type, 'message-failed');
      else assert.equal(e.type, 'message-delivered');
    }

    const states = await db.all<{ status: string; n: string }>('SELECT status, count(*) AS n FROM message_recipients GROUP BY status');
    assert.deepEqual(
      Object.fromEntries(states.map((r) => [r.status, Number(r.n)])),
      { DELIVERED: total - failing, FAILED: failing },
    );
    const oddTerminalEvents = await db.count(
      // Each recipient's timeline is in its row (store/sql/event-log.ts): its terminal lines, counted.
      `SELECT count(*) AS n FROM message_recipients WHERE direction = 'OUTBOUND'
         AND ${eventCountSql(['DELIVERED', 'FAILED'])} <> 1`,
    );
    assert.equal(oddTerminalEvents, 0, 'exactly one terminal event per recipient');
    assert.equal(await db.count('SELECT count(*) AS n FROM delivery_queue'), 0, 'the delivery queue is empty');
    assert.equal(
      await db.count(`SELECT count(*) AS n FROM callback_outbox WHERE event_type IN ('message-delivered', 'message-failed')`),
      total,
      'one terminal callback per recipient in the outbox',
    );

    // Counting submits at the carrier. Every destination here gets a receipt, and the simulator
    // stores a submit's receipt before it acknowledges the submit, deleting it only once Pigeon has
    // taken it. Pigeon takes every receipt: it applies one whose submit is recorded, and parks one
    // that came first, applying it once the submit is recorded. So each submit is either a carrier
    // ref (recorded) or a receipt that no ref will ever match, still at the simulator or parked in
    // Pigeon: a submit acknowledged to the dead worker, which died before recording it. A receipt of
    // a recorded submit may still be on its way (one the dead worker's simulator had leased waits
    // out its lease; one parked is applied by the next sweep): wait until none is left.
    const matchable = (table: string) =>
      `SELECT count(*) AS n FROM ${table} s WHERE EXISTS (SELECT 1 FROM carrier_refs r WHERE r.carrier_message_id = s.carrier_message_id)`;
    await pollUntil(
      async () => (await db.count(matchable('simulator_receipts'))) === 0 && (await db.count(matchable('parked_receipts'))) === 0,
      PATIENCE_MS,
      'every receipt of a recorded submit to be applied',
      200,
    );
    const unmatched = (table: string) =>
      db.all<{ id: string }>(
        `SELECT DISTINCT carrier_message_id AS id FROM ${table} s
          WHERE NOT EXISTS (SELECT 1 FROM carrier_refs r WHERE r.carrier_message_id = s.carrier_message_id)`,
      );
    const orphans = new Set([...(await unmatched('simulator_receipts')), ...(await unmatched('parked_receipts'))].map((r) => r.id));
    const parked = await db.count('SELECT count(DISTINCT carrier_message_id) AS n FROM parked_receipts');
    const refs = await db.count('SELECT count(*) AS n FROM carrier_refs');
    const twiceRecorded = await db.count(
      'SELECT count(*) AS n FROM (SELECT 1 FROM carrier_refs GROUP BY message_id, destination_tn HAVING count(*) > 1) x',
    );
    const submits = refs + orphans.size;
    const repeated = submits - total;

    t.diagnostic(
      `${total} messages: accepted in ${acceptedIn} ms, worker killed at ${killedAt} ms holding ${claimsHeld} claims, ` +
        `all terminal callbacks in ${drainedIn} ms`,
    );
    t.diagnostic(
      `503 answers retried ${busyAnswers}; carrier submits ${submits} (${refs} recorded, ${orphans.size} acknowledged to the dead worker but never recorded); ` +
        `repeated submits ${repeated}; recipients with two recorded submits ${twiceRecorded}; re-delivered callbacks ${redelivered}`,
    );
    t.diagnostic(`receipts parked and never matched (the dead worker's unrecorded submits): ${parked}`);
    assert.ok(repeated >= 0, `${submits} carrier submits for ${total} recipients`);
    assert.ok(repeated <= claimsHeld, `${repeated} repeated submits, more than the ${claimsHeld} claims the dead worker held`);
  });
});
