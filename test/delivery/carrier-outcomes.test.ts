// What the delivery worker makes of the carrier's answers: transient refusals retried with backoff,
// retries running out (5201), a permanent refusal at submit (4404), and a receipt that never comes
// (9902 after the receipt timeout). Driven by the simulator's magic test numbers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { withIdlePoll } from '../helpers/pigeon.js';
import {
  TEST_NUMBER,
  assertNonDecreasing,
  eventually,
  records,
  send,
  startHarness,
  DEPLOYMENTS,
  statuses,
  timeOf,
  view,
  type Harness,
} from './e2e-support.js';

const EXTRA = `delivery: { retryInitialSeconds: 0.02, retryMaxSeconds: 0.1, maxAttempts: 3, receiptTimeoutSeconds: 1 }\n`;

for (const { name, backend, workerThread } of DEPLOYMENTS) {
  describe(`carrier outcomes (${name})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, workerThread, extra: EXTRA });
    });
    after(() => h.close());

    it('retries two transient refusals (+15005550011) with backoff and then delivers', async () => {
      const created = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.transientTwice] }));
      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks');
      assert.deepEqual(h.receiver.eventsFor(created.id).map((e) => [e.type, e.description]), [['message-delivered', 'ok']]);
      const [record] = await records(h.pigeon, created.id);
      assert.equal(record?.messageStatus, 'DELIVERED');
      assert.equal(record?.errorCode, 0);

      // The timeline shows both refusals as returns to QUEUED, each with its retry time and reason.
      assert.deepEqual(statuses(settled.events), ['RECEIVED', 'QUEUED', 'SENDING', 'QUEUED', 'QUEUED', 'SENT', 'DELIVERED']);
      const retries = settled.events.filter((e) => e.status === 'QUEUED' && e.detail !== undefined);
      assert.equal(retries.length, 2);
      retries.forEach((r, i) => {
        assert.match(String(r.detail), /^retry at \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z: /);
        assert.match(String(r.detail), new RegExp(`transient refusal ${i + 1}/2 with 5600`));
      });
      assertNonDecreasing(settled.events.map((e) => e.time), 'timeline');
      // Backoff: the submit that worked came after the retry time announced by the last refusal.
      const retryAt = Date.parse(/^retry at (\S+):/.exec(String(retries[1]?.detail))?.[1] ?? '');
      assert.ok(timeOf(settled.events, 'SENT') >= retryAt, 'sent before its retry time');
    });


    it('gives up on an always-transient destination (+15005550014) after maxAttempts with 5201', async () => {
      const created = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.alwaysTransient] }));
      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks');
      const events = h.receiver.eventsFor(created.id);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.type, 'message-failed');
      assert.equal(events[0]?.errorCode, 5201);
      assert.equal(events[0]?.description, 'temporary-rout-error-retries-exceeded');
      assert.equal(events[0]?.to, TEST_NUMBER.alwaysTransient);
      assert.deepEqual(statuses(settled.events), ['RECEIVED', 'QUEUED', 'SENDING', 'QUEUED', 'QUEUED', 'FAILED']);
      const failed = settled.events.at(-1);
      assert.equal(failed?.errorCode, 5201);
      assert.match(String(failed?.detail), /gave up after 3 attempts/);
      const [record] = await records(h.pigeon, created.id);
      assert.equal(record?.messageStatus, 'FAILED');
      assert.equal(record?.errorCode, 5201);
    });

    it('fails a message refused at submit (+15005550012) with 4404, never SENT', async () => {
      const created = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.reject4404], tag: 'rejected' }));
      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks');
      const events = h.receiver.eventsFor(created.id);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.type, 'message-failed');
      assert.equal(events[0]?.errorCode, 4404);
      assert.equal(events[0]?.description, 'rejected-forbidden-to-number');
      assert.equal(events[0]?.message.tag, 'rejected');
      assert.equal(events[0]?.message.owner, ACCOUNT_A.number);
      assert.deepEqual(statuses(settled.events), ['RECEIVED', 'QUEUED', 'SENDING', 'FAILED']);
      const [record] = await records(h.pigeon, created.id);
      assert.equal(record?.messageStatus, 'FAILED');
      assert.equal(record?.errorCode, 4404);
    });

    it('fails a message whose receipt never comes (+15005550010) with 9902 after the receipt timeout, SENT until then', async () => {
      const created = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.noReceipt] }));
      // First it is SENT and stays so, with no callback yet.
      const sentAt = await eventually(async () => {
        const current = await view(h.pigeon, created.id);
        return current.events.some((e) => e.status === 'SENT') ? timeOf(current.events, 'SENT') : undefined;
      }, 'SENT');
      const [whileSent] = await records(h.pigeon, created.id);
      assert.equal(whileSent?.messageStatus, 'SENT');
      assert.equal(whileSent?.errorCode, 0);
      assert.deepEqual(h.receiver.eventsFor(created.id), []);

      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks', 10);
      assert.deepEqual(statuses(settled.events), ['RECEIVED', 'QUEUED', 'SENDING', 'SENT', 'FAILED']);
      const failedAt = timeOf(settled.events, 'FAILED');
      assert.ok(failedAt - sentAt >= 1000, `failed ${failedAt - sentAt} ms after SENT, before the 1 s receipt timeout`);
      const events = h.receiver.eventsFor(created.id);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.type, 'message-failed');
      assert.equal(events[0]?.errorCode, 9902);
      assert.equal(events[0]?.description, 'delivery-receipt-expired');
      const [record] = await records(h.pigeon, created.id);
      assert.equal(record?.messageStatus, 'FAILED');
      assert.equal(record?.errorCode, 9902);
    });
  });

  describe(`retry timer (${name})`, () => {
    let h: Harness;
    before(async () => {
      // The idle poll of the workers set far beyond the test's wait: only the timer the worker arms
      // for a retry's due time can make the retries happen.
      h = await startHarness({ backend, workerThread, extra: EXTRA, configure: (config) => withIdlePoll(config, 600_000) });
    });
    after(() => h.close());

    it('makes each retry when its backoff ends, not on the next idle poll of the queue', async () => {
      const created = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.transientTwice], text: 'retry timing' }));
      const settled = await h.pigeon.waitForMessage(created.id, 'terminal', 20);
      assert.deepEqual(statuses(settled.events), ['RECEIVED', 'QUEUED', 'SENDING', 'QUEUED', 'QUEUED', 'SENT', 'DELIVERED']);
      // And not before its retry time: each attempt after a refusal came at or after the time announced.
      settled.events.forEach((e, i) => {
        const retryAt = /^retry at (\S+):/.exec(e.detail ?? '')?.[1];
        if (retryAt) assert.ok((settled.events[i + 1]?.time ?? 0) >= Date.parse(retryAt), `attempt ${i + 1} before its retry time`);
      });
    });
  });
}
