import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, AUTH_A, RECIPIENT, RECIPIENT_2 } from '../helpers/fixtures.js';
import { assertNoNulls, getJson, postMessage, smsBody } from '../helpers/http.js';
import { openStore } from '../../src/store/open-store.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { assertMatchesResponse } from '../sdk/openapi.js';

interface ListPage {
  totalCount: number;
  messages: Array<Record<string, unknown>>;
}

for (const backend of BACKENDS) {
  describe(`POST …/messages semantics (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      // API role only: the queue entries written with each message stay where the test can see them.
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' } });
    });
    after(() => pigeon.close());

    const records = async (id: unknown) =>
      (await getJson<ListPage>(pigeon, `/api/v2/users/${ACCOUNT_A.id}/messages?messageId=${String(id)}&sort=destinationTn:asc`)).body;

    it('answers an SMS with the full Message body, in Bandwidth field order, without nulls', async () => {
      const { status, body } = await postMessage(pigeon, smsBody({ tag: 'order-1234' }));
      assert.equal(status, 202);
      assert.deepEqual(Object.keys(body), ['id', 'owner', 'applicationId', 'time', 'segmentCount', 'direction', 'to', 'from', 'text', 'tag', 'priority']);
      assertNoNulls(body);
      assert.equal(body.owner, ACCOUNT_A.number);
      assert.equal(body.direction, 'out');
      assert.equal(body.priority, 'default');
      assert.match(String(body.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      // The id's 13-digit prefix is the creation time in epoch milliseconds.
      assert.equal(Number(String(body.id).slice(0, 13)), Date.parse(String(body.time)));
    });

    it('omits optional fields that were not supplied and echoes those that were', async () => {
      const plain = await postMessage(pigeon, smsBody());
      for (const key of ['media', 'tag', 'expiration']) assert.equal(key in plain.body, false, key);
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      const full = await postMessage(pigeon, smsBody({ priority: 'high', expiration, tag: 't', media: ['https://example.test/a.jpg'] }));
      assert.equal(full.status, 202);
      assert.equal(full.body.priority, 'high');
      assert.equal(full.body.expiration, expiration);
      assert.deepEqual(full.body.media, ['https://example.test/a.jpg']);
    });

    it('counts SMS segments: GSM-7 160/161, extension characters, UCS-2 and emoji', async () => {
      const cases: Array<[string, number]> = [
        ['a'.repeat(160), 1],
        ['a'.repeat(161), 2],
        ['{'.repeat(81), 2],
        ['ä'.repeat(70) + 'ç', 2],
        ['😀' + 'a'.repeat(68), 1],
        ['😀' + 'a'.repeat(69), 2],
        ['x'.repeat(2048), 14],
      ];
      for (const [text, segments] of cases) {
        const { body } = await postMessage(pigeon, smsBody({ text }));
        assert.equal(body.segmentCount, segments, `${text.slice(0, 10)}… (${text.length})`);
      }
    });

    it('treats media as MMS whatever the length, and several recipients as a group MMS', async () => {
      const mms = await postMessage(pigeon, smsBody({ text: 'a'.repeat(500), media: ['https://example.test/a.jpg', 'https://example.test/b.jpg'] }));
      assert.equal(mms.body.segmentCount, 1);
      const mmsRecords = await records(mms.body.id);
      assert.equal(mmsRecords.messages[0]?.messageType, 'mms');
      assert.equal(mmsRecords.messages[0]?.attachmentCount, 2);

      const group = await postMessage(pigeon, smsBody({ to: [RECIPIENT, RECIPIENT_2], text: 'a'.repeat(300) }));
      assert.equal(group.status, 202);
      assert.equal(group.body.segmentCount, 1);
      assert.deepEqual(group.body.to, [RECIPIENT, RECIPIENT_2]);
      const groupRecords = await records(group.body.id);
      assert.equal(groupRecords.totalCount, 2);
      assert.deepEqual(groupRecords.messages.map((m) => m.destinationTn), [RECIPIENT_2, RECIPIENT]);
      for (const m of groupRecords.messages) {
        assert.equal(m.messageType, 'mms');
        assert.equal(m.recipientCount, 2);
        assert.equal(m.messageStatus, 'QUEUED');
        assert.equal(m.errorCode, 0);
      }
    });

    it('accepts `to` as a bare string and de-duplicates recipients keeping the first occurrence', async () => {
      const single = await postMessage(pigeon, smsBody({ to: RECIPIENT }));
      assert.deepEqual(single.body.to, [RECIPIENT]);
      const dup = await postMessage(pigeon, smsBody({ to: [RECIPIENT_2, RECIPIENT, RECIPIENT_2] }));
      assert.deepEqual(dup.body.to, [RECIPIENT_2, RECIPIENT]);
    });

    it('ignores unknown properties and accepts JSON with a charset', async () => {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(smsBody({ somethingNew: { nested: true } })),
      });
      assert.equal(res.status, 202);
      assert.equal('somethingNew' in ((await res.json()) as object), false);
    });

    it('serves the same API at /api/v2, at the root and at the Catapult /v2 path, as bandwidth.yml declares it', async () => {
      for (const prefix of ['/api/v2', '', '/v2']) {
        const { status, body } = await postMessage(pigeon, smsBody({ to: [RECIPIENT, RECIPIENT_2] }), { prefix });
        assert.equal(status, 202, prefix);
        assertMatchesResponse('createMessage', 202, body);
        assert.deepEqual(body.to, [RECIPIENT, RECIPIENT_2]);
        assert.equal(body.segmentCount, 1);
        const list = await getJson(pigeon, `${prefix}/users/${ACCOUNT_A.id}/messages?messageId=${String(body.id)}`);
        assert.equal(list.status, 200, prefix);
        assertMatchesResponse('listMessages', 200, list.body);
        assert.equal(list.body.totalCount, 2);
      }
    });

    it('sends from a second application of the same account (toll-free product)', async () => {
      const { status, body } = await postMessage(pigeon, smsBody({ applicationId: ACCOUNT_A.otherApplicationId, from: ACCOUNT_A.tollFreeNumber }));
      assert.equal(status, 202);
      assert.equal((await records(body.id)).messages[0]?.product, 'TOLL_FREE');
    });

    it('lets an MMS point at media stored in Pigeon, and refuses missing media', async () => {
      const put = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/cards/birthday.png`, {
        method: 'PUT',
        headers: { authorization: AUTH_A, 'content-type': 'image/png' },
        body: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
      });
      assert.equal(put.status, 204);
      const stored = `${pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/cards/birthday.png`;
      const ok = await postMessage(pigeon, smsBody({ media: [stored] }));
      assert.equal(ok.status, 202);
      const encoded = `${pigeon.url}/users/${ACCOUNT_A.id}/media/cards%2Fbirthday.png`;
      assert.equal((await postMessage(pigeon, smsBody({ media: [encoded] }))).status, 202);
      const missing = await postMessage(pigeon, smsBody({ media: [`${pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/nope.png`] }));
      assert.equal(missing.status, 400);
      assert.deepEqual((missing.body.fieldErrors as Array<{ fieldName: string }>).map((f) => f.fieldName), ['media']);
    });

    it('gives every message a unique id under concurrency and stores each before answering', async () => {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => postMessage(pigeon, smsBody({ text: `n${i}` }))));
      const ids = results.map((r) => String(r.body.id));
      assert.ok(results.every((r) => r.status === 202));
      assert.equal(new Set(ids).size, 200);
      // Read through a second connection of its own: every answered id is committed, with its queue entry.
      const second = await openStore(pigeon.config.databaseUrl);
      try {
        const stored = await Promise.all(ids.map((id) => second.delivery.getMessage(id)));
        assert.equal(stored.filter((m) => m !== undefined).length, 200);
        // The API role delivers nothing, so at least these 200 still wait in the queue.
        assert.ok((await second.delivery.queuedCount(ACCOUNT_A.id)) >= 200);
      } finally {
        await second.close();
      }
    });
  });
}
