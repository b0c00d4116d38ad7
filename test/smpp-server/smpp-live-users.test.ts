// SMPP users managed live, on each engine: one added through the admin API binds at once; binds
// of one whose password changed, or that was disabled or deleted, are unbound by Pigeon (and the
// old password no longer binds); a change that leaves its credentials alone keeps the bind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { Esme, smppConfigYaml } from './esme-client.js';

const APP = '93de2206-9669-4e07-948d-329f4b722ee2';

async function closedWithin(esme: Esme, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!esme.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return esme.closed;
}

for (const backend of BACKENDS) {
  describe(`SMPP users managed live (${backend})`, () => {
    let pigeon: TestPigeon;
    let port: number;
    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: smppConfigYaml() });
      port = pigeon.server.smpp?.port as number;
    });
    after(() => pigeon.close());

    it('binds a new user at once and unbinds users whose credentials change or who are removed', async () => {
      await pigeon.admin('POST', '/smpp-users', { systemId: 'live1', applicationId: APP, password: 'first123' });
      const kept = await Esme.bound(port, 'transceiver', { systemId: 'live1', password: 'first123' });
      // Not a credential: the bind stays.
      await pigeon.admin('PATCH', '/smpp-users/live1', { maxBinds: 3 });
      assert.equal(await closedWithin(kept, 300), false);

      await pigeon.admin('PATCH', '/smpp-users/live1', { password: 'second12' });
      assert.equal(await closedWithin(kept, 5000), true);
      const old = await Esme.connect(port);
      assert.equal(await old.bind('transceiver', 'live1', 'first123'), 0x0e);
      await old.close();

      const disabled = await Esme.bound(port, 'transmitter', { systemId: 'live1', password: 'second12' });
      await pigeon.admin('PATCH', '/smpp-users/live1', { enabled: false });
      assert.equal(await closedWithin(disabled, 5000), true);
      await pigeon.admin('PATCH', '/smpp-users/live1', { enabled: true });

      const removed = await Esme.bound(port, 'receiver', { systemId: 'live1', password: 'second12' });
      await pigeon.admin('DELETE', '/smpp-users/live1');
      assert.equal(await closedWithin(removed, 5000), true);
      const gone = await Esme.connect(port);
      // A removed system_id answers as a wrong password does (0x0E): binds do not tell which ids exist.
      assert.equal(await gone.bind('transceiver', 'live1', 'second12'), 0x0e);
      await gone.close();
    });
  });
}
