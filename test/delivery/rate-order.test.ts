// Dequeue order under a rate limit across claims, on the store with a controlled clock (a race the
// end-to-end tests can only hit by chance): a row held back by a limit must not be overtaken by a
// later row of the same sender (FIFO), nor a `high` row by a `default` one, because each claim
// computed its own wait with a rounding error of one millisecond.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { messageRecord } from '../../src/core/messages/message-record.js';
import type { Message, Priority } from '../../src/core/messages/message.js';
import type { RatePolicy, Store } from '../../src/core/ports.js';
import { openStore } from '../../src/store/open-store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';

const T0 = 1_900_000_000_000;
const FROM = '+19195551212';
// 5 messages per second, burst 5 (burstExtra 0): a token every 200 ms once the burst is used.
const RATES: RatePolicy = { unit: 'messages', senderLimit: () => ({ rate: 5, burst: 5 }), accountLimit: () => undefined };

for (const backend of BACKENDS) {
  describe(`dequeue order across claims under a rate limit (${backend})`, () => {
    let store: Store;
    let database: TestDatabase;
    let seq = 0;
    before(async () => {
      database = await createTestDatabase(backend);
      store = await openStore(database.url);
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    const accept = async (at: number, priority: Priority = 'default', from = FROM): Promise<string> => {
      const id = `${at}${String(seq++).padStart(16, '0')}`;
      const message: Message = {
        id,
        accountId: 'order-account',
        applicationId: 'order-app',
        direction: 'out',
        owner: from,
        from,
        to: ['+19195550199'],
        text: 'x',
        media: undefined,
        tag: undefined,
        priority,
        expiration: undefined,
        expiresAt: undefined,
        segmentCount: 1,
        type: 'sms',
        time: at,
      };
      await store.messages.acceptOutbound(message, [messageRecord(message, '+19195550199', 'QUEUED')]);
      return id;
    };
    const claim = async (at: number): Promise<string[]> =>
      (await store.delivery.claimDeliveries({ workerId: 'w', now: at, limit: 64, leaseMs: 60_000, rates: RATES })).jobs.map(
        (j) => j.message.id,
      );

    it('sends five at once, then holds the sixth until the next token (sanity check of the set-up)', async () => {
      const t = T0;
      const burst = [];
      for (let i = 0; i < 6; i++) burst.push(await accept(t, 'default', '+19195551299'));
      assert.equal((await claim(t)).length, 5);
      assert.deepEqual(await claim(t + 199), []);
      assert.equal((await claim(t + 200)).length, 1);
    });

    it(
      'keeps FIFO per sender when rows were held back by different claims',
      async () => {
        const t = T0 + 10_000;
        for (let i = 0; i < 5; i++) await accept(t);
        assert.equal((await claim(t)).length, 5);
        const older = await accept(t + 86);
        assert.deepEqual(await claim(t + 86), []);
        const newer = await accept(t + 100);
        assert.deepEqual(await claim(t + 100), []);
        // The next token is there at t + 200: it belongs to the older row.
        const first = [...(await claim(t + 200)), ...(await claim(t + 201))];
        assert.deepEqual(first, [older], `got ${JSON.stringify(first)}; older ${older}, newer ${newer}`);
        assert.deepEqual(await claim(t + 400), [newer]);
      },
    );

    it(
      'gives the next token to a high-priority row held back after default ones',
      async () => {
        const t = T0 + 20_000;
        const from = '+19195551288';
        for (let i = 0; i < 6; i++) await accept(t, 'default', from);
        assert.equal((await claim(t)).length, 5);
        const high = await accept(t + 86, 'high', from);
        assert.deepEqual(await claim(t + 86), []);
        const first = [...(await claim(t + 200)), ...(await claim(t + 201))];
        assert.deepEqual(first, [high]);
      },
    );
  });
}
