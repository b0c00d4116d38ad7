// The OpenAPI documents (GET {prefix}/openapi.json, /admin/v1/openapi.json) are built from the
// routes themselves. Here: each mounted API documents exactly its routes, and real answers of every
// documented operation, for every documented status these tests can provoke, validate against it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, AUTH_B, basic, fixtureConfigYaml, RECIPIENT } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { OpenApiContract, type OpenApiDocument } from '../helpers/openapi-contract.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const A = ACCOUNT_A.id;
const NO_ROLE = basic(ACCOUNT_A.noRoleUser, ACCOUNT_A.noRolePassword);
const ADMIN = `Bearer ${ADMIN_TOKEN}`;
const EXTRA = 'server: { bodyLimitBytes: 20000 }\nmedia: { maxBytes: 30000 }\nlimits: { listRequestsPerWindow: 5 }\n';

/** Documented answers these tests do not provoke, and why. */
const EXCUSED: Record<string, string> = {
  '* 503': 'needs a database that cannot serve; the writes are provoked on SQLite by a lock held by another connection',
  'listSimulatorRules 404': 'the simulated carrier is in use here',
  'replaceSimulatorRules 404': 'the simulated carrier is in use here',
  'addSimulatorRule 404': 'the simulated carrier is in use here',
  'getSimulatorDefaults 404': 'the simulated carrier is in use here',
  'updateSimulatorDefaults 404': 'the simulated carrier is in use here',
  'listTestNumbers 404': 'the simulated carrier is in use here',
  'importOptOuts 413': 'a 32 MiB body',
  'importNumbers 413': 'a 64 MiB body',
  'createMessage 429': 'provoked by the queue-full case below, with a config of its own',
  '* 429': 'failed sign-in limits, provoked on every surface in sign-in-limits.test.ts (a list limit and a full queue below)',
};

async function document(pigeon: TestPigeon, path: string): Promise<OpenApiDocument & Record<string, unknown>> {
  const res = await pigeon.fetch(path);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return (await res.json()) as OpenApiDocument & Record<string, unknown>;
}

/** A concrete URL for an OpenAPI path: every `{param}` filled in. */
function concrete(prefix: string, path: string): string {
  return prefix + path.replace(/\{accountId\}/g, A).replace(/\{scope\}/g, 'number').replace(/\{[A-Za-z]+\}/g, 'x1');
}

