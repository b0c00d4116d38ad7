// The console's limits as the README states them: a session ends after an idle hour (and lives on
// while it is used), and failed sign-ins are limited to 10 per client address per minute, then 429.
// The server runs in this process and reads its clock through Date.now, which each test moves
// forward (node:test's mock, restored after the test) instead of waiting.
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fixtureConfigYaml } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const MINUTE = 60_000;

/** Makes Date.now run `offset()` ahead of the real clock for the rest of the test. */
function shiftClock(t: TestContext): { by(ms: number): void } {
  const real = Date.now.bind(Date);
  let offset = 0;
  t.mock.method(Date, 'now', () => real() + offset);
  return {
    by(ms) {
      offset += ms;
    },
  };
}

for (const backend of BACKENDS) {
  describe(`console session limits (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml() });
    });
    after(async () => pigeon?.close());

    const signIn = (token: string, headers: Record<string, string> = {}) =>
      pigeon.fetch('/console/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ token }),
      });
    const status = (session: string) => pigeon.fetch('/console/api/status', { headers: { cookie: session } }).then((res) => res.status);

    it('ends a session after an idle hour, and keeps one that is used', async (t) => {
      const clock = shiftClock(t);
      const res = await signIn(ADMIN_TOKEN);
      assert.equal(res.status, 201);
      const session = (res.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '';
      // Used every 59 minutes: alive two hours later.
      for (let i = 0; i < 2; i++) {
        clock.by(59 * MINUTE);
        assert.equal(await status(session), 200, `after ${(i + 1) * 59} minutes`);
      }
      // Then idle for an hour and a minute: gone, and gone for good.
      clock.by(61 * MINUTE);
      assert.equal(await status(session), 401);
      clock.by(-61 * MINUTE);
      assert.equal(await status(session), 401);
    });

    it('refuses sign-ins from an address after its 10th failure within a minute, with 429, until the minute has passed', async (t) => {
      const clock = shiftClock(t);
      // Its own client address (the server trusts no proxy: 127.0.0.1 for every test here), so the
      // clock is moved past any earlier test's failures first.
      clock.by(2 * MINUTE);
      for (let i = 1; i <= 10; i++) assert.equal((await signIn('wrong-token-wrong-token')).status, 401, `failure ${i}`);
      const refused = await signIn(ADMIN_TOKEN);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.equal((await refused.json() as { type: string }).type, 'rate_limit_exceeded');
      // The window slides: a minute after the failures, the right token goes through.
      clock.by(MINUTE + 1000);
      assert.equal((await signIn(ADMIN_TOKEN)).status, 201);
    });

    it('lets nine failures through without a limit', async (t) => {
      const clock = shiftClock(t);
      clock.by(10 * MINUTE);
      for (let i = 1; i <= 9; i++) assert.equal((await signIn('wrong-token-wrong-token')).status, 401, `failure ${i}`);
      assert.equal((await signIn(ADMIN_TOKEN)).status, 201);
    });
  });
}
