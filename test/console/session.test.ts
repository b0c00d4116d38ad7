// Console sessions over plain HTTP, on each engine: the cookie's flags (Secure behind an HTTPS
// proxy), the CSRF token and same-origin checks on state-changing calls, and a signed-out cookie
// that no longer works when replayed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

for (const backend of BACKENDS) {
  describe(`console sessions (${backend})`, () => {
    let pigeon: TestPigeon;

    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml(), env: { PIGEON_TRUST_PROXY: 'true' } });
    });
    after(async () => pigeon?.close());

    const signIn = async (headers: Record<string, string> = {}) => {
      const res = await pigeon.fetch('/console/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ token: ADMIN_TOKEN }),
      });
      assert.equal(res.status, 201);
      const cookie = res.headers.get('set-cookie') ?? '';
      const { csrf } = (await res.json()) as { csrf: string };
      return { cookie, csrf, session: cookie.split(';', 1)[0] ?? '' };
    };

    it('sets an HttpOnly SameSite=Strict cookie, Secure when the request came over HTTPS', async () => {
      const plain = await signIn();
      assert.match(plain.cookie, /HttpOnly/);
      assert.match(plain.cookie, /SameSite=Strict/);
      assert.doesNotMatch(plain.cookie, /Secure/);
      const https = await signIn({ 'x-forwarded-proto': 'https' });
      assert.match(https.cookie, /; Secure/);
    });

    it('needs the CSRF token and the same origin for state-changing calls', async () => {
      const { session, csrf } = await signIn();
      const post = (headers: Record<string, string>) =>
        pigeon.fetch(`/console/api/accounts/${ACCOUNT_A.id}/messages`, {
          method: 'POST',
          headers: { cookie: session, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({}),
        });
      assert.equal((await post({})).status, 403);
      assert.equal((await post({ 'x-pigeon-csrf': 'wrong' })).status, 403);
      assert.equal((await post({ 'x-pigeon-csrf': csrf, 'sec-fetch-site': 'cross-site' })).status, 403);
      assert.equal((await post({ 'x-pigeon-csrf': csrf, origin: 'http://evil.example' })).status, 403);
      // Past the checks, the send itself is validated (no applicationId): 400, not 403.
      assert.equal((await post({ 'x-pigeon-csrf': csrf, 'sec-fetch-site': 'same-origin' })).status, 400);
    });

    it('refuses reads without a session, and a cookie replayed after sign-out', async () => {
      assert.equal((await pigeon.fetch(`/console/api/accounts/${ACCOUNT_A.id}/messages`)).status, 401);
      const { session, csrf } = await signIn();
      assert.equal((await pigeon.fetch('/console/api/status', { headers: { cookie: session } })).status, 200);
      const out = await pigeon.fetch('/console/api/session', { method: 'DELETE', headers: { cookie: session, 'x-pigeon-csrf': csrf } });
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
      assert.equal((await pigeon.fetch('/console/api/status', { headers: { cookie: session } })).status, 401);
    });

    it('answers API clients at / as any unknown path', async () => {
      const root = await pigeon.fetch('/', { headers: { accept: '*/*' } });
      const unknown = await pigeon.fetch('/no-such-path', { headers: { accept: '*/*' } });
      assert.equal(root.status, unknown.status);
      assert.equal(root.headers.get('content-type'), unknown.headers.get('content-type'));
      assert.deepEqual(await root.json(), { type: 'not-found', description: 'No resource at GET /' });
      assert.deepEqual(await unknown.json(), { type: 'not-found', description: 'No resource at GET /no-such-path' });
    });

    it('does not answer the console API with the page', async () => {
      const res = await pigeon.fetch('/console/api/nothing-here', { headers: { accept: 'text/html' } });
      assert.equal(res.status, 404);
    });
  });
}
