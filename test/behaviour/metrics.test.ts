// GET /metrics: the Prometheus exposition of one process, behind its bearer token. The figures must
// move with the work done (requests by route pattern and status, messages accepted, recipients
// ended, submits and receipts, callbacks, inbound, the queues read from the database), label values
// must stay bounded (no message ids, phone numbers or URLs), and promtool, where installed, must
// accept the text (where PIGEON_TEST_INTEROP=require, as in CI, promtool must be there).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { ACCOUNT_A, fixtureConfigYaml, RECIPIENT } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { eventually, send, startHarness, statuses, TEST_NUMBER, view, type Harness } from '../delivery/e2e-support.js';
import { Exposition, promtoolCheck } from '../helpers/prometheus.js';
import { isRequired } from '../helpers/requirements.js';

const TOKEN = 'metrics-token-0123456789';
const MESSAGES_ROUTE = '/api/v2/users/:accountId/messages';

async function scrape(pigeon: TestPigeon): Promise<Exposition> {
  const res = await pigeon.fetch('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return new Exposition(text);
}

/** /metrics of a Pigeon without a metrics token. */
async function scrapeOpen(pigeon: TestPigeon): Promise<Exposition> {
  const res = await pigeon.fetch('/metrics');
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return new Exposition(text);
}

/**
 * Scrapes until `ready` holds: the figures read from the database are refreshed at most once a
 * second, and a count moves once its write has resolved. Returns the last scrape either way.
 */
async function scrapeUntil(pigeon: TestPigeon, ready: (exposition: Exposition) => boolean, timeoutMs = 10_000): Promise<Exposition> {
  const deadline = Date.now() + timeoutMs;
  let now = await scrapeOpen(pigeon);
  while (!ready(now) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    now = await scrapeOpen(pigeon);
  }
  return now;
}

/** No label value that names one message, number or URL. */
function assertBoundedLabels(exposition: Exposition): void {
  for (const family of exposition.families.values()) {
    for (const sample of family.metrics) {
      for (const [key, value] of Object.entries(sample.labels ?? {})) {
        assert.doesNotMatch(value, /\d{13}[a-z0-9]{16}|\+\d{6,}|https?:|\/users\/\d/, `${family.name}{${key}="${value}"}`);
      }
    }
  }
}

for (const backend of BACKENDS) {
  describe(`metrics (${backend})`, () => {
    const receiver = new CallbackReceiver();
    let pigeon: TestPigeon;
    before(async () => {
      await receiver.start();
      pigeon = await startPigeon({
        backend,
        configYaml: fixtureConfigYaml({ callbackUrl: receiver.url, extra: `metrics: { token: ${TOKEN} }` }),
      });
    });
    after(async () => {
      await pigeon.close();
      await receiver.stop();
    });

    it('asks for the metrics token, in Bandwidth error shape', async () => {
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${Buffer.from('a:b').toString('base64')}`]) {
        const res = await pigeon.fetch('/metrics', { headers: authorization ? { authorization } : {} });
        assert.equal(res.status, 401);
        assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="pigeon-metrics"');
        assert.deepEqual(await res.json(), {
          type: 'unauthorized',
          description: 'The metrics need Authorization: Bearer <metrics token>',
        });
      }
    });

    it('counts requests, messages, submits, receipts, callbacks and inbound messages as they happen', async () => {
      const first = await scrape(pigeon);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await postMessage(pigeon, smsBody());
        assert.equal(res.status, 202);
        ids.push(String(res.body.id));
      }
      assert.equal((await postMessage(pigeon, smsBody({ to: ['not a number'] }))).status, 400);
      assert.equal((await pigeon.fetch('/no/such/route')).status, 404);
      for (const id of ids) await pigeon.waitForMessage(id, 'callbacks');
      const inbound = await pigeon.admin<{ messages: Array<{ id: string }> }>('POST', '/inbound', { from: RECIPIENT, to: ACCOUNT_A.number, text: 'hi' });
      // Settled: its attempt is recorded (and counted), not only received.
      for (const { id } of inbound.messages) await pigeon.waitForMessage(id, 'callbacks');

      // A callback's row is settled (what the wait sees) at its COMMIT; its attempt is counted once the
      // write's promise resolves, after the fsync, and a receipt or an ending once its write has
      // resolved, in whichever thread delivers. Scrape again until the last of them is counted.
      let second = await scrape(pigeon);
      const moved = (name: string, labels: Record<string, string> = {}) => second.value(name, labels) - first.value(name, labels);
      const settled = () =>
        moved('pigeon_callback_attempts_total', { outcome: 'delivered' }) >= 4 &&
        moved('pigeon_recipients_ended_total', { status: 'DELIVERED', error_code: '0' }) >= 3 &&
        moved('pigeon_carrier_receipt_latency_seconds', { carrier: 'simulator', outcome: 'delivered' }) >= 3;
      for (const deadline = Date.now() + 10_000; !settled() && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        second = await scrape(pigeon);
      }
      assert.equal(moved('pigeon_http_requests_total', { route: MESSAGES_ROUTE, method: 'POST', status: '202' }), 3);
      assert.equal(moved('pigeon_http_requests_total', { route: MESSAGES_ROUTE, method: 'POST', status: '400' }), 1);
      assert.equal(moved('pigeon_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }), 1);
      assert.equal(moved('pigeon_http_request_duration_seconds', { route: MESSAGES_ROUTE, method: 'POST', status: '202' }), 3);
      assert.equal(moved('pigeon_messages_accepted_total', { type: 'sms' }), 3);
      assert.equal(moved('pigeon_recipients_ended_total', { status: 'DELIVERED', error_code: '0' }), 3);
      assert.equal(moved('pigeon_carrier_submits_total', { carrier: 'simulator', outcome: 'accepted' }), 3);
      assert.equal(moved('pigeon_carrier_submit_duration_seconds', { carrier: 'simulator' }), 3);
      assert.equal(moved('pigeon_carrier_receipt_latency_seconds', { carrier: 'simulator', outcome: 'delivered' }), 3);
      assert.equal(second.value('pigeon_carrier_submits_in_flight', { carrier: 'simulator' }), 0);
      // message-delivered of each SMS, and message-received of the inbound one.
      assert.equal(moved('pigeon_callback_attempts_total', { outcome: 'delivered' }), 4);
      assert.equal(moved('pigeon_callback_attempt_duration_seconds', { outcome: 'delivered' }), 4);
      assert.equal(moved('pigeon_inbound_messages_total', { type: 'sms' }), 1);

      assert.equal(second.value('pigeon_carrier_up', { carrier: 'simulator' }), 1);
      assert.equal(second.value('pigeon_carrier_state', { carrier: 'simulator', state: 'connected' }), 1);
      assert.equal(second.value('pigeon_carrier_state', { carrier: 'simulator', state: 'disconnected' }), 0);
      assert.equal(second.value('pigeon_delivery_queue_depth'), 0);
      assert.equal(second.value('pigeon_delivery_queue_oldest_age_seconds'), 0);
      assert.equal(second.value('pigeon_database_outage', { reason: 'disk-full' }), 0);
      assert.equal(second.family('nodejs_eventloop_lag_seconds').type, 'GAUGE');
      assert.ok(second.value('process_resident_memory_bytes') > 0);
      if (backend === 'sqlite') {
        assert.ok(moved('pigeon_db_commit_batch_size') > 0);
        assert.ok(moved('pigeon_db_commit_duration_seconds', { phase: 'sync' }) > 0);
      } else {
        assert.ok(second.value('pigeon_db_pool_connections', { state: 'total' }) >= 1);
      }
      assertBoundedLabels(second);
      const verdict = promtoolCheck(second.text);
      if (verdict) assert.equal(verdict.status, 0, verdict.output);
      else if (isRequired('interop')) assert.fail('PIGEON_TEST_INTEROP=require, but promtool (Debian prometheus) is not installed');
      else console.log('# promtool not installed (Debian: apt-get install prometheus): exposition not linted');
    });
  });

  describe(`queue metrics from the database (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      // API role: nothing delivers and nothing calls back, so what is accepted stays queued, and a
      // callback stays in the outbox (its URL is never called). No token: the metrics are open.
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' }, configYaml: fixtureConfigYaml({ callbackUrl: 'http://127.0.0.1:9/never-called' }) });
    });
    after(() => pigeon.close());

    it('reports the depth and the age of the delivery queue', async () => {
      const before = await pigeon.fetch('/metrics').then(async (res) => new Exposition(await res.text()));
      assert.equal(before.value('pigeon_delivery_queue_depth'), 0);
      const firstSentAt = Date.now();
      for (let i = 0; i < 2; i++) assert.equal((await postMessage(pigeon, smsBody({ to: [RECIPIENT, '+19195550197'] }))).status, 202);
      // The figures are read at most once a second; wait past that instead of sleeping blindly, until
      // the oldest entry has aged (its age grows while nothing delivers).
      const deadline = Date.now() + 10_000;
      let now = before;
      while (!(now.value('pigeon_delivery_queue_depth') === 4 && now.value('pigeon_delivery_queue_oldest_age_seconds') > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        now = await pigeon.fetch('/metrics').then(async (res) => new Exposition(await res.text()));
      }
      assert.equal(now.value('pigeon_delivery_queue_depth'), 4);
      // The series exists (a missing one reads 0) and is the age of what was queued in this test.
      assert.ok(now.sample('pigeon_delivery_queue_oldest_age_seconds'), 'no pigeon_delivery_queue_oldest_age_seconds series');
      const age = now.value('pigeon_delivery_queue_oldest_age_seconds');
      assert.ok(age > 0 && age <= (Date.now() - firstSentAt) / 1000, `oldest age ${age} s, ${Date.now() - firstSentAt} ms after the first send`);
      assert.equal(now.value('pigeon_callback_outbox_depth'), 0);
      // To two recipients at once: a group message, which Bandwidth counts as MMS.
      assert.equal(now.value('pigeon_messages_accepted_total', { type: 'mms' }), 2);
    });

    it('reports the depth and the age of the callback outbox', async () => {
      const queuedAt = Date.now();
      // An inbound message's message-received callback: written to the outbox, sent by no one here.
      await pigeon.admin('POST', '/inbound', { from: RECIPIENT, to: ACCOUNT_A.number, text: 'waits in the outbox' });
      const now = await scrapeUntil(pigeon, (e) => e.value('pigeon_callback_outbox_depth') === 1 && e.value('pigeon_callback_outbox_oldest_age_seconds') > 0);
      assert.equal(now.value('pigeon_callback_outbox_depth'), 1);
      const age = now.value('pigeon_callback_outbox_oldest_age_seconds');
      assert.ok(age > 0 && age <= (Date.now() - queuedAt) / 1000, `oldest callback ${age} s old, ${Date.now() - queuedAt} ms after it was queued`);
    });
  });

  describe(`metrics of refusals, retries and waiting receipts (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({
        backend,
        extra: [
          'delivery: { retryInitialSeconds: 0.02, retryMaxSeconds: 0.1, maxAttempts: 3, receiptTimeoutSeconds: 600 }',
          // A retry window of 0.9 s: a callback refused throughout it is given up.
          'callbacks: { retryInitialSeconds: 0.05, retryMaxSeconds: 0.2, probeInitialSeconds: 0.05, probeMaxSeconds: 0.2, retryWindowHours: 0.00025 }',
          '',
        ].join('\n'),
      });
    });
    after(() => h.close());

    it('counts submits refused for now and refused for good by outcome', async () => {
      const first = await scrapeOpen(h.pigeon);
      const transient = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.transientTwice] }));
      const permanent = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.reject4404] }));
      // Until their callbacks are settled too: the next test refuses callbacks and counts every refusal.
      await h.pigeon.waitForMessage(transient.id, 'callbacks');
      await h.pigeon.waitForMessage(permanent.id, 'callbacks');
      const second = await scrapeOpen(h.pigeon);
      const moved = (outcome: string) =>
        second.value('pigeon_carrier_submits_total', { carrier: 'simulator', outcome }) - first.value('pigeon_carrier_submits_total', { carrier: 'simulator', outcome });
      assert.deepEqual(
        { accepted: moved('accepted'), transient: moved('transient_error'), permanent: moved('permanent_error') },
        { accepted: 1, transient: 2, permanent: 1 },
      );
    });

    it('counts callback attempts to be retried and callbacks given up', async () => {
      const first = await scrapeOpen(h.pigeon);
      h.receiver.status = 500;
      try {
        const sms = await send(h.pigeon, smsBody({ text: 'refused callbacks' }));
        const settled = await h.pigeon.waitForMessage(sms.id, 'callbacks', 10);
        assert.deepEqual(settled.callbacks.map((c) => c.state), ['abandoned']);
        const attempts = settled.callbacks[0]?.attempts.length ?? 0;
        assert.ok(attempts >= 2, `${attempts} attempts`);
        const moved = (second: Exposition, outcome: string) =>
          second.value('pigeon_callback_attempts_total', { outcome }) - first.value('pigeon_callback_attempts_total', { outcome });
        // Counted once its write has resolved, a moment after the row the wait saw.
        const second = await scrapeUntil(h.pigeon, (e) => moved(e, 'abandoned') >= 1);
        // Every attempt but the last was to be retried; the last gave the callback up.
        assert.deepEqual({ retry: moved(second, 'retry'), abandoned: moved(second, 'abandoned') }, { retry: attempts - 1, abandoned: 1 });
      } finally {
        h.receiver.status = 200;
      }
    });

    it('reports the submitted recipients still waiting for their receipt', async () => {
      const before = await scrapeOpen(h.pigeon);
      assert.equal(before.value('pigeon_carrier_receipts_awaited', { carrier: 'simulator' }), 0);
      // The simulator never sends a receipt for this number; the receipt timeout is 10 minutes.
      const sms = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.noReceipt] }));
      await eventually(async () => (statuses((await view(h.pigeon, sms.id)).events).includes('SENT') ? true : undefined), 'SENT');
      const now = await scrapeUntil(h.pigeon, (e) => e.value('pigeon_carrier_receipts_awaited', { carrier: 'simulator' }) === 1);
      assert.equal(now.value('pigeon_carrier_receipts_awaited', { carrier: 'simulator' }), 1);
    });
  });
}
