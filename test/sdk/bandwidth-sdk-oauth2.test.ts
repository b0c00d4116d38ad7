// The official `bandwidth-sdk` (v8) given an OAuth2 access token from Pigeon's token endpoint
// through its `accessToken` option: it sends `Authorization: Bearer`, and the messaging and media
// calls work as with Basic Auth, for the token's own account only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Configuration, MediaApi, MessagesApi, type MessageRequest } from 'bandwidth-sdk';
import { ACCOUNT_A, ACCOUNT_B, basic, fixtureConfigYaml, RECIPIENT } from '../helpers/fixtures.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

/** axios rejects non-2xx answers; the status and body are on `error.response`. */
async function rejectsWithStatus(promise: Promise<unknown>, status: number): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    const response = (err as { response?: { status?: number; data?: unknown } }).response;
    assert.equal(response?.status, status, JSON.stringify(response?.data));
    return response?.data;
  }
  assert.fail(`expected HTTP ${status}`);
}

for (const backend of BACKENDS) {
  describe(`bandwidth-sdk with an OAuth2 access token (${backend})`, () => {
    let pigeon: TestPigeon;
    let accessToken: string;
    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml({ extra: 'oauth2: { signingKey: sdk-signing-key-0123456789abcdef0123 }' }) });
      const res = await pigeon.fetch('/api/v1/oauth2/token', {
        method: 'POST',
        headers: { authorization: basic(ACCOUNT_A.username, ACCOUNT_A.password), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      assert.equal(res.status, 200);
      accessToken = ((await res.json()) as { access_token: string }).access_token;
    });
    after(() => pigeon.close());

    it('sends, lists and uploads media with the token', async () => {
      const config = new Configuration({ basePath: `${pigeon.url}/api/v2`, accessToken });
      const messages = new MessagesApi(config);
      const request: MessageRequest = { applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, to: new Set([RECIPIENT]), text: 'via OAuth2' };
      const sent = await messages.createMessage(ACCOUNT_A.id, request);
      assert.equal(sent.status, 202);
      assert.equal(sent.config.headers.Authorization, `Bearer ${accessToken}`);
      const listed = await messages.listMessages(ACCOUNT_A.id, sent.data.id);
      assert.equal(listed.status, 200);
      assert.equal(listed.data.totalCount, 1);
      const media = new MediaApi(config);
      const upload = await media.uploadMedia(ACCOUNT_A.id, 'oauth-sdk.txt', Buffer.from('hello') as unknown as Parameters<MediaApi['uploadMedia']>[2], 'text/plain');
      assert.equal(upload.status, 204);
    });

    it("is refused for another account's path, and once the token is altered", async () => {
      const messages = new MessagesApi(new Configuration({ basePath: `${pigeon.url}/api/v2`, accessToken }));
      const request: MessageRequest = { applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number, to: new Set([RECIPIENT]), text: 'x' };
      assert.deepEqual(await rejectsWithStatus(messages.createMessage(ACCOUNT_B.id, request), 401), {
        type: 'unauthorized',
        description: 'Authentication Failed',
      });
      const altered = new MessagesApi(new Configuration({ basePath: `${pigeon.url}/api/v2`, accessToken: `${accessToken}x` }));
      await rejectsWithStatus(altered.createMessage(ACCOUNT_A.id, { ...request, applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number }), 401);
    });
  });
}
