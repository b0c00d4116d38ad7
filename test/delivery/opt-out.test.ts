// Opt-out, opt-in and help keywords end to end, on each engine: keywords injected through the admin
// API (the path every carrier adapter shares), the block recorded and answered, sends to an
// opted-out recipient failing with 4775 without reaching the carrier (alone, in a group, already
// queued, racing the STOP), START restoring delivery, scopes, `enabled: false`, the admin API's
// list with CSV export and import, its bad inputs, and the CLI (run `npm run build` first).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import type { CarrierSubmission } from '../../src/core/delivery/carrier.js';
import { DEFAULT_REPLIES } from '../../src/core/opt-out/keywords.js';
import { runPigeon } from '../helpers/cli.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_B } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, type TestPigeon } from '../helpers/pigeon.js';
import type { SmscServer } from '../../src/carriers/smpp/smsc/smsc-server.js';
import { carriersYaml, smppCarrier, startSmsc, until } from '../carriers/smpp/smpp-support.js';
import { configYaml, eventually, send, startHarness, statuses, type Harness } from './e2e-support.js';

const APP = ACCOUNT_A.applicationId;
const TOLL_FREE_APP = ACCOUNT_A.otherApplicationId;
let remoteCounter = 0;
/** A phone no other test of this run uses. */
const newRemote = () => `+1919556${String(1000 + ++remoteCounter).padStart(4, '0')}`;

interface OptOutEvent {
  action: string;
  recipient: string;
  scope: string;
  scopeKey: string;
  keyword?: string;
  source: string;
  inboundMessageId?: string;
  replyMessageId?: string;
  changed: boolean;
}
interface Entry {
  recipient: string;
  scope: string;
  scopeKey: string;
  accountId: string;
  keyword?: string;
  source: string;
  inboundMessageId?: string;
  createdAt: string;
}

const inbound = (pigeon: TestPigeon, from: string, text: string, to: string | string[] = ACCOUNT_A.number) =>
  pigeon.admin<{ messages: Array<{ id: string }> }>('POST', '/inbound', { from, to, text });

const eventsOf = async (pigeon: TestPigeon, recipient: string) =>
  (await pigeon.admin<{ events: OptOutEvent[] }>('GET', `/opt-outs/events?recipient=${encodeURIComponent(recipient)}`)).events;

const entriesOf = async (pigeon: TestPigeon, recipient: string) =>
  (await pigeon.admin<{ optOuts: Entry[] }>('GET', `/opt-outs?recipient=${encodeURIComponent(recipient)}`)).optOuts;

const sms = (to: string | string[], from: string = ACCOUNT_A.number, applicationId: string = APP) => ({
  applicationId,
  from,
  to: Array.isArray(to) ? to : [to],
  text: 'Your order has shipped',
});

/** Records every submit the simulated carrier gets, as `messageId destination`; `delayMs` holds each. */
function spySubmits(pigeon: TestPigeon, delayMs = 0): string[] {
  const simulator = pigeon.server.simulator;
  assert.ok(simulator, 'the simulator is the carrier');
  const original = simulator.submit.bind(simulator);
  const seen: string[] = [];
  simulator.submit = async (submission: CarrierSubmission) => {
    seen.push(`${submission.messageId} ${submission.destination}`);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return original(submission);
  };
  return seen;
}

const submitted = (seen: readonly string[], messageId: string) => seen.filter((s) => s.startsWith(`${messageId} `));

/** Waits for a recipient that must end FAILED with 4775, and checks it never reached the carrier. */
async function expectOptedOutFailure(h: Harness, seen: readonly string[], messageId: string, recipient: string): Promise<void> {
  const settled = await h.pigeon.waitForMessage(messageId, 'callbacks');
  const record = settled.recipients.find((r) => r.destinationTn === recipient);
  assert.equal(record?.messageStatus, 'FAILED');
  assert.equal(record?.errorCode, 4775);
  assert.deepEqual(statuses(settled.events, recipient), ['RECEIVED', 'QUEUED', 'FAILED'], 'never SENDING: the carrier was not asked');
  assert.deepEqual(submitted(seen, messageId).filter((s) => s.endsWith(recipient)), []);
  const failed = h.receiver.eventsFor(messageId).filter((e) => e.to === recipient);
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.type, 'message-failed');
  assert.equal(failed[0]?.errorCode, 4775);
  assert.equal(failed[0]?.description, 'destination-rejected-due-to-user-opt-out');
}

