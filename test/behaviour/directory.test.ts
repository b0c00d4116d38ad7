// The live directory through the admin API, on each engine: entries made there work on the next
// request (a new number sends at once, a rotated password or a deleted user is refused from then
// on, a released number receives nothing), owned numbers are a 409 naming the owner, numbers go
// out and come back as CSV, every change is in the audit trail with its secrets masked, and the
// config file re-applied at a restart leaves alone what it does not name.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { createTestDatabase } from '../helpers/databases.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, basic, fixtureConfigYaml, RECIPIENT } from '../helpers/fixtures.js';
import { postMessage } from '../helpers/http.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

interface ErrorBody {
  type: string;
  description: string;
  fieldErrors?: Array<{ fieldName: string; description: string }>;
}

async function call(pigeon: TestPigeon, method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await pigeon.fetch(`/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { 'content-type': contentType }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: (res.headers.get('content-type')?.startsWith('application/json') && text ? JSON.parse(text) : undefined) as Record<string, unknown> & ErrorBody };
}

for (const backend of BACKENDS) {
  describe(`the live directory through the admin API (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({ backend });
    });
    after(() => pigeon.close());

    it('an account, user, application and number made through the API send at once; its callbacks follow the application', async () => {
      const account = await call(pigeon, 'POST', '/accounts', { id: 'ci-run-1', name: 'CI run' });
      assert.equal(account.status, 201, account.text);
      const user = await call(pigeon, 'POST', '/accounts/ci-run-1/users', { username: 'ci', password: 'ci-secret' });
      assert.equal(user.status, 201, user.text);
      assert.equal(user.body.passwordHash, undefined);
      assert.equal(user.text.includes('scrypt'), false);
      const app = await call(pigeon, 'POST', '/applications', { accountId: 'ci-run-1', name: 'CI app' });
      assert.equal(app.status, 201, app.text);
      const applicationId = app.body.id as string;
      assert.match(applicationId, /^[0-9a-f-]{36}$/);
      const number = await call(pigeon, 'POST', '/numbers', { number: '+19195557001', applicationId });
      assert.equal(number.status, 201, number.text);
      assert.equal(number.body.numberType, 'local');

      const sent = await postMessage(pigeon, { applicationId, from: '+19195557001', to: [RECIPIENT], text: 'hi' }, { auth: basic('ci', 'ci-secret'), accountId: 'ci-run-1' });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      const view = await pigeon.waitForMessage(sent.body.id as string);
      assert.equal(view.recipients[0]?.messageStatus, 'DELIVERED');
    });

    it('a number owned by another application is a 409 naming the owner; moving it is explicit', async () => {
      const taken = await call(pigeon, 'POST', '/numbers', { number: ACCOUNT_B.number, applicationId: ACCOUNT_A.applicationId });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.type, 'conflict');
      assert.match(taken.body.description, new RegExp(`${ACCOUNT_B.applicationId}.*${ACCOUNT_B.id}`));
      assert.equal(taken.body.fieldErrors?.[0]?.fieldName, 'number');
      // The same assignment again is no change.
      const again = await call(pigeon, 'POST', '/numbers', { number: ACCOUNT_A.number, applicationId: ACCOUNT_A.applicationId });
      assert.equal(again.status, 200);

      await call(pigeon, 'POST', '/applications', { id: 'mover', accountId: ACCOUNT_A.id, name: 'Mover' });
      await call(pigeon, 'POST', '/numbers', { number: '+19195557002', applicationId: ACCOUNT_A.applicationId });
      const moved = await call(pigeon, 'PATCH', `/numbers/${encodeURIComponent('+19195557002')}`, { applicationId: 'mover' });
      assert.equal(moved.status, 200, moved.text);
      assert.equal((await postMessage(pigeon, { applicationId: 'mover', from: '+19195557002', to: [RECIPIENT], text: 'x' })).status, 202);
      assert.equal((await postMessage(pigeon, { applicationId: ACCOUNT_A.applicationId, from: '+19195557002', to: [RECIPIENT], text: 'x' })).status, 400);
    });

    it('a released number neither sends nor receives; its messages stay listable', async () => {
      await call(pigeon, 'POST', '/numbers', { number: '+19195557003', applicationId: ACCOUNT_A.applicationId });
      const before = await postMessage(pigeon, { applicationId: ACCOUNT_A.applicationId, from: '+19195557003', to: [RECIPIENT], text: 'before' });
      assert.equal(before.status, 202);
      assert.equal((await call(pigeon, 'POST', '/inbound', { from: RECIPIENT, to: '+19195557003', text: 'in' })).status, 201);
      assert.equal((await call(pigeon, 'DELETE', `/numbers/${encodeURIComponent('+19195557003')}`)).status, 204);
      assert.equal((await call(pigeon, 'GET', `/numbers/${encodeURIComponent('+19195557003')}`)).status, 404);
      assert.equal((await postMessage(pigeon, { applicationId: ACCOUNT_A.applicationId, from: '+19195557003', to: [RECIPIENT], text: 'after' })).status, 400);
      assert.equal((await call(pigeon, 'POST', '/inbound', { from: RECIPIENT, to: '+19195557003', text: 'in' })).status, 400);
      const listed = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages?sourceTn=${encodeURIComponent('+19195557003')}`, { headers: { authorization: AUTH_A } });
      assert.equal(listed.status, 200);
      const body = (await listed.json()) as { messages: Array<{ messageId: string }> };
      assert.ok(body.messages.some((m) => m.messageId === before.body.id));
    });

    it('a rotated password is refused from the next request, with no 5xx while requests run; a deleted user is refused', async () => {
      await call(pigeon, 'POST', `/accounts/${ACCOUNT_B.id}/users`, { username: 'rotating', password: 'old-password' });
      const body = { applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number, to: [RECIPIENT], text: 'r' };
      const as = (password: string) => postMessage(pigeon, body, { auth: basic('rotating', password), accountId: ACCOUNT_B.id });
      assert.equal((await as('old-password')).status, 202);
      let running = true;
      const statuses: number[] = [];
      const load = (async () => {
        while (running) statuses.push((await as('old-password')).status);
      })();
      const rotated = await call(pigeon, 'PATCH', `/accounts/${ACCOUNT_B.id}/users/rotating`, { password: 'new-password' });
      assert.equal(rotated.status, 200, rotated.text);
      assert.equal((await as('old-password')).status, 401);
      assert.equal((await as('new-password')).status, 202);
      running = false;
      await load;
      assert.ok(statuses.length > 0);
      assert.deepEqual(statuses.filter((s) => s !== 202 && s !== 401), []);

      assert.equal((await call(pigeon, 'PATCH', `/accounts/${ACCOUNT_B.id}/users/rotating`, { enabled: false })).status, 200);
      assert.equal((await as('new-password')).status, 401);
      assert.equal((await call(pigeon, 'PATCH', `/accounts/${ACCOUNT_B.id}/users/rotating`, { enabled: true })).status, 200);
      assert.equal((await as('new-password')).status, 202);
      // An OAuth2 token issued to the user dies with it.
      const token = await pigeon.fetch('/api/v1/oauth2/token', {
        method: 'POST',
        headers: { authorization: basic('rotating', 'new-password'), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      assert.equal(token.status, 200);
      const bearer = `Bearer ${String(((await token.json()) as { access_token: string }).access_token)}`;
      assert.equal((await postMessage(pigeon, body, { auth: bearer, accountId: ACCOUNT_B.id })).status, 202);
      assert.equal((await call(pigeon, 'DELETE', `/accounts/${ACCOUNT_B.id}/users/rotating`)).status, 204);
      assert.equal((await as('new-password')).status, 401);
      assert.equal((await postMessage(pigeon, body, { auth: bearer, accountId: ACCOUNT_B.id })).status, 401);
    });

    it('names every bad field', async () => {
      const cases: Array<[string, string, unknown, number, string]> = [
        ['POST', '/accounts', { id: 'bad id!' }, 400, 'id'],
        ['POST', '/accounts', { id: ACCOUNT_A.id }, 409, 'id'],
        ['POST', `/accounts/${ACCOUNT_A.id}/users`, { username: 'x' }, 400, 'password'],
        ['POST', `/accounts/${ACCOUNT_A.id}/users`, { username: 'x', passwordHash: 'nope' }, 400, 'passwordHash'],
        ['POST', `/accounts/${ACCOUNT_A.id}/users`, { username: ACCOUNT_A.username, password: 'p' }, 409, 'username'],
        ['POST', '/applications', { accountId: ACCOUNT_A.id }, 400, 'name'],
        ['POST', '/applications', { accountId: 'nobody', name: 'n' }, 400, 'accountId'],
        ['POST', '/applications', { accountId: ACCOUNT_A.id, name: 'n', callbackUrl: 'ftp://x' }, 400, 'callbackUrl'],
        ['POST', '/applications', { accountId: ACCOUNT_A.id, name: 'n', callbackUsername: 'u' }, 400, 'callbackPassword'],
        ['POST', '/applications', { id: ACCOUNT_A.applicationId, accountId: ACCOUNT_A.id, name: 'n' }, 409, 'id'],
        ['POST', '/numbers', { number: '555', applicationId: ACCOUNT_A.applicationId }, 400, 'number'],
        ['POST', '/numbers', { number: '+19195557010', applicationId: 'none' }, 400, 'applicationId'],
        ['POST', '/numbers', { number: '+19195557010', applicationId: ACCOUNT_A.applicationId, ratePerSecond: -1 }, 400, 'ratePerSecond'],
        ['POST', '/smpp-users', { systemId: 'way-too-long-system-id', applicationId: ACCOUNT_A.applicationId, password: 'p' }, 400, 'systemId'],
        ['POST', '/smpp-users', { systemId: 'esme', applicationId: ACCOUNT_A.applicationId, password: 'longer-than-8' }, 400, 'password'],
        ['GET', '/numbers?prefix=abc', undefined, 400, 'prefix'],
        ['GET', '/numbers?limit=0', undefined, 400, 'limit'],
        ['GET', '/accounts?color=red', undefined, 400, 'color'],
        ['GET', '/audit?kind=planet', undefined, 400, 'kind'],
      ];
      for (const [method, path, body, status, field] of cases) {
        const res = await call(pigeon, method, path, body);
        assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`);
        assert.ok(res.body.fieldErrors?.some((f) => f.fieldName === field), `${method} ${path} names ${field}: ${res.text}`);
      }
      assert.equal((await call(pigeon, 'GET', '/accounts/nobody')).status, 404);
      assert.equal((await call(pigeon, 'PATCH', '/applications/nobody', { name: 'x' })).status, 404);
    });

    it('pages lists and finds numbers by prefix', async () => {
      for (const n of ['+14155550001', '+14155550002', '+14155550003']) await call(pigeon, 'POST', '/numbers', { number: n, applicationId: ACCOUNT_A.otherApplicationId });
      const first = await call(pigeon, 'GET', `/numbers?prefix=${encodeURIComponent('+1415555')}&limit=2`);
      assert.deepEqual((first.body.items as Array<{ number: string }>).map((n) => n.number), ['+14155550001', '+14155550002']);
      const second = await call(pigeon, 'GET', `/numbers?prefix=1415555&limit=2&after=${encodeURIComponent(String(first.body.next))}`);
      assert.deepEqual((second.body.items as Array<{ number: string }>).map((n) => n.number), ['+14155550003']);
      assert.equal(second.body.next, undefined);
      const apps = await call(pigeon, 'GET', `/applications?accountId=${ACCOUNT_B.id}`);
      assert.deepEqual((apps.body.items as Array<{ id: string }>).map((a) => a.id), [ACCOUNT_B.applicationId]);
    });

    it('exports numbers as CSV and imports them back, all or nothing', async () => {
      await call(pigeon, 'POST', '/applications', { id: 'csv-app', accountId: ACCOUNT_B.id, name: 'CSV' });
      const rows = Array.from({ length: 2000 }, (_, i) => `+1312555${String(i).padStart(4, '0')},csv-app,${i % 2 === 0 ? '' : '5'}`);
      const imported = await call(pigeon, 'POST', '/numbers/import', `number,applicationId,ratePerSecond\n${rows.join('\n')}\n`, 'text/csv');
      assert.equal(imported.status, 200, imported.text);
      assert.deepEqual(imported.body, { created: 2000, updated: 0, unchanged: 0 });
      const exported = await call(pigeon, 'GET', '/numbers/export?applicationId=csv-app');
      assert.equal(exported.status, 200);
      const lines = exported.text.trim().split('\r\n');
      assert.equal(lines[0], 'number,applicationId,ratePerSecond');
      assert.deepEqual(lines.slice(1), rows);
      // The export imports again as no change.
      assert.deepEqual((await call(pigeon, 'POST', '/numbers/import', exported.text, 'text/csv')).body, { created: 0, updated: 0, unchanged: 2000 });
      // One bad row (a number another application owns) stops the whole import, and is named.
      const bad = await call(pigeon, 'POST', '/numbers/import', `number,applicationId\n+13125559990,csv-app\n${ACCOUNT_A.number},csv-app\n`, 'text/csv');
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.fieldErrors?.map((f) => f.fieldName), ['line 3.number']);
      assert.match(bad.body.fieldErrors?.[0]?.description ?? '', new RegExp(ACCOUNT_A.applicationId));
      assert.equal((await call(pigeon, 'GET', `/numbers/${encodeURIComponent('+13125559990')}`)).status, 404);
      // A number imported can send at once.
      const sent = await postMessage(pigeon, { applicationId: 'csv-app', from: '+13125551999', to: [RECIPIENT], text: 'x' }, { auth: basic(ACCOUNT_B.username, ACCOUNT_B.password), accountId: ACCOUNT_B.id });
      assert.equal(sent.status, 202);
    });

    it('records every change with who made it and its secrets masked', async () => {
      await call(pigeon, 'POST', '/applications', { id: 'audited', accountId: ACCOUNT_B.id, name: 'Audited', callbackUrl: 'http://127.0.0.1:1/cb', callbackUsername: 'u', callbackPassword: 'cb-secret' });
      await call(pigeon, 'PATCH', '/applications/audited', { callbackUrl: 'http://127.0.0.1:2/cb' });
      await call(pigeon, 'POST', `/accounts/${ACCOUNT_B.id}/users`, { username: 'audited-user', password: 'user-secret' });
      const trail = await call(pigeon, 'GET', '/audit?kind=application&key=audited');
      const items = trail.body.items as Array<{ actor: string; action: string; before?: Record<string, unknown>; after?: Record<string, unknown> }>;
      assert.deepEqual(items.map((i) => [i.actor, i.action]), [['admin-token', 'update'], ['admin-token', 'create']]);
      assert.equal(items[0]?.before?.callbackUrl, 'http://127.0.0.1:1/cb');
      assert.equal(items[0]?.after?.callbackUrl, 'http://127.0.0.1:2/cb');
      assert.equal(items[0]?.after?.callbackPassword, '***');
      const all = await call(pigeon, 'GET', `/audit?accountId=${ACCOUNT_B.id}&limit=1000`);
      assert.equal(all.text.includes('cb-secret'), false);
      assert.equal(all.text.includes('user-secret'), false);
      assert.equal(all.text.includes('$scrypt$'), false);
      const config = await call(pigeon, 'GET', `/audit?kind=account&key=${ACCOUNT_A.id}`);
      assert.equal((config.body.items as Array<{ actor: string }>).at(-1)?.actor, 'config-file');
    });
  });

  describe(`callback settings changed live (${backend})`, () => {
    let pigeon: TestPigeon;
    let receiver: CallbackReceiver;
    let inbound: CallbackReceiver;
    before(async () => {
      // Takes only callbacks with these credentials: those are what the application has once changed.
      receiver = await new CallbackReceiver({ credentials: { username: 'cb-user', password: 'cb-pass' } }).start();
      inbound = await new CallbackReceiver().start();
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml({ extra: 'callbacks: { retryInitialSeconds: 0.2, retryMaxSeconds: 0.5 }\n' }) });
    });
    after(async () => {
      await pigeon.close();
      await receiver.stop();
      await inbound.stop();
    });

    it('a callback not yet sent goes to the URL and with the credentials the application has now; inbound ones to its inbound URL', async () => {
      // Nothing listens on port 9: the first attempts fail and the callback waits for its retry.
      await call(pigeon, 'POST', '/applications', { id: 'moving-cb', accountId: ACCOUNT_A.id, name: 'Moving', callbackUrl: 'http://127.0.0.1:9/nowhere' });
      await call(pigeon, 'POST', '/numbers', { number: '+19195557300', applicationId: 'moving-cb' });
      const sent = await postMessage(pigeon, { applicationId: 'moving-cb', from: '+19195557300', to: [RECIPIENT], text: 'x' });
      assert.equal(sent.status, 202);
      await pigeon.waitForMessage(sent.body.id as string);
      const changed = await call(pigeon, 'PATCH', '/applications/moving-cb', { callbackUrl: receiver.url, callbackUsername: 'cb-user', callbackPassword: 'cb-pass', inboundCallbackUrl: inbound.url });
      assert.equal(changed.status, 200, changed.text);
      await receiver.waitFor(() => receiver.events().some((e) => e.message.id === sent.body.id && e.type === 'message-delivered'));

      assert.equal((await call(pigeon, 'POST', '/inbound', { from: RECIPIENT, to: '+19195557300', text: 'in' })).status, 201);
      await inbound.waitFor(() => inbound.events().some((e) => e.type === 'message-received'));
      assert.equal(receiver.events().some((e) => e.type === 'message-received'), false);
    });
  });

  describe(`the config file as provisioning (${backend})`, () => {
    let dir: string;
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pigeon-provision-'));
      database = await createTestDatabase(backend, dir);
    });
    after(async () => {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('re-applied at a restart, leaves alone what it does not name and restores what it does; prune removes the rest', async () => {
      let pigeon = await startPigeon({ dir, databaseUrl: database.url });
      await call(pigeon, 'POST', '/applications', { id: 'api-made', accountId: ACCOUNT_A.id, name: 'API made' });
      await call(pigeon, 'POST', '/numbers', { number: '+19195557100', applicationId: 'api-made' });
      await call(pigeon, 'PATCH', `/applications/${ACCOUNT_A.applicationId}`, { name: 'Renamed by API' });
      await pigeon.close();

      pigeon = await startPigeon({ dir, databaseUrl: database.url });
      try {
        assert.equal((await call(pigeon, 'GET', '/applications/api-made')).status, 200);
        assert.equal((await postMessage(pigeon, { applicationId: 'api-made', from: '+19195557100', to: [RECIPIENT], text: 'x' })).status, 202);
        // What the file names, the file decides.
        assert.equal((await call(pigeon, 'GET', `/applications/${ACCOUNT_A.applicationId}`)).body.name, 'Main');
        const since = await call(pigeon, 'GET', `/audit?kind=application&key=${ACCOUNT_A.applicationId}&limit=1`);
        assert.equal((since.body.items as Array<{ actor: string }>)[0]?.actor, 'config-file');
      } finally {
        await pigeon.close();
      }

      pigeon = await startPigeon({ dir, databaseUrl: database.url, configYaml: `tenants: { prune: true }\n${fixtureConfigYaml()}` });
      try {
        assert.equal((await call(pigeon, 'GET', '/applications/api-made')).status, 404);
        assert.equal((await call(pigeon, 'GET', `/numbers/${encodeURIComponent('+19195557100')}`)).status, 404);
        assert.equal((await postMessage(pigeon, { applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, to: [RECIPIENT], text: 'x' })).status, 202);
      } finally {
        await pigeon.close();
      }
    });
  });
}
