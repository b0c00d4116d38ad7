// Callbacks are scheduled per endpoint (the callback URL), each with its own share of the callback
// slots and its own circuit, so that one customer's broken webhook cannot hold back anyone else's:
// an endpoint that hangs with thousands of callbacks pending, one that answers 500 for a while and
// then recovers, one that is slow but healthy, a restart while an endpoint is failing, and (on
// PostgreSQL) two worker processes sharing one endpoint's share.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EndpointView } from '../../src/core/admin/endpoint-view.js';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, withSql, type TestDatabase } from '../helpers/databases.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_B, RECIPIENT } from '../helpers/fixtures.js';
import { HangingEndpoint } from '../helpers/hanging-endpoint.js';
import { smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type Backend, type TestPigeon } from '../helpers/pigeon.js';
import { configYaml, eventually, send, view } from './e2e-support.js';

const FAST = 'retryInitialSeconds: 0.05, retryMaxSeconds: 0.2, probeInitialSeconds: 0.05, probeMaxSeconds: 0.2';

/** Sends `n` SMS from account B's application, whose callbacks go to the healthy receiver. */
async function sendFromB(pigeon: TestPigeon, n: number, text: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = smsBody({ applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number, to: [RECIPIENT], text: `${text} ${i}` });
    ids.push((await send(pigeon, body, { auth: AUTH_B, accountId: ACCOUNT_B.id })).id);
  }
  return ids;
}

/** Writes `n` pending callbacks for `url` straight into the outbox: a backlog of thousands in a moment. */
async function backlog(pigeon: TestPigeon, url: string, n: number): Promise<void> {
  const now = Date.now();
  await withSql(
    pigeon.config.databaseUrl,
    (sql) =>
      sql.run(
        `WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
        INSERT INTO callback_outbox (message_id, account_id, application_id, event_type, url, body, created_at, run_at)
        SELECT 'backlog-' || i, ?, ?, 'message-delivered', ?, '[]', ?, ? FROM seq`,
        [n, ACCOUNT_A.id, ACCOUNT_A.applicationId, url, now, now],
      ),
    { write: true },
  );
  pigeon.server.callbacks.wake();
}

async function endpointOf(pigeon: TestPigeon, url: string): Promise<EndpointView | undefined> {
  return (await pigeon.admin<EndpointView[]>('GET', '/endpoints')).find((e) => e.endpoint === url);
}

function startWith(backend: Backend, aUrl: string, bUrl: string, callbacks: string, more: { databaseUrl?: string; dir?: string } = {}) {
  return startPigeon({
    backend,
    ...more,
    configYaml: configYaml({ callbackUrl: aUrl, otherCallbackUrl: bUrl, extra: `callbacks: { ${callbacks} }\n` }),
  });
}