for (const backend of BACKENDS) {
  describe(`OpenAPI documents (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml({ extra: EXTRA }) });
    });
    after(() => pigeon.close());

    it('serves the Bandwidth document beside each prefix, with that prefix as its server, and the admin document', async () => {
      const docs = await Promise.all(['/api/v2', '/v2', ''].map((prefix) => document(pigeon, `${prefix}/openapi.json`)));
      for (const [i, prefix] of ['/api/v2', '/v2', '/'].entries()) {
        assert.equal(docs[i]?.openapi, '3.1.0');
        assert.deepEqual(docs[i]?.servers, [{ url: prefix }]);
        assert.deepEqual(docs[i]?.paths, docs[0]?.paths);
      }
      const admin = await document(pigeon, '/admin/v1/openapi.json');
      assert.deepEqual(admin.servers, [{ url: '/admin/v1' }]);
    });

    it('documents every route of each API, and every documented operation is a route', async () => {
      const app = pigeon.server.app;
      assert.ok(app);
      assert.deepEqual(app.openApiCatalogs.map((c) => c.prefix), ['/api/v2', '', '/v2', '/admin/v1']);
      for (const catalog of app.openApiCatalogs) {
        const doc = await document(pigeon, `${catalog.prefix}/openapi.json`);
        const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
        const described = catalog.routes.filter((r) => r.doc).map((r) => `${r.method} ${r.path}`);
        assert.deepEqual([...documented].sort(), [...described].sort(), catalog.prefix);
        for (const route of catalog.routes) assert.ok(app.hasRoute({ method: route.method as 'GET', url: route.url }), route.url);
        // The routes without a description answer only 405 (a path's other methods).
        for (const route of catalog.routes.filter((r) => !r.doc)) {
          const url = concrete('', route.url.replace(/:accountId/, A).replace(/\*$/, 'x1'));
          const res = await pigeon.fetch(url, { method: route.method, headers: { authorization: AUTH_A } });
          assert.equal(res.status, 405, `${route.method} ${url}`);
          await res.arrayBuffer();
        }
      }
    });

    it('answers every documented operation as documented, for each status it can be brought to', async () => {
      const bw = new OpenApiContract(await document(pigeon, '/api/v2/openapi.json'));
      const admin = new OpenApiContract(await document(pigeon, '/admin/v1/openapi.json'));
      const api = (path: string, init: RequestInit = {}, auth: string | undefined = AUTH_A) =>
        pigeon.fetch(`/api/v2/users/${A}${path}`, { ...init, headers: { ...(auth && { authorization: auth }), ...(init.headers as Record<string, string>) } });
      const adm = (path: string, init: RequestInit = {}) =>
        pigeon.fetch(`/admin/v1${path}`, { ...init, headers: { authorization: ADMIN, ...(init.headers as Record<string, string>) } });
      const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

      // Without credentials, and (Bandwidth API) with a user without the messaging role.
      for (const [contract, prefix] of [[bw, '/api/v2'], [admin, '/admin/v1']] as const) {
        for (const id of contract.operationIds()) {
          const op = contract.operation(id);
          await contract.check(id, await pigeon.fetch(concrete(prefix, op.path), { method: op.method.toUpperCase() }), 401);
          if (contract === bw) {
            const res = await pigeon.fetch(concrete(prefix, op.path), { method: op.method.toUpperCase(), headers: { authorization: NO_ROLE } });
            await contract.check(id, res, 403);
          }
        }
      }

      // Messages.
      const sent = (await bw.check('createMessage', await api('/messages', json('POST', smsBody())), 202)) as { id: string };
      await bw.check('createMessage', await api('/messages', json('POST', {})), 400);
      await bw.check('createMessage', await api('/messages', json('POST', smsBody({ text: 'x'.repeat(30_000) }))), 413);
      await bw.check('createMessage', await api('/messages', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' }), 415);
      await bw.check('listMessages', await api('/messages'), 200);
      await bw.check('listMessages', await api('/messages?limit=0'), 400);
      let limited: Response;
      while ((limited = await api('/messages')).status === 200) await limited.arrayBuffer();
      await bw.check('listMessages', limited, 429);

      // Media.
      const file = { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array([1, 2, 3]) };
      await bw.check('uploadMedia', await api('/media/dir%2Fpic.png', file), 204);
      await bw.check('uploadMedia', await api('/media/a%2F..%2Fb', file), 400);
      await bw.check('uploadMedia', await api('/media/big.bin', { ...file, body: new Uint8Array(40_000) }), 413);
      await bw.check('listMedia', await api('/media'), 200);
      await bw.check('listMedia', await api('/media', { headers: { 'continuation-token': '!!' } }), 400);
      assert.equal(await bw.check('getMedia', await api('/media/dir%2Fpic.png'), 200), '\u0001\u0002\u0003');
      await bw.check('getMedia', await api('/media/a%2F..%2Fb'), 400);
      await bw.check('getMedia', await api('/media/missing.png'), 404);
      await bw.check('deleteMedia', await api('/media/dir%2Fpic.png', { method: 'DELETE' }), 204);
      await bw.check('deleteMedia', await api('/media/dir%2Fpic.png', { method: 'DELETE' }), 404);
      await bw.check('deleteMedia', await api('/media/a%2F..%2Fb', { method: 'DELETE' }), 400);

      // Admin: status, endpoints, simulator.
      await admin.check('getStatus', await adm('/status'), 200);
      await admin.check('listEndpoints', await adm('/endpoints'), 200);
      await admin.check('listSimulatorRules', await adm('/simulator/rules'), 200);
      await admin.check('replaceSimulatorRules', await adm('/simulator/rules', json('PUT', [])), 200);
      await admin.check('replaceSimulatorRules', await adm('/simulator/rules', json('PUT', [{}])), 400);
      const rule = (await admin.check('addSimulatorRule', await adm('/simulator/rules', json('POST', { to: '+1999*', outcome: 'deliver' })), 201)) as { id: string };
      await admin.check('addSimulatorRule', await adm('/simulator/rules', json('POST', {})), 400);
      await admin.check('removeSimulatorRule', await adm(`/simulator/rules/${rule.id}`, { method: 'DELETE' }), 204);
      await admin.check('removeSimulatorRule', await adm(`/simulator/rules/${rule.id}`, { method: 'DELETE' }), 404);
      await admin.check('getSimulatorDefaults', await adm('/simulator/defaults'), 200);
      await admin.check('updateSimulatorDefaults', await adm('/simulator/defaults', json('PATCH', { latencyMs: 0 })), 200);
      await admin.check('updateSimulatorDefaults', await adm('/simulator/defaults', json('PATCH', { latencyMs: -1 })), 400);
      await admin.check('listTestNumbers', await adm('/simulator/test-numbers'), 200);

      // Admin: inbound and messages.
      const inbound = { from: '+19195550177', to: ACCOUNT_A.number, text: 'hello' };
      await admin.check('injectInbound', await adm('/inbound', json('POST', inbound)), 201);
      await admin.check('injectInbound', await adm('/inbound', json('POST', {})), 400);
      await admin.check('injectInbound', await adm('/inbound', json('POST', { ...inbound, text: 'x'.repeat(30_000) })), 413);
      await admin.check('injectInbound', await adm('/inbound', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' }), 415);
      await admin.check('waitForMessage', await adm(`/messages/${sent.id}/wait?until=callbacks`), 200);
      await admin.check('waitForMessage', await adm(`/messages/${sent.id}/wait?until=never`), 400);
      await admin.check('waitForMessage', await adm('/messages/nope/wait'), 404);
      const slow = (await (await api('/messages', json('POST', smsBody({ to: ['+15005550013'] })))).json()) as { id: string };
      await admin.check('waitForMessage', await adm(`/messages/${slow.id}/wait?timeout=0`), 408);
      for (const [id, suffix] of [['getMessage', ''], ['getMessageEvents', '/events'], ['getMessageCallbacks', '/callbacks']] as const) {
        await admin.check(id, await adm(`/messages/${sent.id}${suffix}`), 200);
        await admin.check(id, await adm(`/messages/nope${suffix}`), 404);
      }

      // Admin: the opt-out list.
      const block = { recipient: RECIPIENT, scope: 'number', scopeKey: ACCOUNT_A.number };
      await admin.check('addOptOut', await adm('/opt-outs', json('POST', block)), 201);
      await admin.check('addOptOut', await adm('/opt-outs', json('POST', block)), 200);
      await admin.check('addOptOut', await adm('/opt-outs', json('POST', {})), 400);
      await admin.check('addOptOut', await adm('/opt-outs', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }), 415);
      await admin.check('listOptOuts', await adm('/opt-outs'), 200);
      await admin.check('listOptOuts', await adm('/opt-outs?limit=0'), 400);
      await admin.check('listOptOutEvents', await adm('/opt-outs/events'), 200);
      await admin.check('listOptOutEvents', await adm('/opt-outs/events?recipient=abc'), 400);
      await admin.check('exportOptOuts', await adm('/opt-outs/export'), 200);
      await admin.check('exportOptOuts', await adm('/opt-outs/export?limit=1'), 400);
      const csv = { method: 'POST', headers: { 'content-type': 'text/csv' } };
      await admin.check('importOptOuts', await adm(`/opt-outs/import?scope=number&scopeKey=${encodeURIComponent(ACCOUNT_A.number)}`, { ...csv, body: `recipient\n${RECIPIENT}\n` }), 200);
      await admin.check('importOptOuts', await adm('/opt-outs/import', { ...csv, body: 'recipient\nnot-a-number\n' }), 400);
      await admin.check('importOptOuts', await adm('/opt-outs/import', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }), 415);
      const entry = `/opt-outs/number/${encodeURIComponent(ACCOUNT_A.number)}/${encodeURIComponent(RECIPIENT)}`;
      await admin.check('removeOptOut', await adm(entry, { method: 'DELETE' }), 204);
      await admin.check('removeOptOut', await adm(entry, { method: 'DELETE' }), 404);
      await admin.check('removeOptOut', await adm(`/opt-outs/galaxy/x/${encodeURIComponent(RECIPIENT)}`, { method: 'DELETE' }), 400);

      // Admin: the directory.
      const xml = (method: string): RequestInit => ({ method, headers: { 'content-type': 'application/xml' }, body: '<a/>' });
      const B = ACCOUNT_B.id;
      await admin.check('listAccounts', await adm('/accounts'), 200);
      await admin.check('listAccounts', await adm('/accounts?limit=x'), 400);
      await admin.check('createAccount', await adm('/accounts', json('POST', { id: 'oa-1' })), 201);
      await admin.check('createAccount', await adm('/accounts', json('POST', { id: 'oa-1' })), 409);
      await admin.check('createAccount', await adm('/accounts', json('POST', { id: '!' })), 400);
      await admin.check('createAccount', await adm('/accounts', xml('POST')), 415);
      await admin.check('getAccount', await adm('/accounts/oa-1'), 200);
      await admin.check('getAccount', await adm('/accounts/nobody'), 404);
      await admin.check('updateAccount', await adm('/accounts/oa-1', json('PATCH', { name: 'OA', throughput: { perSecond: 5 } })), 200);
      await admin.check('updateAccount', await adm('/accounts/oa-1', json('PATCH', { name: 5 })), 400);
      await admin.check('updateAccount', await adm('/accounts/nobody', json('PATCH', {})), 404);
      await admin.check('updateAccount', await adm('/accounts/oa-1', xml('PATCH')), 415);
      await admin.check('listUsers', await adm(`/accounts/${B}/users`), 200);
      await admin.check('listUsers', await adm(`/accounts/${B}/users?limit=0`), 400);
      await admin.check('listUsers', await adm('/accounts/nobody/users'), 404);
      await admin.check('createUser', await adm('/accounts/oa-1/users', json('POST', { username: 'u', password: 'p' })), 201);
      await admin.check('createUser', await adm('/accounts/oa-1/users', json('POST', { username: 'u', password: 'p' })), 409);
      await admin.check('createUser', await adm('/accounts/oa-1/users', json('POST', { username: 'v' })), 400);
      await admin.check('createUser', await adm('/accounts/nobody/users', json('POST', { username: 'v', password: 'p' })), 404);
      await admin.check('createUser', await adm('/accounts/oa-1/users', xml('POST')), 415);
      await admin.check('getUser', await adm('/accounts/oa-1/users/u'), 200);
      await admin.check('getUser', await adm('/accounts/oa-1/users/nobody'), 404);
      await admin.check('updateUser', await adm('/accounts/oa-1/users/u', json('PATCH', { password: 'q' })), 200);
      await admin.check('updateUser', await adm('/accounts/oa-1/users/u', json('PATCH', { roles: ['admin'] })), 400);
      await admin.check('updateUser', await adm('/accounts/oa-1/users/nobody', json('PATCH', {})), 404);
      await admin.check('updateUser', await adm('/accounts/oa-1/users/u', xml('PATCH')), 415);
      await admin.check('listApplications', await adm('/applications'), 200);
      await admin.check('listApplications', await adm('/applications?x=1'), 400);
      const created = (await admin.check('createApplication', await adm('/applications', json('POST', { accountId: 'oa-1', name: 'OA', callbackUrl: 'http://127.0.0.1:9/cb', callbackUsername: 'u', callbackPassword: 'p' })), 201)) as { id: string };
      await admin.check('createApplication', await adm('/applications', json('POST', { id: created.id, accountId: 'oa-1', name: 'OA' })), 409);
      await admin.check('createApplication', await adm('/applications', json('POST', { accountId: 'oa-1' })), 400);
      await admin.check('createApplication', await adm('/applications', xml('POST')), 415);
      await admin.check('getApplication', await adm(`/applications/${created.id}`), 200);
      await admin.check('getApplication', await adm('/applications/nobody'), 404);
      await admin.check('updateApplication', await adm(`/applications/${created.id}`, json('PATCH', { inboundCallbackUrl: 'http://127.0.0.1:9/in' })), 200);
      await admin.check('updateApplication', await adm(`/applications/${created.id}`, json('PATCH', { callbackUrl: 'nope' })), 400);
      await admin.check('updateApplication', await adm('/applications/nobody', json('PATCH', {})), 404);
      await admin.check('updateApplication', await adm(`/applications/${created.id}`, xml('PATCH')), 415);
      const oaNumber = encodeURIComponent('+19195558800');
      await admin.check('listNumbers', await adm('/numbers?prefix=%2B1919'), 200);
      await admin.check('listNumbers', await adm('/numbers?prefix=abc'), 400);
      await admin.check('createNumber', await adm('/numbers', json('POST', { number: '+19195558800', applicationId: created.id, ratePerSecond: 2 })), 201);
      await admin.check('createNumber', await adm('/numbers', json('POST', { number: '+19195558800', applicationId: created.id })), 200);
      await admin.check('createNumber', await adm('/numbers', json('POST', { number: ACCOUNT_B.number, applicationId: created.id })), 409);
      await admin.check('createNumber', await adm('/numbers', json('POST', { number: 'x', applicationId: created.id })), 400);
      await admin.check('createNumber', await adm('/numbers', xml('POST')), 415);
      await admin.check('getNumber', await adm(`/numbers/${oaNumber}`), 200);
      await admin.check('getNumber', await adm('/numbers/%2B10000000000'), 404);
      await admin.check('updateNumber', await adm(`/numbers/${oaNumber}`, json('PATCH', { ratePerSecond: null })), 200);
      await admin.check('updateNumber', await adm(`/numbers/${oaNumber}`, json('PATCH', { applicationId: 'nobody' })), 400);
      await admin.check('updateNumber', await adm('/numbers/%2B10000000000', json('PATCH', {})), 404);
      await admin.check('updateNumber', await adm(`/numbers/${oaNumber}`, xml('PATCH')), 415);
      await admin.check('exportNumbers', await adm('/numbers/export?accountId=oa-1'), 200);
      await admin.check('exportNumbers', await adm('/numbers/export?limit=1'), 400);
      const csvPost = (body: string): RequestInit => ({ method: 'POST', headers: { 'content-type': 'text/csv' }, body });
      await admin.check('importNumbers', await adm('/numbers/import', csvPost(`number,applicationId\n+19195558801,${created.id}\n`)), 200);
      await admin.check('importNumbers', await adm('/numbers/import', csvPost('number\n+19195558802\n')), 400);
      await admin.check('importNumbers', await adm('/numbers/import', xml('POST')), 415);
      await admin.check('listSmppUsers', await adm('/smpp-users'), 200);
      await admin.check('listSmppUsers', await adm('/smpp-users?limit=-1'), 400);
      await admin.check('createSmppUser', await adm('/smpp-users', json('POST', { systemId: 'oa-esme', applicationId: created.id, password: 'pw' })), 201);
      await admin.check('createSmppUser', await adm('/smpp-users', json('POST', { systemId: 'oa-esme', applicationId: created.id, password: 'pw' })), 409);
      await admin.check('createSmppUser', await adm('/smpp-users', json('POST', { systemId: 'oa esme', applicationId: created.id, password: 'pw' })), 400);
      await admin.check('createSmppUser', await adm('/smpp-users', xml('POST')), 415);
      await admin.check('getSmppUser', await adm('/smpp-users/oa-esme'), 200);
      await admin.check('getSmppUser', await adm('/smpp-users/nobody'), 404);
      await admin.check('updateSmppUser', await adm('/smpp-users/oa-esme', json('PATCH', { maxBinds: 2 })), 200);
      await admin.check('updateSmppUser', await adm('/smpp-users/oa-esme', json('PATCH', { maxBinds: 0 })), 400);
      await admin.check('updateSmppUser', await adm('/smpp-users/nobody', json('PATCH', {})), 404);
      await admin.check('updateSmppUser', await adm('/smpp-users/oa-esme', xml('PATCH')), 415);
      await admin.check('listAudit', await adm('/audit?accountId=oa-1'), 200);
      await admin.check('listAudit', await adm('/audit?before=x'), 400);
      await admin.check('deleteSmppUser', await adm('/smpp-users/oa-esme', { method: 'DELETE' }), 204);
      await admin.check('deleteSmppUser', await adm('/smpp-users/oa-esme', { method: 'DELETE' }), 404);
      await admin.check('deleteNumber', await adm(`/numbers/${oaNumber}`, { method: 'DELETE' }), 204);
      await admin.check('deleteNumber', await adm(`/numbers/${oaNumber}`, { method: 'DELETE' }), 404);
      await admin.check('deleteUser', await adm('/accounts/oa-1/users/u', { method: 'DELETE' }), 204);
      await admin.check('deleteUser', await adm('/accounts/oa-1/users/u', { method: 'DELETE' }), 404);
      await admin.check('deleteApplication', await adm(`/applications/${created.id}`, { method: 'DELETE' }), 204);
      await admin.check('deleteApplication', await adm(`/applications/${created.id}`, { method: 'DELETE' }), 404);
      await admin.check('deleteAccount', await adm('/accounts/oa-1', { method: 'DELETE' }), 204);
      await admin.check('deleteAccount', await adm('/accounts/oa-1', { method: 'DELETE' }), 404);
      await admin.check('waitForNextMessage', await adm(`/messages/next?afterMessage=nope`), 404);
      await admin.check('waitForNextMessage', await adm(`/messages/next?after=0&timeout=5`), 200);
      await admin.check('waitForNextMessage', await adm('/messages/next?text=('), 400);
      await admin.check('waitForNextMessage', await adm('/messages/next?accountId=nobody'), 404);
      await admin.check('waitForNextMessage', await adm('/messages/next?to=%2B10000000000&timeout=0'), 408);
      await admin.check('waitForNextMessage', await pigeon.fetch(`/admin/v1/messages/next?accountId=${A}&timeout=0`, { headers: { authorization: NO_ROLE } }), 403);

      // Admin: scripted phones.
      const phoneRule = { id: 'oa-phone', phone: '+19195550166', text: { contains: 'hi' }, answer: { text: 'hello back' } };
      await admin.check('createPhoneRule', await adm('/phones/rules', json('POST', phoneRule)), 201);
      await admin.check('createPhoneRule', await adm('/phones/rules', json('POST', phoneRule)), 409);
      await admin.check('createPhoneRule', await adm('/phones/rules', json('POST', { answer: {} })), 400);
      await admin.check('createPhoneRule', await adm('/phones/rules', json('POST', { answer: { text: 'x'.repeat(30_000) } })), 413);
      await admin.check('createPhoneRule', await adm('/phones/rules', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' }), 415);
      await admin.check('listPhoneRules', await adm('/phones/rules'), 200);
      await admin.check('getPhoneRule', await adm('/phones/rules/oa-phone'), 200);
      await admin.check('getPhoneRule', await adm('/phones/rules/nope'), 404);
      await admin.check('updatePhoneRule', await adm('/phones/rules/oa-phone', json('PATCH', { maxMatches: 2 })), 200);
      await admin.check('updatePhoneRule', await adm('/phones/rules/oa-phone', json('PATCH', { phone: 'abc' })), 400);
      await admin.check('updatePhoneRule', await adm('/phones/rules/nope', json('PATCH', {})), 404);
      await admin.check('updatePhoneRule', await adm('/phones/rules/oa-phone', json('PATCH', { name: 'x'.repeat(30_000) })), 413);
      await admin.check('updatePhoneRule', await adm('/phones/rules/oa-phone', { method: 'PATCH', headers: { 'content-type': 'text/plain' }, body: 'hi' }), 415);
      await admin.check('deletePhoneRule', await adm('/phones/rules/oa-phone', { method: 'DELETE' }), 204);
      await admin.check('deletePhoneRule', await adm('/phones/rules/oa-phone', { method: 'DELETE' }), 404);
      await admin.check('listPhoneConversations', await adm('/phones/conversations'), 200);
      await admin.check('listPhoneConversations', await adm('/phones/conversations?phone=abc'), 400);
      await admin.check('resetPhoneConversations', await adm('/phones/conversations?phone=%2B19195550166', { method: 'DELETE' }), 200);
      await admin.check('resetPhoneConversations', await adm('/phones/conversations?applicationNumber=%2B19195550166', { method: 'DELETE' }), 400);

      await admin.check('exportMessages', await adm(`/messages/export?accountId=${A}&format=json`), 200);
      await admin.check('exportMessages', await adm(`/messages/export?accountId=${A}&format=csv`), 200);
      await admin.check('exportMessages', await adm(`/messages/export?accountId=${A}&format=xml`), 400);
      await admin.check('exportMessages', await adm('/messages/export?accountId=nobody'), 404);
      await admin.check('exportMessages', await pigeon.fetch(`/admin/v1/messages/export?accountId=${A}`, { headers: { authorization: NO_ROLE } }), 403);

      assert.deepEqual(bw.unexercised(EXCUSED), []);
      assert.deepEqual(admin.unexercised(EXCUSED), []);
    });
  });
}

describe('OpenAPI documents: a full queue and a locked database (sqlite)', () => {
  let dir: string;
  let pigeon: TestPigeon;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pigeon-openapi-'));
    // Only the API runs, so that accepted messages stay queued and fill the account's queue of 1.
    const yaml = fixtureConfigYaml().replace(`- id: "${A}"\n`, `- id: "${A}"\n    throughput: { perSecond: 1, maxQueueSize: 1 }\n`);
    pigeon = await startPigeon({ dir, configYaml: yaml, databaseUrl: `sqlite:${join(dir, 'pigeon.db')}?busy_timeout=50`, env: { PIGEON_ROLE: 'api' } });
  });
  after(async () => {
    await pigeon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 429 and 503 as documented', async () => {
    const bw = new OpenApiContract(await document(pigeon, '/api/v2/openapi.json'));
    const send = (account: string = A, auth = AUTH_A, body = smsBody()) =>
      pigeon.fetch(`/api/v2/users/${account}/messages`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await bw.check('createMessage', await send(), 202);
    await bw.check('createMessage', await send(), 429);
    // Account B has no queue limit, so its send reaches the locked database.
    const sendB = () => send(ACCOUNT_B.id, AUTH_B, smsBody({ applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number }));
    const other = new Database(join(dir, 'pigeon.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      await bw.check('createMessage', await sendB(), 503);
      const media = `/api/v2/users/${A}/media/pic.png`;
      await bw.check('uploadMedia', await pigeon.fetch(media, { method: 'PUT', headers: { authorization: AUTH_A, 'content-type': 'image/png' }, body: 'x' }), 503);
      await bw.check('deleteMedia', await pigeon.fetch(media, { method: 'DELETE', headers: { authorization: AUTH_A } }), 503);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });
});
