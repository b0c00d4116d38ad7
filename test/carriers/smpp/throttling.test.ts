// Throttling spends no attempts: an SMSC that answers ESME_RTHROTTLED for longer than the carrier's
// submitWaitSeconds makes the carrier give the recipient back to the queue, again and again, and
// with delivery.maxAttempts 1 a single spent attempt would fail it with 5201. It ends DELIVERED
// once the SMSC accepts, and the admin view shows no attempt spent while it waited. A run of
// deferrals is one QUEUED event in the timeline (the first; store/sql/event-log.ts), however long
// the carrier keeps giving the recipient back: the queue entry shows the latest.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageView } from '../../../src/core/admin/message-view.js';
import type { SmscServer } from '../../../src/carriers/smpp/smsc/smsc-server.js';
import { smsBody } from '../../helpers/http.js';
import { BACKENDS } from '../../helpers/pigeon.js';
import { send, startHarness, statuses, type Harness } from '../../delivery/e2e-support.js';
import { smppCarrier, startSmsc, until } from './smpp-support.js';

for (const backend of BACKENDS) {
  describe(`SMPP throttling spends no attempts (${backend})`, () => {
    let smsc: SmscServer;
    let h: Harness;
    before(async () => {
      smsc = await startSmsc();
      h = await startHarness({
        backend,
        extra: [
          'delivery: { maxAttempts: 1, retryInitialSeconds: 0.05, retryMaxSeconds: 1 }',
          'carriers:',
          smppCarrier('smsc', smsc.address.port, { submitWaitSeconds: 0.3 }),
          'routes:',
          '  - { carrier: smsc }',
          '',
        ].join('\n'),
      });
      await until(() => smsc.bindCount > 0, 'the bind');
    });
    after(async () => {
      await h.close();
      await smsc.close();
    });

    it('keeps a throttled recipient queued past submitWaitSeconds without spending its one attempt, then delivers it', { timeout: 60_000 }, async () => {
      smsc.throttleNext = 1_000_000;
      const created = await send(h.pigeon, smsBody({ text: 'throttled for a while' }));
      // Several rounds of "carrier gave it back" (each a submit the SMSC throttled), none spending an attempt.
      let view: MessageView | undefined;
      for (const started = Date.now(); 1_000_000 - smsc.throttleNext < 3 && Date.now() - started < 40_000; ) {
        view = await h.pigeon.admin<MessageView>('GET', `/messages/${created.id}`);
        assert.ok(!statuses(view.events).includes('FAILED'), `failed while throttled: ${JSON.stringify(view.events)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const throttledSoFar = 1_000_000 - smsc.throttleNext;
      assert.ok(throttledSoFar >= 3, `the SMSC throttled ${throttledSoFar} submits`);
      // Read after the third refusal was given back (the recipient is queued again, not held).
      for (const started = Date.now(); ; await new Promise((r) => setTimeout(r, 20))) {
        view = await h.pigeon.admin<MessageView>('GET', `/messages/${created.id}`);
        if (view.queue.length === 1 && !view.queue[0]?.inFlight) break;
        assert.ok(Date.now() - started < 20_000, `the recipient back in the queue: ${JSON.stringify(view.queue)}`);
      }
      const queue = view?.queue ?? [];
      assert.equal(queue[0]?.attempts, 0, `attempts spent while throttled: ${JSON.stringify(queue)}`);
      const deferrals = (view?.events ?? []).filter((e) => e.status === 'QUEUED' && /no attempt spent/.test(e.detail ?? ''));
      assert.equal(deferrals.length, 1, `a run of deferrals is one event: ${JSON.stringify(view?.events)}`);

      smsc.throttleNext = 0;
      const done = await h.pigeon.waitForMessage(created.id, 'terminal', 30);
      assert.equal(statuses(done.events).at(-1), 'DELIVERED', JSON.stringify(done.events));
      assert.ok(!done.events.some((e) => /^retry at /.test(e.detail ?? '')), 'a retry that spends an attempt was recorded');
      assert.deepEqual(done.queue, [], 'still queued after delivery');
      assert.equal(smsc.received.filter((m) => m.text === 'throttled for a while').length, 1);
    });

    it('keeps a recipient queued without spending its attempt while no bind is up, then delivers it', { timeout: 60_000 }, async () => {
      await smsc.stopListening();
      const created = await send(h.pigeon, smsBody({ text: 'carrier down for a while' }));
      const deferred = await deferrals(h, created.id, 2);
      assert.match(String(deferred.at(-1)?.detail), /no bound SMPP connection/);
      assert.equal(deferred.length, 1, 'a run of deferrals is one event');
      await smsc.restart();
      const done = await h.pigeon.waitForMessage(created.id, 'terminal', 30);
      assert.equal(statuses(done.events).at(-1), 'DELIVERED', JSON.stringify(done.events));
      assert.ok(!done.events.some((e) => /^retry at /.test(e.detail ?? '')), 'a retry that spends an attempt was recorded');
    });
  });
}

/**
 * Polls the admin view until the recipient was deferred `count` times (a run of deferrals is one
 * event; each deferral moves the queue entry's next run), checking on the way that none failed it
 * or spent an attempt; resolves with the deferral events.
 */
async function deferrals(h: Harness, id: string, count: number): Promise<MessageView['events']> {
  const runs = new Set<number>();
  for (const started = Date.now(); ; ) {
    const view = await h.pigeon.admin<MessageView>('GET', `/messages/${id}`);
    assert.ok(!statuses(view.events).includes('FAILED'), `failed while waiting for the carrier: ${JSON.stringify(view.events)}`);
    assert.ok(view.queue.every((q) => q.attempts === 0), `attempts spent: ${JSON.stringify(view.queue)}`);
    const found = view.events.filter((e) => e.status === 'QUEUED' && /no attempt spent/.test(e.detail ?? ''));
    const entry = view.queue[0];
    if (found.length > 0 && entry && !entry.inFlight && /no bound SMPP connection/.test(entry.lastError ?? '')) runs.add(entry.runAt);
    if (runs.size >= count) return found;
    assert.ok(Date.now() - started < 40_000, `only ${found.length} deferrals: ${JSON.stringify(view.events)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
