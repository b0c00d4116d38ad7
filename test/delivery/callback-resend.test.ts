// A callback resent from the console goes to the application's callback URL as it is now, with its
// credentials as they are now: after the application moved to a new receiver (a restart with a
// changed config), the old receiver gets nothing, neither the resend nor the new credentials. A
// callback still queued at the change follows the application to its new URL, with the new
// credentials (issue 23: a change applies to every callback not yet sent). Resends are limited per
// account. Every storage engine.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, AUTH_B, fixtureConfigYaml } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const OLD_CREDENTIALS = { username: 'old-app', password: 'old-secret' };
const NEW_CREDENTIALS = { username: 'new-app', password: 'new-secret' };
const LIMITS = 'limits: { callbackResendsPerMinute: 3 }\ncallbacks: { retryInitialSeconds: 0.2, retryMaxSeconds: 0.5 }\n';

async function consoleSession(pigeon: TestPigeon, accountId: string, username: string, password: string) {
  const res = await pigeon.fetch('/console/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accountId, username, password }),
  });
  assert.equal(res.status, 201);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '';
  const { csrf } = (await res.json()) as { csrf: string };
  return {
    get: (path: string) => pigeon.fetch(`/console/api${path}`, { headers: { cookie } }),
    post: (path: string) => pigeon.fetch(`/console/api${path}`, { method: 'POST', headers: { cookie, 'x-pigeon-csrf': csrf } }),
  };
}

for (const backend of BACKENDS) {
  describe(`callback resends (${backend})`, () => {
    let database: TestDatabase;
    let dir: string;
    let oldReceiver: CallbackReceiver;
    let newReceiver: CallbackReceiver;
    let bReceiver: CallbackReceiver;
    let pigeon: TestPigeon;
    let messageId: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pigeon-resend-'));
      database = await createTestDatabase(backend, dir);
      oldReceiver = await new CallbackReceiver().start();
      newReceiver = await new CallbackReceiver({ credentials: NEW_CREDENTIALS }).start();
      bReceiver = await new CallbackReceiver().start();
      // Down while the first Pigeon runs: its callback is still queued for the old URL at the restart.
      oldReceiver.status = 503;
      const first = await startPigeon({
        dir,
        databaseUrl: database.url,
        configYaml: fixtureConfigYaml({ callbackUrl: oldReceiver.url, callbackCredentials: OLD_CREDENTIALS, extra: LIMITS }),
      });
      try {
        const res = await first.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
          method: 'POST',
          headers: { authorization: AUTH_A, 'content-type': 'application/json' },
          body: JSON.stringify(smsBody()),
        });
        assert.equal(res.status, 202);
        messageId = String(((await res.json()) as { id: string }).id);
        // waitFor wakes on accepted callbacks only; a refused attempt is polled for.
        for (let i = 0; i < 200 && oldReceiver.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(oldReceiver.requests.length > 0, 'a first attempt at the old URL');
      } finally {
        await first.close();
      }
      oldReceiver.status = 200;
      // The application moved: new URL, new credentials.
      pigeon = await startPigeon({
        dir,
        databaseUrl: database.url,
        configYaml: fixtureConfigYaml({
          callbackUrl: newReceiver.url,
          callbackCredentials: NEW_CREDENTIALS,
          otherCallbackUrl: bReceiver.url,
          extra: LIMITS,
        }),
      });
    });
    after(async () => {
      await pigeon?.close();
      await oldReceiver?.stop();
      await newReceiver?.stop();
      await bReceiver?.stop();
      await database?.drop();
    });

    it('sends a callback still queued at the change to the new URL with the new credentials, and the new credentials never to the old URL', async () => {
      await newReceiver.waitFor(() => newReceiver.eventsFor(messageId).length > 0, 10_000, 'the queued callback at the new URL');
      assert.equal(newReceiver.requests.at(-1)?.authorized, true, 'the new credentials went with it');
      await pigeon.waitForMessage(messageId, 'callbacks');
      const sentToOld = oldReceiver.received.map((r) => r.headers.authorization);
      assert.ok(!sentToOld.includes(`Basic ${Buffer.from(`${NEW_CREDENTIALS.username}:${NEW_CREDENTIALS.password}`).toString('base64')}`), 'the new credentials never went to the old URL');
    });

    it('resends to the current URL with the current credentials, and nothing to the old URL', async () => {
      const oldCount = oldReceiver.requests.length;
      const newCount = newReceiver.eventsFor(messageId).length;
      const session = await consoleSession(pigeon, ACCOUNT_A.id, ACCOUNT_A.username, ACCOUNT_A.password);
      const view = (await (await session.get(`/messages/${messageId}`)).json()) as { callbacks: Array<{ id: number; url: string }> };
      const original = view.callbacks[0];
      assert.equal(original?.url, oldReceiver.url);
      const res = await session.post(`/messages/${messageId}/callbacks/${original?.id}/resend`);
      assert.equal(res.status, 202);
      await newReceiver.waitFor(() => newReceiver.eventsFor(messageId).length > newCount, 10_000, 'the resend at the new URL');
      assert.equal(newReceiver.requests.at(-1)?.authorized, true, 'the new credentials went with it');
      await pigeon.waitForMessage(messageId, 'callbacks');
      assert.equal(oldReceiver.requests.length, oldCount, 'the old URL got nothing');
    });

    it('limits resends per account', async () => {
      const a = await consoleSession(pigeon, ACCOUNT_A.id, ACCOUNT_A.username, ACCOUNT_A.password);
      const view = (await (await a.get(`/messages/${messageId}`)).json()) as { callbacks: Array<{ id: number }> };
      const path = `/messages/${messageId}/callbacks/${view.callbacks[0]?.id}/resend`;
      // The first test used one of the three this minute.
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await a.post(path)).status);
      assert.deepEqual(statuses, [202, 202, 429]);
      // Another account's resends are its own.
      const sent = await pigeon.fetch(`/api/v2/users/${ACCOUNT_B.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_B, 'content-type': 'application/json' },
        body: JSON.stringify(smsBody({ applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number })),
      });
      const bMessage = String(((await sent.json()) as { id: string }).id);
      await pigeon.waitForMessage(bMessage, 'callbacks');
      const b = await consoleSession(pigeon, ACCOUNT_B.id, ACCOUNT_B.username, ACCOUNT_B.password);
      const bView = (await (await b.get(`/messages/${bMessage}`)).json()) as { callbacks: Array<{ id: number }> };
      assert.equal((await b.post(`/messages/${bMessage}/callbacks/${bView.callbacks[0]?.id}/resend`)).status, 202);
      // And A's message is not B's to resend.
      assert.equal((await b.post(path)).status, 404);
    });
  });
}