async function expectDelivered(h: Harness, messageId: string, recipient: string): Promise<void> {
  const settled = await h.pigeon.waitForMessage(messageId, 'callbacks');
  const record = settled.recipients.find((r) => r.destinationTn === recipient);
  assert.equal(record?.messageStatus, 'DELIVERED', JSON.stringify(settled.recipients));
  assert.ok(h.receiver.eventsFor(messageId).some((e) => e.type === 'message-delivered' && e.to === recipient));
}

/** The keyword's reply: its audit event, then the reply message itself, delivered with its own callbacks. */
async function expectReply(h: Harness, remote: string, action: string, text: string, from: string = ACCOUNT_A.number) {
  const [event] = await eventsOf(h.pigeon, remote);
  assert.equal(event?.action, action);
  assert.ok(event?.replyMessageId, 'the reply is named in the audit trail');
  const reply = await h.pigeon.waitForMessage(event.replyMessageId, 'callbacks');
  assert.equal(reply.message.direction, 'out');
  assert.equal(reply.message.from, from);
  assert.deepEqual(reply.message.to, [remote]);
  assert.equal(reply.message.text, text);
  assert.equal(reply.recipients[0]?.messageStatus, 'DELIVERED');
  assert.ok(h.receiver.eventsFor(event.replyMessageId).some((e) => e.type === 'message-delivered'));
  return event;
}

