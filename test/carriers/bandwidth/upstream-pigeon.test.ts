// The `bandwidth` carrier against another Pigeon as the upstream provider, over real HTTP both ways:
// SMS, MMS with a picture, a group MMS that stays one group upstream, a failure on the upstream's
// simulator coming back with its code, a reply with media from a phone upstream, forged or unknown
// event callbacks refused, and the staging pattern (only the team's phones go upstream, the rest to
// the local simulator) splitting a group between the two.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, AUTH_A, RECIPIENT, RECIPIENT_2, basic } from '../../helpers/fixtures.js';
import { freePort } from '../../helpers/free-port.js';
import { smsBody } from '../../helpers/http.js';
import { ADMIN_TOKEN, type TestPigeon } from '../../helpers/pigeon.js';
import { DEPLOYMENTS, send, startHarness, type Harness } from '../../delivery/e2e-support.js';
import { FAILS_UPSTREAM, FAILS_UPSTREAM_CODE, UP, UP_AUTH, startUpstream, upstreamCarrier, upstreamMessagesTo } from './upstream-support.js';

const TEAM = [RECIPIENT, RECIPIENT_2, '+19195550181', '+19195550182', '+19195550183', FAILS_UPSTREAM];
const NOT_TEAM = '+19195550150';
const PICTURE = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('a tiny picture, byte for byte')]);
const PHONE = '+19195550160';

