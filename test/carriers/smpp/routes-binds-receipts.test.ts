// What the README promises of the SMPP carrier, against `pigeon smsc` in this process, whose PDU log
// shows what went over the wire: routes (`to`, `from`, `account`, a `fallback` while the first carrier
// is not bound, 4730 when none matches), binds (`binds` > 1, `bindMode: transmitter-receiver`,
// `submitsPerSecond`), pigeon_carrier_up while the SMSC is away, and receipts and submits on the wire
// (`priority_flag`, the validity period, a submit offered again after `responseTimeoutSeconds`,
// ENROUTE and ACCEPTD acknowledged without ending the recipient).
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { after, before, describe, it } from 'node:test';
import type { SmscServer } from '../../../src/carriers/smpp/smsc/smsc-server.js';
import { validityPeriod } from '../../../src/carriers/smpp/smpp-time.js';
import { CallbackReceiver } from '../../helpers/callback-receiver.js';
import { createTestDatabase, POSTGRES_ADMIN_URL, withSql, type TestDatabase } from '../../helpers/databases.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_B, fixtureConfigYaml, RECIPIENT } from '../../helpers/fixtures.js';
import { freePort } from '../../helpers/free-port.js';
import { smsBody } from '../../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../../helpers/pigeon.js';
import { Exposition } from '../../helpers/prometheus.js';
import { eventually, send, startHarness, statuses, view, type Harness } from '../../delivery/e2e-support.js';
import { carriersYaml, smppCarrier, startSmsc, until } from './smpp-support.js';

interface PduLine {
  time: number;
  direction: '<-' | '->';
  peer: string;
  command: string;
  line: string;
}

/** `pigeon smsc`'s PDU log (`<-|-> <peer> <command> seq=…`), parsed, with the time each line was written. */
function pduLog(): { lines: PduLine[]; log: (line: string) => void } {
  const lines: PduLine[] = [];
  return {
    lines,
    log: (line) => {
      const m = /^(<-|->) (\S+) (\w+) seq=/.exec(line);
      if (m) lines.push({ time: Date.now(), direction: m[1] as '<-' | '->', peer: String(m[2]), command: String(m[3]), line });
    },
  };
}