for (const backend of BACKENDS) {
  describe(`opt-out keywords and the 4775 block (${backend})`, () => {
    let h: Harness;
    let seen: string[];
    before(async () => {
      // The toll-free application leaves keywords to itself.
      h = await startHarness({ backend, otherToReceiver: true });
      seen = spySubmits(h.pigeon);
    });
    after(async () => h.close());

    it('STOP: recorded, passed on as message-received, answered from the receiving number; a later send fails 4775 without a submit', async () => {
      const remote = newRemote();
      const { messages } = await inbound(h.pigeon, remote, 'STOP');
      const inboundId = messages[0]!.id;
      await h.receiver.waitFor(() => h.receiver.eventsFor(inboundId).some((e) => e.type === 'message-received'), 10_000, 'message-received of STOP');
      assert.equal(h.receiver.eventsFor(inboundId)[0]?.message.text, 'STOP');

      const event = await expectReply(h, remote, 'opt-out', DEFAULT_REPLIES.en!.optOut);
      assert.equal(event.keyword, 'STOP');
      assert.equal(event.inboundMessageId, inboundId);
      assert.equal(event.scope, 'number');
      assert.equal(event.scopeKey, ACCOUNT_A.number);
      assert.equal(event.source, 'keyword');
      assert.equal(event.changed, true);
      const [entry] = await entriesOf(h.pigeon, remote);
      assert.deepEqual(
        { ...entry, createdAt: undefined },
        { recipient: remote, scope: 'number', scopeKey: ACCOUNT_A.number, accountId: ACCOUNT_A.id, keyword: 'STOP', source: 'keyword', inboundMessageId: inboundId, createdAt: undefined },
      );

      const blocked = await send(h.pigeon, sms(remote));
      assert.equal(typeof blocked.id, 'string', 'a send to an opted-out recipient still gets its 202');
      await expectOptedOutFailure(h, seen, blocked.id, remote);
    });

    it('HELP and INFO answer with the help reply and block nothing; ARRET answers in French', async () => {
      for (const word of ['HELP', 'info']) {
        const remote = newRemote();
        await inbound(h.pigeon, remote, word);
        const event = await expectReply(h, remote, 'help', DEFAULT_REPLIES.en!.help);
        assert.equal(event.changed, false);
        assert.deepEqual(await entriesOf(h.pigeon, remote), []);
        await expectDelivered(h, (await send(h.pigeon, sms(remote))).id, remote);
      }
      const french = newRemote();
      await inbound(h.pigeon, french, 'Arrêt');
      const event = await expectReply(h, french, 'opt-out', DEFAULT_REPLIES.fr!.optOut);
      assert.equal(event.keyword, 'ARRET');
    });

    it('START and UNSTOP lift the block with the opt-in reply, and delivery resumes; the audit trail keeps each change', async () => {
      for (const word of ['START', 'unstop']) {
        const remote = newRemote();
        await inbound(h.pigeon, remote, 'stop');
        await expectReply(h, remote, 'opt-out', DEFAULT_REPLIES.en!.optOut);
        await expectOptedOutFailure(h, seen, (await send(h.pigeon, sms(remote))).id, remote);
        await inbound(h.pigeon, remote, word);
        const event = await expectReply(h, remote, 'opt-in', DEFAULT_REPLIES.en!.optIn);
        assert.equal(event.changed, true);
        assert.deepEqual(await entriesOf(h.pigeon, remote), []);
        await expectDelivered(h, (await send(h.pigeon, sms(remote))).id, remote);
        await inbound(h.pigeon, remote, 'HELP');
        await expectReply(h, remote, 'help', DEFAULT_REPLIES.en!.help);
        const trail = await eventsOf(h.pigeon, remote);
        assert.deepEqual(trail.map((e) => [e.action, e.keyword]), [['help', 'HELP'], ['opt-in', word.toUpperCase()], ['opt-out', 'STOP']]);
      }
    });

    it('every opt-out keyword of the defaults counts, trimmed, case-folded and without trailing punctuation', async () => {
      const words = ['ARRET', 'cancel', 'End', 'OPT-OUT', 'optout', 'QUIT', 'remove', 'Stop.', '  stop!! ', 'STOPALL', 'stop all', 'STOP   ALL', 'TD', 'Unsubscribe?'];
      for (const word of words) {
        const remote = newRemote();
        await inbound(h.pigeon, remote, word);
        const [entry] = await entriesOf(h.pigeon, remote);
        assert.equal(entry?.scopeKey, ACCOUNT_A.number, `'${word}' is an opt-out keyword`);
      }
    });

    it('near-misses are not keywords: no block, no reply, delivered to the application as usual', async () => {
      const nearMisses = ['STOP please', 'please stop', 'STOPP', 'S T O P', 'S.T.O.P', '"STOP', 'STOP 👍', 'HELP ME', 'START NOW', 'stop-all', 'STOP\nNOW'];
      for (const text of nearMisses) {
        const remote = newRemote();
        const { messages } = await inbound(h.pigeon, remote, text);
        await h.receiver.waitFor(() => h.receiver.eventsFor(messages[0]!.id).length > 0, 10_000, `message-received of '${text}'`);
        assert.deepEqual(await eventsOf(h.pigeon, remote), [], `'${text}' is not a keyword`);
        assert.deepEqual(await entriesOf(h.pigeon, remote), []);
      }
      // A keyword sent to a group is conversation, not an instruction to one sender.
      const remote = newRemote();
      await inbound(h.pigeon, remote, 'STOP', [ACCOUNT_A.number, ACCOUNT_A.secondNumber]);
      assert.deepEqual(await eventsOf(h.pigeon, remote), []);
    });

    it('a group with one opted-out member: only that recipient fails, the others are delivered', async () => {
      const optedOut = newRemote();
      const other = newRemote();
      await inbound(h.pigeon, optedOut, 'STOP');
      const group = await send(h.pigeon, sms([optedOut, other]));
      await expectOptedOutFailure(h, seen, group.id, optedOut);
      await expectDelivered(h, group.id, other);
      assert.equal(submitted(seen, group.id).length, 1);
    });

    it('recipients already queued when STOP arrives fail 4775 without reaching the carrier', async () => {
      const remote = newRemote();
      await h.pigeon.server.delivery.stop();
      const queued = [];
      try {
        for (let i = 0; i < 3; i++) queued.push(await send(h.pigeon, sms(remote)));
        await inbound(h.pigeon, remote, 'STOP');
      } finally {
        h.pigeon.server.delivery.start();
      }
      for (const message of queued) await expectOptedOutFailure(h, seen, message.id, remote);
    });

    it('scope number (the default): a STOP to one number leaves the application\'s other numbers sending', async () => {
      const remote = newRemote();
      await inbound(h.pigeon, remote, 'STOP');
      await expectOptedOutFailure(h, seen, (await send(h.pigeon, sms(remote))).id, remote);
      await expectDelivered(h, (await send(h.pigeon, sms(remote, ACCOUNT_A.secondNumber))).id, remote);
    });

    it('blocks added by hand and removed by hand apply at once; bad input is a 4xx naming the field', async () => {
      const remote = newRemote();
      const added = await h.pigeon.fetch('/admin/v1/opt-outs', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ recipient: remote, scope: 'account', scopeKey: ACCOUNT_A.id }),
      });
      assert.equal(added.status, 201);
      const again = await h.pigeon.admin<{ created: boolean; optOut: Entry }>('POST', '/opt-outs', { recipient: remote, scope: 'account', scopeKey: ACCOUNT_A.id });
      assert.equal(again.created, false);
      assert.equal(again.optOut.source, 'admin');
      // Account scope covers the other application too.
      await expectOptedOutFailure(h, seen, (await send(h.pigeon, sms(remote, ACCOUNT_A.tollFreeNumber, TOLL_FREE_APP))).id, remote);
      await h.pigeon.admin('DELETE', `/opt-outs/account/${ACCOUNT_A.id}/${encodeURIComponent(remote)}`);
      await expectDelivered(h, (await send(h.pigeon, sms(remote))).id, remote);
      assert.deepEqual((await eventsOf(h.pigeon, remote)).map((e) => [e.action, e.source, e.changed]), [
        ['opt-in', 'admin', true],
        ['opt-out', 'admin', false],
        ['opt-out', 'admin', true],
      ]);

      const csv = (body: string) => ({ body, type: 'text/csv' });
      const json = (body: unknown) => ({ body: JSON.stringify(body), type: 'application/json' });
      const cases: Array<{ method: string; path: string; send?: { body: string | Uint8Array; type: string }; status: number; field?: string }> = [
        { method: 'POST', path: '/opt-outs', send: json({ scope: 'number', scopeKey: ACCOUNT_A.number }), status: 400, field: 'recipient' },
        { method: 'POST', path: '/opt-outs', send: json({ recipient: '555', scope: 'number', scopeKey: ACCOUNT_A.number }), status: 400, field: 'recipient' },
        { method: 'POST', path: '/opt-outs', send: json({ recipient: remote, scope: 'planet', scopeKey: ACCOUNT_A.number }), status: 400, field: 'scope' },
        { method: 'POST', path: '/opt-outs', send: json({ recipient: remote, scope: 'number', scopeKey: '+19995550000' }), status: 400, field: 'scopeKey' },
        { method: 'POST', path: '/opt-outs', send: json({ recipient: remote, scope: 'application', scopeKey: 'nope' }), status: 400, field: 'scopeKey' },
        { method: 'POST', path: '/opt-outs', send: json({ recipient: remote, scope: 'number', scopeKey: ACCOUNT_A.number, extra: 1 }), status: 400, field: 'body' },
        { method: 'POST', path: '/opt-outs', send: json([1]), status: 400, field: 'body' },
        { method: 'POST', path: '/opt-outs', send: { body: '{', type: 'application/json' }, status: 400 },
        { method: 'POST', path: '/opt-outs', send: { body: 'x', type: 'application/xml' }, status: 415 },
        { method: 'GET', path: '/opt-outs?limit=0', status: 400, field: 'limit' },
        { method: 'GET', path: '/opt-outs?limit=abc', status: 400, field: 'limit' },
        { method: 'GET', path: '/opt-outs?offset=-1', status: 400, field: 'offset' },
        { method: 'GET', path: '/opt-outs?scope=galaxy', status: 400, field: 'scope' },
        { method: 'GET', path: '/opt-outs?recipient=abc', status: 400, field: 'recipient' },
        { method: 'GET', path: '/opt-outs?color=red', status: 400, field: 'color' },
        { method: 'GET', path: '/opt-outs?limit=1&limit=2', status: 400, field: 'limit' },
        { method: 'GET', path: '/opt-outs/events?recipient=12', status: 400, field: 'recipient' },
        { method: 'GET', path: '/opt-outs/events?limit=100000', status: 400, field: 'limit' },
        { method: 'DELETE', path: `/opt-outs/number/${encodeURIComponent(ACCOUNT_A.number)}/${encodeURIComponent(newRemote())}`, status: 404 },
        { method: 'DELETE', path: `/opt-outs/everything/x/${encodeURIComponent(remote)}`, status: 400, field: 'scope' },
        { method: 'DELETE', path: `/opt-outs/number/${encodeURIComponent(ACCOUNT_A.number)}/notanumber`, status: 400, field: 'recipient' },
        { method: 'POST', path: '/opt-outs/import', send: csv('phone_is_missing\n+19195550100\n'), status: 400, field: 'line 1: header' },
        { method: 'POST', path: '/opt-outs/import', send: csv(''), status: 400 },
        { method: 'POST', path: '/opt-outs/import', send: csv('recipient,scope,scopeKey\n+19195550100,number,+19195551212\nnot-a-number,number,+19195551212\n'), status: 400, field: 'line 3: recipient' },
        { method: 'POST', path: '/opt-outs/import', send: csv('recipient,scope,scopeKey\n+19195550100,moon,x\n'), status: 400, field: 'line 2: scope' },
        { method: 'POST', path: '/opt-outs/import', send: csv('recipient,scope,scopeKey\n+19195550100,number,+19995550000\n'), status: 400, field: 'line 2: scopeKey' },
        { method: 'POST', path: '/opt-outs/import', send: csv('recipient\n+19195550100\n'), status: 400, field: 'line 2: scope' },
        { method: 'POST', path: '/opt-outs/import', send: csv('recipient,createdAt\n+19195550100,yesterday\n'), status: 400, field: 'line 2: createdAt' },
        { method: 'POST', path: '/opt-outs/import', send: csv('recipient,scope,scopeKey\n"+19195550100,number,x\n'), status: 400, field: 'body' },
        { method: 'POST', path: '/opt-outs/import?scope=sun', send: csv('recipient\n+19195550100\n'), status: 400, field: 'scope' },
        { method: 'POST', path: '/opt-outs/import', send: json({ text: 'recipient' }), status: 400, field: 'body' },
        { method: 'POST', path: '/opt-outs/import', send: { body: new Uint8Array([0xff, 0xfe, 0x41]), type: 'text/csv; charset=latin1' }, status: 400 },
      ];
      for (const c of cases) {
        const res = await h.pigeon.fetch(`/admin/v1${c.path}`, {
          method: c.method,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(c.send && { 'content-type': c.send.type }) },
          body: c.send?.body,
        });
        const text = await res.text();
        assert.equal(res.status, c.status, `${c.method} ${c.path} ${String(c.send?.body ?? '')}: ${text}`);
        if (c.field) {
          const body = JSON.parse(text) as { fieldErrors?: Array<{ fieldName: string }> };
          assert.ok(body.fieldErrors?.some((f) => f.fieldName === c.field), `${c.method} ${c.path}: expected field ${c.field} in ${text}`);
        }
      }
      // Nothing of the refused imports was written.
      assert.deepEqual(await entriesOf(h.pigeon, '+19195550100'), []);
    });

    it('CSV export and import round trip into another Pigeon, keeping who, where, which keyword and when', async () => {
      const remotes = [newRemote(), newRemote(), newRemote()];
      await inbound(h.pigeon, remotes[0]!, 'STOP');
      await h.pigeon.admin('POST', '/opt-outs', { recipient: remotes[1], scope: 'application', scopeKey: TOLL_FREE_APP });
      // Another provider's export: a bare list of numbers, the scope given with the request; quoted fields.
      const imported = await h.pigeon.admin<{ rows: number; added: number; existing: number }>(
        'POST',
        `/opt-outs/import?scope=number&scopeKey=${encodeURIComponent(ACCOUNT_A.secondNumber)}`,
        { csv: `Phone,Keyword,created_at\r\n"${remotes[2]}","stop, please",2024-05-01T10:00:00Z\r\n${remotes[0]},,\r\n` },
      );
      assert.deepEqual(imported, { rows: 2, added: 2, existing: 0 });
      const reimport = await h.pigeon.admin<{ added: number; existing: number }>('POST', `/opt-outs/import?scope=number&scopeKey=${encodeURIComponent(ACCOUNT_A.secondNumber)}`, { csv: `recipient\n${remotes[2]}\n` });
      assert.deepEqual(reimport, { rows: 1, added: 0, existing: 1 });
      await expectOptedOutFailure(h, seen, (await send(h.pigeon, sms(remotes[2]!, ACCOUNT_A.secondNumber))).id, remotes[2]!);

      const res = await h.pigeon.fetch('/admin/v1/opt-outs/export', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
      const exported = await res.text();
      const ours = exported.split('\r\n').filter((line, i) => i === 0 || remotes.some((r) => line.startsWith(`${r},`)));
      assert.equal(ours[0], 'recipient,scope,scopeKey,accountId,keyword,source,createdAt');
      assert.equal(ours.length, 5, exported);
      assert.ok(ours.includes(`${remotes[2]},number,${ACCOUNT_A.secondNumber},${ACCOUNT_A.id},"STOP, PLEASE",import,2024-05-01T10:00:00.000Z`), exported);

      const other = await startHarness({ backend });
      try {
        const answer = await other.pigeon.fetch('/admin/v1/opt-outs/import', {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
          body: `${ours.join('\r\n')}\r\n`,
        });
        assert.equal(answer.status, 200, await answer.clone().text());
        assert.deepEqual(await answer.json(), { rows: 4, added: 4, existing: 0 });
        const strip = (list: Entry[]) =>
          list.map((e) => ({ ...e, source: undefined, inboundMessageId: undefined })).sort((a, b) => `${a.recipient}${a.scopeKey}`.localeCompare(`${b.recipient}${b.scopeKey}`));
        for (const remote of remotes) assert.deepEqual(strip(await entriesOf(other.pigeon, remote)), strip(await entriesOf(h.pigeon, remote)));
      } finally {
        await other.close();
      }
    });

    it('a STOP racing sends: nothing is submitted after the block is recorded, beyond the one recipient a worker had already checked', async () => {
      // One recipient in flight at a time, each held 30 ms at the carrier: the STOP lands mid-stream.
      const race = await startHarness({ backend, extra: 'delivery: { concurrency: 1 }\n' });
      try {
        const raceSeen = spySubmits(race.pigeon, 30);
        const remote = newRemote();
        const before = await Promise.all(Array.from({ length: 12 }, () => send(race.pigeon, sms(remote))));
        const ours = new Set(before.map((m) => m.id));
        const oursSubmitted = () => raceSeen.filter((s) => ours.has(s.split(' ')[0]!)).length;
        await eventually(async () => (oursSubmitted() > 0 ? true : undefined), 'a first submit');
        await inbound(race.pigeon, remote, 'STOP');
        // The block is committed: every submit after this point must have been checked before it.
        const submitsAtBlock = oursSubmitted();
        const afterStop = await Promise.all(Array.from({ length: 4 }, () => send(race.pigeon, sms(remote))));
        let delivered = 0;
        for (const message of [...before, ...afterStop]) {
          const settled = await race.pigeon.waitForMessage(message.id, 'terminal', 30);
          const record = settled.recipients[0];
          if (record?.messageStatus === 'DELIVERED') {
            delivered++;
            assert.equal(submitted(raceSeen, message.id).length, 1);
          } else {
            assert.equal(record?.messageStatus, 'FAILED');
            assert.equal(record?.errorCode, 4775);
            assert.deepEqual(submitted(raceSeen, message.id), [], 'a blocked recipient never reaches the carrier');
          }
        }
        for (const message of afterStop) ours.add(message.id);
        assert.ok(delivered >= 1);
        // At the block's commit at most one recipient (concurrency 1) could be between its check and its submit.
        assert.ok(delivered <= submitsAtBlock + 1, `delivered ${delivered}, submitted before the block ${submitsAtBlock}`);
        assert.equal(oursSubmitted(), delivered);
      } finally {
        await race.close();
      }
    });

    it('the CLI lists, adds, removes, exports and imports (`pigeon opt-outs`)', async () => {
      const env = { PIGEON_URL: h.pigeon.url, PIGEON_ADMIN_TOKEN: ADMIN_TOKEN };
      const remote = newRemote();
      const tmp = mkdtempSync(join(tmpdir(), 'pigeon-opt-out-cli-'));
      try {
        const add = await runPigeon(['opt-outs', 'add', '--recipient', remote, '--scope', 'number', '--scope-key', ACCOUNT_A.number], { env });
        assert.equal(add.code, 0, add.stderr);
        const list = await runPigeon(['opt-outs', 'list', '--recipient', remote], { env });
        assert.equal(list.code, 0, list.stderr);
        assert.match(list.stdout, new RegExp(`^\\${remote}\\tnumber\\t\\${ACCOUNT_A.number}\\t${ACCOUNT_A.id}\\t-\\tadmin\\t`));
        const file = join(tmp, 'out.csv');
        const exported = await runPigeon(['opt-outs', 'export', '--recipient', remote, '--file', file], { env });
        assert.equal(exported.code, 0, exported.stderr);
        assert.equal(readFileSync(file, 'utf8').split('\r\n').filter(Boolean).length, 2);
        const removed = await runPigeon(['opt-outs', 'remove', '--recipient', remote, '--scope', 'number', '--scope-key', ACCOUNT_A.number], { env });
        assert.equal(removed.code, 0, removed.stderr);
        assert.deepEqual(await entriesOf(h.pigeon, remote), []);
        const imported = await runPigeon(['opt-outs', 'import', '--file', file], { env });
        assert.equal(imported.code, 0, imported.stderr);
        assert.equal((JSON.parse(imported.stdout) as { added: number }).added, 1);
        assert.equal((await entriesOf(h.pigeon, remote)).length, 1);
        const bad = join(tmp, 'bad.csv');
        writeFileSync(bad, 'recipient\nnope\n');
        const refused = await runPigeon(['opt-outs', 'import', '--file', bad, '--scope', 'number', '--scope-key', ACCOUNT_A.number], { env });
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /line 2: recipient/);
        const usage = await runPigeon(['opt-outs', 'add', '--recipient', remote], { env });
        assert.equal(usage.code, 2);
        // The inbound CLI goes through the same keyword path.
        const other = newRemote();
        const stop = await runPigeon(['inbound', '--from', other, '--to', ACCOUNT_A.number, '--text', 'Stop'], { env });
        assert.equal(stop.code, 0, stop.stderr);
        assert.equal((await entriesOf(h.pigeon, other))[0]?.keyword, 'STOP');
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });

  describe(`opt-out scopes and settings (${backend})`, () => {
    it('scope application: a STOP to one number blocks the application\'s other numbers, not another application', async () => {
      const h = await startHarness({ backend, otherToReceiver: true, extra: 'optOut: { scope: application }\n' });
      try {
        const seen = spySubmits(h.pigeon);
        const remote = newRemote();
        await inbound(h.pigeon, remote, 'STOP');
        assert.deepEqual((await entriesOf(h.pigeon, remote)).map((e) => [e.scope, e.scopeKey]), [['application', APP]]);
        await expectOptedOutFailure(h, seen, (await send(h.pigeon, sms(remote, ACCOUNT_A.secondNumber))).id, remote);
        await expectDelivered(h, (await send(h.pigeon, sms(remote, ACCOUNT_A.tollFreeNumber, TOLL_FREE_APP))).id, remote);
        // START at either number of the application lifts it.
        await inbound(h.pigeon, remote, 'START', ACCOUNT_A.secondNumber);
        await expectDelivered(h, (await send(h.pigeon, sms(remote))).id, remote);
      } finally {
        await h.close();
      }
    });

    it('enabled: false (per application) leaves keywords to the application: no block, no reply, delivered; replies and keywords are configurable', async () => {
      const harness = await startHarness({
        backend,
        otherToReceiver: true,
        editYaml: (yaml) =>
          yaml
            .replace('        name: Toll-free\n', '        name: Toll-free\n        optOut: { enabled: false }\n')
            .replace(
              '        name: Main\n',
              '        name: Main\n        optOut: { keywords: { optOut: [BASTA, STOP] }, replies: { en: { optOut: "Bye from Main" } } }\n',
            ),
      });
      const { pigeon, receiver } = harness;
      try {
        const seen = spySubmits(pigeon);
        const remote = newRemote();
        const { messages } = await inbound(pigeon, remote, 'STOP', ACCOUNT_A.tollFreeNumber);
        await receiver.waitFor(() => receiver.eventsFor(messages[0]!.id).some((e) => e.type === 'message-received'), 10_000, 'message-received');
        assert.deepEqual(await eventsOf(pigeon, remote), []);
        assert.deepEqual(await entriesOf(pigeon, remote), []);
        await expectDelivered(harness, (await send(pigeon, sms(remote, ACCOUNT_A.tollFreeNumber, TOLL_FREE_APP))).id, remote);
        // Even a block added by hand is not applied where opt-out handling is off.
        await pigeon.admin('POST', '/opt-outs', { recipient: remote, scope: 'account', scopeKey: ACCOUNT_A.id });
        await expectDelivered(harness, (await send(pigeon, sms(remote, ACCOUNT_A.tollFreeNumber, TOLL_FREE_APP))).id, remote);
        await expectOptedOutFailure(harness, seen, (await send(pigeon, sms(remote))).id, remote);

        const main = newRemote();
        await inbound(pigeon, main, 'basta');
        await expectReply(harness, main, 'opt-out', 'Bye from Main');
        const notAnymore = newRemote();
        await inbound(pigeon, notAnymore, 'QUIT');
        assert.deepEqual(await eventsOf(pigeon, notAnymore), [], 'the configured list replaces the default one');
        // Account B's application keeps the global defaults.
        const b = newRemote();
        await inbound(pigeon, b, 'QUIT', ACCOUNT_B.number);
        assert.equal((await entriesOf(pigeon, b))[0]?.accountId, ACCOUNT_B.id);
        const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_B.id}/messages`, {
          method: 'POST',
          headers: { authorization: AUTH_B, 'content-type': 'application/json' },
          body: JSON.stringify({ applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number, to: [b], text: 'hi' }),
        });
        assert.equal(res.status, 202);
        const failed = await pigeon.waitForMessage(((await res.json()) as { id: string }).id);
        assert.equal(failed.recipients[0]?.errorCode, 4775);
      } finally {
        await harness.close();
      }
    });
  });

  describe(`opt-out through an SMPP carrier, with keyword languages (${backend})`, () => {
    let smsc: SmscServer;
    let h: Harness;
    before(async () => {
      smsc = await startSmsc();
      h = await startHarness({
        backend,
        extra: [
          'optOut:',
          '  defaultLanguage: fr',
          '  keywords: { optOut: [STOP, ALTO] }',
          '  keywordLanguages: { STOP: en, ALTO: es }',
          '  replies: { es: { optOut: "Baja confirmada." } }',
          carriersYaml([smppCarrier('smsc', smsc.address.port)], ['{ carrier: smsc }']),
        ].join('\n'),
      });
      await until(() => smsc.bindCount > 0, 'the bind');
    });
    after(async () => {
      await h.close();
      await smsc.close();
    });

    it('takes a STOP that arrives from the carrier as a deliver_sm: blocked, answered over SMPP, later sends fail 4775', async () => {
      const remote = newRemote();
      smsc.inject({ from: remote, to: ACCOUNT_A.number, text: 'Stop' });
      // Handled once the reply is stored: the block is recorded, and named in the audit trail, before it.
      await eventually(async () => {
        const replyId = (await eventsOf(h.pigeon, remote))[0]?.replyMessageId;
        return replyId && (await h.pigeon.fetch(`/admin/v1/messages/${replyId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status === 200 ? true : undefined;
      }, 'the keyword handled');
      assert.deepEqual((await entriesOf(h.pigeon, remote)).map((e) => [e.scope, e.keyword, e.source]), [['number', 'STOP', 'keyword']]);
      // STOP's language is English here, over the default French.
      await expectReply(h, remote, 'opt-out', DEFAULT_REPLIES.en!.optOut);
      assert.ok(smsc.received.some((m) => m.to === remote && m.text === DEFAULT_REPLIES.en!.optOut), 'the reply went out through the SMSC');
      const blocked = await send(h.pigeon, sms(remote));
      const settled = await h.pigeon.waitForMessage(blocked.id, 'callbacks');
      assert.equal(settled.recipients[0]?.errorCode, 4775);
      assert.equal(smsc.received.some((m) => m.to === remote && m.text === 'Your order has shipped'), false);
    });

    it('answers in the keyword\'s language (keywordLanguages), else in defaultLanguage', async () => {
      const spanish = newRemote();
      await inbound(h.pigeon, spanish, 'alto');
      await expectReply(h, spanish, 'opt-out', 'Baja confirmada.');
      const french = newRemote();
      await inbound(h.pigeon, french, 'HELP');
      await expectReply(h, french, 'help', DEFAULT_REPLIES.fr!.help);
    });
  });
}

