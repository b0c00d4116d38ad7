// The SMPP server's defences against clients that do not play fair: binds that fail are limited per
// system_id and client address (the process's failed sign-ins, core/accounts/failed-attempts.ts)
// without refusing the right password from elsewhere; connections that never bind are closed;
// connections per address are capped; the parts of long submits never completed are swept with no
// SMPP carrier configured, and those of a message the core refused are deleted. Every storage engine.
// Other loopback addresses (127.0.0.2 …) stand for other clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withSql } from '../helpers/databases.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { Esme, ESME_USER, smppConfigYaml } from './esme-client.js';

const APP_NUMBER = '+19195551212';
const RECIPIENT = '+19195550199';

const config = smppConfigYaml({
  extra: `limits: { failedSignInsPerCredentialAndClient: 3, failedSignInsPerClient: 6 }\n`,
}).replace('  responseTimeoutSeconds: 2\n', '  responseTimeoutSeconds: 2\n  bindTimeoutSeconds: 1\n  maxConnectionsPerAddress: 3\n  reassemblySeconds: 1\n');

for (const backend of BACKENDS) {
  describe(`SMPP server limits (${backend})`, () => {
    let pigeon: TestPigeon;
    let port: number;
    const open: Esme[] = [];
    const connect = async (localAddress: string) => {
      const e = await Esme.connect(port, { localAddress });
      open.push(e);
      return e;
    };
    const storedParts = () =>
      withSql(pigeon.config.databaseUrl, (sql) => sql.count("SELECT count(*) FROM inbound_parts WHERE carrier LIKE 'esme:%'"));

    before(async () => {
      assert.match(config, /bindTimeoutSeconds: 1/);
      pigeon = await startPigeon({ backend, configYaml: config });
      port = pigeon.server.smpp?.port as number;
    });
    after(async () => {
      for (const e of open) await e.close();
      await pigeon.close();
    });

    it('limits failed binds per system_id and address, and still binds the right password from another address', async () => {
      const flood = await connect('127.0.0.2');
      for (let i = 0; i < 3; i++) assert.equal(await flood.bind('transceiver', ESME_USER.systemId, `wrong${i}`), 0x0e);
      // Past the limit: refused unchecked (ESME_RTHROTTLED), whatever the password.
      assert.equal(await flood.bind('transceiver', ESME_USER.systemId, 'wrong9'), 0x58);
      assert.equal(await flood.bind('transceiver', ESME_USER.systemId, ESME_USER.password), 0x58);
      // The same user from another address, and another user from the flooding one.
      assert.equal(await (await connect('127.0.0.3')).bind('transceiver', ESME_USER.systemId, ESME_USER.password), 0);
      assert.equal(await (await connect('127.0.0.2')).bind('transmitter', 'esme2', 'second12'), 0);
      // Guessing other system_ids from the same address fills its own bucket (6 failures).
      const guesser = await connect('127.0.0.2');
      for (let i = 0; i < 3; i++) assert.equal(await guesser.bind('transceiver', `guess${i}`, 'x'), 0x0e);
      assert.equal(await guesser.bind('transceiver', 'guess9', 'x'), 0x58);
    });

    it('closes a connection that has not bound within bindTimeoutSeconds, however busy it is', async () => {
      const e = await connect('127.0.0.4');
      const ticker = setInterval(() => void e.request('enquire_link').catch(() => undefined), 200);
      try {
        await e.until(() => e.closed, 'the close of the unbound connection', 10_000);
      } finally {
        clearInterval(ticker);
      }
      // A bound one stays.
      const bound = await connect('127.0.0.4');
      assert.equal(await bound.bind('transmitter', ESME_USER.systemId, ESME_USER.password), 0);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(bound.closed, false);
      assert.equal((await bound.request('enquire_link')).command_status, 0);
    });

    it('caps the connections of one address', async () => {
      const three = [await connect('127.0.0.5'), await connect('127.0.0.5'), await connect('127.0.0.5')];
      for (const e of three) assert.equal(await e.bind('transmitter', ESME_USER.systemId, ESME_USER.password), 0);
      const fourth = await connect('127.0.0.5');
      await fourth.until(() => fourth.closed, 'the close of the fourth connection', 5000);
      assert.equal((await connect('127.0.0.6')).closed, false);
      await three[0]?.close();
      await new Promise((r) => setTimeout(r, 100));
      const again = await connect('127.0.0.5');
      assert.equal(await again.bind('transmitter', ESME_USER.systemId, ESME_USER.password), 0);
    });

    it('sweeps parts of a long submit never completed, and deletes those of a message refused when joined', async () => {
      const tx = await connect('127.0.0.7');
      assert.equal(await tx.bind('transmitter', ESME_USER.systemId, ESME_USER.password), 0);
      const part = (reference: number, total: number, sequence: number, text: string) =>
        tx.submit(APP_NUMBER, RECIPIENT, {
          esm_class: 0x40,
          data_coding: 0,
          short_message: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, reference, total, sequence]), Buffer.from(text, 'latin1')]),
        });
      // One part of two: stored, then dropped after reassemblySeconds although no SMPP carrier is configured.
      assert.equal((await part(0x11, 2, 1, 'first half')).command_status, 0);
      assert.ok((await storedParts()) > 0);
      const deadline = Date.now() + 15_000;
      while ((await storedParts()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await storedParts(), 0, 'the incomplete submit was swept');
      // 14 parts of 153 characters: 2 142, past the 2 048 a message may have. Each part is taken; the
      // last is refused (ESME_RINVMSGLEN) and nothing of the message stays.
      for (let i = 1; i < 14; i++) assert.equal((await part(0x22, 14, i, 'a'.repeat(153))).command_status, 0);
      assert.equal((await part(0x22, 14, 14, 'a'.repeat(153))).command_status, 0x01);
      assert.equal(await storedParts(), 0, 'the refused message left no parts');
    });
  });
}
