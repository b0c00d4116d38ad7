// OAuth2 client credentials, as Bandwidth offers them: POST /api/v1/oauth2/token with an API user's
// credentials (HTTP Basic or form fields) returns a bearer token, which the messaging and media API
// accept with the same account isolation and roles as Basic Auth. Tokens expire, die with their
// signing key and with their user, and cannot be altered; bad grants and bad clients get OAuth2
// error bodies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { configPasswordSalt } from '../../src/core/accounts/provisioning.js';
import { hashPassword } from '../../src/core/accounts/passwords.js';
import { AccessTokens } from '../../src/http/oauth2/access-tokens.js';
import { ACCOUNT_A, ACCOUNT_B, basic, fixtureConfigYaml } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

/** The hash Pigeon makes of a password given in plain text in the config (stable per user). */
const configHash = (accountId: string, username: string, password: string) =>
  hashPassword(password, undefined, configPasswordSalt(accountId, username));

const KEY = 'oauth2-signing-key-0123456789abcdef0123';
const OTHER_KEY = 'another-signing-key-0123456789abcdef012';
const config = (key: string, extra = '') => fixtureConfigYaml({ extra: `oauth2: { signingKey: ${key} }\n${extra}` });

export async function requestToken(
  pigeon: TestPigeon,
  form: Record<string, string>,
  authorization?: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await pigeon.fetch('/api/v1/oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization && { authorization }) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function tokenFor(pigeon: TestPigeon, username: string, password: string): Promise<string> {
  const res = await requestToken(pigeon, { grant_type: 'client_credentials' }, basic(username, password));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return String(res.body.access_token);
}

function send(pigeon: TestPigeon, token: string, accountId: string = ACCOUNT_A.id): Promise<Response> {
  return pigeon.fetch(`/api/v2/users/${accountId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(accountId === ACCOUNT_B.id ? smsBody({ applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number }) : smsBody()),
  });
}

async function assertInvalidToken(res: Response): Promise<void> {
  assert.equal(res.status, 401);
  // The same 401 as bad Basic credentials.
  assert.equal(res.headers.get('www-authenticate'), 'Basic realm="pigeon"');
  assert.deepEqual(await res.json(), { type: 'unauthorized', description: 'Authentication Failed' });
}

for (const backend of BACKENDS) {
  describe(`OAuth2 client credentials (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: config(KEY) });
    });
    after(() => pigeon.close());

    it('issues a bearer token for Basic credentials, and for form fields', async () => {
      const viaBasic = await requestToken(pigeon, { grant_type: 'client_credentials' }, basic(ACCOUNT_A.username, ACCOUNT_A.password));
      assert.equal(viaBasic.status, 200, JSON.stringify(viaBasic.body));
      assert.deepEqual(Object.keys(viaBasic.body).sort(), ['access_token', 'expires_in', 'token_type']);
      assert.equal(viaBasic.body.token_type, 'Bearer');
      assert.equal(viaBasic.body.expires_in, 3600);
      assert.match(String(viaBasic.body.access_token), /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.equal(viaBasic.headers.get('cache-control'), 'no-store');
      const viaForm = await requestToken(pigeon, {
        grant_type: 'client_credentials',
        client_id: ACCOUNT_A.username,
        client_secret: ACCOUNT_A.password,
      });
      assert.equal(viaForm.status, 200, JSON.stringify(viaForm.body));
      assert.notEqual(viaForm.body.access_token, viaBasic.body.access_token);
    });

    it('answers bad clients and bad grants with OAuth2 errors', async () => {
      const good = basic(ACCOUNT_A.username, ACCOUNT_A.password);
      const cases: Array<[string, Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>, number, string]> = [
        ['wrong password', requestToken(pigeon, { grant_type: 'client_credentials' }, basic(ACCOUNT_A.username, 'wrong')), 401, 'invalid_client'],
        ['unknown user', requestToken(pigeon, { grant_type: 'client_credentials' }, basic('nobody', 'x')), 401, 'invalid_client'],
        ['no credentials', requestToken(pigeon, { grant_type: 'client_credentials' }), 401, 'invalid_client'],
        ['a bearer header', requestToken(pigeon, { grant_type: 'client_credentials' }, 'Bearer abc'), 401, 'invalid_client'],
        ['both ways', requestToken(pigeon, { grant_type: 'client_credentials', client_id: 'a', client_secret: 'b' }, good), 400, 'invalid_request'],
        ['password grant', requestToken(pigeon, { grant_type: 'password', username: 'a', password: 'b' }, good), 400, 'unsupported_grant_type'],
        ['no grant', requestToken(pigeon, {}, good), 400, 'invalid_request'],
      ];
      for (const [what, answer, status, error] of cases) {
        const { status: got, body, headers } = await answer;
        assert.equal(got, status, `${what}: ${JSON.stringify(body)}`);
        assert.equal(body.error, error, what);
        assert.equal(typeof body.error_description, 'string', what);
        assert.equal(headers.get('cache-control'), 'no-store', what);
        if (status === 401) assert.equal(headers.get('www-authenticate'), 'Basic realm="pigeon"', what);
      }
      // A JSON body, and a parameter given twice, are not a token request.
      const json = await pigeon.fetch('/api/v1/oauth2/token', {
        method: 'POST',
        headers: { authorization: good, 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      assert.equal(json.status, 400);
      assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
      const twice = await pigeon.fetch('/api/v1/oauth2/token', {
        method: 'POST',
        headers: { authorization: good, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&grant_type=client_credentials',
      });
      assert.equal(twice.status, 400);
      assert.deepEqual(await twice.json(), { error: 'invalid_request', error_description: 'parameter grant_type is repeated' });
    });

    it('accepts the token for its own account, on messages and media, and nowhere else', async () => {
      const token = await tokenFor(pigeon, ACCOUNT_A.username, ACCOUNT_A.password);
      const accepted = await send(pigeon, token);
      assert.equal(accepted.status, 202, await accepted.clone().text());
      const list = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(list.status, 200);
      const upload = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/oauth.txt`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
        body: 'hello',
      });
      assert.equal(upload.status, 204, await upload.text());
      // Another account's path: the same 401 as wrong credentials.
      await assertInvalidToken(await send(pigeon, token, ACCOUNT_B.id));
      // Account B's user gets a token for B only.
      const other = await tokenFor(pigeon, ACCOUNT_B.username, ACCOUNT_B.password);
      assert.equal((await send(pigeon, other, ACCOUNT_B.id)).status, 202);
      await assertInvalidToken(await send(pigeon, other, ACCOUNT_A.id));
    });

    it('applies the roles of Basic Auth: a user without the messaging role gets 403', async () => {
      const token = await tokenFor(pigeon, ACCOUNT_A.noRoleUser, ACCOUNT_A.noRolePassword);
      const res = await send(pigeon, token);
      assert.equal(res.status, 403);
      assert.deepEqual(await res.json(), { type: 'forbidden', description: 'Access Denied' });
    });

    it('refuses a token that was altered, expired, unsigned or signed with another key', async () => {
      const token = await tokenFor(pigeon, ACCOUNT_A.username, ACCOUNT_A.password);
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forged = Buffer.from(JSON.stringify({ ...claims, acc: [ACCOUNT_A.id, ACCOUNT_B.id] })).toString('base64url');
      await assertInvalidToken(await send(pigeon, `${header}.${forged}.${signature}`, ACCOUNT_B.id));
      const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
      await assertInvalidToken(await send(pigeon, `${header}.${payload}.${flipped}`));
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      await assertInvalidToken(await send(pigeon, `${none}.${payload}.`));
      await assertInvalidToken(await send(pigeon, 'not-a-token'));
      // Signed with the right key, but issued two hours ago with an hour to live.
      const userA = [{ id: ACCOUNT_A.id, passwordHash: await configHash(ACCOUNT_A.id, ACCOUNT_A.username, ACCOUNT_A.password) }];
      const twoHoursAgo = new AccessTokens(KEY, 3_600_000, () => Date.now() - 7_200_000).issue(ACCOUNT_A.username, userA);
      await assertInvalidToken(await send(pigeon, twoHoursAgo.token));
      const otherKey = new AccessTokens(OTHER_KEY, 3_600_000, () => Date.now()).issue(ACCOUNT_A.username, userA);
      await assertInvalidToken(await send(pigeon, otherKey.token));
      // The same key makes the same token good: another process with the key accepts it.
      const sameKey = new AccessTokens(KEY, 3_600_000, () => Date.now()).issue(ACCOUNT_A.username, userA);
      assert.equal((await send(pigeon, sameKey.token)).status, 202);
      // The same key and claims, but issued under another password of the user.
      const oldPassword = [{ id: ACCOUNT_A.id, passwordHash: await configHash(ACCOUNT_A.id, ACCOUNT_A.username, 'an-old-password') }];
      const stale = new AccessTokens(KEY, 3_600_000, () => Date.now()).issue(ACCOUNT_A.username, oldPassword);
      await assertInvalidToken(await send(pigeon, stale.token));
      // A token without password fingerprints (as issued before they existed) is refused.
      const bare = Buffer.from(JSON.stringify({ ...claims, pwf: undefined })).toString('base64url');
      const resigned = createHmac('sha256', KEY).update(`${header}.${bare}`).digest('base64url');
      await assertInvalidToken(await send(pigeon, `${header}.${bare}.${resigned}`));
    });
  });
}

describe('OAuth2 tokens across a restart', () => {
  it('survive a restart with the same key, not a changed key, a changed password nor the removal of their user', async () => {
    const first = await startPigeon({ configYaml: config(KEY) });
    let token: string;
    try {
      token = await tokenFor(first, ACCOUNT_A.username, ACCOUNT_A.password);
    } finally {
      await first.close();
    }
    const sameKey = await startPigeon({ configYaml: config(KEY) });
    try {
      assert.equal((await send(sameKey, token)).status, 202);
    } finally {
      await sameKey.close();
    }
    const changedKey = await startPigeon({ configYaml: config(OTHER_KEY) });
    try {
      await assertInvalidToken(await send(changedKey, token));
    } finally {
      await changedKey.close();
    }
    // The same key, but the user's password changed in the config.
    const changedPassword = config(KEY).replace(
      `{ username: ${ACCOUNT_A.username}, password: ${ACCOUNT_A.password} }`,
      `{ username: ${ACCOUNT_A.username}, password: ${ACCOUNT_A.password}-changed }`,
    );
    assert.notEqual(changedPassword, config(KEY));
    const changed = await startPigeon({ configYaml: changedPassword });
    try {
      await assertInvalidToken(await send(changed, token));
      assert.equal((await requestToken(changed, { grant_type: 'client_credentials' }, basic(ACCOUNT_A.username, `${ACCOUNT_A.password}-changed`))).status, 200);
    } finally {
      await changed.close();
    }
    // The same key, but the user is gone from the config (account A keeps only its other user).
    const withoutUser = fixtureConfigYaml({ extra: `oauth2: { signingKey: ${KEY} }` }).replace(
      `      - { username: ${ACCOUNT_A.username}, password: ${ACCOUNT_A.password} }\n`,
      '',
    );
    assert.ok(!withoutUser.includes(`username: ${ACCOUNT_A.username},`));
    const removed = await startPigeon({ configYaml: withoutUser });
    try {
      await assertInvalidToken(await send(removed, token));
    } finally {
      await removed.close();
    }
  });
});
