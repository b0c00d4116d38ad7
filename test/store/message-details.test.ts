// DeliveryStore.messageDetails on each engine: a page of messages read at once (the export's read)
// holds for each message exactly what the one-message reads give (the message, its records by
// recipient, events, callbacks); an id that is not stored is left out, and an empty list reads nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '../../src/core/messages/message.js';
import { openStore } from '../../src/store/open-store.js';
import { BACKENDS, createTestDatabase } from '../helpers/databases.js';
import { recordOf } from '../helpers/store-rows.js';

const T0 = 1_700_000_000_000;

function message(id: string, direction: 'in' | 'out', to: string[], time: number): Message {
  return {
    id,
    accountId: '9900000',
    applicationId: 'app-1',
    direction,
    owner: direction === 'out' ? '+19195551212' : (to[0] as string),
    from: direction === 'out' ? '+19195551212' : '+19195550100',
    to,
    text: `text of ${id}`,
    media: undefined,
    tag: undefined,
    priority: 'default',
    expiration: undefined,
    expiresAt: undefined,
    segmentCount: 1,
    type: 'sms',
    time,
  };
}


for (const backend of BACKENDS) {
  describe(`message details, many at once (${backend})`, () => {
    it('gives each message what the one-message reads give, and leaves out ids not stored', async () => {
      const db = await createTestDatabase(backend);
      const store = await openStore(db.url);
      try {
        // A group message (its recipients stored out of order) and an inbound one with its callback.
        const group = message('0000001-group', 'out', ['+19195550003', '+19195550001', '+19195550002'], T0);
        await store.messages.acceptOutbound(group, group.to.map((tn) => recordOf(group, tn)));
        const inbound = message('0000002-in', 'in', ['+19195551212'], T0 + 1);
        const callback = { messageId: inbound.id, accountId: inbound.accountId, applicationId: 'app-1', eventType: 'message-received', url: 'http://127.0.0.1:9/cb', body: '[{"type":"message-received"}]' };
        await store.delivery.acceptInbound([{ message: inbound, record: recordOf(inbound, '+19195551212'), callback }]);

        const details = await store.delivery.messageDetails([inbound.id, 'not-stored', group.id]);
        assert.deepEqual(details.map((d) => d.message.id).sort(), [group.id, inbound.id]);
        for (const m of [group, inbound]) {
          const detail = details.find((d) => d.message.id === m.id);
          assert.ok(detail);
          const records = await store.messages.listMessages(m.accountId, { messageId: m.id, sort: { field: 'destinationTn', direction: 'asc' }, offset: 0, limit: 100, countLimit: 0 });
          assert.deepEqual(detail.message, await store.delivery.getMessage(m.id));
          assert.deepEqual(detail.records, records.records);
          assert.deepEqual(detail.events, await store.delivery.listEvents(m.id));
          assert.deepEqual(detail.callbacks, await store.delivery.listCallbacks(m.id));
        }
        assert.deepEqual(details.find((d) => d.message.id === group.id)?.records.map((r) => r.destinationTn), ['+19195550001', '+19195550002', '+19195550003']);
        assert.equal(details.find((d) => d.message.id === inbound.id)?.callbacks[0]?.eventType, 'message-received');
        assert.deepEqual(await store.delivery.messageDetails([]), []);
      } finally {
        await store.close();
        await db.drop();
      }
    });
  });
}
