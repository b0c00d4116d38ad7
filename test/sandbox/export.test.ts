// Export (GET /admin/v1/messages/export, and the console's): 10 000 messages exported as NDJSON,
// JSON and CSV and checked field by field against the admin view of each; filters; an API user's own
// account only; bad input; and a delivered message with its callback attempts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageView } from '../../src/core/admin/message-view.js';
import { CSV_EXPORT_COLUMNS } from '../../src/core/sandbox/export.js';
import { parseCsv } from '../../src/core/opt-out/csv.js';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, RECIPIENT, RECIPIENT_2, fixtureConfigYaml } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const COUNT = 10_000;
const ADMIN = `Bearer ${ADMIN_TOKEN}`;
type Exported = Omit<MessageView, 'queue'>;

async function exportText(pigeon: TestPigeon, query: string, auth = ADMIN): Promise<{ status: number; type: string; text: string }> {
  const res = await pigeon.fetch(`/admin/v1/messages/export?${query}`, { headers: { authorization: auth } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

function withoutQueue(view: MessageView): Exported {
  return { message: view.message, recipients: view.recipients, events: view.events, callbacks: view.callbacks };
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T, i);
      }
    }),
  );
}

for (const backend of BACKENDS) {
  describe(`export of 10 000 messages (${backend})`, () => {
    let pigeon: TestPigeon;
    const ids: string[] = [];
    let ndjson: Exported[] = [];
    before(async () => {
      // Only the API runs: nothing moves while the export and the views are read.
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' }, configYaml: fixtureConfigYaml({ callbackUrl: 'http://127.0.0.1:9/callbacks' }) });
      await inParallel(Array.from({ length: COUNT }), 16, async (_, i) => {
        if (i % 100 === 0) {
          const answer = await pigeon.admin<{ messages: Array<{ id: string }> }>('POST', '/inbound', { from: '+19195550170', to: [ACCOUNT_A.number], text: `reply ${i}, "quoted"\nsecond line` });
          ids[i] = answer.messages[0]!.id;
          return;
        }
        const body = i % 10 === 1 ? smsBody({ to: [RECIPIENT, RECIPIENT_2], text: `group ${i}`, tag: 'group' }) : smsBody({ text: `message ${i}, with a comma`, ...(i % 7 === 0 && { tag: `t${i % 3}` }) });
        const sent = await postMessage(pigeon, body);
        assert.equal(sent.status, 202);
        ids[i] = sent.body.id as string;
      });
    });
    after(() => pigeon.close());

    it('exports every message as NDJSON, each line equal to its admin view (but the queue)', async () => {
      const res = await exportText(pigeon, `accountId=${ACCOUNT_A.id}`);
      assert.equal(res.status, 200);
      assert.match(res.type, /^application\/x-ndjson/);
      const lines = res.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Exported);
      ndjson = lines;
      assert.equal(lines.length, COUNT);
      assert.deepEqual(new Set(lines.map((l) => l.message.id)), new Set(ids));
      // Oldest first.
      for (let i = 1; i < lines.length; i++) assert.ok(lines[i - 1]!.message.time <= lines[i]!.message.time);
      await inParallel(lines, 16, async (line) => {
        assert.deepEqual(line, withoutQueue(await pigeon.admin<MessageView>('GET', `/messages/${line.message.id}`)));
      });
    });

    it('exports JSON and CSV (one row per recipient) with the same content', async () => {
      assert.equal(ndjson.length, COUNT);
      const json = await exportText(pigeon, `accountId=${ACCOUNT_A.id}&format=json`);
      assert.match(json.type, /^application\/json/);
      assert.deepEqual((JSON.parse(json.text) as { messages: Exported[] }).messages, ndjson);
      const csv = await exportText(pigeon, `accountId=${ACCOUNT_A.id}&format=csv`);
      assert.match(csv.type, /^text\/csv/);
      const [header, ...rows] = parseCsv(csv.text);
      assert.deepEqual(header, [...CSV_EXPORT_COLUMNS]);
      const expected = ndjson.flatMap((m) =>
        m.recipients.map((r) => [
          m.message.id,
          m.message.accountId,
          m.message.applicationId,
          m.message.direction,
          m.message.timeIso,
          m.message.from,
          r.destinationTn,
          r.messageStatus,
          String(r.errorCode),
          m.message.type,
          String(m.message.segmentCount),
          m.message.tag ?? '',
          m.message.text ?? '',
          (m.message.media ?? []).join(' '),
          m.events.filter((e) => e.destinationTn === r.destinationTn).map((e) => `${e.status} ${e.timeIso}`).join('; '),
          m.callbacks.map((c) => `${c.eventType} ${c.state} 0 attempts`).join('; '),
        ]),
      );
      assert.equal(rows.length, COUNT + COUNT / 10);
      assert.deepEqual(rows, expected);
    });

    it('applies the list filters, the tag and the text', async () => {
      const lines = async (query: string) => (await exportText(pigeon, `accountId=${ACCOUNT_A.id}&${query}`)).text.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Exported);
      const inbound = await lines('messageDirection=INBOUND');
      assert.equal(inbound.length, COUNT / 100);
      assert.ok(inbound.every((m) => m.message.direction === 'in'));
      const groups = await lines(`destinationTn=${encodeURIComponent(RECIPIENT_2)}`);
      assert.equal(groups.length, COUNT / 10);
      assert.ok(groups.every((m) => m.recipients.length === 2));
      assert.deepEqual((await lines('tag=t1')).map((m) => m.message.tag), (await lines('tag=t1')).map(() => 't1'));
      const found = await lines('text=MESSAGE%2099,');
      assert.deepEqual(found.map((m) => m.message.text), ['message 99, with a comma']);
    });

    it("is open to an account's API user for its own account only, and refuses bad input", async () => {
      const own = await exportText(pigeon, `accountId=${ACCOUNT_A.id}&messageDirection=INBOUND`, AUTH_A);
      assert.equal(own.status, 200);
      assert.equal(own.text.trimEnd().split('\n').length, COUNT / 100);
      assert.equal((await exportText(pigeon, `accountId=${ACCOUNT_B.id}`, AUTH_A)).status, 401);
      const cases: Array<[string, number]> = [
        ['', 400],
        [`accountId=${ACCOUNT_A.id}&format=xml`, 400],
        [`accountId=${ACCOUNT_A.id}&messageStatus=LOST`, 400],
        [`accountId=${ACCOUNT_A.id}&fromDateTime=yesterday`, 400],
        [`accountId=${ACCOUNT_A.id}&sourceTn=12`, 400],
        ['accountId=nobody', 404],
      ];
      for (const [query, status] of cases) assert.equal((await exportText(pigeon, query)).status, status, query);
      const empty = await exportText(pigeon, `accountId=${ACCOUNT_B.id}&format=json`);
      assert.deepEqual(JSON.parse(empty.text), { messages: [] });
    });
  });

  describe(`export of delivered messages with their callbacks (${backend})`, () => {
    let pigeon: TestPigeon;
    let receiver: CallbackReceiver;
    before(async () => {
      receiver = await new CallbackReceiver().start();
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml({ callbackUrl: receiver.url }) });
    });
    after(async () => {
      await pigeon.close();
      await receiver.stop();
    });

    it('holds the terminal events and each callback with its attempts', async () => {
      const sent = await postMessage(pigeon, smsBody({ text: 'delivered then exported' }));
      const view = withoutQueue(await pigeon.waitForMessage(sent.body.id as string, 'callbacks'));
      const res = await exportText(pigeon, `accountId=${ACCOUNT_A.id}&format=ndjson`);
      const line = JSON.parse(res.text.trimEnd()) as Exported;
      assert.deepEqual(line, view);
      assert.ok(line.events.some((e) => e.status === 'DELIVERED'));
      assert.ok(line.callbacks.length >= 1 && line.callbacks.every((c) => c.state === 'delivered' && c.attempts.length === 1));
      const [, row] = parseCsv((await exportText(pigeon, `accountId=${ACCOUNT_A.id}&format=csv`)).text);
      assert.match(row?.[15] ?? '', /message-delivered delivered 1 attempt \[200\]/);
    });
  });
}
