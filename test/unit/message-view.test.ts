// The admin view of a message reads its timeline and callbacks only after its recipients' records:
// a status change commits with its event and callback, so reads begun later hold the events of
// every status the records show. Read side by side (separate snapshots on PostgreSQL), a wait for
// 'terminal' could return a DELIVERED recipient whose timeline still ended at SENT.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageView } from '../../src/core/admin/message-view.js';
import type { DeliveryStore, MessageStore } from '../../src/core/ports.js';

describe('messageView', () => {
  it('reads events and callbacks after the recipient records have been read', async () => {
    const order: string[] = [];
    let recordsDone = false;
    const message = { id: 'm1', accountId: 'a1', direction: 'out', to: ['+15550001'], time: 0 };
    const delivery = {
      getMessage: async () => message,
      listEvents: async () => {
        order.push(`events after records: ${recordsDone}`);
        return [];
      },
      listCallbacks: async () => {
        order.push(`callbacks after records: ${recordsDone}`);
        return [];
      },
      queueEntries: async () => [],
    } as unknown as DeliveryStore;
    const messages = {
      listMessages: async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        recordsDone = true;
        return { records: [], totalCount: 0 };
      },
    } as unknown as MessageStore;
    const view = await messageView({ messages, delivery }, 'm1', 0);
    assert.ok(view);
    assert.deepEqual(order.sort(), ['callbacks after records: true', 'events after records: true']);
  });
});
