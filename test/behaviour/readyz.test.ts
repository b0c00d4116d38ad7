// GET /healthz is liveness, GET /readyz readiness: 200 only while the database answers, its schema is
// current and no outage is in progress; otherwise 503 with the reason, so that a load balancer stops
// sending to this process. A database that cannot store (here: read-only, SQLite's query_only on
// the server's own connection, PostgreSQL's default_transaction_read_only) is an outage: sends
// answer 503 service-unavailable with Retry-After, nothing is stored, the outage is logged once when
// it starts and once when it ends, and messages accepted before it are delivered after it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ACCOUNT_A, AUTH_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { POSTGRES_ADMIN_URL, withSql } from '../helpers/databases.js';
import { getJson, postMessage, smsBody } from '../helpers/http.js';
import { LogCapture } from '../helpers/log-capture.js';
import { Exposition } from '../helpers/prometheus.js';
import { waitForReadiness } from '../helpers/readiness.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const UNAVAILABLE = {
  type: 'service-unavailable',
  description: 'The service is temporarily unavailable. Wait for Retry-After time before sending the request again.',
};

function rawPost(pigeon: TestPigeon): Promise<Response> {
  return pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
    method: 'POST',
    headers: { authorization: AUTH_A, 'content-type': 'application/json' },
    body: JSON.stringify(smsBody()),
  });
}

/** Makes the database refuse writes, and allows them again. */
interface ReadOnlySwitch {
  on(): Promise<void>;
  off(): Promise<void>;
}

function readOnlySwitch(pigeon: TestPigeon): ReadOnlySwitch {
  const url = pigeon.config.databaseUrl;
  if (url.startsWith('sqlite:')) {
    // What the server's connection sees of a file or filesystem that became read-only: SQLITE_READONLY.
    const db = (pigeon.server.store as SqliteStore).db;
    return {
      on: async () => void db.pragma('query_only = ON'),
      off: async () => void db.pragma('query_only = OFF'),
    };
  }
  // What a client sees of a failover onto a standby: every write fails with read_only_sql_transaction.
  const name = new URL(url).pathname.slice(1);
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    } finally {
      await client.end();
    }
  };
  return {
    on: () => admin(`ALTER DATABASE ${name} SET default_transaction_read_only = on`),
    off: () => admin(`ALTER DATABASE ${name} RESET default_transaction_read_only`),
  };
}

for (const backend of BACKENDS) {
  describe(`readiness (${backend})`, () => {
    let pigeon: TestPigeon;
    const log = new LogCapture();
    before(async () => {
      // A short lease: a submit whose recording the outage failed is taken over within a second.
      pigeon = await startPigeon({ backend, log, configYaml: fixtureConfigYaml({ extra: 'delivery: { leaseSeconds: 1 }' }) });
    });
    after(() => pigeon.close());

    it('answers /healthz and /readyz with 200 while all is well', async () => {
      const health = await pigeon.fetch('/healthz');
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const ready = await pigeon.fetch('/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready' });
    });

    it('is not ready while the schema is newer than this Pigeon knows', async () => {
      await withSql(pigeon.config.databaseUrl, (sql) =>
        sql.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [9999, 'from_the_future', 0]), { write: true });
      try {
        const res = await pigeon.fetch('/readyz');
        assert.equal(res.status, 503);
        assert.equal(res.headers.get('retry-after'), '5');
        assert.deepEqual(await res.json(), {
          status: 'not-ready',
          reason: 'schema-newer',
          description: 'the database schema is newer than this Pigeon; upgrade Pigeon',
        });
      } finally {
        await withSql(pigeon.config.databaseUrl, (sql) => sql.run('DELETE FROM schema_migrations WHERE version = ?', [9999]), { write: true });
      }
      assert.equal((await pigeon.fetch('/readyz')).status, 200);
    });

    it('answers 503 while the database is read-only, logs it once each way, and delivers what it accepted', async () => {
      const before = await postMessage(pigeon, smsBody());
      assert.equal(before.status, 202, JSON.stringify(before.body));
      const readOnly = readOnlySwitch(pigeon);
      await readOnly.on();
      let recovered = false;
      try {
        // Many requests, several at once: each is answered 503, and the log says so once.
        for (let round = 0; round < 5; round++) {
          const answers = await Promise.all(Array.from({ length: 8 }, () => rawPost(pigeon)));
          for (const res of answers) {
            const text = await res.text();
            assert.equal(res.status, 503, text);
            assert.equal(res.headers.get('retry-after'), '5');
            assert.deepEqual(JSON.parse(text), UNAVAILABLE);
          }
        }
        // On PostgreSQL the sessions this test terminates make it 'unreachable' first, until the
        // probe's new connection finds the database read-only.
        const ready = await waitForReadiness(pigeon, 503, 'read-only');
        assert.equal(ready.description, 'the database is read-only');
        const metrics = new Exposition(await (await pigeon.fetch('/metrics')).text());
        assert.equal(metrics.value('pigeon_database_outage', { reason: 'read-only' }), 1);
        assert.equal(metrics.value('pigeon_database_outage', { reason: 'disk-full' }), 0);
        // Stays out while the database does (the probe keeps failing), without more log lines.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal((await waitForReadiness(pigeon, 503)).reason, 'read-only');
        await readOnly.off();
        recovered = true;
      } finally {
        if (!recovered) await readOnly.off();
      }
      await waitForReadiness(pigeon, 200);
      assert.equal(log.matching(/^database outage started/).length, 1, JSON.stringify(log.lines));
      assert.equal(log.matching(/^database outage ended/).length, 1, JSON.stringify(log.lines));
      if (backend === 'sqlite') assert.equal(log.matching(/^database outage started/)[0]?.reason, 'read-only');
      // No error lines besides the one that the outage started (pg's pool reports the sessions this
      // test terminates on its own, as it always has).
      const errors = log.lines.filter((line) => line.level >= 50 && !/^database (outage started|error)/.test(line.msg));
      assert.deepEqual(errors, []);

      const accepted = await postMessage(pigeon, smsBody());
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      for (const id of [String(before.body.id), String(accepted.body.id)]) {
        const view = await pigeon.waitForMessage(id).catch(async (err) => {
          if (process.env.DEBUG_READYZ) console.log(JSON.stringify(log.lines, null, 1), JSON.stringify(await pigeon.admin('GET', `/messages/${id}`), null, 1));
          throw err;
        });
        assert.equal(view.recipients[0]?.messageStatus, 'DELIVERED', id);
      }
      // Nothing answered 503 was stored.
      const list = await getJson<{ totalCount: number }>(pigeon, `/api/v2/users/${ACCOUNT_A.id}/messages`);
      assert.equal(list.body.totalCount, 2);
    });
  });
}
