// Migration 0003 on a database that already holds work: queue entries written under schema 2 keep
// their dequeue order once they get an arrival sequence, and callbacks already being retried keep
// the time of their first attempt, from which their retry window runs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '../../src/core/messages/message.js';
import type { Store } from '../../src/core/ports.js';
import { openStore } from '../../src/store/open-store.js';
import { MESSAGE_COLUMNS, messageParams, RECORD_COLUMNS, recordParams } from '../../src/store/sql/rows.js';
import { recordOf } from '../helpers/store-rows.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { schemaAt } from '../helpers/schema-at.js';
import { outboundSms } from './e2e-support.js';

const T0 = 1_900_000_000_000;
/** The message columns of schema 2: today's, without request_id (0009), which is last. */
const SCHEMA_2_COLUMNS = MESSAGE_COLUMNS.replace(/,\s*request_id$/, '');
const NO_LIMITS = { unit: 'messages', senderLimit: () => undefined, accountLimit: () => undefined } as const;

const message = (id: string, time: number, priority: Message['priority']): Message =>
  outboundSms({ id, accountId: '9900000', applicationId: 'migration-app', from: '+19195551212', time, priority });

for (const backend of BACKENDS) {
  describe(`migration 0003 over queued work (${backend})`, () => {
    let database: TestDatabase;
    let store: Store;
    // Ids in the opposite order to their arrival, as random id suffixes can be.
    const queued = [message(`${T0}ccc`, T0, 'default'), message(`${T0 + 1}bbb`, T0 + 1, 'default'), message(`${T0 + 2}aaa`, T0 + 2, 'high')];

    before(async () => {
      database = await createTestDatabase(backend);
      const old = await schemaAt(backend, database.url, 2);
      for (const m of queued) {
        await old.run(`INSERT INTO messages (${SCHEMA_2_COLUMNS}) VALUES (${SCHEMA_2_COLUMNS.split(',').map(() => '?').join(', ')})`, messageParams(m).slice(0, -1));
        // Its recipient, as every accept wrote it with the queue entry (the queue became its state in 0022).
        await old.run(`INSERT INTO message_recipients (${RECORD_COLUMNS}) VALUES (${RECORD_COLUMNS.split(',').map(() => '?').join(', ')})`, recordParams(recordOf(m, m.to[0] as string)));
        await old.run(
          `INSERT INTO delivery_queue (message_id, destination_tn, account_id, source_tn, priority, segment_count, enqueued_at, run_at)
            VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
          [m.id, m.to[0], m.accountId, m.from, m.priority === 'high' ? 0 : 1, m.time, m.time],
        );
      }
      const callback = `INSERT INTO callback_outbox (message_id, account_id, application_id, event_type, url, body, created_at, run_at, attempts)
        VALUES (?, '9900000', 'migration-app', 'message-delivered', 'http://127.0.0.1:9/', '[]', ?, ?, ?)`;
      // Two failed attempts, at T0 + 5 and T0 + 9; the other one never attempted.
      await old.run(callback, [queued[0]!.id, T0, T0 + 20, 2]);
      await old.run(callback, [queued[1]!.id, T0 + 1, T0 + 1, 0]);
      for (const [attempt, time] of [
        [1, T0 + 5],
        [2, T0 + 9],
      ]) {
        await old.run('INSERT INTO callback_attempts (outbox_id, attempt, time, status_code, latency_ms, error) VALUES (1, ?, ?, 500, 3, NULL)', [
          attempt,
          time,
        ]);
      }
      await old.close();
      store = await openStore(database.url);
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    it('keeps the dequeue order of entries queued under schema 2', async () => {
      const { jobs } = await store.delivery.claimDeliveries({ workerId: 'w', now: T0 + 100, limit: 10, leaseMs: 60_000, rates: NO_LIMITS });
      assert.deepEqual(
        jobs.map((j) => j.message.id),
        [queued[2]!.id, queued[0]!.id, queued[1]!.id],
      );
    });

    it('keeps the first attempt of a callback already being retried, and starts it at the next claim otherwise', async () => {
      const claimed = await store.delivery.claimCallbacks({ workerId: 'w', now: T0 + 100, limit: 10, leaseMs: 60_000, perEndpoint: 8, turn: 0 });
      assert.deepEqual(
        claimed.map((c) => [c.messageId, c.attempts, c.firstAttemptAt]),
        [
          [queued[0]!.id, 3, T0 + 5],
          [queued[1]!.id, 1, T0 + 100],
        ],
      );
    });
  });
}
