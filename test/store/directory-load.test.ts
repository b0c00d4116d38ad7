// The directory's start-up read on each engine: numbers without a rate come as lists per application
// (not a row each), those with a rate as rows, released numbers and numbers of deleted applications
// not at all; the directory built from it is the one built from the full rows (`snapshot`), which
// provisioning's prune still reads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountDirectory } from '../../src/core/accounts/directory.js';
import type { DirectoryWrite } from '../../src/core/accounts/directory-port.js';
import { openStore } from '../../src/store/open-store.js';
import { BACKENDS, createTestDatabase } from '../helpers/databases.js';

const base = { deleted: false, source: 'api' as const };
const app = (id: string, accountId: string): DirectoryWrite => ({
  kind: 'application',
  row: { id, accountId, name: id, callbackUrl: undefined, callbackUsername: undefined, callbackPassword: undefined, inboundCallbackUrl: undefined, optOut: undefined, smartEncoding: false, ...base },
});
const number = (n: string, applicationId: string, ratePerSecond?: number, deleted = false): DirectoryWrite => ({
  kind: 'number',
  row: { number: n, accountId: applicationId === 'app-b' ? 'acc-b' : 'acc-a', applicationId, numberType: 'local', ratePerSecond, ...base, deleted },
});

for (const backend of BACKENDS) {
  describe(`directory start-up read (${backend})`, () => {
    it('loads every live number to its application, with its rate, and nothing released', async () => {
      const db = await createTestDatabase(backend);
      const store = await openStore(db.url);
      try {
        const a: DirectoryWrite[] = [
          { kind: 'account', row: { id: 'acc-a', name: undefined, throughput: undefined, ...base } },
          { kind: 'account', row: { id: 'acc-b', name: undefined, throughput: undefined, ...base } },
          app('app-a', 'acc-a'),
          app('app-b', 'acc-b'),
          app('app-gone', 'acc-a'),
        ];
        const many = Array.from({ length: 250 }, (_, i) => number(`+1919555${String(i).padStart(4, '0')}`, i % 2 ? 'app-a' : 'app-b'));
        await store.directory.write([...a, ...many, number('+19195559001', 'app-a', 3), number('+19195559002', 'app-b', 0), number('+19195559003', 'app-gone', 5)], [], 1);
        // Released, and moved (a later version of the same number), and an application deleted with a number left on it.
        await store.directory.write([number('+19195550000', 'app-b', undefined, true), number('+19195550001', 'app-b'), { ...app('app-gone', 'acc-a'), row: { ...app('app-gone', 'acc-a').row, deleted: true } } as DirectoryWrite], [], 2);

        const load = await store.directory.load();
        assert.ok(load.numbersByApplication.length > 0);
        assert.deepEqual(load.numbers, []);
        assert.deepEqual([...load.numberRates].sort(), [['+19195559001', 3, 'app-a'], ['+19195559002', 0, 'app-b'], ['+19195559003', 5, 'app-gone']]);
        // The map of owners is filled an application at a time after the load, or at once by the first lookup.
        const sliced = AccountDirectory.fromRows(load);
        assert.equal(sliced.application('acc-a', 'app-a')?.numbers.has('+19195559001'), true, 'sending needs no index');
        assert.equal(sliced.indexOwners(1), false, 'one application per slice: the other is left');
        assert.equal(sliced.ownerOfNumber('+19195550001')?.id, 'app-b', 'a lookup indexes what is left first');
        assert.equal(sliced.indexOwners(1), true);
        const pending = AccountDirectory.fromRows(load);
        const fast = AccountDirectory.fromRows(load);
        const full = AccountDirectory.fromRows(await store.directory.snapshot());
        assert.equal(fast.version, full.version);
        for (const directory of [fast, full]) {
          assert.equal(directory.ownerOfNumber('+19195550000'), undefined, 'released');
          assert.equal(directory.ownerOfNumber('+19195550001')?.id, 'app-b', 'moved');
          assert.equal(directory.ownerOfNumber('+19195559003'), undefined, 'on a deleted application');
          assert.equal(directory.numberRate('+19195559001'), 3);
          assert.equal(directory.numberRate('+19195559002'), 0);
          assert.equal(directory.numberRate('+19195550002'), undefined);
          assert.equal(directory.numberRate('+19195559003'), undefined, 'the rate of a number on a deleted application');
          assert.equal(directory.hasOwnRates(), true);
        }
        for (const id of ['app-a', 'app-b']) {
          const accountId = id === 'app-a' ? 'acc-a' : 'acc-b';
          const numbers = [...(fast.application(accountId, id)?.numbers ?? [])].sort();
          assert.deepEqual(numbers, [...(full.application(accountId, id)?.numbers ?? [])].sort());
          assert.equal(numbers.length, id === 'app-a' ? 125 : 126);
          for (const n of numbers) assert.equal(fast.ownerOfNumber(n)?.id, id);
        }
        // What changes afterwards applies to a directory loaded this way like to any other.
        await store.directory.write([number('+19195550003', 'app-a')], [], 3);
        fast.apply(await store.directory.changesSince(fast.version));
        assert.equal(fast.ownerOfNumber('+19195550003')?.id, 'app-a');
        // A number moved while the map of owners is still to be filled: the change indexes it first.
        await store.directory.write([number('+19195550001', 'app-a')], [], 4);
        pending.apply(await store.directory.changesSince(pending.version));
        assert.equal(pending.ownerOfNumber('+19195550001')?.id, 'app-a');
        assert.equal(pending.application('acc-b', 'app-b')?.numbers.has('+19195550001'), false);
        assert.equal(pending.ownerOfNumber('+19195550003')?.id, 'app-a');
        assert.equal(fast.application('acc-b', 'app-b')?.numbers.has('+19195550003'), false);
        assert.equal(fast.application('acc-a', 'app-a')?.numbers.has('+19195550003'), true);
      } finally {
        await store.close();
        await db.drop();
      }
    });
  });
}
