// The console's directory routes over plain HTTP, on each engine (the page itself is not yet built
// on them): the admin manages every account; an account's API user sees only its own applications
// and numbers, may change its applications' callback URL and credentials and nothing else, and
// another account's entries answer 404 like missing ones. A user deleted meanwhile is signed out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, ACCOUNT_B, fixtureConfigYaml } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

for (const backend of BACKENDS) {
  describe(`console directory routes (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml() });
    });
    after(async () => pigeon?.close());

    const signIn = async (body: unknown) => {
      const res = await pigeon.fetch('/console/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 201);
      const session = (res.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '';
      const { csrf } = (await res.json()) as { csrf: string };
      return async (method: string, path: string, payload?: unknown) => {
        const r = await pigeon.fetch(`/console/api${path}`, {
          method,
          headers: { cookie: session, 'x-pigeon-csrf': csrf, ...(payload !== undefined && { 'content-type': 'application/json' }) },
          body: payload === undefined ? undefined : JSON.stringify(payload),
        });
        const text = await r.text();
        return { status: r.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
      };
    };

    it('lets the admin manage every account, and an API user only its own applications’ callbacks', async () => {
      const admin = await signIn({ token: ADMIN_TOKEN });
      const apps = await admin('GET', '/directory/applications');
      assert.deepEqual((apps.body.items as Array<{ id: string }>).map((a) => a.id).sort(), [ACCOUNT_A.applicationId, ACCOUNT_A.otherApplicationId, ACCOUNT_B.applicationId].sort());
      const made = await admin('POST', '/directory/applications', { accountId: ACCOUNT_B.id, name: 'From the console' });
      assert.equal(made.status, 201);
      assert.equal((await admin('POST', '/directory/numbers', { number: '+19195558200', applicationId: made.body.id })).status, 201);

      const user = await signIn({ accountId: ACCOUNT_B.id, username: ACCOUNT_B.username, password: ACCOUNT_B.password });
      const own = await user('GET', '/directory/applications');
      assert.deepEqual((own.body.items as Array<{ id: string }>).map((a) => a.id).sort(), [ACCOUNT_B.applicationId, made.body.id].sort());
      const numbers = await user('GET', '/directory/numbers');
      assert.deepEqual((numbers.body.items as Array<{ number: string }>).map((n) => n.number), ['+19195558200', ACCOUNT_B.number]);
      // Its own application's callback: yes. Its name, another account's application, creating, deleting: no.
      const changed = await user('PATCH', `/directory/applications/${ACCOUNT_B.applicationId}`, { callbackUrl: 'http://127.0.0.1:9/b', callbackUsername: 'u', callbackPassword: 'p' });
      assert.equal(changed.status, 200);
      assert.equal(changed.body.callbackPassword, '***');
      assert.equal((await user('PATCH', `/directory/applications/${ACCOUNT_B.applicationId}`, { name: 'Renamed' })).status, 400);
      assert.equal((await user('PATCH', `/directory/applications/${ACCOUNT_A.applicationId}`, { callbackUrl: 'http://127.0.0.1:9/a' })).status, 404);
      assert.equal((await user('GET', `/directory/applications?accountId=${ACCOUNT_A.id}`)).status, 404);
      assert.equal((await user('GET', `/directory/numbers?accountId=${ACCOUNT_A.id}`)).status, 404);
      assert.equal((await user('POST', '/directory/numbers', { number: '+19195558201', applicationId: ACCOUNT_B.applicationId })).status, 403);
      assert.equal((await user('DELETE', `/directory/numbers/${encodeURIComponent(ACCOUNT_A.number)}`)).status, 403);
      assert.equal((await user('DELETE', `/directory/applications/${ACCOUNT_B.applicationId}`)).status, 403);
      const accounts = await user('GET', '/directory/accounts');
      assert.deepEqual((accounts.body.items as Array<{ id: string }>).map((a) => a.id), [ACCOUNT_B.id]);
      const trail = await user('GET', '/directory/audit');
      const items = trail.body.items as Array<{ actor: string; accountId: string }>;
      assert.ok(items.every((i) => i.accountId === ACCOUNT_B.id));
      assert.equal(items[0]?.actor, `user:${ACCOUNT_B.id}/${ACCOUNT_B.username}`);

      // The admin's other operations: moving a number, setting a password, SMPP users; the user's: none.
      assert.equal((await user('PATCH', `/directory/numbers/${encodeURIComponent('+19195558200')}`, { applicationId: ACCOUNT_B.applicationId })).status, 403);
      const moved = await admin('PATCH', `/directory/numbers/${encodeURIComponent('+19195558200')}`, { applicationId: ACCOUNT_B.applicationId });
      assert.equal(moved.body.applicationId, ACCOUNT_B.applicationId);
      assert.equal((await user('PATCH', `/directory/accounts/${ACCOUNT_B.id}/users/${ACCOUNT_B.username}`, { password: 'mine' })).status, 403);
      assert.equal((await user('GET', `/directory/accounts/${ACCOUNT_A.id}/users`)).status, 404);
      assert.equal((await user('POST', '/directory/smpp-users', { systemId: 'esme-b', applicationId: ACCOUNT_B.applicationId, password: 'secret12' })).status, 403);
      assert.equal((await admin('POST', '/directory/smpp-users', { systemId: 'esme-b', applicationId: ACCOUNT_B.applicationId, password: 'secret12' })).status, 201);
      assert.deepEqual(((await user('GET', '/directory/smpp-users')).body.items as Array<{ systemId: string }>).map((s) => s.systemId), ['esme-b']);
      assert.equal((await admin('DELETE', '/directory/smpp-users/esme-b')).status, 204);
      assert.equal((await admin('POST', '/directory/accounts', { id: '9900077', name: 'From the console' })).status, 201);
      assert.equal((await user('POST', '/directory/accounts', { name: 'Mine' })).status, 403);
      await pigeon.admin('POST', `/accounts/${ACCOUNT_B.id}/users`, { username: 'rotated', password: 'before-pass' });
      assert.equal((await admin('PATCH', `/directory/accounts/${ACCOUNT_B.id}/users/rotated`, { password: 'after-pass' })).status, 200);
      const rotated = await pigeon.fetch('/console/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accountId: ACCOUNT_B.id, username: 'rotated', password: 'before-pass' }) });
      assert.equal(rotated.status, 401);
      await signIn({ accountId: ACCOUNT_B.id, username: 'rotated', password: 'after-pass' });

      // The admin deletes a second user of B: that user's console session ends on its next request.
      await pigeon.admin('POST', `/accounts/${ACCOUNT_B.id}/users`, { username: 'console-user', password: 'console-pass' });
      const doomed = await signIn({ accountId: ACCOUNT_B.id, username: 'console-user', password: 'console-pass' });
      assert.equal((await doomed('GET', '/directory/applications')).status, 200);
      await pigeon.admin('DELETE', `/accounts/${ACCOUNT_B.id}/users/console-user`);
      assert.equal((await doomed('GET', '/directory/applications')).status, 401);
    });

    it("ends a user's console session when its password changes, and a user re-created under the name does not revive it", async () => {
      await pigeon.admin('POST', `/accounts/${ACCOUNT_B.id}/users`, { username: 'rotating-user', password: 'first-pass' });
      const first = await signIn({ accountId: ACCOUNT_B.id, username: 'rotating-user', password: 'first-pass' });
      assert.equal((await first('GET', '/directory/applications')).status, 200);
      await pigeon.admin('PATCH', `/accounts/${ACCOUNT_B.id}/users/rotating-user`, { password: 'second-pass' });
      assert.equal((await first('GET', '/directory/applications')).status, 401);

      const second = await signIn({ accountId: ACCOUNT_B.id, username: 'rotating-user', password: 'second-pass' });
      await pigeon.admin('DELETE', `/accounts/${ACCOUNT_B.id}/users/rotating-user`);
      await pigeon.admin('POST', `/accounts/${ACCOUNT_B.id}/users`, { username: 'rotating-user', password: 'second-pass' });
      assert.equal((await second('GET', '/directory/applications')).status, 401);
    });
  });
}
