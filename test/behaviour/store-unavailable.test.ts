// PostgreSQL going away under a running Pigeon (a restart, a failover, maintenance) is a server-side
// condition, not the client's fault and not a bug: the API must answer 503 in Bandwidth's error shape
// with Retry-After, promptly (never a hang, never a 500), acknowledge nothing it did not commit, and
// accept and deliver again once the database is back. Here the database stops allowing connections
// and every session on it is terminated, which is what a client sees of a restart; then it allows
// connections again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ACCOUNT_A, AUTH_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { BACKENDS, createTestDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from '../helpers/databases.js';
import { getJson, postMessage, smsBody } from '../helpers/http.js';
import { startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const UNAVAILABLE = {
  type: 'service-unavailable',
  description: 'The service is temporarily unavailable. Wait for Retry-After time before sending the request again.',
};

/** Far more than an answer takes: the connection refusal is immediate. */
const ANSWER_WITHIN_MS = 5000;

describe('a PostgreSQL database that stops accepting connections', { skip: !BACKENDS.includes('postgres') && 'no postgres backend' }, () => {
  let database: TestDatabase;
  let pigeon: TestPigeon;
  let admin: pg.Client;
  let name: string;

  before(async () => {
    database = await createTestDatabase('postgres');
    name = new URL(database.url).pathname.slice(1);
    // A short lease: a submit whose worker lost its connection mid-way is taken over within seconds.
    pigeon = await startPigeon({ databaseUrl: database.url, configYaml: fixtureConfigYaml({ extra: 'delivery: { leaseSeconds: 1 }' }) });
    admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
  });
  after(async () => {
    await admin?.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    await pigeon?.close();
    await database?.drop();
  });

  it('answers 503 with Retry-After while it is away, then accepts and delivers again', async () => {
    const before = await postMessage(pigeon, smsBody());
    assert.equal(before.status, 202, JSON.stringify(before.body));
    const delivered = await pigeon.waitForMessage(String(before.body.id));
    assert.equal(delivered.recipients[0]?.messageStatus, 'DELIVERED');

    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);

    // Several at once, so some find a pooled connection that was just terminated and others have
    // to open a new one, which the server refuses; and a read through the same store.
    const started = Date.now();
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => rawPost(pigeon)),
      pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, { headers: { authorization: AUTH_A } }),
    ]);
    const elapsed = Date.now() - started;
    for (const res of answers) {
      const text = await res.text();
      assert.equal(res.status, 503, text);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.deepEqual(JSON.parse(text), UNAVAILABLE);
    }
    assert.ok(elapsed < ANSWER_WITHIN_MS, `answered after ${elapsed} ms`);

    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);

    const accepted = await postMessage(pigeon, smsBody());
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    // The workers kept polling through the outage and take the new message without a restart.
    const after = await pigeon.waitForMessage(String(accepted.body.id));
    assert.equal(after.recipients[0]?.messageStatus, 'DELIVERED');
    // Nothing answered 503 was stored: the database holds the two acknowledged messages only.
    const list = await getJson<{ totalCount: number }>(pigeon, `/api/v2/users/${ACCOUNT_A.id}/messages`);
    assert.equal(list.status, 200);
    assert.equal(list.body.totalCount, 2);
  });

  /**
   * Sends 10 messages while a lock on the messages table holds every accept's INSERT inside
   * PostgreSQL, then terminates the sessions of the database (the locker's aside), the waiting ones
   * among them, optionally with connections refused first. Nothing is left to timing: the cut comes
   * when accepts are known to be mid-statement. Returns the answers and the statements cut.
   */
  async function cutAcceptsMidStatement(refuseConnections: boolean): Promise<{ answers: Response[]; cut: string[] }> {
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE messages IN EXCLUSIVE MODE');
      const lockerPid = Number((await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
      const pending = Promise.all(Array.from({ length: 10 }, () => rawPost(pigeon)));
      const waiting = async () =>
        (await admin.query<{ query: string }>("SELECT query FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> $2", [name, lockerPid])).rows;
      const deadline = Date.now() + 10_000;
      while ((await waiting()).length === 0) {
        assert.ok(Date.now() < deadline, 'no accept came to wait on the lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (refuseConnections) await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      const { rows } = await admin.query<{ query: string; waiting: boolean }>(
        "SELECT query, wait_event_type = 'Lock' AS waiting, pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid NOT IN ($2, pg_backend_pid())",
        [name, lockerPid],
      );
      await locker.query('COMMIT');
      const answers = await pending;
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      return { answers, cut: rows.filter((r) => r.waiting).map((r) => r.query) };
    } finally {
      await locker.end();
    }
  }

  const storedCount = async () => (await getJson<{ totalCount: number }>(pigeon, `/api/v2/users/${ACCOUNT_A.id}/messages`)).body.totalCount;

  it('runs an accept cut off half-way again on another connection: acknowledged once, delivered, nothing lost', async () => {
    const before = await storedCount();
    const { answers, cut } = await cutAcceptsMidStatement(false);
    assert.ok(cut.some((query) => /insert into messages/i.test(query)), `no accept was cut mid-statement: ${JSON.stringify(cut)}`);
    const acknowledged: string[] = [];
    for (const res of answers) {
      const body = (await res.json()) as Record<string, unknown>;
      // The batch that lost its connection is rolled back and each write run again (group-commit.ts).
      assert.equal(res.status, 202, JSON.stringify(body));
      acknowledged.push(String(body.id));
    }
    for (const id of acknowledged) {
      const view = await pigeon.waitForMessage(id);
      assert.equal(view.recipients[0]?.messageStatus, 'DELIVERED', id);
    }
    assert.equal(await storedCount(), before + acknowledged.length, 'each acknowledged message stored once');
  });

  it('answers 503, never 500, to accepts cut off half-way while the database refuses connections, and stores none of them', async () => {
    const before = await storedCount();
    const { answers, cut } = await cutAcceptsMidStatement(true);
    assert.ok(cut.some((query) => /insert into messages/i.test(query)), `no accept was cut mid-statement: ${JSON.stringify(cut)}`);
    for (const res of answers) {
      const text = await res.text();
      assert.equal(res.status, 503, text);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.deepEqual(JSON.parse(text), UNAVAILABLE);
    }
    assert.equal(await storedCount(), before, 'a request answered 503 was stored');
  });
});

function rawPost(pigeon: TestPigeon): Promise<Response> {
  return pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
    method: 'POST',
    headers: { authorization: AUTH_A, 'content-type': 'application/json' },
    body: JSON.stringify(smsBody()),
  });
}
