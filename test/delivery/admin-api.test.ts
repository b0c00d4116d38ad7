// The admin API's own credential (a bearer token, refused with a JSON 401 otherwise) and its
// validation of simulator rules and injected inbound messages (400 naming the field, nothing changed).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, AUTH_A, RECIPIENT } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { withSql } from '../helpers/databases.js';
import { ADMIN_TOKEN, BACKENDS } from '../helpers/pigeon.js';
import { send, startHarness, type Harness } from './e2e-support.js';

interface ErrorBody {
  type: string;
  description: string;
  fieldErrors?: Array<{ fieldName: string; description: string }>;
}

for (const backend of BACKENDS) {
  describe(`admin API authentication and validation (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend });
    });
    after(() => h.close());

    const call = async (method: string, path: string, init: { token?: string | null; authorization?: string; body?: unknown; raw?: string } = {}) => {
      const headers: Record<string, string> = {};
      if (init.authorization !== undefined) headers.authorization = init.authorization;
      else if (init.token !== null) headers.authorization = `Bearer ${init.token ?? ADMIN_TOKEN}`;
      if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = 'application/json';
      const res = await h.pigeon.fetch(`/admin/v1${path}`, {
        method,
        headers,
        body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as unknown };
    };

    it('refuses requests without a bearer token, with a wrong one, or with API credentials: 401 with a JSON body', async () => {
      const created = await send(h.pigeon, smsBody());
      const attempts: Array<[string, { token?: string | null; authorization?: string }]> = [
        ['no Authorization', { token: null }],
        ['wrong token', { token: 'not-the-admin-token-at-all' }],
        ['token prefix', { token: ADMIN_TOKEN.slice(0, -1) }],
        ['token as Basic', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
        ['API user credentials', { authorization: AUTH_A }],
        ['empty bearer', { authorization: 'Bearer ' }],
      ];
      for (const [path, method] of [
        ['/status', 'GET'],
        [`/messages/${created.id}`, 'GET'],
        ['/simulator/rules', 'POST'],
        ['/inbound', 'POST'],
      ] as const) {
        for (const [label, auth] of attempts) {
          const res = await call(method, path, { ...auth, ...(method === 'POST' && { body: { to: '*', outcome: 'deliver' } }) });
          assert.equal(res.status, 401, `${method} ${path} with ${label}`);
          assert.match(String(res.headers.get('content-type')), /^application\/json/);
          assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="pigeon-admin"');
          assert.deepEqual(res.body, { type: 'unauthorized', description: 'The admin API needs Authorization: Bearer <admin token>' });
        }
      }
      // Nothing was changed by the refused calls.
      assert.deepEqual((await call('GET', '/simulator/rules')).body, []);
      const ok = await call('GET', '/status', { authorization: `bearer ${ADMIN_TOKEN}` });
      assert.equal(ok.status, 200);
      assert.equal((ok.body as { carrier: { name: string; state: string } }).carrier.name, 'simulator');
      assert.equal((ok.body as { carrier: { name: string; state: string } }).carrier.state, 'connected');
    });

    it('answers an invalid simulator rule with 400 naming the field, and keeps the rules as they were', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ to: RECIPIENT, outcome: 'fail' }, /errorCode: must be a Bandwidth error code, an integer from 4000 to 9999/],
        [{ to: RECIPIENT, outcome: 'fail', errorCode: 12 }, /errorCode: must be a Bandwidth error code/],
        [{ to: 'not-a-number', outcome: 'deliver' }, /\bto: must be an E\.164 number/],
        [{ to: RECIPIENT, outcome: 'explode' }, /outcome: must be one of deliver, fail, no-receipt, transient, reject/],
        [{ to: RECIPIENT, outcome: 'deliver', delayMs: -1 }, /delayMs: must be an integer number of milliseconds/],
        [{ to: RECIPIENT, outcome: 'transient', failures: 'often' }, /failures: must be an integer from 0 to 1000000, or 'always'/],
        [{ to: RECIPIENT, outcome: 'deliver', text: '(' }, /text: is not a valid regular expression/],
        [{ to: RECIPIENT, outcome: 'deliver', colour: 'red' }, /colour/],
      ];
      for (const [rule, expected] of cases) {
        const res = await call('POST', '/simulator/rules', { body: rule });
        assert.equal(res.status, 400, JSON.stringify(rule));
        const body = res.body as ErrorBody;
        assert.equal(body.type, 'request-validation');
        assert.match(body.description, expected, JSON.stringify(rule));
      }
      const bad = await call('POST', '/simulator/rules', { raw: '{"to":' });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body, { type: 'request-validation', description: 'The request body is not valid JSON' });
      assert.deepEqual((await call('GET', '/simulator/rules')).body, []);

      // A valid rule is accepted (201) and listed; unknown ids are 404.
      const added = await call('POST', '/simulator/rules', { body: { id: 'slow', to: '+1999*', outcome: 'deliver', delayMs: 10 } });
      assert.equal(added.status, 201);
      assert.deepEqual(added.body, { id: 'slow', to: '+1999*', outcome: 'deliver', delayMs: 10 });
      assert.deepEqual((await call('GET', '/simulator/rules')).body, [added.body]);
      assert.equal((await call('DELETE', '/simulator/rules/nope')).status, 404);
      assert.equal((await call('DELETE', '/simulator/rules/slow')).status, 204);
      assert.deepEqual((await call('GET', '/simulator/rules')).body, []);
    });

    it('answers an invalid inbound message with 400 and field errors, storing nothing', async () => {
      const missingTo = await call('POST', '/inbound', { body: { from: '+19195550177', text: 'hi' } });
      assert.equal(missingTo.status, 400);
      assert.deepEqual((missingTo.body as ErrorBody).fieldErrors?.map((f) => f.fieldName), ['to']);
      const badTo = await call('POST', '/inbound', { body: { from: '+19195550177', to: ['12345'], text: 'hi' } });
      assert.equal(badTo.status, 400);
      assert.deepEqual((badTo.body as ErrorBody).fieldErrors?.map((f) => f.fieldName), ['to.0']);
      const noText = await call('POST', '/inbound', { body: { from: '+19195550177', to: ACCOUNT_A.number } });
      assert.equal(noText.status, 400);
      assert.deepEqual((noText.body as ErrorBody).fieldErrors, [{ fieldName: 'text', description: "'text' is required unless media is included" }]);
      const notOwned = await call('POST', '/inbound', { body: { from: '+19195550177', to: '+19195550188', text: 'hi' } });
      assert.equal(notOwned.status, 400);
      assert.deepEqual(notOwned.body, { type: 'request-validation', description: 'none of the addressed numbers belongs to an application' });
      assert.equal(h.receiver.events((e) => e.type === 'message-received').length, 0);
      // A copy for a number nobody owns would have no callback URL, so the callbacks above cannot show
      // it: the database must hold no inbound message at all.
      const inbound = await withSql(h.pigeon.config.databaseUrl, (sql) => sql.count("SELECT count(*) FROM messages WHERE direction = 'in'"));
      assert.equal(inbound, 0);
    });

    it('validates the wait condition and times out with 408', async () => {
      const created = await send(h.pigeon, smsBody({ to: ['+15005550013'] }));
      const bad = await call('GET', `/messages/${created.id}/wait?until=forever`);
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body, { type: 'request-validation', description: "'until' must be terminal or callbacks" });
      const early = await call('GET', `/messages/${created.id}/wait?until=terminal&timeout=0.1`);
      assert.equal(early.status, 408);
      assert.equal((early.body as ErrorBody).type, 'timeout');
      const unknown = await call('GET', '/messages/nope/wait');
      assert.equal(unknown.status, 404);
      assert.equal((unknown.body as ErrorBody).type, 'not-found');
    });
  });
}