for (const backend of BACKENDS) {
  describe(`a hanging endpoint beside a healthy one (${backend})`, () => {
    let hanging: HangingEndpoint;
    let healthy: CallbackReceiver;
    let pigeon: TestPigeon;
    before(async () => {
      hanging = await new HangingEndpoint().start();
      healthy = await new CallbackReceiver().start();
      // Default slots (64 per process, 32 per endpoint); a timeout long enough that none of the
      // hanging endpoint's requests ends during the test.
      pigeon = await startWith(backend, hanging.url, healthy.url, 'timeoutSeconds: 120');
    });
    after(async () => {
      // The endpoint goes first: its requests then fail at once instead of holding the shutdown.
      await hanging.stop();
      await pigeon.close();
      await healthy.stop();
    });

    it("holds only the hanging endpoint's own share, and B's callbacks go out at once beside thousands of A's", async () => {
      await backlog(pigeon, hanging.url, 3000);
      const share = pigeon.config.callbacks.perEndpointConcurrency;
      await eventually(async () => (hanging.open === share ? true : undefined), 'the hanging endpoint holding its share');

      const ids = await sendFromB(pigeon, 20, 'beside a hanging endpoint');
      await healthy.waitFor(() => ids.every((id) => healthy.eventsFor(id).length === 1), 30_000, "B's 20 callbacks");
      // Not one of A's requests has ended (each hangs for 120 s): B's callbacks never waited for a
      // slot of A's to free up, and A never held more than its share.
      assert.equal(hanging.accepted, share);
      assert.equal(hanging.maxOpen, share);
      for (const id of ids) {
        const [callback] = (await view(pigeon, id)).callbacks;
        assert.equal(callback?.state, 'delivered');
        assert.equal(callback?.attempts.length, 1);
      }

      const a = await endpointOf(pigeon, hanging.url);
      assert.equal(a?.state, 'healthy', 'no attempt has failed yet');
      assert.equal(a?.inFlight, share);
      assert.equal(a?.backlog, 3000);
      const b = await endpointOf(pigeon, healthy.url);
      assert.equal(b?.inFlight, 0);
      assert.equal(b?.backlog, 0);
    });
  });

  describe(`an endpoint that answers 500 for a while, then 200 (${backend})`, () => {
    let failing: CallbackReceiver;
    let healthy: CallbackReceiver;
    let pigeon: TestPigeon;
    before(async () => {
      failing = await new CallbackReceiver().start();
      healthy = await new CallbackReceiver().start();
      pigeon = await startWith(backend, failing.url, healthy.url, `${FAST}, perEndpointConcurrency: 4`);
    });
    after(async () => {
      await pigeon.close();
      await failing.stop();
      await healthy.stop();
    });

    it('opens its circuit, probes one at a time without charging the waiting callbacks, then drains everything in order', async () => {
      failing.status = 500;
      const mms: string[] = [];
      const sms: string[] = [];
      for (let i = 0; i < 8; i++) {
        mms.push((await send(pigeon, smsBody({ text: `mms ${i}`, media: ['https://media.example.test/a.jpg'] }))).id);
        sms.push((await send(pigeon, smsBody({ text: `sms ${i}` }))).id);
      }
      const all = [...mms, ...sms];
      for (const id of all) await pigeon.waitForMessage(id, 'terminal');
      const open = await eventually(async () => {
        const found = await endpointOf(pigeon, failing.url);
        return found?.state === 'failing' && found.consecutiveFailures >= 8 ? found : undefined;
      }, 'the circuit open and probes failing');
      assert.equal(open.lastError, 'HTTP 500');
      assert.ok(open.failingSince !== undefined && open.nextProbeAt !== undefined);

      // Meanwhile another application's callbacks are not held back.
      const fromB = await sendFromB(pigeon, 5, 'while A fails');
      await healthy.waitFor(() => fromB.every((id) => healthy.eventsFor(id).length === 1), 20_000, "B's callbacks");

      // Every failed attempt is one the circuit let through: the five that opened it, what was in
      // flight then, and one probe at a time; the callbacks waiting meanwhile have none.
      const sent = failing.requests.length;
      let attempts = 0;
      let untouched = 0;
      for (const id of all) {
        for (const callback of (await view(pigeon, id)).callbacks) {
          attempts += callback.attempts.length;
          if (callback.attempts.length === 0) untouched++;
        }
      }
      const later = await endpointOf(pigeon, failing.url);
      assert.ok(later !== undefined && attempts <= later.consecutiveFailures, `${attempts} attempts, ${later?.consecutiveFailures} failures`);
      assert.ok(untouched >= 8, `${untouched} callbacks were never attempted`);
      // Each request is an attempt; one (the probe) may still be in flight, not recorded yet.
      assert.ok(attempts >= sent - 1, `${attempts} attempts recorded, ${sent} requests received before`);

      failing.status = 200;
      await failing.waitFor(() => failing.events().length >= 24, 20_000, "A's 24 callbacks after recovery");
      for (const id of all) {
        const settled = await pigeon.waitForMessage(id, 'callbacks');
        const expected = mms.includes(id) ? ['message-sending', 'message-delivered'] : ['message-delivered'];
        assert.deepEqual(failing.eventsFor(id).map((e) => e.type), expected, id);
        for (const callback of settled.callbacks) assert.equal(callback.state, 'delivered');
      }
      assert.equal(failing.events().length, 24, 'nothing twice');
      const recovered = await endpointOf(pigeon, failing.url);
      assert.equal(recovered?.state, 'healthy');
      assert.equal(recovered?.consecutiveFailures, 0);
      assert.equal(recovered?.backlog, 0);
      assert.ok(failing.maxInFlight <= 4, `${failing.maxInFlight} requests at once at a limit of 4`);
    });
  });

  describe(`a slow but healthy endpoint (${backend})`, () => {
    let slow: CallbackReceiver;
    let healthy: CallbackReceiver;
    let pigeon: TestPigeon;
    before(async () => {
      slow = await new CallbackReceiver().start();
      healthy = await new CallbackReceiver().start();
      // Slow for exactly as long as the test holds its answers; a timeout none of them reaches.
      pigeon = await startWith(backend, slow.url, healthy.url, 'perEndpointConcurrency: 4, timeoutSeconds: 120');
    });
    after(async () => {
      await pigeon.close();
      await slow.stop();
      await healthy.stop();
    });

    it('gets its whole share and all its callbacks through, and others pass it', async () => {
      const release = slow.hold();
      const fromA: string[] = [];
      for (let i = 0; i < 12; i++) fromA.push((await send(pigeon, smsBody({ text: `slow ${i}` }))).id);
      await eventually(async () => (slow.inFlight === 4 ? true : undefined), 'the slow endpoint at its share');
      const fromB = await sendFromB(pigeon, 20, 'beside a slow endpoint');
      await healthy.waitFor(() => fromB.every((id) => healthy.eventsFor(id).length === 1), 20_000, "B's callbacks");
      // B's callbacks went while A's endpoint answered none: A's share stayed at its 4 in flight.
      assert.equal(slow.events().length, 0);
      assert.equal(slow.inFlight, 4);
      release();

      await slow.waitFor(() => fromA.every((id) => slow.eventsFor(id).length === 1), 30_000, "A's 12 callbacks");
      assert.equal(slow.maxInFlight, 4);
      const a = await endpointOf(pigeon, slow.url);
      assert.equal(a?.state, 'healthy');
      assert.equal(a?.consecutiveFailures, 0);
    });
  });

  describe(`a restart while an endpoint is failing (${backend})`, () => {
    let failing: CallbackReceiver;
    let healthy: CallbackReceiver;
    let pigeon: TestPigeon | undefined;
    let dir: string;
    let database: TestDatabase;
    before(async () => {
      failing = await new CallbackReceiver().start();
      healthy = await new CallbackReceiver().start();
      dir = mkdtempSync(join(tmpdir(), 'pigeon-restart-'));
      database = await createTestDatabase(backend, dir);
    });
    after(async () => {
      await pigeon?.close();
      await failing.stop();
      await healthy.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps the circuit: no attempt before the next probe it had, then the backlog drains', async () => {
      // Probes 4 s apart (2 to 4 s with jitter): the restart comes before the first one is due.
      const callbacks = 'retryInitialSeconds: 0.05, retryMaxSeconds: 0.2, probeInitialSeconds: 4, probeMaxSeconds: 4';
      const databaseUrl = database.url;
      const first = await startWith(backend, failing.url, healthy.url, callbacks, { dir, databaseUrl });
      failing.status = 500;
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push((await send(first, smsBody({ text: `before restart ${i}` }))).id);
      const open = await eventually(async () => {
        const found = await endpointOf(first, failing.url);
        return found?.state === 'failing' ? found : undefined;
      }, 'the circuit open');
      await first.close();
      const requestsBefore = failing.requests.length;

      pigeon = await startWith(backend, failing.url, healthy.url, callbacks, { dir, databaseUrl });
      const kept = await endpointOf(pigeon, failing.url);
      assert.equal(kept?.state, 'failing');
      assert.equal(kept?.failingSince, open.failingSince);
      assert.equal(kept?.nextProbeAt, open.nextProbeAt);
      // Other endpoints are served at once after the restart.
      const fromB = await sendFromB(pigeon, 3, 'after the restart');
      await healthy.waitFor(() => fromB.every((id) => healthy.eventsFor(id).length === 1), 20_000, "B's callbacks");

      failing.status = 200;
      await failing.waitFor(() => ids.every((id) => failing.eventsFor(id).length === 1), 30_000, "A's callbacks after the probe");
      // The first request after the restart was the probe, when it was due, not before.
      const afterRestart = failing.requests.slice(requestsBefore);
      assert.ok(afterRestart[0]!.time >= (open.nextProbeAt ?? 0) - 5, 'probed before its time');
      assert.equal(failing.events().length, ids.length, 'nothing twice');
      assert.equal((await endpointOf(pigeon, failing.url))?.state, 'healthy');
    });
  });
}

