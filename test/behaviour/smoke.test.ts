import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, AUTH_A, RECIPIENT } from '../helpers/fixtures.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

for (const backend of BACKENDS) {
  describe(`send and list (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({ backend });
    });
    after(() => pigeon.close());

    it('accepts an SMS with 202 and lists it back', async () => {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json' },
        body: JSON.stringify({ applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, to: RECIPIENT, text: 'hi' }),
      });
      assert.equal(res.status, 202);
      const body = (await res.json()) as Record<string, unknown>;
      assert.match(String(body.id), /^\d{13}[a-z0-9]{16}$/);
      assert.deepEqual(body.to, [RECIPIENT]);
      const list = await pigeon.fetch(`/users/${ACCOUNT_A.id}/messages?messageId=${String(body.id)}`, {
        headers: { authorization: AUTH_A },
      });
      assert.equal(list.status, 200);
      const page = (await list.json()) as { totalCount: number; messages: Array<{ messageId: string }> };
      assert.equal(page.totalCount, 1);
      assert.equal(page.messages[0]?.messageId, body.id);
    });
  });
}
