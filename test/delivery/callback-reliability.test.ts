// Callback delivery when the receiver misbehaves: down then up again on the same port (its circuit
// opens, probes until it answers, then the durable outbox drains: nothing lost, order kept per
// message), silent until the timeout, refusing for longer than the retry window (given up, counted from the first attempt, reference e.1), and HTTP
// Basic credentials in both modes, preemptive and challenge, including a receiver that never accepts them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RECIPIENT, RECIPIENT_2, basic } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { withSql } from '../helpers/databases.js';
import { BACKENDS, withIdlePoll } from '../helpers/pigeon.js';
import type { EndpointView } from '../../src/core/admin/endpoint-view.js';
import { eventually, send, silenceReceiver, startHarness, view, type Harness } from './e2e-support.js';

// Probes of an endpoint whose circuit opened (after 5 failures in a row) as fast as the retries.
const FAST_RETRIES = 'callbacks: { retryInitialSeconds: 0.05, retryMaxSeconds: 0.2, probeInitialSeconds: 0.05, probeMaxSeconds: 0.2 }\n';
const CREDENTIALS = { username: 'hook-user', password: 'hook-pass' };
// 0.00025 h: a window of 0.9 s, a handful of fast retries.
const WINDOW_MS = 900;
const SHORT_WINDOW =
  'callbacks: { retryInitialSeconds: 0.05, retryMaxSeconds: 0.2, probeInitialSeconds: 0.05, probeMaxSeconds: 0.2, retryWindowHours: 0.00025 }\n';

