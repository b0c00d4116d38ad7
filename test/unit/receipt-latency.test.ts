// pigeon_carrier_receipt_latency_seconds counts every receipt of this process's submits, whichever
// arrives first: the submit's acknowledgement or the receipt. An SMSC may send the receipt before
// submit_sm_resp, and the simulator's receipt row is visible before the submit's fsync has ended;
// such a receipt once went uncounted, and the metrics test failed on a loaded CI machine.
//
// Against `pigeon smsc` (in this process) and Pigeon's SMPP carrier: one SMSC answers each submit
// and then sends its receipt, the other sends the receipt before the submit_sm_resp.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SmscServer } from '../../src/carriers/smpp/smsc/smsc-server.js';
import { smsBody } from '../helpers/http.js';
import { BACKENDS } from '../helpers/pigeon.js';
import { Exposition } from '../helpers/prometheus.js';
import { eventually, send, startHarness, statuses, type Harness } from '../delivery/e2e-support.js';
import { smppCarrier, startSmsc, until } from '../carriers/smpp/smpp-support.js';

const TO_EARLY = '+13335550100';

for (const backend of BACKENDS) {
  describe(`receipt latency (${backend})`, () => {
    let inOrder: SmscServer;
    let early: SmscServer;
    let h: Harness;
    before(async () => {
      // Its receipts come 200 ms after the submit_sm_resp; the other's before it.
      inOrder = await startSmsc({}, { latencyMs: 200 });
      early = await startSmsc({ receiptBeforeResponse: true });
      h = await startHarness({
        backend,
        extra: ['carriers:', smppCarrier('in-order', inOrder.address.port), smppCarrier('early', early.address.port), 'routes:', `  - { carrier: early, to: "+1333" }`, '  - { carrier: in-order }', ''].join('\n'),
      });
      await until(() => inOrder.bindCount > 0 && early.bindCount > 0, 'the binds');
    });
    after(async () => {
      await h.close();
      await Promise.all([inOrder.close(), early.close()]);
    });

    const latencyCount = async () => {
      const exposition = new Exposition(await (await h.pigeon.fetch('/metrics')).text());
      // The routing carrier ('routes') is the one the delivery worker submits through.
      return exposition.value('pigeon_carrier_receipt_latency_seconds', { carrier: 'routes', outcome: 'delivered' });
    };

    for (const order of ['acknowledged before it', 'acknowledged after it'] as const) {
      it(`counts a receipt once when the submit is ${order}`, async () => {
        const before = await latencyCount();
        const to = order === 'acknowledged after it' ? TO_EARLY : '+19195550199';
        const smsc = order === 'acknowledged after it' ? early : inOrder;
        const created = await send(h.pigeon, smsBody({ to: [to], text: `latency ${order}` }));
        const done = await h.pigeon.waitForMessage(created.id, 'terminal');
        assert.deepEqual(statuses(done.events).slice(-1), ['DELIVERED']);
        assert.ok(smsc.received.some((m) => m.text === `latency ${order}`), 'sent through the SMSC meant');
        await eventually(async () => ((await latencyCount()) > before ? true : undefined), 'the receipt counted');
        // Once, also after another submit and receipt through the same SMSC have come and gone.
        const next = await send(h.pigeon, smsBody({ to: [to], text: `latency ${order}, next` }));
        await h.pigeon.waitForMessage(next.id, 'terminal');
        await eventually(async () => ((await latencyCount()) >= before + 2 ? true : undefined), 'the next receipt counted');
        assert.equal(await latencyCount(), before + 2);
      });
    }
  });
}
