// The admin view of a message reads its timeline and callbacks only after its recipients' records:
// a status change commits with its event and callback, so reads begun later hold the events of
// every status the records show. Read side by side (separate snapshots on PostgreSQL), a wait for
// 'terminal' could return a DELIVERED recipient whose timeline still ended at SENT.
//
// Against the real store of a real Pigeon (API role: nothing delivers on its own). The status change
// is committed, through the store, just before the records are read, after whatever the view
// started beside that read: a timeline read beside the records would miss it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { messageView } from '../../src/core/admin/message-view.js';
import { statusChange } from '../../src/core/delivery/status-change.js';
import type { MessageStore } from '../../src/core/ports.js';
import { RECIPIENT } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

for (const backend of BACKENDS) {
  describe(`messageView (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' } });
    });
    after(() => pigeon.close());

    it('holds in its timeline every status its recipient records show', async () => {
      const res = await postMessage(pigeon, smsBody({ to: [RECIPIENT] }));
      assert.equal(res.status, 202);
      const id = String(res.body.id);
      const { store, directory } = pigeon.server;
      const message = await store.delivery.getMessage(id);
      assert.ok(message);
      const messages: MessageStore = Object.create(store.messages) as MessageStore;
      messages.listMessages = async (...args: Parameters<MessageStore['listMessages']>) => {
        // Whatever the view started beside this read runs first …
        await new Promise((resolve) => setImmediate(resolve));
        // … then the recipient fails, committed with its event, before its record is read.
        assert.equal(await store.delivery.recordTerminal(statusChange(directory, message, RECIPIENT, 'FAILED', Date.now(), { errorCode: 4720, detail: 'test' })), true);
        return store.messages.listMessages(...args);
      };
      const view = await messageView({ messages, delivery: store.delivery }, id);
      assert.ok(view);
      assert.deepEqual(view.recipients.map((r) => r.messageStatus), ['FAILED']);
      assert.deepEqual(view.events.map((e) => e.status), ['RECEIVED', 'QUEUED', 'FAILED']);
    });
  });
}
