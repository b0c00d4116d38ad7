// Applications bound to Pigeon over SMPP (src/smpp-server), with a Node ESME on the `smpp`
// package: binds and credentials, submits through the core with submit_sm_resp after durability,
// the status table, receipts from the durable outbox (also across a disconnect), inbound messages,
// and the edges (window, malformed PDUs, unknown commands). Every storage engine.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { decodeUcs2, encodeUcs2 } from '../../src/carriers/smpp/text-coding.js';
import { withSql } from '../helpers/databases.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { eventually } from '../delivery/e2e-support.js';
import { Esme, ESME_USER, smppConfigYaml } from './esme-client.js';

const APP_NUMBER = '+19195551212';
const RECIPIENT = '+19195550199';
const FAILING = '+15005550001'; // simulator test number: fails with 4720
const ACCOUNT = '9900000';

const basic = `Basic ${Buffer.from('api-user:api-pass').toString('base64')}`;

for (const backend of BACKENDS) {
  describe(`SMPP server (${backend})`, () => {
    let pigeon: TestPigeon;
    let port: number;
    const open: Esme[] = [];
    const esme = async (mode?: 'transmitter' | 'receiver' | 'transceiver') => {
      const e = await Esme.connect(port);
      open.push(e);
      if (mode) assert.equal(await e.bind(mode, ESME_USER.systemId, ESME_USER.password), 0);
      return e;
    };

    /** The server's own count of the user's bound sessions (admin status). */
    const boundSessions = async (systemId: string) =>
      (await pigeon.admin<{ smppServer: { sessions: Array<{ systemId: string }> } }>('GET', '/status')).smppServer.sessions.filter((x) => x.systemId === systemId).length;

    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: smppConfigYaml({ window: 5 }) });
      port = pigeon.server.smpp?.port as number;
      assert.ok(port > 0);
    });
    // Receipts go to any receiver bind of the user: each test closes its binds so the next has them.
    afterEach(async () => {
      for (const e of open.splice(0)) await e.close();
    });
    after(async () => {
      await pigeon.close();
    });

    it('refuses a wrong password and an unknown system_id alike, and a bind past the user limit', async () => {
      const e = await esme();
      assert.equal(await e.bind('transceiver', ESME_USER.systemId, 'wrong'), 0x0e);
      // The same status as a wrong password: a bind does not tell which system_ids exist.
      assert.equal(await e.bind('transceiver', 'nobody', 'secret12'), 0x0e);
      assert.equal(await e.bind('transceiver', ESME_USER.systemId, 'waytoolongpassword'), 0x0e);
      // esme2 may hold two binds.
      const binds = [await esme(), await esme(), await esme()];
      assert.equal(await binds[0]?.bind('transmitter', 'esme2', 'second12'), 0);
      assert.equal(await binds[1]?.bind('receiver', 'esme2', 'second12'), 0);
      assert.equal(await binds[2]?.bind('transmitter', 'esme2', 'second12'), 0x0d);
      await binds[0]?.close();
      // The slot is free once the server has seen the close: wait for its own count, not for a clock.
      await eventually(async () => ((await boundSessions('esme2')) === 1 ? true : undefined), 'the server to drop the closed bind');
      assert.equal(await binds[2]?.bind('transmitter', 'esme2', 'second12'), 0);
    });

    it('answers submit before bind, submit on a receiver bind, unknown commands and enquire_link', async () => {
      const e = await esme();
      // Before a bind only bind_* is served (SMPP 3.4 §2.3): everything else is ESME_RINVBNDSTS.
      assert.equal((await e.submit(APP_NUMBER, RECIPIENT)).command_status, 0x04);
      assert.equal((await e.request('enquire_link')).command_status, 0x04);
      assert.equal((await e.request('query_sm', { message_id: 'x', source_addr: '1' })).command_status, 0x04);
      assert.equal(await e.bind('receiver', ESME_USER.systemId, ESME_USER.password), 0);
      assert.equal((await e.request('enquire_link')).command_status, 0);
      assert.equal((await e.submit(APP_NUMBER, RECIPIENT)).command_status, 0x04);
      assert.equal((await e.request('query_sm', { message_id: 'x', source_addr: '1' })).command_status, 0x03);
      const nack = await new Promise<{ command: string; command_status: number }>((resolve) => {
        const raw = Buffer.alloc(16);
        raw.writeUInt32BE(16, 0);
        raw.writeUInt32BE(0x00000077, 4);
        raw.writeUInt32BE(0, 8);
        raw.writeUInt32BE(4242, 12);
        e.session.socket.write(raw);
        e.session.on('pdu', (pdu) => {
          if (pdu.sequence_number === 4242) resolve(pdu);
        });
      });
      assert.equal(nack.command, 'generic_nack');
      assert.equal(nack.command_status, 0x03);
      assert.equal((await e.request('unbind')).command_status, 0);
    });

    it('answers a malformed PDU and closes that connection, and keeps serving others', async () => {
      const answer = await new Promise<Buffer>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (d) => chunks.push(d));
        socket.on('close', () => resolve(Buffer.concat(chunks)));
        socket.on('error', () => undefined);
        // command_length 8: shorter than a header.
        socket.write(Buffer.from([0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1]));
      });
      assert.ok(answer.length >= 16, 'a generic_nack came back before the close');
      assert.equal(answer.readUInt32BE(4), 0x80000000);
      const e = await esme('transmitter');
      assert.equal((await e.submit(APP_NUMBER, RECIPIENT)).command_status, 0);
    });

    it('maps core refusals to SMPP statuses', async () => {
      const e = await esme('transmitter');
      // A number of another application: invalid source.
      assert.equal((await e.submit('+19195551299', RECIPIENT)).command_status, 0x0a);
      // Not an E.164 destination.
      assert.equal((await e.submit(APP_NUMBER, '12', { dest_addr_ton: 0 })).command_status, 0x0b);
      // Binary data coding.
      assert.equal((await e.submit(APP_NUMBER, RECIPIENT, { data_coding: 4 })).command_status, 0x104);
    });

    it('answers an empty text with ESME_RINVMSGLEN and a part beyond its total with ESME_RINVESMCLASS', async () => {
      const e = await esme('transmitter');
      assert.equal((await e.submit(APP_NUMBER, RECIPIENT, { short_message: Buffer.alloc(0) })).command_status, 0x01);
      // Part 3 of 2.
      const udh = Buffer.from([0x05, 0x00, 0x03, 0x17, 0x02, 0x03]);
      assert.equal((await e.submit(APP_NUMBER, RECIPIENT, { esm_class: 0x40, short_message: Buffer.concat([udh, Buffer.from('x')]) })).command_status, 0x43);
    });

    it('reads data_coding 1 as ASCII and 3 as Latin-1', async () => {
      const e = await esme('transmitter');
      const ascii = await e.submit(APP_NUMBER, RECIPIENT, { data_coding: 1, short_message: Buffer.from('plain {ascii} text', 'ascii') });
      const latin1 = await e.submit(APP_NUMBER, RECIPIENT, { data_coding: 3, short_message: Buffer.from('café à Zürich', 'latin1') });
      assert.deepEqual([ascii.command_status, latin1.command_status], [0, 0]);
      assert.equal((await pigeon.waitForMessage(String(ascii.message_id))).message.text, 'plain {ascii} text');
      assert.equal((await pigeon.waitForMessage(String(latin1.message_id))).message.text, 'café à Zürich');
    });

    it('makes one message of parts numbered by SAR TLVs, and of parts with a 16-bit UDH reference', async () => {
      const e = await esme('transmitter');
      const halves = ['First half of a long message, numbered with SAR. ', 'Second half.'];
      const sar = [];
      for (const [i, half] of halves.entries()) {
        sar.push(await e.submit(APP_NUMBER, RECIPIENT, { short_message: Buffer.from(half), sar_msg_ref_num: 0x1234, sar_total_segments: 2, sar_segment_seqnum: i + 1 }));
      }
      assert.deepEqual(sar.map((r) => r.command_status), [0, 0]);
      const sarId = String(sar[0]?.message_id).replace(/-1$/, '');
      assert.equal((await pigeon.waitForMessage(sarId)).message.text, halves.join(''));

      const udh16 = [];
      for (const [i, half] of ['Sixteen-bit reference, part one; ', 'part two.'].entries()) {
        const udh = Buffer.from([0x06, 0x08, 0x04, 0x12, 0x34, 0x02, i + 1]);
        udh16.push(await e.submit(APP_NUMBER, RECIPIENT, { esm_class: 0x40, short_message: Buffer.concat([udh, Buffer.from(half)]) }));
      }
      assert.deepEqual(udh16.map((r) => r.command_status), [0, 0]);
      const udhId = String(udh16[0]?.message_id).replace(/-1$/, '');
      assert.equal((await pigeon.waitForMessage(udhId)).message.text, 'Sixteen-bit reference, part one; part two.');
    });

    it('sends a receipt for a failure only when registered_delivery is 2', async () => {
      const tx = await esme('transceiver');
      const delivered = String((await tx.submit(APP_NUMBER, RECIPIENT, { registered_delivery: 2 })).message_id);
      await pigeon.waitForMessage(delivered);
      // Submitted after the first had ended: the outbox scan that finds this one's receipt has passed the first.
      const failed = String((await tx.submit(APP_NUMBER, FAILING, { registered_delivery: 2 })).message_id);
      await tx.until(() => tx.delivered.some((p) => p.receipted_message_id === failed), 'the failure receipt');
      assert.equal(tx.delivered.some((p) => p.receipted_message_id === delivered), false, 'a receipt for a delivered message');
      const owed = await withSql(pigeon.config.databaseUrl, (sql) => sql.count('SELECT count(*) FROM esme_outbox WHERE message_id = ?', [delivered]));
      assert.equal(owed, 0);
    });

    it('accepts submit_sm through the core: the id is the message id, in the list API and the admin view; the receipt comes back', async () => {
      const tx = await esme('transceiver');
      const resp = await tx.submit(APP_NUMBER, RECIPIENT, { registered_delivery: 1, short_message: Buffer.from('hi over smpp') });
      assert.equal(resp.command_status, 0);
      const id = String(resp.message_id);
      const view = await pigeon.waitForMessage(id);
      assert.equal(view.message.from, APP_NUMBER);
      const list = await pigeon.fetch(`/api/v2/users/${ACCOUNT}/messages?messageId=${id}`, { headers: { authorization: basic } });
      const body = (await list.json()) as { messages: Array<{ messageId: string; messageStatus: string }> };
      assert.equal(body.messages[0]?.messageId, id);
      await tx.until(() => tx.delivered.some((p) => p.receipted_message_id === id), 'the receipt');
      const receipt = tx.delivered.find((p) => p.receipted_message_id === id);
      assert.equal(receipt?.esm_class, 0x04);
      assert.equal(receipt?.message_state, 2);
      assert.match(String((receipt?.short_message as Buffer).toString('latin1')), new RegExp(`^id:${id} .*stat:DELIVRD`));
    });

    it('sends a failure receipt with the error', async () => {
      const tx = await esme('transceiver');
      const resp = await tx.submit(APP_NUMBER, FAILING, { registered_delivery: 1 });
      const id = String(resp.message_id);
      await tx.until(() => tx.delivered.some((p) => p.receipted_message_id === id), 'the failure receipt');
      const receipt = tx.delivered.find((p) => p.receipted_message_id === id);
      assert.notEqual(receipt?.message_state, 2);
      assert.match((receipt?.short_message as Buffer).toString('latin1'), /stat:(UNDELIV|REJECTD)/);
    });

    it('makes one message of a long UCS-2 submit in UDH parts, with a receipt per part id', async () => {
      const tx = await esme('transceiver');
      const text = 'Привет мир! '.repeat(12); // 144 UCS-2 units: 3 parts of 67
      const units = encodeUcs2(text);
      const parts = [units.subarray(0, 134), units.subarray(134, 268), units.subarray(268)];
      const ids: string[] = [];
      for (const [i, part] of parts.entries()) {
        const udh = Buffer.from([0x05, 0x00, 0x03, 0x42, parts.length, i + 1]);
        const resp = await tx.submit(APP_NUMBER, RECIPIENT, { esm_class: 0x40, data_coding: 8, registered_delivery: 1, short_message: Buffer.concat([udh, part]) });
        assert.equal(resp.command_status, 0);
        ids.push(String(resp.message_id));
      }
      const messageId = ids[0]?.replace(/-1$/, '') as string;
      assert.deepEqual(ids, [`${messageId}-1`, `${messageId}-2`, `${messageId}-3`]);
      const view = await pigeon.waitForMessage(messageId);
      assert.equal(view.message.segmentCount, 3);
      assert.equal(decodeUcs2(units), text);
      await tx.until(() => ids.every((id) => tx.delivered.some((p) => p.receipted_message_id === id)), 'a receipt per part');
    });

    it('never answers a new long message with the id of one sent before, also when a stop left its parts behind', async () => {
      const tx = await esme('transceiver');
      const submitParts = async (texts: readonly string[], only?: number): Promise<string[]> => {
        const ids: string[] = [];
        for (const [i, text] of texts.entries()) {
          if (only !== undefined && i !== only) continue;
          const udh = Buffer.from([0x05, 0x00, 0x03, 0x77, texts.length, i + 1]);
          const resp = await tx.submit(APP_NUMBER, RECIPIENT, { esm_class: 0x40, short_message: Buffer.concat([udh, Buffer.from(text)]) });
          assert.equal(resp.command_status, 0);
          ids.push(String(resp.message_id));
        }
        return ids;
      };
      const first = ['First message, part one; ', 'first message, part two.'];
      const firstIds = await submitParts(first);
      const firstId = firstIds[0]?.replace(/-1$/, '') as string;
      assert.equal((await pigeon.waitForMessage(firstId)).message.text, first.join(''));
      // As if Pigeon had stopped between sending the message and deleting its parts (the head, part 0, holds its id).
      const leavePartsBehind = () =>
        withSql(pigeon.config.databaseUrl, async (sql) => {
          for (const [sequence, text] of [firstId, ...first].entries()) {
            await sql.run('INSERT INTO inbound_parts (carrier, message_key, sequence, total, text, received_at) VALUES (?, ?, ?, ?, ?, ?)', [
              'esme:esme1', `${APP_NUMBER}|${RECIPIENT}|119|2`, sequence, 2, text, Date.now(),
            ]);
          }
        }, { write: true });
      await leavePartsBehind();
      // The ESME offers the last part of the first message again: the same answer, no second message.
      assert.deepEqual(await submitParts(first, 1), [`${firstId}-2`]);
      // Later, a new message with the same reference: parts left behind or not, an id of its own.
      await leavePartsBehind();
      const second = ['Second message, part one; ', 'second message, part two.'];
      const secondIds = await submitParts(second);
      const secondId = secondIds[0]?.replace(/-1$/, '') as string;
      assert.notEqual(secondId, firstId);
      assert.deepEqual(secondIds, [`${secondId}-1`, `${secondId}-2`]);
      assert.equal((await pigeon.waitForMessage(secondId)).message.text, second.join(''));
      const sent = await withSql(pigeon.config.databaseUrl, (sql) => sql.count('SELECT count(*) FROM messages WHERE id IN (?, ?)', [firstId, secondId]));
      assert.equal(sent, 2);
    });

    it('takes message_payload and data_sm', async () => {
      const tx = await esme('transmitter');
      const long = 'x'.repeat(300);
      const resp = await tx.submit(APP_NUMBER, RECIPIENT, { short_message: Buffer.alloc(0), message_payload: Buffer.from(long) });
      assert.equal(resp.command_status, 0);
      assert.equal((await pigeon.waitForMessage(String(resp.message_id))).message.segmentCount, 2);
      const data = await tx.request('data_sm', {
        source_addr_ton: 1, source_addr_npi: 1, source_addr: APP_NUMBER.slice(1),
        dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: RECIPIENT.slice(1),
        data_coding: 0, message_payload: Buffer.from('by data_sm'),
      });
      assert.equal(data.command_status, 0);
      await pigeon.waitForMessage(String(data.message_id));
    });

    it('keeps receipts while no receiver is bound and delivers them after the rebind', async () => {
      const tx = await esme('transmitter');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(String((await tx.submit(APP_NUMBER, RECIPIENT, { registered_delivery: 1 })).message_id));
      for (const id of ids) await pigeon.waitForMessage(id);
      await tx.close();
      const rx = await esme('receiver');
      await rx.until(() => ids.every((id) => rx.delivered.some((p) => p.receipted_message_id === id)), 'receipts after the rebind');
    });

    it('offers a receipt again until the ESME takes it', async () => {
      const rx = await esme('transceiver');
      rx.answer = 0x08; // ESME_RSYSERR: not taken
      const id = String((await rx.submit(APP_NUMBER, RECIPIENT, { registered_delivery: 1 })).message_id);
      await rx.until(() => rx.refused.some((p) => p.receipted_message_id === id), 'the receipt, offered and refused', 30_000);
      rx.answer = 0;
      await rx.until(() => rx.delivered.some((p) => p.receipted_message_id === id), 'the receipt, retried', 30_000);
    });

    it('delivers inbound messages for the application as deliver_sm, long ones in UDH parts', async () => {
      const rx = await esme('receiver');
      const text = 'A reply that is long enough to need two parts. '.repeat(4);
      await pigeon.admin('POST', '/inbound', { from: RECIPIENT, to: APP_NUMBER, text });
      await rx.until(() => rx.delivered.filter((p) => p.esm_class === 0x40).length >= 2, 'two inbound parts');
      const parts = rx.delivered.filter((p) => p.esm_class === 0x40);
      assert.equal(parts[0]?.source_addr, RECIPIENT.slice(1));
      assert.equal(parts[0]?.destination_addr, APP_NUMBER.slice(1));
      const joined = parts.map((p) => (p.short_message as Buffer).subarray(6).toString('latin1')).join('');
      assert.equal(joined, text);
    });

    it('refuses submits past the window with ESME_RTHROTTLED, and shows the sessions in the admin status', async () => {
      const tx = await esme('transmitter');
      const answers = await Promise.all(Array.from({ length: 40 }, () => tx.submit(APP_NUMBER, RECIPIENT)));
      const statuses = answers.map((a) => a.command_status);
      assert.ok(statuses.every((s) => s === 0 || s === 0x58), String(statuses));
      assert.ok(statuses.includes(0x58), 'some submits beyond the window were throttled');
      const status = await pigeon.admin<{ smppServer: { sessions: Array<{ systemId: string; mode: string }> } }>('GET', '/status');
      assert.ok(status.smppServer.sessions.some((s) => s.systemId === ESME_USER.systemId && s.mode === 'transmitter'));
    });

    it('unbinds a bind that stays idle past idleSeconds', async () => {
      const other = await startPigeon({ backend, configYaml: smppConfigYaml({ idleSeconds: 1 }) });
      try {
        const e = await Esme.bound(other.server.smpp?.port as number, 'transceiver');
        let unbound = false;
        e.session.on('pdu', (pdu) => {
          if (pdu.command === 'unbind') unbound = true;
        });
        await e.until(() => unbound, 'the idle unbind', 10_000);
        await e.close();
      } finally {
        await other.close();
      }
    });

    it('speaks TLS when given a certificate and key', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pigeon-smpp-tls-'));
      const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
      const other = await startPigeon({ backend, configYaml: smppConfigYaml({ tls: { cert, key } }) });
      try {
        const e = await Esme.bound(other.server.smpp?.port as number, 'transmitter', ESME_USER, { tls: true });
        assert.equal((await e.submit(APP_NUMBER, RECIPIENT)).command_status, 0);
        await e.close();
      } finally {
        await other.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('unbinds bound sessions when Pigeon stops', async () => {
      const other = await startPigeon({ backend, configYaml: smppConfigYaml() });
      const e = await Esme.bound(other.server.smpp?.port as number, 'transceiver');
      let unbound = false;
      e.session.on('pdu', (pdu) => {
        if (pdu.command === 'unbind') unbound = true;
      });
      await other.close();
      await e.until(() => e.closed, 'the close');
      assert.ok(unbound, 'an unbind came before the close');
    });
  });

  describe(`SMPP server: the account's queue full (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      // API role: nothing is delivered, so the queue keeps what is accepted. 1 message/s for the
      // account and a queue of 0.05 minutes of it: 3 messages.
      const yaml = smppConfigYaml()
        .replace('delivery:\n', 'delivery:\n  rateLimits: { unit: messages, burstExtra: 0, queueMinutes: 0.05 }\n')
        .replace('  - id: "9900000"\n', '  - id: "9900000"\n    throughput: { perSecond: 1 }\n');
      pigeon = await startPigeon({ backend, configYaml: yaml, env: { PIGEON_ROLE: 'api' } });
    });
    after(() => pigeon.close());

    it('answers ESME_RMSGQFUL once the queue holds its capacity', async () => {
      const e = await Esme.bound(pigeon.server.smpp?.port as number, 'transmitter');
      try {
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push((await e.submit(APP_NUMBER, RECIPIENT)).command_status);
        assert.deepEqual(statuses, [0, 0, 0, 0x14]);
      } finally {
        await e.close();
      }
    });
  });
}
