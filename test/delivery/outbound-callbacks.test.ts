// Outbound messages end to end over loopback: POST …/messages, the delivery worker, the simulated
// carrier and its receipts, and the status callbacks a real HTTP receiver gets (reference e.4–e.7).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, RECIPIENT, RECIPIENT_2 } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { ADMIN_TOKEN } from '../helpers/pigeon.js';
import {
  ISO_MS,
  TEST_NUMBER,
  arrivalIndex,
  assertNonDecreasing,
  records,
  requestOf,
  send,
  startHarness,
  DEPLOYMENTS,
  statuses,
  type Harness,
} from './e2e-support.js';

const MEDIA = ['https://media.example.test/catalog/spring.jpg'];

for (const { name, backend, workerThread } of DEPLOYMENTS) {
  describe(`outbound delivery and status callbacks (${name})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, workerThread });
    });
    after(() => h.close());

    it('delivers an SMS: one message-delivered callback exactly as reference e.4, DELIVERED in the list, a full timeline', async () => {
      const created = await send(h.pigeon, smsBody({ text: 'a'.repeat(161), tag: 'order-1234' }));
      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks');

      const events = h.receiver.eventsFor(created.id);
      assert.equal(events.length, 1, JSON.stringify(events));
      const event = events[0]!;
      const delivered = settled.events.find((e) => e.status === 'DELIVERED');
      assert.ok(delivered);
      assert.deepEqual(Object.keys(event), ['type', 'time', 'description', 'to', 'message']);
      assert.deepEqual(event, {
        type: 'message-delivered',
        time: delivered.timeIso,
        description: 'ok',
        to: RECIPIENT,
        message: {
          id: created.id,
          owner: ACCOUNT_A.number,
          applicationId: ACCOUNT_A.applicationId,
          time: created.time,
          segmentCount: 2,
          direction: 'out',
          to: [RECIPIENT],
          from: ACCOUNT_A.number,
          text: '',
          tag: 'order-1234',
          priority: 'default',
        },
      });
      assert.match(String(event.time), ISO_MS);
      assert.deepEqual(Object.keys(event.message), [
        'id', 'owner', 'applicationId', 'time', 'segmentCount', 'direction', 'to', 'from', 'text', 'tag', 'priority',
      ]);

      // One POST carrying an array of exactly this one event, with Bandwidth's headers.
      const request = requestOf(h.receiver, (e) => e.message.id === created.id);
      assert.equal(request.body.length, 1);
      assert.equal(request.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(request.headers['user-agent'], 'BandwidthAPI/v2');
      assert.equal(request.headers.authorization, undefined);

      const [record] = await records(h.pigeon, created.id);
      assert.equal(record?.messageStatus, 'DELIVERED');
      assert.equal(record?.errorCode, 0);
      assert.equal(record?.messageDirection, 'OUTBOUND');
      assert.equal(record?.segmentCount, 2);

      assert.deepEqual(statuses(settled.events), ['RECEIVED', 'QUEUED', 'SENDING', 'SENT', 'DELIVERED']);
      assert.ok(settled.events.every((e) => e.destinationTn === RECIPIENT));
      assertNonDecreasing(settled.events.map((e) => e.time), 'timeline');
      assert.equal(settled.events[0]?.time, Date.parse(created.time));

      // The outbox shows the callback delivered on its first attempt with a 200.
      assert.equal(settled.callbacks.length, 1);
      assert.equal(settled.callbacks[0]?.eventType, 'message-delivered');
      assert.equal(settled.callbacks[0]?.state, 'delivered');
      assert.deepEqual(settled.callbacks[0]?.attempts.map((a) => a.statusCode), [200]);
    });

    it('fails an SMS to the magic number +15005550001 with 4720 invalid-destination-address (reference e.5)', async () => {
      const created = await send(h.pigeon, smsBody({ to: [TEST_NUMBER.fail4720] }));
      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks');
      const events = h.receiver.eventsFor(created.id);
      assert.equal(events.length, 1);
      const failed = settled.events.find((e) => e.status === 'FAILED');
      assert.ok(failed);
      assert.deepEqual(Object.keys(events[0]!), ['type', 'time', 'description', 'to', 'errorCode', 'message']);
      assert.deepEqual(events[0], {
        type: 'message-failed',
        time: failed.timeIso,
        description: 'invalid-destination-address',
        to: TEST_NUMBER.fail4720,
        errorCode: 4720,
        message: {
          id: created.id,
          owner: ACCOUNT_A.number,
          applicationId: ACCOUNT_A.applicationId,
          time: created.time,
          segmentCount: 1,
          direction: 'out',
          to: [TEST_NUMBER.fail4720],
          from: ACCOUNT_A.number,
          text: '',
          priority: 'default',
        },
      });
      assert.equal(Number.isInteger(events[0]?.errorCode), true);
      const [record] = await records(h.pigeon, created.id);
      assert.equal(record?.messageStatus, 'FAILED');
      assert.equal(record?.errorCode, 4720);
      assert.deepEqual(statuses(settled.events), ['RECEIVED', 'QUEUED', 'SENDING', 'SENT', 'FAILED']);
      assert.equal(failed.errorCode, 4720);
    });

    it('fails an SMS with the code of a simulator rule added at runtime through the admin API', async () => {
      const destination = '+19195550150';
      const rule = await h.pigeon.admin<{ id: string; to: string; outcome: string; errorCode: number }>('POST', '/simulator/rules', {
        to: destination,
        outcome: 'fail',
        errorCode: 4702,
      });
      assert.equal(rule.to, destination);
      assert.equal(rule.outcome, 'fail');
      assert.equal(rule.errorCode, 4702);
      assert.match(rule.id, /^\S+$/);
      try {
        const failing = await send(h.pigeon, smsBody({ to: [destination] }));
        const other = await send(h.pigeon, smsBody({ to: [RECIPIENT_2] }));
        await h.pigeon.waitForMessage(failing.id, 'callbacks');
        await h.pigeon.waitForMessage(other.id, 'callbacks');
        const [event] = h.receiver.eventsFor(failing.id);
        assert.equal(h.receiver.eventsFor(failing.id).length, 1);
        assert.equal(event?.type, 'message-failed');
        assert.equal(event?.errorCode, 4702);
        assert.equal(event?.description, 'destination-subscriber-unavailable');
        assert.equal(event?.to, destination);
        const [record] = await records(h.pigeon, failing.id);
        assert.equal(record?.messageStatus, 'FAILED');
        assert.equal(record?.errorCode, 4702);
        // The rule matches its destination only.
        assert.deepEqual(h.receiver.eventsFor(other.id).map((e) => e.type), ['message-delivered']);
      } finally {
        const res = await h.pigeon.fetch(`/admin/v1/simulator/rules/${encodeURIComponent(rule.id)}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        assert.equal(res.status, 204);
      }
    });

    it('reports an MMS as message-sending first, then message-delivered "Message delivered to carrier", media echoed (reference e.6)', async () => {
      const created = await send(h.pigeon, smsBody({ text: 'look', media: MEDIA, tag: 'campaign-7' }));
      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks');
      const events = h.receiver.eventsFor(created.id);
      assert.deepEqual(events.map((e) => e.type), ['message-sending', 'message-delivered']);
      const sendingAt = settled.events.find((e) => e.status === 'SENDING')?.timeIso;
      const deliveredAt = settled.events.find((e) => e.status === 'DELIVERED')?.timeIso;
      const message = {
        id: created.id,
        owner: ACCOUNT_A.number,
        applicationId: ACCOUNT_A.applicationId,
        time: created.time,
        segmentCount: 1,
        direction: 'out',
        to: [RECIPIENT],
        from: ACCOUNT_A.number,
        text: '',
        media: MEDIA,
        tag: 'campaign-7',
        priority: 'default',
      };
      assert.deepEqual(events[0], {
        type: 'message-sending',
        time: sendingAt,
        description: 'Message is sending to carrier',
        to: RECIPIENT,
        message,
      });
      assert.deepEqual(events[1], {
        type: 'message-delivered',
        time: deliveredAt,
        description: 'Message delivered to carrier',
        to: RECIPIENT,
        message,
      });
      const sendingIndex = arrivalIndex(h.receiver, (e) => e.message.id === created.id && e.type === 'message-sending');
      const deliveredIndex = arrivalIndex(h.receiver, (e) => e.message.id === created.id && e.type === 'message-delivered');
      assert.ok(sendingIndex < deliveredIndex);
      const sendingRequest = requestOf(h.receiver, (e) => e.message.id === created.id && e.type === 'message-sending');
      const deliveredRequest = requestOf(h.receiver, (e) => e.message.id === created.id && e.type === 'message-delivered');
      assert.ok(sendingRequest.time <= deliveredRequest.time);
      const [record] = await records(h.pigeon, created.id);
      assert.equal(record?.messageType, 'mms');
      assert.equal(record?.messageStatus, 'DELIVERED');
      assert.equal(record?.errorCode, 0);
    });

    it('reports a group MMS per recipient: one sending and one terminal event each, failed only for the invalid one (reference e.7)', async () => {
      const to = [RECIPIENT, TEST_NUMBER.fail4720, RECIPIENT_2];
      const created = await send(h.pigeon, smsBody({ to, text: 'group' }));
      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks');
      const events = h.receiver.eventsFor(created.id);
      assert.equal(events.length, 6, JSON.stringify(events.map((e) => [e.type, e.to])));
      for (const e of events) {
        assert.equal(e.message.id, created.id);
        assert.deepEqual(e.message.to, to);
        assert.equal(e.message.owner, ACCOUNT_A.number);
        assert.equal(e.message.segmentCount, 1);
        assert.equal(e.message.text, '');
      }
      for (const destination of to) {
        const mine = events.filter((e) => e.to === destination);
        const expectedTerminal = destination === TEST_NUMBER.fail4720 ? 'message-failed' : 'message-delivered';
        assert.deepEqual(mine.map((e) => e.type), ['message-sending', expectedTerminal], destination);
        const terminal = mine[1]!;
        if (destination === TEST_NUMBER.fail4720) {
          assert.equal(terminal.errorCode, 4720);
          assert.equal(terminal.description, 'invalid-destination-address');
        } else {
          assert.equal('errorCode' in terminal, false);
          assert.equal(terminal.description, 'Message delivered to carrier');
        }
        assert.deepEqual(statuses(settled.events, destination), [
          'RECEIVED', 'QUEUED', 'SENDING', 'SENT', destination === TEST_NUMBER.fail4720 ? 'FAILED' : 'DELIVERED',
        ]);
      }
      const list = await records(h.pigeon, created.id);
      assert.deepEqual(
        list.map((r) => [r.destinationTn, r.messageStatus, r.errorCode]),
        [
          [TEST_NUMBER.fail4720, 'FAILED', 4720],
          [RECIPIENT_2, 'DELIVERED', 0],
          [RECIPIENT, 'DELIVERED', 0],
        ],
      );
    });
  });
}
