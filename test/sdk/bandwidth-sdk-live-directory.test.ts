// A CI run as the README describes it: the test makes its own account user, application (with its
// callback URL) and number through the admin API, sends from it at once with the official
// `bandwidth-sdk`, receives its callback, and deletes what it made.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Configuration, MessagesApi } from 'bandwidth-sdk';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { ACCOUNT_A, RECIPIENT } from '../helpers/fixtures.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

for (const backend of BACKENDS) {
  describe(`bandwidth-sdk with an application and number made through the admin API (${backend})`, () => {
    let pigeon: TestPigeon;
    let receiver: CallbackReceiver;
    before(async () => {
      receiver = await new CallbackReceiver().start();
      pigeon = await startPigeon({ backend });
    });
    after(async () => {
      await pigeon.close();
      await receiver.stop();
    });

    it('sends from the new number at once, calls back the new URL, and is gone after the clean-up', async () => {
      const app = await pigeon.admin<{ id: string }>('POST', '/applications', { accountId: ACCOUNT_A.id, name: 'ci-run', callbackUrl: receiver.url });
      const number = '+19195557777';
      await pigeon.admin('POST', '/numbers', { number, applicationId: app.id });
      await pigeon.admin('POST', `/accounts/${ACCOUNT_A.id}/users`, { username: 'ci-user', password: 'ci-password' });

      const messages = new MessagesApi(new Configuration({ basePath: `${pigeon.url}/api/v2`, username: 'ci-user', password: 'ci-password' }));
      const sent = await messages.createMessage(ACCOUNT_A.id, { applicationId: app.id, from: number, to: new Set([RECIPIENT]), text: 'from CI' });
      assert.equal(sent.status, 202);
      const id = sent.data.id as string;
      await pigeon.waitForMessage(id, 'callbacks');
      const events = receiver.events().filter((e) => e.message.id === id);
      assert.deepEqual(events.map((e) => e.type), ['message-delivered']);

      await pigeon.admin('DELETE', `/numbers/${encodeURIComponent(number)}`);
      await pigeon.admin('DELETE', `/applications/${app.id}`);
      await pigeon.admin('DELETE', `/accounts/${ACCOUNT_A.id}/users/ci-user`);
      await assert.rejects(
        messages.createMessage(ACCOUNT_A.id, { applicationId: app.id, from: number, to: new Set([RECIPIENT]), text: 'after' }),
        (err: { response?: { status?: number } }) => err.response?.status === 401,
      );
      // The message sent before the clean-up stays listable.
      const listed = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages?messageId=${id}`, {
        headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_A.username}:${ACCOUNT_A.password}`).toString('base64')}` },
      });
      assert.equal(((await listed.json()) as { totalCount: number }).totalCount, 1);
    });
  });
}
