// GET /admin/v1/messages/next: a test waits for the message its app sent (or a phone sent) instead
// of polling the list. Outbound and inbound, text patterns, a timeout, bad input, an API user
// limited to its account, a pattern that would backtrack forever, and two processes on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageView } from '../../src/core/admin/message-view.js';
import { createTestDatabase } from '../helpers/databases.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, RECIPIENT } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const PHONE = '+19195550142';
const ADMIN = `Bearer ${ADMIN_TOKEN}`;

function next(pigeon: TestPigeon, query: Record<string, string>, auth = ADMIN): Promise<Response> {
  return pigeon.fetch(`/admin/v1/messages/next?${new URLSearchParams(query).toString()}`, { headers: { authorization: auth } });
}

async function inbound(pigeon: TestPigeon, text: string, from = PHONE): Promise<string> {
  const answer = await pigeon.admin<{ messages: Array<{ id: string }> }>('POST', '/inbound', { from, to: [ACCOUNT_A.number], text });
  return answer.messages[0]!.id;
}

for (const backend of BACKENDS) {
  describe(`waiting for the next message (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({ backend });
    });
    after(() => pigeon.close());

    it('returns the outbound message the app sends while the test waits, with its text', async () => {
      const since = new Date().toISOString();
      const waiting = next(pigeon, { to: RECIPIENT, direction: 'out', text: 'code is (\\d{6})', after: since, timeout: '20' });
      await postMessage(pigeon, smsBody({ text: 'welcome!' }));
      const sent = await postMessage(pigeon, smsBody({ text: 'Your code is 482913' }));
      const res = await waiting;
      assert.equal(res.status, 200);
      const view = (await res.json()) as MessageView;
      assert.equal(view.message.id, sent.body.id);
      assert.equal(view.message.text, 'Your code is 482913');
      assert.equal(/code is (\d{6})/.exec(view.message.text ?? '')?.[1], '482913');
    });

    it('finds a message stored before the call when `after` is earlier, and the next one after it with afterMessage', async () => {
      const since = Date.now();
      const first = await inbound(pigeon, 'YES please');
      const second = await inbound(pigeon, 'yes again');
      const a = await next(pigeon, { direction: 'in', from: PHONE, text: '/^yes/i', after: String(since), timeout: '5' });
      assert.equal(((await a.json()) as MessageView).message.id, first);
      const b = await next(pigeon, { direction: 'in', from: PHONE, text: '/^yes/i', afterMessage: first, timeout: '5' });
      const view = (await b.json()) as MessageView;
      assert.equal(view.message.id, second);
      assert.equal(view.message.direction, 'in');
    });

    it('answers 408 when nothing matches in time', async () => {
      const res = await next(pigeon, { to: '+19195550000', timeout: '0.3' });
      assert.equal(res.status, 408);
      assert.equal(((await res.json()) as { type: string }).type, 'timeout');
    });

    it('stops a pattern that would backtrack for ever: 400, and the server keeps answering', async () => {
      const since = Date.now();
      await inbound(pigeon, `${'a'.repeat(40)}!`, '+19195550143');
      const res = await next(pigeon, { from: '+19195550143', text: '^(a+)+$', after: String(since), timeout: '5' });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { fieldErrors: Array<{ fieldName: string; description: string }> };
      assert.equal(body.fieldErrors[0]?.fieldName, 'text');
      assert.match(body.fieldErrors[0]?.description ?? '', /longer than 50 ms/);
      assert.equal((await pigeon.fetch('/healthz')).status, 200);
    });

    it('refuses bad filters with 400 naming the field, and an unknown message or account with 404', async () => {
      const cases: Array<[Record<string, string>, number, string?]> = [
        [{ text: '(' }, 400, 'text'],
        [{ text: 'x'.repeat(257) }, 400, 'text'],
        [{ timeout: '-1' }, 400, 'timeout'],
        [{ timeout: '301' }, 400, 'timeout'],
        [{ timeout: 'soon' }, 400, 'timeout'],
        [{ direction: 'sideways' }, 400, 'direction'],
        [{ after: 'yesterday' }, 400, 'after'],
        [{ after: '1', afterMessage: 'x' }, 400, 'after'],
        [{ from: '' }, 400, 'from'],
        [{ afterMessage: 'no-such-message' }, 404],
        [{ accountId: '123' }, 404],
      ];
      for (const [query, status, field] of cases) {
        const res = await next(pigeon, { timeout: '0', ...query });
        assert.equal(res.status, status, JSON.stringify(query));
        const body = (await res.json()) as { fieldErrors?: Array<{ fieldName: string }> };
        if (field) assert.equal(body.fieldErrors?.[0]?.fieldName, field, JSON.stringify(query));
      }
    });

    it("is open to an account's API user for that account only", async () => {
      const since = String(Date.now());
      const sent = await postMessage(pigeon, smsBody({ text: 'for the api user' }));
      const own = await next(pigeon, { accountId: ACCOUNT_A.id, text: 'api user', after: since, timeout: '5' }, AUTH_A);
      assert.equal(own.status, 200);
      assert.equal(((await own.json()) as MessageView).message.id, sent.body.id);
      // Another account's id with A's credentials, no account, and no credentials: the same 401.
      assert.equal((await next(pigeon, { accountId: ACCOUNT_B.id, timeout: '0' }, AUTH_A)).status, 401);
      assert.equal((await next(pigeon, { timeout: '0' }, AUTH_A)).status, 401);
      assert.equal((await pigeon.fetch('/admin/v1/messages/next')).status, 401);
      assert.equal((await next(pigeon, { timeout: '0' }, 'Bearer wrong')).status, 401);
      // A's message is not visible to a wait scoped to B (through the admin token).
      const other = await next(pigeon, { accountId: ACCOUNT_B.id, after: since, timeout: '0.2' });
      assert.equal(other.status, 408);
    });
  });
}

if (BACKENDS.includes('postgres')) {
  describe('waiting for the next message across two processes (postgres)', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let waiter: TestPigeon;
    let sender: TestPigeon;
    before(async () => {
      database = await createTestDatabase('postgres');
      waiter = await startPigeon({ databaseUrl: database.url, env: { PIGEON_ROLE: 'api' } });
      sender = await startPigeon({ databaseUrl: database.url });
    });
    after(async () => {
      await waiter.close();
      await sender.close();
      await database.drop();
    });

    it('wakes a wait in one process for a message the other stores (outbound, then the inbound one)', async () => {
      const since = String(Date.now());
      const out = next(waiter, { direction: 'out', text: 'across', after: since, timeout: '20' });
      const sent = await postMessage(sender, smsBody({ text: 'across processes' }));
      assert.equal(((await (await out).json()) as MessageView).message.id, sent.body.id);
      const into = next(waiter, { direction: 'in', from: PHONE, after: since, timeout: '20' });
      const id = await inbound(sender, 'hello from the other side');
      const view = (await (await into).json()) as MessageView;
      assert.equal(view.message.id, id);
      assert.equal(view.message.text, 'hello from the other side');
    });
  });
}
