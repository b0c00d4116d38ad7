// Expiration against transient carrier errors: a recipient whose next retry would land after its
// `expiration` stays queued until the expiration and fails with 4360 then, not at the failed attempt
// (4360 says the expiration passed, and until it does the message may still go out).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { smsBody } from '../helpers/http.js';
import { BACKENDS } from '../helpers/pigeon.js';
import { records, send, startHarness, statuses, TEST_NUMBER, timeOf, type Harness } from './e2e-support.js';

for (const backend of BACKENDS) {
  describe(`expiration while retrying transient errors (${backend})`, () => {
    let h: Harness;
    before(async () => {
      // Backoff from 0.2 s, doubling: a few attempts fit in the 2.5 s before the expiration, and the
      // first comes long before it even on a loaded machine (the worker is woken by the accept).
      h = await startHarness({ backend, extra: 'delivery: { retryInitialSeconds: 0.2, retryMaxSeconds: 5, maxAttempts: 20 }\n' });
    });
    after(() => h.close());

    it('retries until the expiration, holds the last retry to it, and fails with 4360 only once it has passed', async () => {
      const expiration = new Date(Date.now() + 2500).toISOString();
      const expiresAt = Date.parse(expiration);
      const created = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.alwaysTransient], text: 'until it expires', expiration }));
      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks', 10);

      const timeline = statuses(settled.events);
      assert.deepEqual(timeline.slice(0, 3), ['RECEIVED', 'QUEUED', 'SENDING']);
      assert.equal(timeline.at(-1), 'FAILED');
      const retries = settled.events.filter((e) => e.status === 'QUEUED' && e.detail?.startsWith('retry at'));
      // How many fit before the expiration depends on how busy the machine is; what the backoff
      // would have put after the expiration must be held to it, and the ones before left alone.
      assert.ok(retries.length >= 1, `no retry before the expiration: ${JSON.stringify(timeline)}`);
      const retryTimes = retries.map((e) => Date.parse(String(/^retry at (\S+):/.exec(e.detail ?? '')?.[1])));
      assert.ok(retryTimes.slice(0, -1).every((t) => t < expiresAt), `retries at ${JSON.stringify(retryTimes.map((t) => t - expiresAt))} ms from the expiration`);
      assert.equal(retryTimes.at(-1), expiresAt);

      const failedAt = timeOf(settled.events, 'FAILED');
      assert.ok(failedAt >= expiresAt, `failed ${expiresAt - failedAt} ms before its expiration`);
      // Failed by the retry held to the expiration, not after another attempt: the held retry is the
      // last QUEUED, and FAILED follows it with no SENDING between.
      assert.deepEqual(timeline.slice(-2), ['QUEUED', 'FAILED']);
      assert.equal(settled.events.at(-2), retries.at(-1));
      assert.equal(settled.recipients[0]?.errorCode, 4360);
      const [record] = await records(h.pigeon, created.id);
      assert.equal(record?.messageStatus, 'FAILED');
      assert.equal(record?.errorCode, 4360);
      const callbacks = h.receiver.eventsFor(created.id);
      assert.deepEqual(callbacks.map((e) => [e.type, e.errorCode, e.description]), [
        ['message-failed', 4360, 'message-not-sent-expiration-date-passed'],
      ]);
    });
  });
}
