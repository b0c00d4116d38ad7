// The embedded default on several cores (main/worker-thread.ts): HTTP and callbacks on the main thread, delivery
// and receipts in a worker thread with a connection of its own to the same SQLite file. The
// end-to-end suites (outbound-callbacks, carrier-outcomes) also run against this deployment; these
// tests cover what only it has: the two threads waking each other, the simulator's settings read
// across threads, and the workers' status and metrics reported by the main thread.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BroadcastChannel } from 'node:worker_threads';
import { loadConfig } from '../../src/config/config.js';
import { startWithWorkerThread } from '../../src/main/worker-thread.js';
import { createLogger } from '../../src/shared/logger.js';
import { parseSqliteUrl } from '../../src/store/sqlite/sqlite-store.js';
import { ACCOUNT_A, RECIPIENT } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { BACKENDS } from '../helpers/pigeon.js';
import { send, startHarness, type Harness } from './e2e-support.js';

/** Resolves with the first message posted on one of the store's thread channels (store/sqlite/thread-channels.ts). */
function nextPost(databaseUrl: string, channel: string): { posted: Promise<void>; close: () => void } {
  const listener = new BroadcastChannel(`pigeon:${resolve(parseSqliteUrl(databaseUrl).path)}:${channel}`);
  const posted = new Promise<void>((done) => listener.addEventListener('message', () => done(), { once: true }));
  return { posted, close: () => listener.close() };
}

describe('SQLite with delivery in a worker thread', { skip: !BACKENDS.includes('sqlite') && 'SQLite is not among PIGEON_TEST_BACKENDS' }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ backend: 'sqlite', workerThread: true });
  });
  after(() => h.close());

  it('delivers from the worker thread, and the main thread reports its counters in the status and /metrics', async () => {
    const created = await send(h.pigeon, smsBody());
    const view = await h.pigeon.waitForMessage(created.id, 'callbacks');
    assert.equal(view.recipients[0]?.messageStatus, 'DELIVERED');
    assert.equal(h.receiver.eventsFor(created.id)[0]?.type, 'message-delivered');

    type Status = { carrier: { state: string }; delivery: { submitted: number }; callbacks: { delivered: number } };
    // The wait above sees the callback's row at its COMMIT; the sender counts it once the write has
    // resolved, after the fsync: ask again until it has.
    let status = await h.pigeon.admin<Status>('GET', '/status');
    for (const deadline = Date.now() + 10_000; status.callbacks.delivered < 1 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = await h.pigeon.admin<Status>('GET', '/status');
    }
    // The main thread's own workers never run: these figures can only come from the worker thread.
    assert.equal(status.carrier.state, 'connected');
    assert.ok(status.delivery.submitted >= 1, JSON.stringify(status));
    assert.ok(status.callbacks.delivered >= 1, JSON.stringify(status));

    const metrics = await (await h.pigeon.fetch('/metrics')).text();
    const submits = metrics.match(/^pigeon_carrier_submits_total\{carrier="simulator",outcome="accepted"\} (\d+)$/m);
    assert.ok(submits && Number(submits[1]) >= 1, 'the worker thread submits are counted');
    assert.match(metrics, /^pigeon_http_requests_total\{/m, "the main thread's own metrics are there too");
    // Process-wide and database-wide figures once, not once per thread.
    assert.equal(metrics.match(/^process_cpu_seconds_total /gm)?.length, 1);
    assert.equal(metrics.match(/^pigeon_delivery_queue_depth /gm)?.length, 1);
    assert.equal(metrics.match(/^pigeon_carrier_up\{carrier="simulator"\} 1$/gm)?.length, 1);
  });

  it('applies a simulator rule changed through the admin API to the very next message', async () => {
    // The simulator caches its settings for a second; the main thread announces each change to
    // the worker thread, so rules alternating faster than that still decide each message.
    for (const round of [1, 2, 3, 4]) {
      const failing = round % 2 === 1;
      await h.pigeon.admin('PUT', '/simulator/rules', failing ? [{ to: RECIPIENT, outcome: 'fail', errorCode: 4720 }] : []);
      const created = await send(h.pigeon, smsBody({ text: `round ${round}` }));
      const view = await h.pigeon.waitForMessage(created.id, 'terminal');
      const recipient = view.recipients[0];
      assert.equal(recipient?.messageStatus, failing ? 'FAILED' : 'DELIVERED', `round ${round}: ${JSON.stringify(recipient)}`);
      if (failing) assert.equal(recipient?.errorCode, 4720);
    }
  });

  it('wakes the other thread: acceptance on the delivery channel, an inbound callback on the callbacks channel', async () => {
    const url = h.pigeon.config.databaseUrl;
    const delivery = nextPost(url, 'delivery');
    const callbacks = nextPost(url, 'callbacks');
    try {
      const created = await send(h.pigeon, smsBody({ text: 'wake up' }));
      await delivery.posted;
      const inbound = await h.pigeon.admin<{ messages: Array<{ id: string }> }>('POST', '/inbound', {
        from: '+19195550100',
        to: ACCOUNT_A.number,
        text: 'hello there',
      });
      await callbacks.posted;
      await h.pigeon.waitForMessage(created.id, 'callbacks');
      const copy = inbound.messages[0];
      assert.ok(copy);
      await h.pigeon.waitForMessage(copy.id, 'callbacks');
      assert.equal(h.receiver.eventsFor(copy.id)[0]?.type, 'message-received');
    } finally {
      delivery.close();
      callbacks.close();
    }
  });

  it('reports a worker thread that died (serve then exits 1), and still closes the main thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pigeon-thread-'));
    try {
      const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'pigeon.db')}`, PIGEON_LOG_LEVEL: 'silent' }, { port: '0' });
      let fatal: (err: Error) => void = () => {};
      const died = new Promise<Error>((done) => (fatal = done));
      const threaded = await startWithWorkerThread(config, createLogger('silent'), (err) => fatal(err));
      await threaded.thread.terminate();
      assert.match((await died).message, /worker thread exited/);
      // Questions to the dead thread fail at once; closing does not wait for it.
      await assert.rejects(fetch(`${threaded.server.url}/admin/v1/status`, { headers: { authorization: 'Bearer pigeon-demo-admin-token' } }).then(async (res) => {
        if (!res.ok) throw new Error(`status ${res.status}`);
      }));
      await threaded.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
