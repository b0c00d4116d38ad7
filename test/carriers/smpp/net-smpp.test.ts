// Pigeon's SMPP carrier against an SMSC no one here wrote: a small Net::SMPP server in Perl
// (net-smpp-smsc.pl, Debian libnet-smpp-perl). Checks the bytes it received (GSM 03.38 under DCS 0,
// UCS-2 under DCS 8, UDH on long messages), receipts in text form with a decimal id for an upper-case
// hex submit response, and a message from the phone.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A } from '../../helpers/fixtures.js';
import { smsBody } from '../../helpers/http.js';
import { BACKENDS } from '../../helpers/pigeon.js';
import type { Backend } from '../../helpers/databases.js';
import { send, startHarness, statuses, view, type Harness } from '../../delivery/e2e-support.js';
import { skipUnless } from '../../helpers/requirements.js';
import { smppCarrier, until } from './smpp-support.js';

const SCRIPT = fileURLToPath(new URL('./net-smpp-smsc.pl', import.meta.url));
const available = spawnSync('perl', ['-MNet::SMPP', '-e', '1']).status === 0;
const unavailable = skipUnless('interop', available, 'Net::SMPP (libnet-smpp-perl) is not installed');

interface PerlSmsc {
  child: ChildProcessWithoutNullStreams;
  port: number;
  submits: Array<{ dcs: number; esm: number; to: string; hex: string; id: string }>;
}

/** Starts the SMSC; `args` as net-smpp-smsc.pl takes them (--port, --first-id, --receipt-first). */
function startPerlSmsc(args: readonly string[] = []): Promise<PerlSmsc> {
  return new Promise((resolve, reject) => {
    const child = spawn('perl', [SCRIPT, ...args]);
    const smsc: PerlSmsc = { child, port: 0, submits: [] };
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const port = /^PORT (\d+)$/.exec(line);
        if (port) {
          smsc.port = Number(port[1]);
          resolve(smsc);
        }
        const submit = /^SUBMIT dcs=(\d+) esm=(\d+) to=(\S+) hex=([0-9a-f]*) id=([0-9A-F]+)$/.exec(line);
        if (submit) {
          smsc.submits.push({ dcs: Number(submit[1]), esm: Number(submit[2]), to: String(submit[3]), hex: String(submit[4]), id: String(submit[5]) });
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`net-smpp-smsc.pl exited with ${code}`)));
  });
}

/** A Pigeon on `backend` that sends every message through the SMSC. */
function harnessFor(backend: Backend, smsc: PerlSmsc): Promise<Harness> {
  return startHarness({ backend, extra: `carriers:\n${smppCarrier('net-smpp', smsc.port)}\nroutes:\n  - { carrier: net-smpp }\n` });
}

for (const backend of BACKENDS) {
  describe(`SMPP carrier against Net::SMPP (${backend})`, { skip: unavailable }, () => {
    let smsc: PerlSmsc;
    let h: Harness;
    before(async () => {
      smsc = await startPerlSmsc();
      h = await harnessFor(backend, smsc);
    });
    after(async () => {
      await h.close();
      smsc.child.kill('SIGTERM');
    });

    it('delivers GSM-7 text with € and @ as GSM 03.38 octets, matched by a decimal text receipt', async () => {
      const created = await send(h.pigeon, smsBody({ text: '5€@x' }));
      const done = await h.pigeon.waitForMessage(created.id, 'terminal');
      assert.deepEqual(statuses(done.events), ['RECEIVED', 'QUEUED', 'SENDING', 'SENT', 'DELIVERED']);
      assert.ok(smsc.submits.some((s) => s.dcs === 0 && s.hex === '351b650078'), JSON.stringify(smsc.submits));
    });

    it('delivers UCS-2 text with an emoji as DCS 8', async () => {
      const created = await send(h.pigeon, smsBody({ text: 'ok 😀' }));
      await h.pigeon.waitForMessage(created.id, 'terminal');
      assert.ok(smsc.submits.some((s) => s.dcs === 8 && s.hex === '006f006b0020d83dde00'));
    });

    it('delivers a 3-part message as three submits with UDH, all receipts matched', async () => {
      const text = 'Three parts. '.repeat(35);
      const created = await send(h.pigeon, smsBody({ to: ['+19195550177'], text }));
      assert.equal(created.segmentCount, 3);
      const done = await h.pigeon.waitForMessage(created.id, 'terminal');
      assert.equal(statuses(done.events).at(-1), 'DELIVERED');
      const parts = smsc.submits.filter((s) => s.to === '19195550177');
      assert.equal(parts.length, 3);
      for (const p of parts) assert.equal(p.esm & 0x40, 0x40);
      const body = parts.map((p) => Buffer.from(p.hex, 'hex').subarray(6).toString('latin1')).join('');
      assert.equal(body, text);
    });

    it('takes a message from the phone', async () => {
      const created = await send(h.pigeon, smsBody({ to: ['+19195550178'], text: 'MO please' }));
      await h.pigeon.waitForMessage(created.id, 'terminal');
      await until(() => h.receiver.events((e) => e.type === 'message-received' && e.message.text === 'Reply from Net::SMPP').length > 0, 'the inbound message');
      const [event] = h.receiver.events((e) => e.type === 'message-received');
      assert.equal(event?.message.from, '+19195550178');
      assert.deepEqual(event?.message.to, [ACCOUNT_A.number]);
    });
  });
}

