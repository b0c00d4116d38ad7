// Scripted phones: rules kept in the database answer what the application sends to simulated
// handsets, through the normal inbound path. The tests only send and wait (GET messages/next):
// a three-step flow, a rule limited to one match, a group answer, a script that answers STOP
// (after which a send fails with 4775), and the admin API's bad inputs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { after, before, describe, it } from 'node:test';
import type { MessageView } from '../../src/core/admin/message-view.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { ACCOUNT_A, fixtureConfigYaml, RECIPIENT_2 } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const ADMIN = `Bearer ${ADMIN_TOKEN}`;
const APP = ACCOUNT_A.number;
const CONFIG_PHONES = `phones:
  - id: from-config
    phone: "+18285550306"
    text: { exact: hello config }
    answer: { text: hi from the config file }
`;

async function send(pigeon: TestPigeon, to: string[], text: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await postMessage(pigeon, smsBody({ to, text, ...extra }));
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.id as string;
}

/** The next message the phone sends (to the application), after the message `afterMessage`. */
async function answerOf(pigeon: TestPigeon, phone: string, afterMessage: string, text?: string): Promise<MessageView> {
  const query = new URLSearchParams({ direction: 'in', from: phone, afterMessage, timeout: '30', ...(text && { text }) });
  const res = await pigeon.fetch(`/admin/v1/messages/next?${query.toString()}`, { headers: { authorization: ADMIN } });
  assert.equal(res.status, 200, `an answer from ${phone}`);
  return (await res.json()) as MessageView;
}