for (const backend of BACKENDS) {
  describe(`callbacks while the receiver is down (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, extra: FAST_RETRIES });
    });
    after(() => h.close());

    it('probes while the receiver is down, then delivers every event once, in order per message', async () => {
      await h.receiver.stop();
      const sms = [];
      for (let i = 0; i < 4; i++) sms.push(await send(h.pigeon, smsBody({ text: `while down ${i}`, to: [i % 2 ? RECIPIENT : RECIPIENT_2] })));
      const mms = await send(h.pigeon, smsBody({ text: 'mms while down', media: ['https://media.example.test/a.jpg'] }));
      const all = [...sms, mms];
      for (const m of all) await h.pigeon.waitForMessage(m.id, 'terminal');

      // Five refusals in a row open the endpoint's circuit; from then on one probe at a time is sent.
      const endpoint = await eventually(async () => {
        const found = (await h.pigeon.admin<EndpointView[]>('GET', '/endpoints')).find((e) => e.endpoint === h.receiver.url);
        return found && found.state === 'failing' && found.consecutiveFailures >= 7 ? found : undefined;
      }, 'the endpoint failing, and probed twice');
      assert.match(String(endpoint.lastError), /ECONNREFUSED/);
      assert.ok(endpoint.failingSince !== undefined && endpoint.nextProbeAt !== undefined);
      for (const m of all) {
        const callbacks = (await view(h.pigeon, m.id)).callbacks;
        assert.equal(callbacks[0]?.state, 'pending');
        for (const attempt of callbacks[0]!.attempts) {
          assert.equal(attempt.statusCode, undefined);
          assert.match(String(attempt.error), /ECONNREFUSED/);
        }
        // Later callbacks of the same message wait for the first: none was attempted yet.
        for (const later of callbacks.slice(1)) assert.deepEqual(later.attempts, []);
      }
      assert.equal(h.receiver.received.length, 0);

      await h.receiver.start();
      const expected = (id: string) => (id === mms.id ? ['message-sending', 'message-delivered'] : ['message-delivered']);
      await h.receiver.waitFor(
        () => all.every((m) => h.receiver.eventsFor(m.id).length >= expected(m.id).length),
        10_000,
        'every callback after the receiver came back',
      );
      let failed = 0;
      for (const m of all) {
        const settled = await h.pigeon.waitForMessage(m.id, 'callbacks');
        assert.deepEqual(h.receiver.eventsFor(m.id).map((e) => e.type), expected(m.id), m.id);
        for (const callback of settled.callbacks) {
          assert.equal(callback.state, 'delivered');
          const attempts = callback.attempts;
          assert.equal(attempts.at(-1)?.statusCode, 200);
          assert.deepEqual(attempts.map((a) => a.attempt), attempts.map((_, i) => i + 1));
          for (const a of attempts.slice(0, -1)) assert.match(String(a.error), /ECONNREFUSED/);
          failed += attempts.length - 1;
        }
      }
      assert.ok(failed >= 7, `${failed} failed attempts: five that opened the circuit, then the probes`);
      // The MMS events arrived in order: sending before delivered.
      const mmsEvents = h.receiver.events((e) => e.message.id === mms.id).map((e) => e.type);
      assert.deepEqual(mmsEvents, ['message-sending', 'message-delivered']);
      assert.equal(h.receiver.events().length, 6);
      const recovered = (await h.pigeon.admin<EndpointView[]>('GET', '/endpoints')).find((e) => e.endpoint === h.receiver.url);
      assert.equal(recovered?.state, 'healthy');
      assert.equal(recovered?.backlog, 0);
    });
  });

  describe(`callback retry timing (${backend})`, () => {
    let h: Harness;
    before(async () => {
      // The workers' idle poll set far beyond the test's wait: only the timer armed for a retry's
      // due time can make the attempts after the first.
      h = await startHarness({ backend, extra: FAST_RETRIES, configure: (config) => withIdlePoll(config, 600_000) });
    });
    after(() => h.close());

    it('retries a callback when its backoff ends (50 ms doubling to 200 ms), not on the next idle poll', async () => {
      await h.receiver.stop();
      const sms = await send(h.pigeon, smsBody({ text: 'retry timing' }));
      const attempts = await eventually(async () => {
        const found = (await view(h.pigeon, sms.id)).callbacks[0]?.attempts;
        return found && found.length >= 5 ? found : undefined;
      }, 'five failed callback attempts', 20_000);
      // Backing off: no attempt came sooner than the shortest backoff after the one before it. Jitter
      // takes up to half of a delay off, so the shortest is 25 ms (a millisecond kept for rounding);
      // and none waited for an idle poll.
      const gaps = attempts.slice(1).map((a, i) => a.time - attempts[i]!.time);
      assert.ok(gaps.every((gap) => gap >= 24 && gap < 5_000), `gaps between attempts: ${JSON.stringify(gaps)} ms`);
      await h.receiver.start();
    });
  });

  describe(`callback retry window (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, extra: SHORT_WINDOW });
    });
    after(() => h.close());

    it('gives a callback up once its retry window has passed since its first attempt, and records it as abandoned', async () => {
      h.receiver.status = 500;
      const sms = await send(h.pigeon, smsBody({ text: 'never accepted' }));
      const settled = await h.pigeon.waitForMessage(sms.id, 'callbacks', 10);
      assert.deepEqual(settled.callbacks.map((c) => [c.eventType, c.state]), [['message-delivered', 'abandoned']]);
      const attempts = settled.callbacks[0]!.attempts;
      assert.ok(attempts.length >= 4, `${attempts.length} attempts`);
      for (const attempt of attempts) assert.equal(attempt.statusCode, 500);
      // The window starts when the first attempt was claimed, a moment before it was sent.
      const [row] = await withSql(h.pigeon.config.databaseUrl, (sql) =>
        sql.all<{ first_attempt_at: number | string }>('SELECT first_attempt_at FROM callback_outbox WHERE message_id = ?', [sms.id]),
      );
      const first = Number(row?.first_attempt_at);
      assert.ok(first <= attempts[0]!.time);
      const span = attempts.at(-1)!.time - first;
      // The last attempt is made when the window ends (not dropped because the next backoff would
      // pass it), and nothing comes after it: every earlier attempt ended inside the window, so it
      // was retried; the last one ended after it, so it was given up. That holds however late a
      // loaded machine runs the timers, which only stretches the span. (The last one may start a
      // little before the window ends, when its backoff did, and end after it.)
      for (const attempt of attempts.slice(0, -1)) {
        assert.ok(attempt.time + attempt.latencyMs < first + WINDOW_MS, `an attempt at +${attempt.time - first} ms was retried`);
      }
      const last = attempts.at(-1)!;
      assert.ok(last.time + last.latencyMs >= first + WINDOW_MS, `the last attempt ended at +${last.time + last.latencyMs - first} ms`);
      assert.ok(span < WINDOW_MS + 5000, `attempts over ${span} ms, the window is ${WINDOW_MS} ms`);
      assert.equal(h.receiver.requests.length, attempts.length);
      const status = await h.pigeon.admin<{ callbacks: { abandoned: number } }>('GET', '/status');
      assert.equal(status.callbacks.abandoned, 1);
    });

    it('starts the window of a callback that waited behind an earlier one of its message at its own first attempt', async () => {
      h.receiver.status = 500;
      const mms = await send(h.pigeon, smsBody({ text: 'behind', media: ['https://media.example.test/w.jpg'] }));
      const callbacks = async () => (await view(h.pigeon, mms.id)).callbacks;
      await eventually(
        async () => ((await callbacks())[0]?.state === 'abandoned' ? true : undefined),
        'message-sending to be given up',
      );
      const waiting = await eventually(async () => {
        const delivered = (await callbacks())[1];
        return delivered && delivered.attempts.length >= 1 ? delivered : undefined;
      }, 'the first attempt of message-delivered');
      // Created with the first callback, it waited a whole window before its first attempt.
      assert.equal(waiting.eventType, 'message-delivered');
      const waited = waiting.attempts[0]!.time - waiting.createdAt;
      assert.ok(waited >= WINDOW_MS - 50, `message-delivered waited only ${waited} ms; the test proves nothing`);

      h.receiver.status = 200;
      await h.receiver.waitFor(() => h.receiver.eventsFor(mms.id).length > 0, 5000, 'message-delivered once the receiver accepts');
      const settled = await h.pigeon.waitForMessage(mms.id, 'callbacks');
      assert.deepEqual(settled.callbacks.map((c) => [c.eventType, c.state]), [
        ['message-sending', 'abandoned'],
        ['message-delivered', 'delivered'],
      ]);
      const attempts = settled.callbacks[1]!.attempts;
      assert.equal(attempts[0]?.statusCode, 500);
      assert.equal(attempts.at(-1)?.statusCode, 200);
      assert.deepEqual(h.receiver.eventsFor(mms.id).map((e) => e.type), ['message-delivered']);
    });
  });

  describe(`callback timeout (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, extra: 'callbacks: { timeoutSeconds: 0.2, retryInitialSeconds: 0.05, retryMaxSeconds: 0.2 }\n' });
    });
    after(() => h.close());

    it('records an unanswered attempt as timed out after callbacks.timeoutSeconds, and delivers once the receiver answers', async () => {
      const silent = await silenceReceiver(h.receiver);
      let restored = false;
      try {
        const sms = await send(h.pigeon, smsBody({ text: 'no answer' }));
        const timedOut = await eventually(async () => {
          const attempts = (await view(h.pigeon, sms.id)).callbacks[0]?.attempts;
          return attempts && attempts.length >= 2 ? attempts : undefined;
        }, 'two unanswered callback attempts');
        for (const attempt of timedOut) {
          assert.equal(attempt.statusCode, undefined);
          assert.equal(attempt.error, 'timed out after 200 ms');
          // The lower bound is the point; the upper one only catches a timeout that never fired (a loaded CI machine runs timers late).
          assert.ok(attempt.latencyMs >= 190 && attempt.latencyMs < 5000, `latency ${attempt.latencyMs} ms`);
        }
        // The requests reached a server (no connection error): it just never answered.
        assert.ok(silent.connections() >= 1);

        await silent.restore();
        restored = true;
        await h.receiver.waitFor(() => h.receiver.eventsFor(sms.id).length > 0, 5000, 'the callback once the receiver answers');
        const settled = await h.pigeon.waitForMessage(sms.id, 'callbacks');
        const callback = settled.callbacks[0]!;
        assert.equal(callback.state, 'delivered');
        assert.equal(callback.attempts.at(-1)?.statusCode, 200);
        for (const attempt of callback.attempts.slice(0, -1)) assert.equal(attempt.error, 'timed out after 200 ms');
        assert.deepEqual(h.receiver.eventsFor(sms.id).map((e) => e.type), ['message-delivered']);
      } finally {
        if (!restored) await silent.restore();
      }
    });
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
