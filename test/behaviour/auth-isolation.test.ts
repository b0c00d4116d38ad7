// Authentication on every endpoint under every mount point (reference 0.1, 0.2), and isolation
// between accounts. A hole in either is a data leak, so every endpoint × prefix × credential
// combination is its own test, and refused requests are checked for side effects too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, AUTH_B, basic, fixtureConfigYaml, RECIPIENT } from '../helpers/fixtures.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const PREFIXES = ['/api/v2', '', '/v2'] as const;
const UNKNOWN_ACCOUNT = '1234567';
const PROBE_MEDIA = 'auth-probe.txt';
const PROBE_BYTES = 'original bytes';

interface Endpoint {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: (accountId: string) => string;
  body?: () => { contentType: string; payload: string };
  /** Status of the same request with A's valid credentials. */
  okStatus: number;
}

const ENDPOINTS: Endpoint[] = [
  {
    name: 'POST messages',
    method: 'POST',
    path: (id) => `/users/${id}/messages`,
    body: () => ({
      contentType: 'application/json',
      payload: JSON.stringify({ applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, to: [RECIPIENT], text: 'refused?' }),
    }),
    okStatus: 202,
  },
  { name: 'GET messages', method: 'GET', path: (id) => `/users/${id}/messages`, okStatus: 200 },
  {
    name: 'PUT media/{id}',
    method: 'PUT',
    path: (id) => `/users/${id}/media/${PROBE_MEDIA}`,
    body: () => ({ contentType: 'text/plain', payload: 'overwritten by an intruder' }),
    okStatus: 204,
  },
  { name: 'GET media/{id}', method: 'GET', path: (id) => `/users/${id}/media/${PROBE_MEDIA}`, okStatus: 200 },
  { name: 'DELETE media/{id}', method: 'DELETE', path: (id) => `/users/${id}/media/${PROBE_MEDIA}`, okStatus: 204 },
  { name: 'GET media', method: 'GET', path: (id) => `/users/${id}/media`, okStatus: 200 },
];

interface Credentials {
  name: string;
  authorization: string | undefined;
  accountId: string;
  status: 401 | 403;
}

const CREDENTIALS: Credentials[] = [
  { name: 'no Authorization header', authorization: undefined, accountId: ACCOUNT_A.id, status: 401 },
  { name: 'wrong password', authorization: basic(ACCOUNT_A.username, 'not-the-password'), accountId: ACCOUNT_A.id, status: 401 },
  { name: 'unknown username', authorization: basic('nobody', ACCOUNT_A.password), accountId: ACCOUNT_A.id, status: 401 },
  { name: "'Bearer x'", authorization: 'Bearer x', accountId: ACCOUNT_A.id, status: 401 },
  { name: "'Basic !!!'", authorization: 'Basic !!!', accountId: ACCOUNT_A.id, status: 401 },
  { name: "'Basic ' alone", authorization: 'Basic ', accountId: ACCOUNT_A.id, status: 401 },
  {
    name: 'Basic without a colon in the decoded value',
    authorization: `Basic ${Buffer.from('nocolon').toString('base64')}`,
    accountId: ACCOUNT_A.id,
    status: 401,
  },
  {
    name: "A's credentials in a non-Basic scheme",
    authorization: `Digest ${Buffer.from(`${ACCOUNT_A.username}:${ACCOUNT_A.password}`).toString('base64')}`,
    accountId: ACCOUNT_A.id,
    status: 401,
  },
  { name: "B's valid credentials on A's path", authorization: AUTH_B, accountId: ACCOUNT_A.id, status: 401 },
  { name: "A's valid credentials on an unknown account", authorization: AUTH_A, accountId: UNKNOWN_ACCOUNT, status: 401 },
  {
    name: 'user without the messaging role',
    authorization: basic(ACCOUNT_A.noRoleUser, ACCOUNT_A.noRolePassword),
    accountId: ACCOUNT_A.id,
    status: 403,
  },
];

