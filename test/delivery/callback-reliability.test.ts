// Callback delivery when the receiver misbehaves: down then up again on the same port (retries from
// the durable outbox, nothing lost, order kept per message), and HTTP Basic credentials in both
// modes, preemptive and challenge (reference e.1), including a receiver that never accepts them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RECIPIENT, RECIPIENT_2, basic } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { BACKENDS } from '../helpers/pigeon.js';
import { eventually, send, startHarness, view, type Harness } from './e2e-support.js';

const FAST_RETRIES = 'callbacks: { retryInitialSeconds: 0.05, retryMaxSeconds: 0.2 }\n';
const CREDENTIALS = { username: 'hook-user', password: 'hook-pass' };

for (const backend of BACKENDS) {
  describe(`callbacks while the receiver is down (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, extra: FAST_RETRIES });
    });
    after(() => h.close());

    it('keeps retrying while the receiver is down, then delivers every event once, in order per message', async () => {
      await h.receiver.stop();
      const sms = [];
      for (let i = 0; i < 4; i++) sms.push(await send(h.pigeon, smsBody({ text: `while down ${i}`, to: [i % 2 ? RECIPIENT : RECIPIENT_2] })));
      const mms = await send(h.pigeon, smsBody({ text: 'mms while down', media: ['https://media.example.test/a.jpg'] }));
      const all = [...sms, mms];
      for (const m of all) await h.pigeon.waitForMessage(m.id, 'terminal');

      // Each message's first callback has failed attempts recorded with the connection error.
      for (const m of all) {
        const failed = await eventually(async () => {
          const callbacks = (await view(h.pigeon, m.id)).callbacks;
          const first = callbacks[0];
          return first && first.attempts.length >= 2 ? callbacks : undefined;
        }, `two failed callback attempts of ${m.id}`);
        const first = failed[0]!;
        assert.equal(first.state, 'pending');
        for (const attempt of first.attempts) {
          assert.equal(attempt.statusCode, undefined);
          assert.match(String(attempt.error), /ECONNREFUSED/);
        }
        // Later callbacks of the same message wait for the first: none was attempted yet.
        for (const later of failed.slice(1)) assert.deepEqual(later.attempts, []);
      }
      assert.equal(h.receiver.received.length, 0);

      await h.receiver.start();
      const expected = (id: string) => (id === mms.id ? ['message-sending', 'message-delivered'] : ['message-delivered']);
      await h.receiver.waitFor(
        () => all.every((m) => h.receiver.eventsFor(m.id).length >= expected(m.id).length),
        10_000,
        'every callback after the receiver came back',
      );
      for (const m of all) {
        const settled = await h.pigeon.waitForMessage(m.id, 'callbacks');
        assert.deepEqual(h.receiver.eventsFor(m.id).map((e) => e.type), expected(m.id), m.id);
        for (const callback of settled.callbacks) {
          assert.equal(callback.state, 'delivered');
          const attempts = callback.attempts;
          assert.equal(attempts.at(-1)?.statusCode, 200);
          assert.deepEqual(attempts.map((a) => a.attempt), attempts.map((_, i) => i + 1));
          for (const a of attempts.slice(0, -1)) assert.match(String(a.error), /ECONNREFUSED/);
        }
        assert.ok(settled.callbacks[0]!.attempts.length >= 3, 'the first callback needed retries');
      }
      // The MMS events arrived in order: sending before delivered.
      const mmsEvents = h.receiver.events((e) => e.message.id === mms.id).map((e) => e.type);
      assert.deepEqual(mmsEvents, ['message-sending', 'message-delivered']);
      assert.equal(h.receiver.events().length, 6);
    });
  });

  describe(`callback retry timing (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, extra: FAST_RETRIES });
    });
    after(() => h.close());

    it(
      'retries a callback when its backoff ends (50 ms doubling to 200 ms), not on the next idle poll',
      async () => {
        await h.receiver.stop();
        const sms = await send(h.pigeon, smsBody({ text: 'retry timing' }));
        const attempts = await eventually(async () => {
          const found = (await view(h.pigeon, sms.id)).callbacks[0]?.attempts;
          return found && found.length >= 5 ? found : undefined;
        }, 'five failed callback attempts');
        const gaps = attempts.slice(1).map((a, i) => a.time - attempts[i]!.time);
        assert.ok(gaps.every((gap) => gap <= 240), `gaps between attempts: ${JSON.stringify(gaps)} ms`);
      },
    );
  });

  describe(`callback Basic auth, preemptive (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, receiver: { credentials: CREDENTIALS }, callbackCredentials: CREDENTIALS });
    });
    after(() => h.close());

    it('sends Authorization: Basic on every request', async () => {
      const sms = await send(h.pigeon, smsBody());
      const mms = await send(h.pigeon, smsBody({ media: ['https://media.example.test/b.jpg'] }));
      await h.pigeon.waitForMessage(sms.id, 'callbacks');
      await h.pigeon.waitForMessage(mms.id, 'callbacks');
      assert.deepEqual(h.receiver.eventsFor(sms.id).map((e) => e.type), ['message-delivered']);
      assert.deepEqual(h.receiver.eventsFor(mms.id).map((e) => e.type), ['message-sending', 'message-delivered']);
      assert.deepEqual(h.receiver.requests.map((r) => [r.authorized, r.status]), [[true, 200], [true, 200], [true, 200]]);
      for (const r of h.receiver.received) assert.equal(r.headers.authorization, basic(CREDENTIALS.username, CREDENTIALS.password));
    });
  });

  describe(`callback Basic auth, challenge (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({
        backend,
        receiver: { credentials: CREDENTIALS, authMode: 'challenge' },
        callbackCredentials: CREDENTIALS,
        extra: 'callbacks: { authMode: challenge }\n',
      });
    });
    after(() => h.close());

    it('posts without credentials first and repeats with them after 401 + WWW-Authenticate: Basic', async () => {
      const sms = await send(h.pigeon, smsBody());
      const settled = await h.pigeon.waitForMessage(sms.id, 'callbacks');
      assert.deepEqual(h.receiver.eventsFor(sms.id).map((e) => e.type), ['message-delivered']);
      assert.deepEqual(h.receiver.requests.map((r) => [r.authorized, r.status]), [[false, 401], [true, 200]]);
      assert.equal(h.receiver.received[0]?.headers.authorization, basic(CREDENTIALS.username, CREDENTIALS.password));
      // The challenge round trip is one attempt, recorded with its final status.
      assert.deepEqual(settled.callbacks.map((c) => [c.state, c.attempts.map((a) => a.statusCode)]), [['delivered', [200]]]);

      const mms = await send(h.pigeon, smsBody({ to: [RECIPIENT_2], media: ['https://media.example.test/c.jpg'] }));
      await h.pigeon.waitForMessage(mms.id, 'callbacks');
      assert.deepEqual(h.receiver.eventsFor(mms.id).map((e) => e.type), ['message-sending', 'message-delivered']);
      assert.deepEqual(h.receiver.requests.slice(2).map((r) => [r.authorized, r.status]), [
        [false, 401],
        [true, 200],
        [false, 401],
        [true, 200],
      ]);
    });
  });

  for (const authMode of ['preemptive', 'challenge'] as const) {
    describe(`callback Basic auth, wrong password, ${authMode} (${backend})`, () => {
      let h: Harness;
      before(async () => {
        h = await startHarness({
          backend,
          receiver: { credentials: CREDENTIALS, authMode },
          callbackCredentials: { username: CREDENTIALS.username, password: 'not-the-password' },
          extra: `callbacks: { retryInitialSeconds: 0.05, retryMaxSeconds: 0.2, authMode: ${authMode} }\n`,
        });
      });
      after(() => h.close());

      it('never gets a 2xx, keeps the callback pending and records every attempt with status 401', async () => {
        const sms = await send(h.pigeon, smsBody());
        await h.pigeon.waitForMessage(sms.id, 'terminal');
        const callbacks = await eventually(async () => {
          const found = (await view(h.pigeon, sms.id)).callbacks;
          return (found[0]?.attempts.length ?? 0) >= 3 ? found : undefined;
        }, 'three refused attempts');
        assert.equal(callbacks.length, 1);
        assert.equal(callbacks[0]?.eventType, 'message-delivered');
        assert.equal(callbacks[0]?.state, 'pending');
        for (const attempt of callbacks[0]!.attempts) {
          assert.equal(attempt.statusCode, 401);
          assert.equal(attempt.error, undefined);
        }
        assert.equal(h.receiver.received.length, 0);
        assert.ok(h.receiver.requests.length >= 3);
        assert.ok(h.receiver.requests.every((r) => !r.authorized && r.status === 401));
        if (authMode === 'challenge') {
          // Each attempt is the unauthenticated POST and its repetition with the (wrong) credentials.
          const attempts = (await view(h.pigeon, sms.id)).callbacks[0]!.attempts.length;
          assert.ok(h.receiver.requests.length >= 2 * attempts - 1, `${h.receiver.requests.length} requests for ${attempts} attempts`);
        } else {
          assert.ok(h.receiver.requests.length >= callbacks[0]!.attempts.length);
        }
      });
    });
  }
}
