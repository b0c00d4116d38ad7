// Scale-out on PostgreSQL: two API and two worker processes on one database, 10 000 messages
// through the simulated carrier, one worker killed with SIGKILL in the middle. Every recipient must
// end in exactly one terminal state with exactly one terminal callback event (re-deliveries of that
// same event are allowed: callbacks are at least once), and submits repeated because the worker died
// are counted and may not exceed the claims it could hold.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { spawnPigeon } from '../helpers/cli.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { ACCOUNT_A, AUTH_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';

const MESSAGES = Number(process.env.PIGEON_SCALEOUT_MESSAGES ?? 10_000);
const WORKER_CONCURRENCY = 32;
const FAILING = '+15005550001';

describe('scale-out: 2 API + 2 worker processes on one PostgreSQL database', { skip: !BACKENDS.includes('postgres') }, () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  let database: TestDatabase | undefined;
  let receiver: CallbackReceiver | undefined;
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
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
        extra: `delivery: { concurrency: ${WORKER_CONCURRENCY}, leaseSeconds: 2 }\ncallbacks: { retryInitialSeconds: 0.1, retryMaxSeconds: 1, timeoutSeconds: 5 }\nsimulator: { latencyMs: 5 }\n`,
      }),
    );
    const env = { PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: '0', PIGEON_LOG_LEVEL: 'info' };
    const start = async (role: 'api' | 'worker') => {
      const marker = role === 'api' ? /"url":"(http:\/\/127\.0\.0\.1:\d+)"/ : /pigeon worker running/;
      const started = await spawnPigeon(['serve', '--role', role], env, marker);
      children.push(started.child);
      return { child: started.child, url: started.match[1] ?? '' };
    };
    const apis = await Promise.all([start('api'), start('api')]);
    const workers = await Promise.all([start('worker'), start('worker')]);

    // Accept through both API processes, 64 requests in flight; every tenth message fails at the carrier.
    const ids: string[] = [];
    const began = Date.now();
    let next = 0;
    let killed = false;
    const sendOne = async (i: number) => {
      const api = apis[i % 2] as { url: string };
      const res = await fetch(`${api.url}/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json' },
        body: JSON.stringify(smsBody({ to: [i % 10 === 0 ? FAILING : `+1919555${String(i).padStart(4, '0')}`], text: `n${i}` })),
      });
      assert.equal(res.status, 202);
      ids.push(((await res.json()) as { id: string }).id);
    };
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < MESSAGES) {
          const i = next++;
          await sendOne(i);
          // Kill one worker once a third of the callbacks are in, while it holds claims.
          // (SMS get no message-sending, so every callback received so far is a terminal one.)
          if (!killed && receiver && receiver.received.length > MESSAGES / 3) {
            killed = true;
            workers[0]?.child.kill('SIGKILL');
          }
        }
      }),
    );
    const acceptedIn = Date.now() - began;
    if (!killed) {
      killed = true;
      workers[0]?.child.kill('SIGKILL');
    }
    const terminal = () => receiver?.events((e) => e.type === 'message-delivered' || e.type === 'message-failed') ?? [];
    // The count comes first: the set is only worth building once enough callbacks are in.
    const done = () => (receiver?.received.length ?? 0) >= MESSAGES && new Set(terminal().map((e) => e.message.id)).size >= MESSAGES;
    await receiver.waitFor(done, 120_000, 'every terminal callback');
    const drainedIn = Date.now() - began;

    // Exactly one terminal event per recipient: re-deliveries repeat the same body, never a second decision.
    const byMessage = new Map<string, Set<string>>();
    for (const e of terminal()) {
      const id = String(e.message.id);
      const bodies = byMessage.get(id) ?? new Set<string>();
      bodies.add(JSON.stringify(e));
      byMessage.set(id, bodies);
    }
    assert.equal(byMessage.size, MESSAGES);
    assert.deepEqual(new Set(ids), new Set(byMessage.keys()));
    const conflicting = [...byMessage.values()].filter((bodies) => bodies.size !== 1);
    assert.equal(conflicting.length, 0, `recipients with more than one terminal event: ${conflicting.length}`);
    const redelivered = terminal().length - MESSAGES;
    for (const e of terminal()) {
      if (e.to === FAILING) assert.equal(e.type, 'message-failed');
      else assert.equal(e.type, 'message-delivered');
    }

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const states = await client.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM message_recipients GROUP BY status');
      assert.deepEqual(
        Object.fromEntries(states.rows.map((r) => [r.status, Number(r.n)])),
        { DELIVERED: MESSAGES - Math.ceil(MESSAGES / 10), FAILED: Math.ceil(MESSAGES / 10) },
      );
      const terminalEvents = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM (SELECT message_id, destination_tn FROM message_events WHERE status IN ('DELIVERED', 'FAILED')
           GROUP BY message_id, destination_tn HAVING count(*) <> 1) x`,
      );
      assert.equal(Number(terminalEvents.rows[0]?.n), 0);
      const queue = await client.query<{ n: string }>('SELECT count(*) AS n FROM delivery_queue');
      assert.equal(Number(queue.rows[0]?.n), 0);
      const outbox = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM callback_outbox WHERE event_type IN ('message-delivered', 'message-failed')`,
      );
      assert.equal(Number(outbox.rows[0]?.n), MESSAGES);
      // A recipient submitted more than once has more than one carrier id.
      const repeated = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM (SELECT message_id FROM carrier_refs GROUP BY message_id, destination_tn HAVING count(*) > 1) x',
      );
      const repeatedSubmits = Number(repeated.rows[0]?.n);
      assert.ok(repeatedSubmits <= WORKER_CONCURRENCY, `${repeatedSubmits} repeated submits, more than the ${WORKER_CONCURRENCY} claims a worker holds`);
      t.diagnostic(
        `${MESSAGES} messages: accepted in ${acceptedIn} ms, all terminal callbacks in ${drainedIn} ms; ` +
          `repeated submits after the kill: ${repeatedSubmits}; re-delivered callbacks: ${redelivered}`,
      );
    } finally {
      await client.end();
    }
  });
});
