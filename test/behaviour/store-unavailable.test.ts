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

  it('answers 202 or 503, never 500, when its sessions are terminated mid-request, and loses nothing acknowledged', async () => {
    // Sessions terminated again and again while the requests (and the deliveries of the first ones)
    // are in flight, so that some statements lose their connection half-way.
    let sent = false;
    const terminating = (async () => {
      let terminated = 0;
      while (!sent) {
        const { rows } = await admin.query<{ n: number }>(
          'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        terminated += Number(rows[0]?.n);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return terminated;
    })();
    const answers = await Promise.all(Array.from({ length: 40 }, () => rawPost(pigeon)));
    sent = true;
    assert.ok((await terminating) > 0, 'no session was terminated');
    const acknowledged: string[] = [];
    for (const res of answers) {
      const body = (await res.json()) as Record<string, unknown>;
      if (res.status === 503) assert.deepEqual(body, UNAVAILABLE);
      else {
        assert.equal(res.status, 202, JSON.stringify(body));
        acknowledged.push(String(body.id));
      }
    }
    for (const id of acknowledged) {
      const view = await pigeon.waitForMessage(id);
      assert.equal(view.recipients[0]?.messageStatus, 'DELIVERED', id);
    }
  });
});

function rawPost(pigeon: TestPigeon): Promise<Response> {
  return pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
    method: 'POST',
    headers: { authorization: AUTH_A, 'content-type': 'application/json' },
    body: JSON.stringify(smsBody()),
  });
}
