// Dequeue order on the store with a controlled clock (races the end-to-end tests can only hit by
// chance): a row held back by a limit must not be overtaken by a later row of the same sender (FIFO),
// nor a `high` row by a `default` one, because each claim computed its own wait with a rounding error
// of one millisecond; one sender out of tokens must not hold back the other senders of its account;
// entries accepted in the same millisecond leave in the order they were accepted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { messageRecord } from '../../src/core/messages/message-record.js';
import type { Priority } from '../../src/core/messages/message.js';
import type { RatePolicy, Store } from '../../src/core/ports.js';
import { openStore } from '../../src/store/open-store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { outboundSms } from './e2e-support.js';

const T0 = 1_900_000_000_000;
const FROM = '+19195551212';
// 5 messages per second, burst 5 (burstExtra 0): a token every 200 ms once the burst is used.
const RATES: RatePolicy = { unit: 'messages', senderLimit: () => ({ rate: 5, burst: 5 }), accountLimit: () => undefined };
// 1 message per second per number (burst 1), 100 per second for the account.
const NUMBER_BOUND: RatePolicy = {
  unit: 'messages',
  senderLimit: () => ({ rate: 1, burst: 1 }),
  accountLimit: () => ({ rate: 100, burst: 100 }),
};
const UNLIMITED: RatePolicy = { unit: 'messages', senderLimit: () => undefined, accountLimit: () => undefined };

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

    const accept = async (
      at: number,
      priority: Priority = 'default',
      from = FROM,
      options: { id?: string; to?: string[] } = {},
    ): Promise<string> => {
      const id = options.id ?? `${at}${String(seq++).padStart(16, '0')}`;
      const to = options.to ?? ['+19195550199'];
      const message = outboundSms({ id, accountId: 'order-account', from, to, priority, time: at });
      await store.messages.acceptOutbound(message, to.map((tn) => messageRecord(message, tn, 'QUEUED')));
      return id;
    };
    const claimJobs = async (at: number, rates: RatePolicy = RATES) =>
      (await store.delivery.claimDeliveries({ workerId: 'w', now: at, limit: 64, leaseMs: 60_000, rates })).jobs;
    const claim = async (at: number, rates: RatePolicy = RATES): Promise<string[]> =>
      (await claimJobs(at, rates)).map((j) => j.message.id);

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

    it('claims another sender of the account while one sender waits for its next token', async () => {
      const t = T0 + 30_000;
      const [numberA, numberB] = ['+19195551277', '+19195551278'];
      const a1 = await accept(t, 'default', numberA);
      const a2 = await accept(t, 'default', numberA);
      const b1 = await accept(t, 'default', numberB);
      // Rows the earlier tests left queued are of other numbers; only these three count.
      const ours = async (at: number) => (await claim(at, NUMBER_BOUND)).filter((id) => [a1, a2, b1].includes(id));
      const first = await ours(t);
      assert.deepEqual(first, [a1, b1], `got ${JSON.stringify(first)}; a1 ${a1}, a2 ${a2}, b1 ${b1}`);
      // a2 waits for its own number's next token, a second later, and for nothing else.
      assert.deepEqual(await ours(t + 999), []);
      assert.deepEqual(await ours(t + 1000), [a2]);
    });

    it('hands out entries accepted in the same millisecond in acceptance order, a group in recipient order', async () => {
      const t = T0 + 40_000;
      const from = '+19195551266';
      // Ids whose order is the opposite of the acceptance order, as random id suffixes can be.
      const earlier = await accept(t, 'default', from, { id: `${t}zzzzzzzzzzzzzzzz` });
      const later = await accept(t, 'default', from, { id: `${t}aaaaaaaaaaaaaaaa` });
      const group = await accept(t, 'default', from, { id: `${t}mmmmmmmmmmmmmmmm`, to: ['+19195550197', '+19195550196'] });
      const jobs = (await claimJobs(t, UNLIMITED)).filter((j) => j.message.from === from);
      assert.deepEqual(
        jobs.map((j) => [j.message.id, j.destinationTn]),
        [
          [earlier, '+19195550199'],
          [later, '+19195550199'],
          [group, '+19195550197'],
          [group, '+19195550196'],
        ],
      );
    });
  });
}