async function call(pigeon: TestPigeon, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await pigeon.fetch(`/admin/v1${path}`, {
    method,
    headers: { authorization: ADMIN, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function addRule(pigeon: TestPigeon, rule: Record<string, unknown>): Promise<{ id: string }> {
  const res = await call(pigeon, 'POST', '/phones/rules', rule);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string };
}

for (const backend of BACKENDS) {
  describe(`scripted phones (${backend})`, () => {
    let pigeon: TestPigeon;
    let receiver: CallbackReceiver;
    before(async () => {
      receiver = await new CallbackReceiver().start();
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml({ callbackUrl: receiver.url, extra: CONFIG_PHONES }) });
    });
    after(async () => {
      await pigeon.close();
      await receiver.stop();
    });

    it('walks a three-step flow: each answer matches its step, moves the conversation on, and arrives as message-received', async () => {
      const phone = '+19195550301';
      await addRule(pigeon, { phone, from: APP, step: 0, text: { contains: 'reply yes' }, answer: { text: 'YES', delayMs: 200 } });
      await addRule(pigeon, { phone, from: APP, step: 1, text: { regex: '/zip code\\?$/i' }, answer: { text: '27601' } });
      await addRule(pigeon, { phone: '+1919555*', step: 2, text: { keywords: ['thanks!', 'thank you'] }, answer: { text: 'DONE' } });

      const first = await send(pigeon, [phone], 'Welcome! Reply YES to join');
      const yes = await answerOf(pigeon, phone, first);
      assert.equal(yes.message.text, 'YES');
      assert.deepEqual(yes.message.to, [APP]);
      assert.equal(yes.message.direction, 'in');
      const sent = (await pigeon.admin<MessageView>('GET', `/messages/${first}`)).message;
      assert.ok(yes.message.time - sent.time >= 200, 'the answer waited for its delay');
      await receiver.waitFor(() => receiver.eventsFor(yes.message.id).some((e) => e.type === 'message-received'), 10_000, 'message-received');

      const second = await send(pigeon, [phone], 'What is your zip code?');
      assert.equal((await answerOf(pigeon, phone, second)).message.text, '27601');
      const third = await send(pigeon, [phone], 'Thanks!');
      assert.equal((await answerOf(pigeon, phone, third)).message.text, 'DONE');

      const { body } = await call(pigeon, 'GET', `/phones/conversations?phone=${encodeURIComponent(phone)}`);
      const conversations = body.conversations as Array<{ phone: string; applicationNumber: string; step: number }>;
      assert.deepEqual(conversations.map((c) => [c.phone, c.applicationNumber, c.step]), [[phone, APP, 3]]);

      const reset = await call(pigeon, 'DELETE', `/phones/conversations?phone=${encodeURIComponent(phone)}&applicationNumber=${encodeURIComponent(APP)}`);
      assert.deepEqual(reset.body, { reset: 1 });
      assert.deepEqual((await call(pigeon, 'GET', `/phones/conversations?phone=${encodeURIComponent(phone)}`)).body, { conversations: [] });
      // Back at step 0, the first step answers again.
      const again = await send(pigeon, [phone], 'Reply YES to join');
      assert.equal((await answerOf(pigeon, phone, again)).message.text, 'YES');
    });

    it('a rule limited to one match answers once; the next message goes to the rule after it', async () => {
      const phone = '+18285550302';
      const once = await addRule(pigeon, { phone, priority: 10, text: { exact: 'ping' }, maxMatches: 1, answer: { text: 'pong' } });
      await addRule(pigeon, { phone, priority: 20, text: { exact: 'ping' }, answer: { text: 'fallback' } });
      const first = await send(pigeon, [phone], 'ping');
      assert.equal((await answerOf(pigeon, phone, first)).message.text, 'pong');
      const second = await send(pigeon, [phone], 'ping');
      assert.equal((await answerOf(pigeon, phone, second)).message.text, 'fallback');
      const stored = await call(pigeon, 'GET', `/phones/rules/${once.id}`);
      assert.equal(stored.body.matches, 1);
      assert.equal(stored.body.maxMatches, 1);
    });

    it('a group answer goes to the sender and the rest of the group, with media', async () => {
      const phone = '+18285550303';
      await addRule(pigeon, { phone, text: { contains: 'party' }, answer: { text: 'count me in', media: ['https://example.com/yes.png'], to: 'group' } });
      const id = await send(pigeon, [phone, RECIPIENT_2], 'party at 8?');
      const answer = await answerOf(pigeon, phone, id);
      assert.deepEqual(answer.message.to, [APP, RECIPIENT_2]);
      assert.equal(answer.message.owner, APP);
      assert.equal(answer.message.text, 'count me in');
      assert.deepEqual(answer.message.media, ['https://example.com/yes.png']);
    });

    it('a script answering STOP opts the phone out, after which a send fails with 4775', async () => {
      const phone = '+18285550304';
      await addRule(pigeon, { phone, text: { keywords: ['join'] }, maxMatches: 1, answer: { text: 'STOP' } });
      const first = await send(pigeon, [phone], 'JOIN');
      assert.equal((await answerOf(pigeon, phone, first, '^STOP$')).message.text, 'STOP');
      const blocked = await send(pigeon, [phone], 'still there?');
      const view = await pigeon.waitForMessage(blocked);
      assert.equal(view.recipients[0]?.messageStatus, 'FAILED');
      assert.equal(view.recipients[0]?.errorCode, 4775);
    });

    it('manages rules: list in firing order, change a field, remove', async () => {
      const a = await addRule(pigeon, { id: 'manage-b', phone: '+18285550305', priority: 50, answer: { text: 'b' } });
      const b = await addRule(pigeon, { id: 'manage-a', phone: '+18285550305', priority: 40, answer: { text: 'a' } });
      const list = (await call(pigeon, 'GET', '/phones/rules')).body.rules as Array<{ id: string }>;
      const ids = list.map((r) => r.id).filter((id) => id.startsWith('manage-'));
      assert.deepEqual(ids, [b.id, a.id]);
      const patched = await call(pigeon, 'PATCH', `/phones/rules/${a.id}`, { priority: 30, answer: { delayMs: 5 } });
      assert.equal(patched.status, 200);
      assert.deepEqual([patched.body.priority, (patched.body.answer as { text: string; delayMs: number }).text, (patched.body.answer as { delayMs: number }).delayMs], [30, 'b', 5]);
      assert.equal((await call(pigeon, 'DELETE', `/phones/rules/${a.id}`)).status, 204);
      assert.equal((await call(pigeon, 'GET', `/phones/rules/${a.id}`)).status, 404);
      assert.equal((await call(pigeon, 'DELETE', `/phones/rules/${b.id}`)).status, 204);
    });

    it('applies the config file\'s phones section at start', async () => {
      const phone = '+18285550306';
      assert.equal((await call(pigeon, 'GET', '/phones/rules/from-config')).body.phone, phone);
      const id = await send(pigeon, [phone], 'hello config');
      assert.equal((await answerOf(pigeon, phone, id)).message.text, 'hi from the config file');
    });

    it('a config file with a bad phone rule is refused, naming the field', () => {
      const dir = mkdtempSync(join(tmpdir(), 'pigeon-phones-'));
      const path = join(dir, 'pigeon.yaml');
      writeFileSync(path, `${fixtureConfigYaml()}phones:\n  - { phone: "919", answer: { text: hi } }\n`);
      assert.throws(() => loadConfig({ PIGEON_CONFIG: path }), (err: unknown) => err instanceof ConfigError && /phones\.0\.phone: must be an E\.164 number/.test(err.message));
    });

    it("the console's Phones page has the admin API's phone routes: admin session only, CSRF on changes, the same validation", async () => {
      const signIn = async (body: Record<string, string>) => {
        const res = await pigeon.fetch('/console/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        assert.equal(res.status, 201);
        const { csrf } = (await res.json()) as { csrf: string };
        return { cookie: (res.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '', csrf };
      };
      const admin = await signIn({ token: ADMIN_TOKEN });
      const user = await signIn({ accountId: ACCOUNT_A.id, username: ACCOUNT_A.username, password: ACCOUNT_A.password });
      const consoleCall = async (session: { cookie: string; csrf: string } | undefined, method: string, path: string, body?: unknown, csrf = true) => {
        const headers: Record<string, string> = { ...(session && { cookie: session.cookie }), ...(body !== undefined && { 'content-type': 'application/json' }) };
        if (session && csrf && method !== 'GET') headers['x-pigeon-csrf'] = session.csrf;
        const res = await pigeon.fetch(`/console/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
      };
      const rules = await consoleCall(admin, 'GET', '/phones/rules');
      assert.equal(rules.status, 200);
      assert.ok((rules.body.rules as Array<{ id: string }>).some((r) => r.id === 'from-config'));
      assert.deepEqual(rules.body, (await call(pigeon, 'GET', '/phones/rules')).body);
      assert.deepEqual((await consoleCall(admin, 'GET', '/phones/conversations')).body, (await call(pigeon, 'GET', '/phones/conversations')).body);

      const rule = { id: 'console-made', phone: '+18285550307', answer: { text: 'hi', media: ['https://example.com/a.png'] } };
      const refused: Array<[string, { cookie: string; csrf: string } | undefined, string, string, unknown, boolean, number]> = [
        ['no session', undefined, 'GET', '/phones/rules', undefined, true, 401],
        ["an account user's session", user, 'GET', '/phones/rules', undefined, true, 403],
        ["an account user's session", user, 'POST', '/phones/rules', rule, true, 403],
        ["an account user's session", user, 'DELETE', '/phones/conversations', undefined, true, 403],
        ['no CSRF token', admin, 'POST', '/phones/rules', rule, false, 403],
        ['no CSRF token', admin, 'DELETE', '/phones/conversations', undefined, false, 403],
      ];
      for (const [who, session, method, path, body, csrf, status] of refused) {
        assert.equal((await consoleCall(session, method, path, body, csrf)).status, status, `${who}: ${method} ${path}`);
      }
      assert.equal((await call(pigeon, 'GET', '/phones/rules/console-made')).status, 404);

      const bad = await consoleCall(admin, 'POST', '/phones/rules', { ...rule, text: { regex: '(' } });
      assert.equal(bad.status, 400);
      assert.ok((bad.body.fieldErrors as Array<{ fieldName: string }>).some((e) => e.fieldName === 'text.regex'), JSON.stringify(bad.body));
      assert.equal((await consoleCall(admin, 'POST', '/phones/rules', rule)).status, 201);
      // null removes an optional field of the answer too, leaving the rest of it.
      const patched = await consoleCall(admin, 'PATCH', '/phones/rules/console-made', { answer: { media: null } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body.answer, { text: 'hi', delayMs: 0, to: 'sender' });
      assert.equal((await consoleCall(admin, 'DELETE', '/phones/rules/console-made')).status, 204);
      assert.equal((await call(pigeon, 'GET', '/phones/rules/console-made')).status, 404);
    });

    it('refuses bad input with 4xx in the Bandwidth error shape, naming the field', async () => {
      const answer = { text: 'ok' };
      const cases: Array<[string, string, unknown, number, string?]> = [
        ['POST', '/phones/rules', {}, 400, 'answer'],
        ['POST', '/phones/rules', { answer: {} }, 400, 'answer'],
        ['POST', '/phones/rules', { phone: '919', answer }, 400, 'phone'],
        ['POST', '/phones/rules', { phone: '+1919*5', answer }, 400, 'phone'],
        ['POST', '/phones/rules', { from: 'me', answer }, 400, 'from'],
        ['POST', '/phones/rules', { text: { regex: '(' }, answer }, 400, 'text.regex'],
        ['POST', '/phones/rules', { text: { regex: 'x'.repeat(300) }, answer }, 400, 'text.regex'],
        ['POST', '/phones/rules', { text: { exact: 'a', contains: 'b' }, answer }, 400, 'text'],
        ['POST', '/phones/rules', { text: { keywords: [] }, answer }, 400, 'text.keywords'],
        ['POST', '/phones/rules', { answer: { text: 'x', delayMs: -1 } }, 400, 'answer.delayMs'],
        ['POST', '/phones/rules', { answer: { text: 'x', delayMs: 3_600_001 } }, 400, 'answer.delayMs'],
        ['POST', '/phones/rules', { answer: { text: 'x', to: 'everyone' } }, 400, 'answer.to'],
        ['POST', '/phones/rules', { answer: { media: ['ftp://x/y'] } }, 400, 'answer.media.0'],
        ['POST', '/phones/rules', { maxMatches: 0, answer }, 400, 'maxMatches'],
        ['POST', '/phones/rules', { nextStep: 2, answer }, 400, 'nextStep'],
        ['POST', '/phones/rules', { colour: 'red', answer }, 400],
        ['POST', '/phones/rules', { id: 'has space', answer }, 400, 'id'],
        ['POST', '/phones/rules', [answer], 400, 'body'],
        ['POST', '/phones/rules', '{"answer":', 400],
        ['GET', '/phones/rules/nope', undefined, 404],
        ['PATCH', '/phones/rules/nope', { answer }, 404],
        ['DELETE', '/phones/rules/nope', undefined, 404],
        ['GET', '/phones/conversations?phone=abc', undefined, 400, 'phone'],
        ['GET', '/phones/conversations?colour=red', undefined, 400, 'colour'],
        ['DELETE', '/phones/conversations?applicationNumber=%2B19195551212', undefined, 400, 'applicationNumber'],
        ['DELETE', '/phones/conversations?phone=%2B1&applicationNumber=x', undefined, 400, 'phone'],
      ];
      for (const [method, path, body, status, field] of cases) {
        const res = await call(pigeon, method, path, body);
        const label = `${method} ${path} ${JSON.stringify(body)}`;
        assert.equal(res.status, status, label);
        assert.equal(typeof res.body.type, 'string', label);
        assert.equal(typeof res.body.description, 'string', label);
        if (field) assert.ok((res.body.fieldErrors as Array<{ fieldName: string }>).some((e) => e.fieldName === field), `${label}: ${JSON.stringify(res.body)}`);
      }
      await addRule(pigeon, { id: 'taken', answer });
      assert.equal((await call(pigeon, 'POST', '/phones/rules', { id: 'taken', answer })).status, 409);
      assert.equal((await call(pigeon, 'PATCH', '/phones/rules/taken', { answer: { delayMs: 'soon' } })).status, 400);
      assert.equal((await call(pigeon, 'DELETE', '/phones/rules/taken')).status, 204);
    });
  });
}

describe('scripted phones with delivery in a worker thread (sqlite)', () => {
  let pigeon: TestPigeon;
  before(async () => {
    pigeon = await startPigeon({ backend: 'sqlite', workerThread: true, configYaml: fixtureConfigYaml({ extra: CONFIG_PHONES }) });
  });
  after(() => pigeon.close());

  it("answers from the worker thread's simulator, with the config file's rule applied by the main thread", async () => {
    const phone = '+18285550306';
    const id = await send(pigeon, [phone], 'hello config');
    assert.equal((await answerOf(pigeon, phone, id)).message.text, 'hi from the config file');
  });
});

for (const backend of BACKENDS) {
  describe(`scripted phones across a restart (${backend})`, () => {
    let dir: string;
    let database: TestDatabase;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pigeon-phones-restart-'));
      database = await createTestDatabase(backend, dir);
    });
    after(async () => {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('an answer still waiting for its delay when Pigeon stops is sent by the next start', async () => {
      const phone = '+18285550310';
      const first = await startPigeon({ dir, databaseUrl: database.url });
      let sent: string;
      try {
        const rule = await addRule(first, { phone, answer: { text: 'after the restart', delayMs: 4000 } });
        sent = await send(first, [phone], 'are you there?');
        await first.waitForMessage(sent);
        // The match is recorded just after the carrier takes the message.
        for (let i = 0; i < 200 && (await call(first, 'GET', `/phones/rules/${rule.id}`)).body.matches !== 1; i++) await new Promise((r) => setTimeout(r, 25));
        assert.equal((await call(first, 'GET', `/phones/rules/${rule.id}`)).body.matches, 1);
        const early = await first.fetch(`/admin/v1/messages/next?direction=in&from=${encodeURIComponent(phone)}&afterMessage=${sent}&timeout=0`, { headers: { authorization: ADMIN } });
        assert.equal(early.status, 408, 'not answered before the stop');
      } finally {
        await first.close();
      }
      const second = await startPigeon({ dir, databaseUrl: database.url });
      try {
        const answer = await answerOf(second, phone, sent);
        assert.equal(answer.message.text, 'after the restart');
        const original = (await second.admin<MessageView>('GET', `/messages/${sent}`)).message;
        assert.ok(answer.message.time - original.time >= 4000, 'still after its delay');
      } finally {
        await second.close();
      }
    });
  });
}
