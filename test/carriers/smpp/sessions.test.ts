// Sessions that stay up: Pigeon's SMPP binds against a `pigeon smsc` that drops every connection,
// goes away mid-window and comes back, falls silent, or refuses the credentials.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SmscServer } from '../../../src/carriers/smpp/smsc/smsc-server.js';
import { smsBody } from '../../helpers/http.js';
import { BACKENDS } from '../../helpers/pigeon.js';
import { send, startHarness, statuses, type Harness } from '../../delivery/e2e-support.js';
import { smppCarrier, startSmsc, until } from './smpp-support.js';

const WINDOW = 4;

interface CarrierStatus {
  name: string;
  state: string;
  bound: number;
  binds: Array<{ state: string; lastError?: string }>;
  counters: { reconnects: number; noResponse: number };
}

for (const backend of BACKENDS) {
  describe(`SMPP sessions (${backend})`, () => {
    let smsc: SmscServer;
    let h: Harness;
    const status = async () => (await h.pigeon.admin<{ carriers: CarrierStatus[] }>('GET', '/status')).carriers[0] as CarrierStatus;
    const waitState = async (state: string) => {
      const started = Date.now();
      for (;;) {
        const s = await status();
        if (s.state === state) return s;
        if (Date.now() - started > 30_000) throw new Error(`carrier still ${s.state}, not ${state}: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    before(async () => {
      smsc = await startSmsc({}, { latencyMs: 50 });
      h = await startHarness({
        backend,
        extra: `carriers:\n${smppCarrier('smsc', smsc.address.port, { window: WINDOW, enquireLinkSeconds: 0.2, submitWaitSeconds: 20 })}\nroutes:\n  - { carrier: smsc }\n`,
      });
      await waitState('bound');
    });
    after(async () => {
      await h.close();
      await smsc.close();
    });

    it('rebinds after the SMSC drops every connection', async () => {
      const before = (await status()).counters.reconnects;
      smsc.dropConnections();
      await until(() => smsc.bindCount === 0, 'the drop');
      const s = await waitState('bound');
      assert.ok(s.counters.reconnects > before);
      const created = await send(h.pigeon, smsBody({ text: 'after the rebind' }));
      const done = await h.pigeon.waitForMessage(created.id, 'terminal');
      assert.equal(statuses(done.events).at(-1), 'DELIVERED');
    });

    it('loses nothing when the SMSC goes away mid-window and comes back; repeats stay within the window', { timeout: 90_000 }, async () => {
      const count = 30;
      const texts = Array.from({ length: count }, (_, i) => `mid-window ${i}`);
      const sent = await Promise.all(texts.map((text) => send(h.pigeon, smsBody({ text }))));
      await until(() => smsc.submits.filter((s) => s.to).length > 0 && smsc.received.some((m) => m.text.startsWith('mid-window')), 'the first submits');
      await smsc.stopListening();
      await new Promise((r) => setTimeout(r, 300));
      await smsc.restart();
      // Waited on together, so a stuck message fails the test after one timeout rather than thirty.
      await Promise.all(
        sent.map(async (created) => {
          const done = await h.pigeon.waitForMessage(created.id, 'terminal', 30).catch(async (err: Error) => {
            throw new Error(`${err.message}; timeline ${JSON.stringify((await h.pigeon.admin<{ events: unknown }>('GET', `/messages/${created.id}`)).events)}`);
          });
          assert.equal(statuses(done.events).at(-1), 'DELIVERED', `${created.id}: ${JSON.stringify(done.events)}`);
        }),
      );
      const taken = smsc.received.filter((m) => m.text.startsWith('mid-window'));
      assert.deepEqual(new Set(taken.map((m) => m.text)), new Set(texts), 'every message reached the SMSC');
      assert.ok(taken.length - count <= WINDOW, `${taken.length - count} repeats, more than the window of ${WINDOW}`);
    });

    it('detects a silent SMSC through enquire_link, drops the bind and binds again once it answers', async () => {
      smsc.silent = true;
      const down = await waitState('connecting');
      assert.ok(down.binds.some((b) => b.lastError !== undefined), JSON.stringify(down));
      smsc.silent = false;
      await waitState('bound');
      const created = await send(h.pigeon, smsBody({ text: 'after the silence' }));
      const done = await h.pigeon.waitForMessage(created.id, 'terminal');
      assert.equal(statuses(done.events).at(-1), 'DELIVERED');
    });
  });
}

describe('SMPP bind refused', () => {
  let smsc: SmscServer;
  let h: Harness;
  before(async () => {
    smsc = await startSmsc({ systemId: 'someone-else' });
    h = await startHarness({ backend: 'sqlite', extra: `carriers:\n${smppCarrier('smsc', smsc.address.port)}\nroutes:\n  - { carrier: smsc }\n` });
  });
  after(async () => {
    await h.close();
    await smsc.close();
  });

  it('keeps trying with backoff and shows why in the status', async () => {
    let s: CarrierStatus | undefined;
    const started = Date.now();
    for (;;) {
      s = (await h.pigeon.admin<{ carriers: CarrierStatus[] }>('GET', '/status')).carriers[0];
      if ((s?.counters.reconnects ?? 0) >= 2) break;
      assert.ok(Date.now() - started < 30_000, JSON.stringify(s));
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.notEqual(s?.state, 'bound');
    assert.match(String(s?.binds[0]?.lastError), /0xf/);
  });
});