for (const { name, backend, workerThread } of DEPLOYMENTS) {
  describe(`bandwidth carrier through an upstream Pigeon (${name})`, () => {
    let up: TestPigeon;
    let h: Harness;
    before(async () => {
      const localPort = await freePort();
      up = await startUpstream(backend, `http://127.0.0.1:${localPort}/carriers/up/callbacks`, [UP.mappedNumber, ACCOUNT_A.secondNumber]);
      h = await startHarness({
        backend,
        workerThread,
        configure: (config) => ({ ...config, port: localPort }),
        extra: [
          'carriers:',
          upstreamCarrier('up', `${up.url}/api/v2`, { numbers: { [ACCOUNT_A.number]: UP.mappedNumber } }),
          '  - { name: sim, type: simulator }',
          'routes:',
          `  - { carrier: up, numbers: ${JSON.stringify(TEAM)} }`,
          '  - { carrier: sim }',
          '',
        ].join('\n'),
      });
    });
    after(async () => {
      await h?.close();
      await up?.close();
    });

    const callbacksOf = async (id: string) => {
      await h.pigeon.waitForMessage(id, 'callbacks');
      return h.receiver.eventsFor(id);
    };

    it('sends an SMS as one upstream message from the mapped number, tagged with the Pigeon id, and reports its delivery', async () => {
      const created = await send(h.pigeon, smsBody({ to: [RECIPIENT], text: 'upstream sms', priority: 'high' }));
      const events = await callbacksOf(created.id);
      assert.deepEqual(events.map((e) => [e.type, e.to]), [['message-delivered', RECIPIENT]]);
      const [upstream, ...more] = (await upstreamMessagesTo(up, RECIPIENT)).filter((v) => v.message.text === 'upstream sms');
      assert.equal(more.length, 0, 'exactly one upstream message');
      assert.equal(upstream?.message.from, UP.mappedNumber);
      assert.equal(upstream?.message.tag, `pigeon:${created.id}`);
      assert.equal(upstream?.message.priority, 'high');
      assert.equal(upstream?.message.applicationId, UP.applicationId);
    });

    it('uploads an MMS picture to the upstream media API and sends it by its upstream URL', async () => {
      const put = await h.pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/cat.png`, {
        method: 'PUT',
        headers: { authorization: AUTH_A, 'content-type': 'image/png' },
        body: PICTURE,
      });
      assert.equal(put.status, 204);
      const media = [`${h.pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/cat.png`];
      const created = await send(h.pigeon, smsBody({ to: [RECIPIENT_2], text: 'a picture', media }));
      const events = await callbacksOf(created.id);
      assert.deepEqual(events.map((e) => e.type).filter((t) => t !== 'message-sending'), ['message-delivered']);
      const [upstream] = (await upstreamMessagesTo(up, RECIPIENT_2)).filter((v) => v.message.text === 'a picture');
      const upstreamUrl = upstream?.message.media?.[0];
      assert.ok(upstreamUrl?.startsWith(`${up.url}/api/v2/users/${UP.accountId}/media/`), String(upstreamUrl));
      const res = await fetch(upstreamUrl ?? '', { headers: { authorization: UP_AUTH } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), PICTURE);
    });

    it('sends a group MMS to 3 recipients as one group message upstream, each recipient delivered locally', async () => {
      const to = ['+19195550181', '+19195550182', '+19195550183'];
      const created = await send(h.pigeon, smsBody({ to, text: 'group of three' }));
      const events = await callbacksOf(created.id);
      assert.deepEqual(events.filter((e) => e.type === 'message-delivered').map((e) => e.to).sort(), to);
      const upstream = (await upstreamMessagesTo(up, to[0] as string)).filter((v) => v.message.text === 'group of three');
      assert.equal(upstream.length, 1, 'one upstream message');
      assert.deepEqual([...(upstream[0]?.message.to ?? [])].sort(), to);
      assert.equal(upstream[0]?.message.type, 'mms');
    });

    it('reports a failure on the upstream as message-failed with its error code', async () => {
      const created = await send(h.pigeon, smsBody({ to: [FAILS_UPSTREAM], text: 'will fail upstream' }));
      const events = await callbacksOf(created.id);
      assert.deepEqual(events.map((e) => [e.type, e.errorCode]), [['message-failed', FAILS_UPSTREAM_CODE]]);
      const view = await h.pigeon.waitForMessage(created.id);
      assert.match(String(view.events.find((e) => e.status === 'FAILED')?.detail), /upstream/);
    });

    it('takes a reply from a phone upstream as message-received, its media copied into the local media store', async () => {
      const res = await up.admin<{ messages: Array<{ id: string }> }>('POST', '/inbound', {
        from: PHONE,
        to: UP.mappedNumber,
        text: 'reply with a picture',
        media: [{ fileName: 'reply.png', contentType: 'image/png', base64: PICTURE.toString('base64') }],
      });
      assert.equal(res.messages.length, 1);
      await h.receiver.waitFor(() => h.receiver.events((e) => e.type === 'message-received' && e.message.text === 'reply with a picture').length > 0);
      const [event] = h.receiver.events((e) => e.type === 'message-received' && e.message.text === 'reply with a picture');
      assert.equal(event?.to, ACCOUNT_A.number, 'the upstream number mapped back to the local one');
      assert.equal(event?.message.from, PHONE);
      const url = (event?.message.media as string[] | undefined)?.[0] ?? '';
      assert.ok(url.startsWith(`${h.pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/`), String(url));
      const media = await fetch(url, { headers: { authorization: AUTH_A } });
      assert.equal(media.status, 200);
      assert.deepEqual(Buffer.from(await media.arrayBuffer()), PICTURE);
    });

    it('takes a group reply upstream as one copy per local number, without duplicates', async () => {
      await up.admin('POST', '/inbound', { from: PHONE, to: [UP.mappedNumber, ACCOUNT_A.secondNumber], text: 'group reply' });
      const received = () => h.receiver.events((e) => e.type === 'message-received' && e.message.text === 'group reply');
      await h.receiver.waitFor(() => received().length >= 2);
      assert.deepEqual(received().map((e) => e.to).sort(), [ACCOUNT_A.number, ACCOUNT_A.secondNumber].sort());
      for (const event of received()) assert.deepEqual([...(event.message.to as string[])].sort(), [ACCOUNT_A.number, ACCOUNT_A.secondNumber].sort());
    });

    it('stores an inbound event the upstream offers twice (its answer was lost) once', async () => {
      const phone = '+19195550161';
      const body = JSON.stringify([
        {
          type: 'message-received',
          time: new Date().toISOString(),
          to: UP.mappedNumber,
          description: 'Incoming message received',
          message: { id: 'upstream-inbound-1', owner: UP.mappedNumber, from: phone, to: [UP.mappedNumber], text: 'said twice', applicationId: UP.applicationId },
        },
      ]);
      const post = () =>
        h.pigeon.fetch('/carriers/up/callbacks', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: basic(UP.callbackUsername, UP.callbackPassword) },
          body,
        });
      assert.equal((await post()).status, 200);
      assert.equal((await post()).status, 200);
      const res = await h.pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages?sourceTn=${encodeURIComponent(phone)}&messageDirection=INBOUND`, { headers: { authorization: AUTH_A } });
      assert.equal(((await res.json()) as { totalCount: number }).totalCount, 1);
      await h.receiver.waitFor(() => h.receiver.events((e) => e.type === 'message-received' && e.message.text === 'said twice').length > 0);
    });

    it('splits a group by the staging allowlist: the team phone upstream, the other recipient on the simulator', async () => {
      const created = await send(h.pigeon, smsBody({ to: [RECIPIENT, NOT_TEAM], text: 'staging split' }));
      const events = await callbacksOf(created.id);
      assert.deepEqual(events.filter((e) => e.type === 'message-delivered').map((e) => e.to).sort(), [RECIPIENT, NOT_TEAM].sort());
      const upstream = (await upstreamMessagesTo(up, RECIPIENT)).filter((v) => v.message.text === 'staging split');
      assert.equal(upstream.length, 1);
      assert.deepEqual(upstream[0]?.message.to, [RECIPIENT], 'only the team phone went upstream');
      assert.equal((await upstreamMessagesTo(up, NOT_TEAM)).length, 0, 'the other recipient never went upstream');
    });

    it('refuses forged and unknown event callbacks with a 4xx and changes nothing', async () => {
      const created = await send(h.pigeon, smsBody({ to: [RECIPIENT], text: 'target of forgeries' }));
      await callbacksOf(created.id);
      const before = await h.pigeon.waitForMessage(created.id);
      const received = h.receiver.eventsFor(created.id).length;
      const good = basic(UP.callbackUsername, UP.callbackPassword);
      const event = (over: Record<string, unknown> = {}, message: Record<string, unknown> = {}) => [
        {
          type: 'message-failed',
          time: new Date().toISOString(),
          to: RECIPIENT,
          errorCode: 4720,
          description: 'forged',
          message: { id: 'upstream-id', from: UP.mappedNumber, to: [RECIPIENT], text: '', tag: `pigeon:${created.id}`, ...message },
          ...over,
        },
      ];
      const cases: Array<[string, string, string | undefined, unknown, number]> = [
        ['no credentials', 'up', undefined, event(), 401],
        ['wrong password', 'up', basic(UP.callbackUsername, 'guess'), event(), 401],
        ['the upstream API user instead', 'up', UP_AUTH, event(), 401],
        ['a carrier that does not exist', 'nope', good, event(), 401],
        ['a local API user', 'up', AUTH_A, event(), 401],
        ['the admin token', 'up', `Bearer ${ADMIN_TOKEN}`, event(), 401],
        ['not an array', 'up', good, { type: 'message-failed' }, 400],
        ['an empty batch', 'up', good, [], 400],
        ['an unknown event type', 'up', good, event({ type: 'message-exploded' }), 400],
        ['no tag', 'up', good, event({}, { tag: undefined }), 404],
        ['a tag Pigeon did not write', 'up', good, event({}, { tag: 'someone-else' }), 404],
        ['a message Pigeon never sent', 'up', good, event({}, { tag: 'pigeon:NOPE' }), 404],
        ['a recipient the message does not have', 'up', good, event({ to: NOT_TEAM }), 404],
      ];
      for (const [what, name, authorization, body, status] of cases) {
        const res = await h.pigeon.fetch(`/carriers/${name}/callbacks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization !== undefined && { authorization }) },
          body: JSON.stringify(body),
        });
        assert.equal(res.status, status, what);
        const error = (await res.json()) as { type?: string; description?: string };
        assert.equal(typeof error.description, 'string', `${what}: the API's error shape`);
      }
      const afterwards = await h.pigeon.waitForMessage(created.id);
      assert.deepEqual(afterwards.events, before.events, 'the recipient kept its timeline');
      assert.equal(h.receiver.eventsFor(created.id).length, received, 'no callback left for the local application');
    });

    // Last in this file's suite: it leaves the carrier's callbacks from this address locked for a minute.
    it('counts wrong callback credentials toward the sign-in limits: guessing is stopped with a 429', async () => {
      const post = (authorization: string) =>
        h.pigeon.fetch('/carriers/up/callbacks', { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: '[]' });
      const statuses: number[] = [];
      for (let i = 0; i < 12 && statuses.at(-1) !== 429; i++) statuses.push((await post(basic(UP.callbackUsername, `guess-${i}`))).status);
      assert.equal(statuses.at(-1), 429, `answers to wrong passwords: ${statuses.join(', ')}`);
      assert.ok(statuses.slice(0, -1).every((s) => s === 401));
      // Past the limit even the right password waits, so a guess that is right cannot be told apart.
      const right = await post(basic(UP.callbackUsername, UP.callbackPassword));
      assert.equal(right.status, 429);
      assert.ok(Number(right.headers.get('retry-after')) > 0);
    });
  });
}
