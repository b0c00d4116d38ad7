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
import { send, startHarness, statuses, type Harness } from '../../delivery/e2e-support.js';
import { skipUnless } from '../../helpers/requirements.js';
import { smppCarrier, until } from './smpp-support.js';

const SCRIPT = fileURLToPath(new URL('./net-smpp-smsc.pl', import.meta.url));
const available = spawnSync('perl', ['-MNet::SMPP', '-e', '1']).status === 0;

interface PerlSmsc {
  child: ChildProcessWithoutNullStreams;
  port: number;
  submits: Array<{ dcs: number; esm: number; to: string; hex: string }>;
}

function startPerlSmsc(): Promise<PerlSmsc> {
  return new Promise((resolve, reject) => {
    const child = spawn('perl', [SCRIPT]);
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
        const submit = /^SUBMIT dcs=(\d+) esm=(\d+) to=(\S+) hex=([0-9a-f]*)$/.exec(line);
        if (submit) smsc.submits.push({ dcs: Number(submit[1]), esm: Number(submit[2]), to: String(submit[3]), hex: String(submit[4]) });
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`net-smpp-smsc.pl exited with ${code}`)));
  });
}

for (const backend of BACKENDS) {
  describe(`SMPP carrier against Net::SMPP (${backend})`, { skip: skipUnless('interop', available, 'Net::SMPP (libnet-smpp-perl) is not installed') }, () => {
    let smsc: PerlSmsc;
    let h: Harness;
    before(async () => {
      smsc = await startPerlSmsc();
      h = await startHarness({ backend, extra: `carriers:\n${smppCarrier('net-smpp', smsc.port)}\nroutes:\n  - { carrier: net-smpp }\n` });
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