async function call(
  pigeon: TestPigeon,
  method: string,
  path: string,
  authorization: string | undefined,
  body?: { contentType: string; payload: string },
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (body) headers['content-type'] = body.contentType;
  return pigeon.fetch(path, { method, headers, body: body?.payload, signal: AbortSignal.timeout(10_000) });
}

/** Asserts the status and returns the body text, so a failure shows what the server said. */
async function expectStatus(res: Response, status: number): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 500));
  return text;
}

async function putMedia(pigeon: TestPigeon, auth: string, accountId: string, name: string, bytes: string): Promise<void> {
  const res = await call(pigeon, 'PUT', `/api/v2/users/${accountId}/media/${name}`, auth, { contentType: 'text/plain', payload: bytes });
  await expectStatus(res, 204);
}

async function send(pigeon: TestPigeon, auth: string, accountId: string, body: Record<string, unknown>): Promise<Response> {
  return call(pigeon, 'POST', `/api/v2/users/${accountId}/messages`, auth, {
    contentType: 'application/json',
    payload: JSON.stringify(body),
  });
}

interface ListPage {
  totalCount: number;
  messages: Array<{ messageId: string; accountId: string; sourceTn: string }>;
}

async function list(pigeon: TestPigeon, auth: string, accountId: string, query = ''): Promise<ListPage> {
  const res = await call(pigeon, 'GET', `/api/v2/users/${accountId}/messages${query}`, auth);
  return JSON.parse(await expectStatus(res, 200)) as ListPage;
}

const smsFromA = { applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, to: [RECIPIENT], text: 'from A' };
const smsFromB = { applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number, to: [RECIPIENT], text: 'from B' };

const MATRIX_LIMITS = 'limits: { failedSignInsPerCredentialAndClient: 100000, failedSignInsPerClient: 100000, failedSignInsPerCredential: 100000 }\n';

