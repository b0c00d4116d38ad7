// Pigeon's SMPP carrier against `pigeon smsc`, end to end over real sockets: encodings on the wire,
// long messages, group messages, receipts in each form (TLV, text with hex and decimal ids, before
// the submit response), failures with their mapped code, throttling, inbound single and multi-part,
// and the carrier's state in the admin status. Three SMSCs behind routes: A answers normally,
// B sends text-only receipts with decimal ids (its submit responses are hex), C sends each receipt
// before its submit response.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SmscServer } from '../../../src/carriers/smpp/smsc/smsc-server.js';
import { ACCOUNT_A } from '../../helpers/fixtures.js';
import { smsBody } from '../../helpers/http.js';
import { BACKENDS } from '../../helpers/pigeon.js';
import { send, startHarness, statuses, type Harness } from '../../delivery/e2e-support.js';
import { smppCarrier, startSmsc, until } from './smpp-support.js';

const TO_B = '+14445550100';
const TO_C = '+13335550100';

for (const backend of BACKENDS) {
  describe(`SMPP carrier against pigeon smsc (${backend})`, () => {
    let a: SmscServer;
    let b: SmscServer;
    let c: SmscServer;
    let h: Harness;
    before(async () => {
      a = await startSmsc();
      b = await startSmsc({ receipts: 'text', idFormat: 'hex', receiptTextIdFormat: 'decimal' });
      c = await startSmsc({ receiptBeforeResponse: true, idFormat: 'decimal', receiptTextIdFormat: 'hex' });
      h = await startHarness({
        backend,
        extra: [
          'carriers:',
          smppCarrier('smsc-a', a.address.port),
          smppCarrier('smsc-b', b.address.port, { receiptIdFormat: 'decimal' }),
          smppCarrier('smsc-c', c.address.port),
          'routes:',
          `  - { carrier: smsc-b, to: "+1444" }`,
          `  - { carrier: smsc-c, to: "+1333" }`,
          '  - { carrier: smsc-a }',
          '',
        ].join('\n'),
      });
      await until(() => a.bindCount > 0 && b.bindCount > 0 && c.bindCount > 0, 'the binds');
    });
    after(async () => {
      await h.close();
      await Promise.all([a.close(), b.close(), c.close()]);
    });

    it('sends GSM-7 text as DCS 0 in GSM 03.38 octets, € escaped and @ as 0x00', async () => {
      const text = 'Pay 5€ @ {shop}';
      const created = await send(h.pigeon, smsBody({ text }));
      const done = await h.pigeon.waitForMessage(created.id, 'terminal');
      assert.deepEqual(statuses(done.events), ['RECEIVED', 'QUEUED', 'SENDING', 'SENT', 'DELIVERED']);
      const got = a.received.find((m) => m.text === text);
      assert.ok(got, `smsc-a did not receive ${JSON.stringify(text)}: ${JSON.stringify(a.received.map((m) => m.text))}`);
      assert.equal(got.parts.length, 1);
      assert.equal(got.parts[0]?.dataCoding, 0);
      // P a y ' ' 5 ESC e ' ' @ ' ' ESC ( s h o p ESC )
      assert.equal(got.parts[0]?.shortMessage.toString('hex'), '50617920351b652000201b2873686f701b29');
      assert.equal(got.from, ACCOUNT_A.number);
    });

    it('sends other text as UCS-2 (DCS 8), an emoji as its surrogate pair', async () => {
      const text = 'Hi 😀';
      const created = await send(h.pigeon, smsBody({ text }));
      await h.pigeon.waitForMessage(created.id, 'terminal');
      const got = a.received.find((m) => m.text === text);
      assert.ok(got);
      assert.equal(got.parts[0]?.dataCoding, 8);
      assert.equal(got.parts[0]?.shortMessage.toString('hex'), '004800690020d83dde00');
    });

    it('sends a 3-part message as the 3 parts segmentCount counted, reassembled by the SMSC with the same text', async () => {
      const text = `${'Long message € '.repeat(25)}end`;
      const created = await send(h.pigeon, smsBody({ text }));
      assert.equal(created.segmentCount, 3);
      const done = await h.pigeon.waitForMessage(created.id, 'terminal');
      assert.equal(statuses(done.events).at(-1), 'DELIVERED');
      const got = a.received.find((m) => m.text === text);
      assert.ok(got, 'the SMSC reassembled the text');
      assert.equal(got.parts.length, 3);
      for (const part of got.parts) {
        assert.equal(part.esmClass & 0x40, 0x40, 'UDHI set');
        assert.equal(part.shortMessage.subarray(0, 3).toString('hex'), '050003');
      }
      assert.deepEqual(got.parts.map((p) => [p.shortMessage[4], p.shortMessage[5]]), [[3, 1], [3, 2], [3, 3]]);
    });

    it('sends a group message as one submit per recipient', async () => {
      const to = ['+19195550181', '+19195550182'];
      const text = 'group hello';
      const created = await send(h.pigeon, smsBody({ to, text }));
      await h.pigeon.waitForMessage(created.id, 'terminal');
      const got = a.received.filter((m) => m.text === text).map((m) => m.to).sort();
      assert.deepEqual(got, to);
    });

    it('matches text receipts whose id is the decimal spelling of a hex submit response', async () => {
      const created = await send(h.pigeon, smsBody({ to: [TO_B], text: 'to smsc-b' }));
      const done = await h.pigeon.waitForMessage(created.id, 'terminal');
      assert.equal(statuses(done.events).at(-1), 'DELIVERED');
      assert.ok(b.submits.some((s) => s.to === TO_B), 'went through smsc-b');
    });

    it('matches a receipt that arrived before its submit response (hex text id of a decimal response)', async () => {
      const created = await send(h.pigeon, smsBody({ to: [TO_C], text: 'to smsc-c' }));
      const done = await h.pigeon.waitForMessage(created.id, 'terminal');
      // The receipt overtakes the submit response, yet the recipient's timeline reads SENT before
      // DELIVERED, with exactly one terminal event, in the view the wait returned.
      const timeline = statuses(done.events);
      assert.deepEqual(timeline.filter((s) => s === 'DELIVERED' || s === 'FAILED'), ['DELIVERED'], timeline.join(','));
      assert.ok(timeline.includes('SENT') && timeline.indexOf('SENT') < timeline.indexOf('DELIVERED'), timeline.join(','));
      assert.equal(timeline.at(-1), 'DELIVERED', timeline.join(','));
      assert.equal(done.recipients[0]?.messageStatus, 'DELIVERED');
      assert.ok(c.submits.some((s) => s.to === TO_C), 'went through smsc-c');
    });

    it('fails a recipient whose receipt says UNDELIV err:001 with the mapped 4720, keeping what the SMSC said', async () => {
      const created = await send(h.pigeon, smsBody({ to: ['+15005550001'], text: 'will fail' }));
      await h.pigeon.waitForMessage(created.id, 'callbacks');
      const [event] = h.receiver.eventsFor(created.id);
      assert.equal(event?.type, 'message-failed');
      assert.equal(event?.errorCode, 4720);
      const view = await h.pigeon.waitForMessage(created.id, 'terminal');
      const failed = view.events.find((e) => e.status === 'FAILED');
      assert.match(String(failed?.detail), /stat=UNDELIV err=001/);
    });

    it('slows down on ESME_RTHROTTLED and retries without spending an attempt', async () => {
      a.throttleNext = 3;
      const created = await send(h.pigeon, smsBody({ text: 'throttled first' }));
      const done = await h.pigeon.waitForMessage(created.id, 'terminal');
      assert.equal(a.throttleNext, 0);
      assert.deepEqual(statuses(done.events), ['RECEIVED', 'QUEUED', 'SENDING', 'SENT', 'DELIVERED']);
    });

    for (const method of ['udh', 'udh16', 'sar'] as const) {
      it(`takes a multi-part inbound message (${method}) as one message-received`, async () => {
        const text = `Inbound ${method} ${'x'.repeat(200)} ünd €`;
        assert.equal(a.inject({ from: '+15551230000', to: ACCOUNT_A.number, text, method }), 2);
        await h.receiver.waitFor(() => h.receiver.events((e) => e.type === 'message-received' && e.message.text === text).length > 0);
        const [event] = h.receiver.events((e) => e.type === 'message-received' && e.message.text === text);
        assert.equal(event?.message.from, '+15551230000');
        assert.deepEqual(event?.message.to, [ACCOUNT_A.number]);
      });
    }

    it('takes a single inbound message', async () => {
      assert.equal(a.inject({ from: '+15551230001', to: ACCOUNT_A.number, text: 'Hello @ Pigeon' }), 1);
      await h.receiver.waitFor(() => h.receiver.events((e) => e.type === 'message-received' && e.message.text === 'Hello @ Pigeon').length === 1);
    });

    it('shows each carrier bound in GET /admin/v1/status', async () => {
      const status = await h.pigeon.admin<{ carriers: Array<{ name: string; state: string; bound: number }> }>('GET', '/status');
      assert.deepEqual(status.carriers.map((c) => [c.name, c.state, c.bound]), [['smsc-a', 'bound', 1], ['smsc-b', 'bound', 1], ['smsc-c', 'bound', 1]]);
    });
  });
}