for (const backend of BACKENDS) {
  describe(`SMPP carrier routes (${backend})`, () => {
    let a: SmscServer;
    let b: SmscServer;
    let c: SmscServer;
    let d: SmscServer;
    let h: Harness;
    before(async () => {
      [a, b, c, d] = await Promise.all([startSmsc(), startSmsc(), startSmsc(), startSmsc()]);
      h = await startHarness({
        backend,
        extra: carriersYaml(
          [
            // Nothing listens there: this carrier never binds.
            smppCarrier('smsc-down', await freePort()),
            smppCarrier('smsc-a', a.address.port),
            smppCarrier('smsc-b', b.address.port),
            smppCarrier('smsc-c', c.address.port),
            smppCarrier('smsc-d', d.address.port),
          ],
          [
            '{ carrier: smsc-down, to: "+1222", fallback: [smsc-b] }',
            `{ carrier: smsc-c, from: "${ACCOUNT_A.secondNumber}" }`,
            `{ carrier: smsc-d, account: "${ACCOUNT_B.id}" }`,
            '{ carrier: smsc-a, to: "+1919" }',
          ],
        ),
      });
      await until(() => [a, b, c, d].every((s) => s.bindCount > 0), 'the binds');
    });
    after(async () => {
      await h.close();
      await Promise.all([a, b, c, d].map((s) => s.close()));
    });

    /** Which SMSCs received `text`. */
    const takenBy = (text: string) =>
      Object.entries({ a, b, c, d })
        .filter(([, s]) => s.received.some((m) => m.text === text))
        .map(([name]) => name);

    it("sends through a route's fallback while the route's carrier is not bound", async () => {
      const created = await send(h.pigeon, smsBody({ to: ['+12225550100'], text: 'via the fallback' }));
      const done = await h.pigeon.waitForMessage(created.id);
      assert.equal(statuses(done.events).at(-1), 'DELIVERED');
      assert.deepEqual(takenBy('via the fallback'), ['b']);
    });

    it('chooses the carrier by the sending number (from) and by the account', async () => {
      const fromSecond = await send(h.pigeon, smsBody({ from: ACCOUNT_A.secondNumber, text: 'from the second number' }));
      const fromB = await send(
        h.pigeon,
        { applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number, to: [RECIPIENT], text: 'from account B' },
        { auth: AUTH_B, accountId: ACCOUNT_B.id },
      );
      const plain = await send(h.pigeon, smsBody({ text: 'from the first number' }));
      for (const id of [fromSecond.id, fromB.id, plain.id]) assert.equal(statuses((await h.pigeon.waitForMessage(id)).events).at(-1), 'DELIVERED');
      assert.deepEqual(takenBy('from the second number'), ['c']);
      assert.deepEqual(takenBy('from account B'), ['d']);
      assert.deepEqual(takenBy('from the first number'), ['a']);
    });

    it('fails a recipient no route matches with 4730, sending it nowhere', async () => {
      const created = await send(h.pigeon, smsBody({ to: ['+14155550100'], text: 'no route' }));
      const done = await h.pigeon.waitForMessage(created.id);
      assert.equal(statuses(done.events).at(-1), 'FAILED');
      assert.equal(done.recipients[0]?.errorCode, 4730);
      assert.deepEqual(takenBy('no route'), []);
    });
  });

  describe(`SMPP carrier binds (${backend})`, () => {
    const wire = pduLog();
    let smsc: SmscServer;
    let h: Harness;
    before(async () => {
      smsc = await startSmsc({ log: wire.log });
      h = await startHarness({
        backend,
        extra: carriersYaml([smppCarrier('smsc', smsc.address.port, { binds: 2, bindMode: 'transmitter-receiver', submitsPerSecond: 4 })], ['{ carrier: smsc }']),
      });
      await until(() => smsc.bindCount === 4, 'two transmitter and receiver pairs');
    });
    after(async () => {
      await h.close();
      await smsc.close();
    });

    it('keeps `binds` transmitter-receiver pairs, submits over both transmitters at submitsPerSecond, receipts over the receivers', async () => {
      const bound = (command: string) => wire.lines.filter((l) => l.direction === '<-' && l.command === command).map((l) => l.peer);
      assert.equal(bound('bind_transmitter').length, 2);
      assert.equal(bound('bind_receiver').length, 2);
      assert.equal(bound('bind_transceiver').length, 0);
      const texts = Array.from({ length: 6 }, (_, i) => `paced ${i}`);
      const created = await Promise.all(texts.map((text) => send(h.pigeon, smsBody({ text }))));
      for (const { id } of created) assert.equal(statuses((await h.pigeon.waitForMessage(id)).events).at(-1), 'DELIVERED');

      const submits = wire.lines.filter((l) => l.command === 'submit_sm' && texts.some((t) => l.line.includes(`text="${t}"`)));
      assert.equal(submits.length, 6);
      // Spread over both transmitters, and only over them.
      assert.deepEqual(new Set(submits.map((s) => s.peer)), new Set(bound('bind_transmitter')));
      // The receipts came over the receivers.
      const receipts = wire.lines.filter((l) => l.direction === '->' && l.command === 'deliver_sm');
      assert.ok(receipts.length >= 6);
      assert.ok(receipts.every((r) => bound('bind_receiver').includes(r.peer)), 'a receipt went over a transmitter');
      // 4 per second for the whole carrier: after the first two, which go at once, each waits 250 ms,
      // so six sent together span at least 4 intervals (a lower bound, which a slow machine cannot
      // break; without the pacing they come within a few milliseconds).
      const span = Math.max(...submits.map((s) => s.time)) - Math.min(...submits.map((s) => s.time));
      assert.ok(span >= 4 * 250 - 20, `six submits within ${span} ms at 4 per second`);
    });

    it('reports pigeon_carrier_up 0 while the SMSC is away, and 1 once bound again', async () => {
      const up = async () => new Exposition(await (await h.pigeon.fetch('/metrics')).text()).value('pigeon_carrier_up', { carrier: 'routes' });
      assert.equal(await up(), 1);
      await smsc.stopListening();
      try {
        await eventually(async () => ((await up()) === 0 ? true : undefined), 'carrier_up 0');
      } finally {
        await smsc.restart();
      }
      await eventually(async () => ((await up()) === 1 ? true : undefined), 'carrier_up 1 again');
    });
  });

  describe(`SMPP carrier submits and receipts on the wire (${backend})`, () => {
    const wire = pduLog();
    const SILENT_RECEIPT = '+19195550111';
    let smsc: SmscServer;
    let h: Harness;
    before(async () => {
      smsc = await startSmsc({ log: wire.log }, { rules: [{ to: SILENT_RECEIPT, outcome: 'no-receipt' }] });
      h = await startHarness({
        backend,
        // No enquire_link for a while: only the response timeout can give up on an unanswered submit.
        extra: carriersYaml([smppCarrier('smsc', smsc.address.port, { enquireLinkSeconds: 60, responseTimeoutSeconds: 1 })], ['{ carrier: smsc }']),
      });
      await until(() => smsc.bindCount > 0, 'the bind');
    });
    after(async () => {
      await h.close();
      await smsc.close();
    });

    it('sends priority high as priority_flag 1 and the expiration as the validity period', async () => {
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      const high = await send(h.pigeon, smsBody({ text: 'urgent', priority: 'high', expiration }));
      const plain = await send(h.pigeon, smsBody({ text: 'whenever' }));
      await h.pigeon.waitForMessage(high.id);
      await h.pigeon.waitForMessage(plain.id);
      const part = (text: string) => smsc.received.find((m) => m.text === text)?.parts[0];
      assert.deepEqual([part('urgent')?.priority, part('urgent')?.validity], [1, validityPeriod(Date.parse(expiration))]);
      assert.deepEqual([part('whenever')?.priority, part('whenever')?.validity], [0, '']);
    });

    it('offers a submit again when no response came within responseTimeoutSeconds', async () => {
      smsc.silent = true;
      const created = await send(h.pigeon, smsBody({ text: 'answered the second time' }));
      const submitted = () => wire.lines.filter((l) => l.command === 'submit_sm' && l.line.includes('text="answered the second time"'));
      try {
        await until(() => submitted().length === 1, 'the first submit, unanswered');
      } finally {
        smsc.silent = false;
      }
      const done = await h.pigeon.waitForMessage(created.id);
      assert.equal(statuses(done.events).at(-1), 'DELIVERED');
      assert.equal(submitted().length, 2);
      const carrier = (await h.pigeon.admin<{ carriers: Array<{ counters: { noResponse: number; reconnects: number } }> }>('GET', '/status')).carriers[0];
      assert.ok((carrier?.counters.noResponse ?? 0) >= 1, JSON.stringify(carrier));
    });

    it('acknowledges ENROUTE and ACCEPTD receipts without ending the recipient, and ends it on the final one', async () => {
      const created = await send(h.pigeon, smsBody({ to: [SILENT_RECEIPT], text: 'progress reports' }));
      await eventually(async () => (statuses((await view(h.pigeon, created.id)).events).includes('SENT') ? true : undefined), 'SENT');
      const id = smsc.submits.find((s) => s.to === SILENT_RECEIPT.slice(1) || s.to === SILENT_RECEIPT)?.id;
      assert.ok(id, JSON.stringify(smsc.submits));
      const answers = () => wire.lines.filter((l) => l.direction === '<-' && l.command === 'deliver_sm_resp');
      const before = answers().length;
      assert.ok(smsc.sendReceipt(id, 'ENROUTE'));
      assert.ok(smsc.sendReceipt(id, 'ACCEPTD'));
      await until(() => answers().length === before + 2, 'both answered');
      assert.ok(answers().slice(before).every((l) => !/ status=/.test(l.line)), 'answered ESME_ROK');
      assert.deepEqual(statuses((await view(h.pigeon, created.id)).events).slice(-1), ['SENT']);
      assert.ok(smsc.sendReceipt(id, 'DELIVRD'));
      const done = await h.pigeon.waitForMessage(created.id);
      assert.deepEqual(statuses(done.events).slice(-2), ['SENT', 'DELIVERED']);
    });
  });

  describe(`SMPP carrier: inbound parts never completed, and a deliver_sm the database cannot take (${backend})`, () => {
    const wire = pduLog();
    let smsc: SmscServer;
    let receiver: CallbackReceiver;
    let pigeon: TestPigeon;
    let dir: string;
    let database: TestDatabase;
    before(async () => {
      smsc = await startSmsc({ log: wire.log });
      receiver = await new CallbackReceiver().start();
      dir = mkdtempSync(join(tmpdir(), 'pigeon-smpp-0x64-'));
      database = await createTestDatabase(backend, dir);
      pigeon = await startPigeon({
        dir,
        // SQLite: a write held up by another connection's lock fails after 100 ms instead of 5 s.
        databaseUrl: backend === 'sqlite' ? `${database.url}?busy_timeout=100` : database.url,
        configYaml: fixtureConfigYaml({ callbackUrl: receiver.url, extra: carriersYaml([smppCarrier('smsc', smsc.address.port, { reassemblySeconds: 1 })], ['{ carrier: smsc }']) }),
      });
      await until(() => smsc.bindCount > 0, 'the bind');
    });
    after(async () => {
      await pigeon.close();
      await smsc.close();
      await receiver.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Makes every write fail until the returned function is called: SQLite locked, PostgreSQL refusing connections. */
    async function failTheDatabase(): Promise<() => Promise<void>> {
      if (backend === 'sqlite') {
        const other = new Database(database.url.slice('sqlite:'.length));
        other.exec('BEGIN IMMEDIATE');
        return async () => {
          other.exec('COMMIT');
          other.close();
        };
      }
      const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await admin.connect();
      const name = new URL(database.url).pathname.slice(1);
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      return async () => {
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
        await admin.end();
      };
    }

    it('drops the parts of an inbound message still incomplete after reassemblySeconds', async () => {
      const stored = () => withSql(pigeon.config.databaseUrl, (sql) => sql.count('SELECT count(*) FROM inbound_parts'));
      const text = `Only the first part of this message ever arrives. ${'z'.repeat(160)}`;
      assert.equal(smsc.inject({ from: '+15551230198', to: ACCOUNT_A.number, text, onlyParts: [1] }), 2);
      await eventually(async () => ((await stored()) > 0 ? true : undefined), 'the first part stored');
      // Swept once it is older than reassemblySeconds (1 s here); no message was made of it.
      await eventually(async () => ((await stored()) === 0 ? true : undefined), 'the part dropped', 15_000);
      assert.equal(receiver.events((e) => e.type === 'message-received' && String(e.message.text).startsWith('Only the first part')).length, 0);
    });

    it('answers ESME_RX_T_APPN (0x64) while the database fails, and takes the message once it is offered again', async () => {
      const refusals = () => wire.lines.filter((l) => l.direction === '<-' && l.command === 'deliver_sm_resp' && / status=0x00000064/.test(l.line));
      const restore = await failTheDatabase();
      try {
        smsc.inject({ from: '+15551230199', to: ACCOUNT_A.number, text: 'while the database fails' });
        await until(() => refusals().length > 0, 'a deliver_sm_resp 0x64');
      } finally {
        await restore();
      }
      const received = () => receiver.events((e) => e.type === 'message-received' && e.message.text === 'while the database fails');
      await receiver.waitFor(() => received().length > 0, 30_000, 'the message, offered again');
      assert.equal(received().length, 1);
    });
  });
}
