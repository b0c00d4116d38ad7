// Inbound messages end to end: injected through the admin API and through the real `pigeon inbound`
// CLI (run `npm run build` first), stored, listed, and reported with `message-received` callbacks
// (reference e.8, e.9); attachments sent as bytes land in the media store (reference h.2).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPigeon } from '../helpers/cli.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, AUTH_B } from '../helpers/fixtures.js';
import { withSql } from '../helpers/databases.js';
import { ADMIN_TOKEN, BACKENDS } from '../helpers/pigeon.js';
import { ISO_MS, records, startHarness, statuses, view, type Harness } from './e2e-support.js';

const REMOTE = '+19195550177';
const NOT_OWNED = '+19195550188';
// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

interface InboundAnswer {
  messages: Array<{ id: string; owner: string; accountId: string; applicationId: string }>;
}

for (const backend of BACKENDS) {
  describe(`inbound messages and message-received callbacks (${backend})`, () => {
    let h: Harness;
    const tmp = mkdtempSync(join(tmpdir(), 'pigeon-inbound-'));
    before(async () => {
      h = await startHarness({ backend });
    });
    after(async () => {
      await h.close();
      rmSync(tmp, { recursive: true, force: true });
    });

    /** The owners of the stored inbound messages with `text`, sorted: callbacks cannot show an ownerless copy. */
    const ownersOf = (text: string) =>
      withSql(h.pigeon.config.databaseUrl, async (sql) =>
        (await sql.all<{ owner: string }>("SELECT owner FROM messages WHERE direction = 'in' AND text = ? ORDER BY owner", [text])).map((r) => r.owner),
      );

    const expectReceived = async (id: string, owner: string, to: string[], text: string) => {
      await h.receiver.waitFor(() => h.receiver.eventsFor(id).length > 0, 10_000, `message-received of ${id}`);
      const settled = await h.pigeon.waitForMessage(id, 'callbacks');
      const events = h.receiver.eventsFor(id);
      assert.equal(events.length, 1);
      const event = events[0]!;
      assert.deepEqual(Object.keys(event), ['type', 'time', 'description', 'to', 'message']);
      assert.deepEqual(Object.keys(event.message), ['id', 'owner', 'applicationId', 'time', 'segmentCount', 'direction', 'to', 'from', 'text']);
      assert.deepEqual(event, {
        type: 'message-received',
        time: settled.message.timeIso,
        description: 'Incoming message received',
        to: owner,
        message: {
          id,
          owner,
          applicationId: ACCOUNT_A.applicationId,
          time: settled.message.timeIso,
          segmentCount: 1,
          direction: 'in',
          to,
          from: REMOTE,
          text,
        },
      });
      assert.match(String(event.time), ISO_MS);
      assert.deepEqual(statuses(settled.events), ['RECEIVED']);
      const request = h.receiver.received.find((r) => r.body.some((e) => e.message.id === id));
      assert.equal(request?.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(request?.headers['user-agent'], 'BandwidthAPI/v2');
      return event;
    };

    it('injects an inbound SMS through POST /admin/v1/inbound: message-received as reference e.8, listed as INBOUND/RECEIVED', async () => {
      const answer = await h.pigeon.admin<InboundAnswer>('POST', '/inbound', {
        from: REMOTE,
        to: ACCOUNT_A.number,
        text: 'Is my order on the way?',
      });
      assert.equal(answer.messages.length, 1);
      const [copy] = answer.messages;
      assert.equal(copy?.owner, ACCOUNT_A.number);
      assert.equal(copy?.accountId, ACCOUNT_A.id);
      assert.equal(copy?.applicationId, ACCOUNT_A.applicationId);
      assert.match(String(copy?.id), /^\d{13}[a-z0-9]{16}$/);
      await expectReceived(copy!.id, ACCOUNT_A.number, [ACCOUNT_A.number], 'Is my order on the way?');

      const [record] = await records(h.pigeon, copy!.id);
      assert.equal(record?.messageDirection, 'INBOUND');
      assert.equal(record?.messageStatus, 'RECEIVED');
      assert.equal(record?.sourceTn, REMOTE);
      assert.equal(record?.destinationTn, ACCOUNT_A.number);
      assert.equal(record?.messageType, 'sms');
      assert.equal(record?.errorCode, 0);
      // Another account does not see it.
      assert.deepEqual(await records(h.pigeon, copy!.id, AUTH_B, ACCOUNT_B.id), []);
    });

    it('takes an inbound SMS that arrives through the carrier adapter, and drops one for numbers nobody owns', async () => {
      const carrier = h.pigeon.server.simulator;
      assert.ok(carrier, 'the simulated carrier is in use');
      // Resolving means taken: a carrier must not offer a message for nobody's number again for ever.
      await carrier.inject({ from: REMOTE, to: [NOT_OWNED], text: 'wrong number', media: [], time: Date.now() });
      await carrier.inject({ from: REMOTE, to: [ACCOUNT_A.number], text: 'via the carrier', media: [], time: Date.now() });
      await h.receiver.waitFor(() => h.receiver.events((e) => e.message.text === 'via the carrier').length > 0, 10_000, 'the carrier inbound');
      const id = String(h.receiver.events((e) => e.message.text === 'via the carrier')[0]?.message.id);
      await expectReceived(id, ACCOUNT_A.number, [ACCOUNT_A.number], 'via the carrier');
      const listed = await records(h.pigeon, id);
      assert.deepEqual(
        listed.map((r) => [r.messageDirection, r.messageStatus, r.sourceTn]),
        [['INBOUND', 'RECEIVED', REMOTE]],
      );
      assert.equal(h.receiver.events((e) => e.message.text === 'wrong number').length, 0);
      // A copy for nobody's number would have no callback URL: only the database can show it was not kept.
      assert.deepEqual(await ownersOf('wrong number'), []);
    });

    it('injects an inbound SMS with the `pigeon inbound` CLI against the running server', async () => {
      const r = await runPigeon(['inbound', '--from', REMOTE, '--to', ACCOUNT_A.secondNumber, '--text', 'sent from the CLI'], {
        env: { PIGEON_URL: h.pigeon.url, PIGEON_ADMIN_TOKEN: ADMIN_TOKEN },
      });
      assert.equal(r.code, 0, r.stderr);
      const answer = JSON.parse(r.stdout) as InboundAnswer;
      assert.equal(answer.messages.length, 1);
      assert.equal(answer.messages[0]?.owner, ACCOUNT_A.secondNumber);
      const id = answer.messages[0]!.id;
      await expectReceived(id, ACCOUNT_A.secondNumber, [ACCOUNT_A.secondNumber], 'sent from the CLI');
      const [record] = await records(h.pigeon, id);
      assert.equal(record?.messageDirection, 'INBOUND');
      assert.equal(record?.messageStatus, 'RECEIVED');
      assert.equal(record?.destinationTn, ACCOUNT_A.secondNumber);
    });

    it('refuses the CLI with a wrong admin token, exit code 1 and the 401 in one line', async () => {
      const r = await runPigeon(['inbound', '--from', REMOTE, '--to', ACCOUNT_A.number, '--text', 'x'], {
        env: { PIGEON_URL: h.pigeon.url, PIGEON_ADMIN_TOKEN: 'wrong-token-wrong-token' },
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /401/);
      assert.equal(r.stdout, '');
    });

    it('splits an inbound group to two owned numbers into two copies with their own ids, owner and to (reference e.9)', async () => {
      const to = [ACCOUNT_A.number, ACCOUNT_A.secondNumber, NOT_OWNED];
      const answer = await h.pigeon.admin<InboundAnswer>('POST', '/inbound', { from: REMOTE, to, text: 'hi all' });
      assert.deepEqual(answer.messages.map((m) => m.owner), [ACCOUNT_A.number, ACCOUNT_A.secondNumber]);
      const ids = answer.messages.map((m) => m.id);
      assert.equal(new Set(ids).size, 2);
      for (const copy of answer.messages) {
        const event = await expectReceived(copy.id, copy.owner, to, 'hi all');
        assert.equal(event.to, copy.owner);
        assert.equal(event.message.owner, copy.owner);
        const [record] = await records(h.pigeon, copy.id);
        assert.equal(record?.messageType, 'mms');
        assert.equal(record?.destinationTn, copy.owner);
        assert.equal(record?.recipientCount, 3);
      }
      // Nothing was recorded for the number Pigeon does not own.
      const all = h.receiver.events((e) => e.type === 'message-received' && e.message.text === 'hi all');
      assert.deepEqual(all.map((e) => e.to).sort(), [ACCOUNT_A.number, ACCOUNT_A.secondNumber].sort());
      assert.deepEqual(await ownersOf('hi all'), [ACCOUNT_A.number, ACCOUNT_A.secondNumber].sort());
    });

    it('stores an inbound MMS attachment under {messageId}/0/{fileName}, retrievable with GET …/media', async () => {
      const answer = await h.pigeon.admin<InboundAnswer>('POST', '/inbound', {
        from: REMOTE,
        to: [ACCOUNT_A.number],
        text: 'a photo',
        media: [{ fileName: 'photo.png', contentType: 'image/png', base64: PNG.toString('base64') }],
      });
      const id = answer.messages[0]!.id;
      await h.pigeon.waitForMessage(id, 'callbacks');
      const [event] = h.receiver.eventsFor(id);
      const mediaUrl = `${h.pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/${id}/0/photo.png`;
      assert.deepEqual(event?.message.media, [mediaUrl]);
      assert.equal(event?.message.text, 'a photo');
      assert.equal(event?.message.segmentCount, 1);

      const res = await fetch(mediaUrl, { headers: { authorization: AUTH_A } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG);
      // Only its account can read it.
      assert.equal((await fetch(mediaUrl, { headers: { authorization: AUTH_B } })).status, 401);

      const [record] = await records(h.pigeon, id);
      assert.equal(record?.messageType, 'mms');
      assert.equal(record?.attachmentCount, 1);
      assert.deepEqual((await view(h.pigeon, id)).message.media, [mediaUrl]);
    });

    it('uploads a file given to `pigeon inbound --media` and links it from the callback', async () => {
      const file = join(tmp, 'card.png');
      writeFileSync(file, PNG);
      const r = await runPigeon(['inbound', '--from', REMOTE, '--to', ACCOUNT_A.number, '--media', file], {
        env: { PIGEON_URL: h.pigeon.url, PIGEON_ADMIN_TOKEN: ADMIN_TOKEN },
      });
      assert.equal(r.code, 0, r.stderr);
      const id = (JSON.parse(r.stdout) as InboundAnswer).messages[0]!.id;
      await h.pigeon.waitForMessage(id, 'callbacks');
      const [event] = h.receiver.eventsFor(id);
      const mediaUrl = `${h.pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/${id}/0/card.png`;
      assert.deepEqual(event?.message.media, [mediaUrl]);
      assert.equal(event?.message.text, '');
      const res = await fetch(mediaUrl, { headers: { authorization: AUTH_A } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG);
    });
  });
}