describe('optOut config errors name the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-opt-out-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (extra: string, yaml = configYaml({ extra })) => {
    const path = join(dir, 'pigeon.yaml');
    writeFileSync(path, yaml);
    return () => loadConfig({ PIGEON_CONFIG: path });
  };
  const table: Array<[string, string, RegExp]> = [
    ['bad scope', 'optOut: { scope: planet }\n', /optOut\.scope:/],
    ['unknown key', 'optOut: { enable: true }\n', /unknown key optOut\.enable/],
    ['not a boolean', 'optOut: { enabled: "yes" }\n', /optOut\.enabled:/],
    ['empty keyword', 'optOut: { keywords: { help: ["!!"] } }\n', /optOut\.keywords\.help\[0\]:/],
    ['keyword in two classes', 'optOut: { keywords: { help: [STOP] } }\n', /optOut\.keywords\.help: 'STOP' is also a keyword of optOut/],
    ['empty reply', 'optOut: { replies: { en: { help: "" } } }\n', /optOut\.replies\.en\.help:/],
    ['bad language', 'optOut: { replies: { English: { help: "x" } } }\n', /optOut\.replies/],
    ['unknown reply class', 'optOut: { replies: { en: { goodbye: "x" } } }\n', /optOut\.replies\.en\.goodbye/],
  ];
  for (const [name, extra, message] of table) {
    it(name, () => assert.throws(load(extra), message));
  }
  it('a conflict made by an application names the application', () => {
    const yaml = configYaml({}).replace('        name: Main\n', '        name: Main\n        optOut: { keywords: { optIn: [QUIT] } }\n');
    assert.throws(load('', yaml), /accounts\[0\]\.applications\[0\]\.optOut\.keywords\.optIn: 'QUIT' is also a keyword of optOut/);
  });
});