for (const backend of BACKENDS) {
  describe(`authentication on every endpoint (${backend})`, () => {
    let pigeon: TestPigeon;
    let messagesBefore: number;
    before(async () => {
      // The matrix fails hundreds of times from one client on purpose: the failed sign-in limits
      // (tested in sign-in-limits.test.ts) are raised past it.
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml({ extra: MATRIX_LIMITS }) });
      await putMedia(pigeon, AUTH_A, ACCOUNT_A.id, PROBE_MEDIA, PROBE_BYTES);
      messagesBefore = (await list(pigeon, AUTH_A, ACCOUNT_A.id)).totalCount;
    });
    after(() => pigeon.close());

    // Failed checks are deliberately slow (scrypt, never cached); running them side by side on
    // libuv's four threads keeps the matrix fast. Refusals have no side effects, so order is free.
    describe('credentials matrix', { concurrency: 4 }, () => {
      for (const prefix of PREFIXES) {
        for (const endpoint of ENDPOINTS) {
          for (const cred of CREDENTIALS) {
            it(`${endpoint.name} under '${prefix}': ${cred.name} → ${cred.status}`, async () => {
              const res = await call(pigeon, endpoint.method, `${prefix}${endpoint.path(cred.accountId)}`, cred.authorization, endpoint.body?.());
              const text = await expectStatus(res, cred.status);
              assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
              const expected =
                cred.status === 401
                  ? { type: 'unauthorized', description: 'Authentication Failed' }
                  : { type: 'forbidden', description: 'Access Denied' };
              // Exactly these two keys: nothing about which accounts or users exist.
              assert.deepEqual(JSON.parse(text), expected);
              if (cred.status === 401) {
                assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]*"$/, 'a 401 names its scheme');
              } else {
                assert.equal(res.headers.get('www-authenticate'), null, 'a 403 is not a credentials problem');
              }
            });
          }
        }
      }
    });

    it('refused requests changed nothing: the probe media and the message count are intact', async () => {
      const media = await call(pigeon, 'GET', `/api/v2/users/${ACCOUNT_A.id}/media/${PROBE_MEDIA}`, AUTH_A);
      assert.equal(await expectStatus(media, 200), PROBE_BYTES);
      assert.equal((await list(pigeon, AUTH_A, ACCOUNT_A.id)).totalCount, messagesBefore);
    });

    // Positive controls run last because they overwrite and delete the probe media.
    for (const prefix of PREFIXES) {
      it(`A's own credentials pass every endpoint under '${prefix}'`, async () => {
        await putMedia(pigeon, AUTH_A, ACCOUNT_A.id, PROBE_MEDIA, PROBE_BYTES);
        for (const endpoint of ENDPOINTS) {
          const res = await call(pigeon, endpoint.method, `${prefix}${endpoint.path(ACCOUNT_A.id)}`, AUTH_A, endpoint.body?.());
          await expectStatus(res, endpoint.okStatus);
        }
      });
    }
  });

  describe(`isolation between accounts (${backend})`, () => {
    let pigeon: TestPigeon;
    const aMessageIds: string[] = [];
    let aMediaUrl: string;
    before(async () => {
      pigeon = await startPigeon({ backend });
      await putMedia(pigeon, AUTH_A, ACCOUNT_A.id, 'a-only.png', 'A private bytes');
      await putMedia(pigeon, AUTH_A, ACCOUNT_A.id, 'shared-name.txt', 'A version');
      aMediaUrl = `${pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/a-only.png`;
      for (const body of [smsFromA, { ...smsFromA, text: undefined, media: [aMediaUrl] }]) {
        const res = await send(pigeon, AUTH_A, ACCOUNT_A.id, body);
        aMessageIds.push((JSON.parse(await expectStatus(res, 202)) as { id: string }).id);
      }
    });
    after(() => pigeon.close());

    it("B's list shows none of A's messages, whatever the filter", async () => {
      assert.equal((await list(pigeon, AUTH_B, ACCOUNT_B.id)).totalCount, 0);
      for (const id of aMessageIds) {
        assert.equal((await list(pigeon, AUTH_B, ACCOUNT_B.id, `?messageId=${id}`)).totalCount, 0);
      }
      const bySource = await list(pigeon, AUTH_B, ACCOUNT_B.id, `?sourceTn=${encodeURIComponent(ACCOUNT_A.number)}`);
      assert.equal(bySource.totalCount, 0);
      // A sees its own, proving the filters above would have matched.
      assert.equal((await list(pigeon, AUTH_A, ACCOUNT_A.id, `?messageId=${aMessageIds[0]}`)).totalCount, 1);
    });

    it("B cannot read or delete A's media by name: B's path is B's namespace", async () => {
      for (const prefix of PREFIXES) {
        const get = await call(pigeon, 'GET', `${prefix}/users/${ACCOUNT_B.id}/media/a-only.png`, AUTH_B);
        assert.equal((JSON.parse(await expectStatus(get, 404)) as { type: string }).type, 'not-found');
        const del = await call(pigeon, 'DELETE', `${prefix}/users/${ACCOUNT_B.id}/media/a-only.png`, AUTH_B);
        assert.equal((JSON.parse(await expectStatus(del, 404)) as { type: string }).type, 'not-found');
      }
      const still = await call(pigeon, 'GET', `/api/v2/users/${ACCOUNT_A.id}/media/a-only.png`, AUTH_A);
      assert.equal(await expectStatus(still, 200), 'A private bytes');
    });

    it("B's media list does not include A's files", async () => {
      const res = await call(pigeon, 'GET', `/api/v2/users/${ACCOUNT_B.id}/media`, AUTH_B);
      assert.deepEqual(JSON.parse(await expectStatus(res, 200)), []);
    });

    it('the same media name in both accounts names two separate files', async () => {
      await putMedia(pigeon, AUTH_B, ACCOUNT_B.id, 'shared-name.txt', 'B version');
      const a = await call(pigeon, 'GET', `/api/v2/users/${ACCOUNT_A.id}/media/shared-name.txt`, AUTH_A);
      assert.equal(await expectStatus(a, 200), 'A version');
      const b = await call(pigeon, 'GET', `/api/v2/users/${ACCOUNT_B.id}/media/shared-name.txt`, AUTH_B);
      assert.equal(await expectStatus(b, 200), 'B version');
      const del = await call(pigeon, 'DELETE', `/api/v2/users/${ACCOUNT_B.id}/media/shared-name.txt`, AUTH_B);
      await expectStatus(del, 204);
      const aStill = await call(pigeon, 'GET', `/api/v2/users/${ACCOUNT_A.id}/media/shared-name.txt`, AUTH_A);
      assert.equal(await expectStatus(aStill, 200), 'A version');
    });

    it('a message B sends is invisible to A', async () => {
      const res = await send(pigeon, AUTH_B, ACCOUNT_B.id, smsFromB);
      const bId = (JSON.parse(await expectStatus(res, 202)) as { id: string }).id;
      assert.equal((await list(pigeon, AUTH_A, ACCOUNT_A.id, `?messageId=${bId}`)).totalCount, 0);
      const bySource = await list(pigeon, AUTH_A, ACCOUNT_A.id, `?sourceTn=${encodeURIComponent(ACCOUNT_B.number)}`);
      assert.equal(bySource.totalCount, 0);
      const all = await list(pigeon, AUTH_A, ACCOUNT_A.id);
      assert.equal(all.totalCount, aMessageIds.length);
      assert.ok(all.messages.every((m) => m.accountId === ACCOUNT_A.id && aMessageIds.includes(m.messageId)));
      const bOwn = await list(pigeon, AUTH_B, ACCOUNT_B.id);
      assert.deepEqual(
        bOwn.messages.map((m) => [m.messageId, m.accountId]),
        [[bId, ACCOUNT_B.id]],
      );
    });

    it("A cannot send B's media, and cannot tell it from media that does not exist", async () => {
      await putMedia(pigeon, AUTH_B, ACCOUNT_B.id, 'b-secret.png', 'B private bytes');
      const existing = `${pigeon.url}/api/v2/users/${ACCOUNT_B.id}/media/b-secret.png`;
      const missing = `${pigeon.url}/api/v2/users/${ACCOUNT_B.id}/media/b-nothing.png`;
      const missingInA = `${pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/a-nothing.png`;
      const answers: string[] = [];
      for (const url of [existing, missing, missingInA]) {
        const res = await send(pigeon, AUTH_A, ACCOUNT_A.id, { ...smsFromA, media: [url] });
        const body = JSON.parse(await expectStatus(res, 400)) as {
          type: string;
          description: string;
          fieldErrors: Array<{ fieldName: string; description: string }>;
        };
        assert.equal(body.type, 'request-validation');
        assert.equal(body.fieldErrors.length, 1);
        assert.equal(body.fieldErrors[0]?.fieldName, 'media');
        // The URL is echoed back; everything else must be word for word the same.
        answers.push(JSON.stringify(body).split(url).join('<url>'));
      }
      assert.equal(answers[0], answers[1], 'existing foreign media is distinguishable from missing media');
      assert.equal(answers[0], answers[2], 'foreign media is reported differently from missing own media');
      const ok = await send(pigeon, AUTH_A, ACCOUNT_A.id, { ...smsFromA, media: [aMediaUrl] });
      await expectStatus(ok, 202);
    });

    it("B's media is reported the same under every prefix and URL spelling", async () => {
      const spellings = [
        `${pigeon.url}/users/${ACCOUNT_B.id}/media/b-secret.png`,
        `${pigeon.url}/v2/users/${ACCOUNT_B.id}/media/b-secret.png`,
        `${pigeon.url}/api/v2/users/${ACCOUNT_B.id}/media/b%2Dsecret.png`,
      ];
      for (const url of spellings) {
        const res = await send(pigeon, AUTH_A, ACCOUNT_A.id, { ...smsFromA, media: [url] });
        const body = JSON.parse(await expectStatus(res, 400)) as { fieldErrors: Array<{ fieldName: string; description: string }> };
        assert.deepEqual(body.fieldErrors, [{ fieldName: 'media', description: `'${url}' does not name media stored for this account` }]);
      }
    });
  });
}