/** Kills the SMSC as a crash would, and waits until its process is gone (its port is free again). */
async function killPerlSmsc(smsc: PerlSmsc): Promise<void> {
  if (smsc.child.exitCode !== null || smsc.child.signalCode !== null) return;
  const exited = new Promise((resolve) => smsc.child.once('exit', resolve));
  smsc.child.kill('SIGKILL');
  await exited;
}

// The SMSC of issue 22: its ids come from a counter that starts again when it restarts, so the
// messages after a restart get the ids of messages before it. Each must still end delivered, once.
for (const backend of BACKENDS) {
  describe(`SMPP carrier against a Net::SMPP SMSC that restarts with its id counter reset (${backend})`, { skip: unavailable }, () => {
    let smsc: PerlSmsc;
    let h: Harness;
    before(async () => {
      smsc = await startPerlSmsc();
      h = await harnessFor(backend, smsc);
    });
    after(async () => {
      await h.close();
      await killPerlSmsc(smsc);
    });

    /** Sends one message to each handset and asserts that each ends delivered within 20 s; returns their ids. */
    async function sendAll(handsets: readonly string[], text: string): Promise<string[]> {
      const ids = await Promise.all(handsets.map(async (to) => (await send(h.pigeon, smsBody({ to: [to], text }))).id));
      // A message whose receipt went astray stays SENT: its wait answers 408, and its status shows it.
      await Promise.all(ids.map((id) => h.pigeon.waitForMessage(id, 'terminal', 20).catch(() => undefined)));
      const last = await Promise.all(ids.map(async (id) => statuses((await view(h.pigeon, id)).events).at(-1)));
      assert.deepEqual(last, ids.map(() => 'DELIVERED'), `${text}: every message delivered`);
      return ids;
    }

    async function restart(extra: readonly string[] = []): Promise<void> {
      const port = smsc.port;
      await killPerlSmsc(smsc);
      smsc = await startPerlSmsc(['--port', String(port), ...extra]);
    }

    it('delivers every message exactly once, with its callback, although its ids are given again after each restart', async () => {
      const handsets = (from: number, n: number) => Array.from({ length: n }, (_, i) => `+191955502${String(from + i).padStart(2, '0')}`);
      const before = await sendAll(handsets(0, 6), 'before the restart');
      const firstLife = smsc.submits.map((s) => s.id);

      // Killed and started again: the counter starts over. The same handsets and new ones.
      await restart();
      const after = await sendAll([...handsets(0, 6), ...handsets(10, 6)], 'after the restart');
      const secondLife = smsc.submits.map((s) => s.id);
      assert.deepEqual(secondLife.slice(0, 6).sort(), [...firstLife].sort(), 'the SMSC gave the first six ids again');

      // Again, now with each receipt sent before the submit_sm_resp that names its id.
      await restart(['--receipt-first']);
      const overtaken = await sendAll([...handsets(0, 3), ...handsets(20, 3)], 'receipt first');
      assert.deepEqual(smsc.submits.map((s) => s.id).sort(), [...firstLife].sort(), 'and once more');

      const all = [...before, ...after, ...overtaken];
      const delivered = (id: string) => h.receiver.eventsFor(id).filter((e) => e.type === 'message-delivered').length;
      await h.receiver.waitFor(() => all.every((id) => delivered(id) >= 1), 10_000, 'a message-delivered callback of each');
      assert.deepEqual(all.filter((id) => delivered(id) !== 1), [], 'exactly one message-delivered callback each');
      assert.deepEqual(h.receiver.events((e) => e.type === 'message-failed' && all.includes(String(e.message.id))), []);
    });
  });
}