if (BACKENDS.includes('postgres')) {
  describe('two worker processes on PostgreSQL share one endpoint\'s share', () => {
    let hanging: HangingEndpoint;
    let healthy: CallbackReceiver;
    const pigeons: TestPigeon[] = [];
    before(async () => {
      hanging = await new HangingEndpoint().start();
      healthy = await new CallbackReceiver().start();
      const callbacks = 'timeoutSeconds: 120, perEndpointConcurrency: 4';
      pigeons.push(await startWith('postgres', hanging.url, healthy.url, callbacks));
      // A second Pigeon on the same database: its own pool and workers, as another process has.
      pigeons.push(await startWith('postgres', hanging.url, healthy.url, callbacks, { databaseUrl: pigeons[0]!.config.databaseUrl }));
    });
    after(async () => {
      await hanging.stop();
      for (const pigeon of [...pigeons].reverse()) await pigeon.close();
      await healthy.stop();
    });

    it('holds the hanging endpoint to 4 requests over both, and both serve the healthy one', async () => {
      const [one, two] = pigeons as [TestPigeon, TestPigeon];
      await backlog(one, hanging.url, 2000);
      two.server.callbacks.wake();
      await eventually(async () => (hanging.open === 4 ? true : undefined), 'the hanging endpoint at its share');
      const ids = [...(await sendFromB(one, 10, 'via one')), ...(await sendFromB(two, 10, 'via two'))];
      await healthy.waitFor(() => ids.every((id) => healthy.eventsFor(id).length === 1), 30_000, "B's 20 callbacks");
      assert.equal(hanging.maxOpen, 4);
      assert.equal(hanging.accepted, 4);
      assert.equal((await endpointOf(two, hanging.url))?.inFlight, 4);
    });
  });
}
