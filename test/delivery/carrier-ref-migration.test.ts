// Migration 0013 on a database that already holds carrier refs: the refs and parked receipts an
// older Pigeon wrote survive the new key, receipts still match them, and from then on a carrier
// may give an id again (a second ref with the same carrier and id).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/core/ports.js';
import { openStore } from '../../src/store/open-store.js';
import { MESSAGE_COLUMNS, messageParams } from '../../src/store/sql/rows.js';
import { BACKENDS, createTestDatabase, withSql, type TestDatabase } from '../helpers/databases.js';
import { schemaAt } from '../helpers/schema-at.js';
import { outboundSms } from './e2e-support.js';

const T0 = 1_900_000_000_000;
const REF_COLUMNS = 'carrier, carrier_message_id, message_id, destination_tn, submitted_at, settled, part_index, part_count, outcome';

const message = (id: string, to: string) =>
  outboundSms({ id, accountId: '9900000', applicationId: 'migration-app', from: '+19195551212', time: T0, to: [to] });

for (const backend of BACKENDS) {
  describe(`migration 0013 over carrier refs (${backend})`, () => {
    let database: TestDatabase;
    let store: Store;
    const ended = message(`${T0}ended`, '+19195550101');
    const open = message(`${T0}open`, '+19195550102');
    const later = message(`${T0}later`, '+19195550103');

    before(async () => {
      database = await createTestDatabase(backend);
      const old = await schemaAt(backend, database.url, 12);
      for (const m of [ended, open, later]) {
        await old.run(`INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (${MESSAGE_COLUMNS.split(',').map(() => '?').join(', ')})`, messageParams(m));
      }
      const ref = `INSERT INTO carrier_refs (${REF_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
      await old.run(ref, ['smsc', 'ID-1', ended.id, '+19195550101', T0, 1, 0, 1, 'delivered']);
      // A message in two parts, one of them already delivered.
      await old.run(ref, ['smsc', 'ID-2', open.id, '+19195550102', T0, 0, 0, 2, null]);
      await old.run(ref, ['smsc', 'ID-3', open.id, '+19195550102', T0, 0, 1, 2, 'delivered']);
      await old.run(
        'INSERT INTO parked_receipts (carrier, carrier_message_id, receipt_key, receipt, parked_at) VALUES (?, ?, ?, ?, ?)',
        ['smsc', 'ID-9', 'ID-9', '{"carrierMessageId":"ID-9","delivered":true,"time":0}', T0],
      );
      await old.close();
      store = await openStore(database.url);
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    it('keeps every ref and parked receipt, and receipts match them as before', async () => {
      const rows = await withSql(database.url, (sql) =>
        sql.all<{ carrier_message_id: string; settled: number; part_index: number; outcome: string | null }>(
          'SELECT carrier_message_id, settled, part_index, outcome FROM carrier_refs ORDER BY carrier_message_id',
        ),
      );
      assert.deepEqual(
        rows.map((r) => [r.carrier_message_id, Number(r.settled), Number(r.part_index), r.outcome]),
        [
          ['ID-1', 1, 0, 'delivered'],
          ['ID-2', 0, 0, null],
          ['ID-3', 0, 1, 'delivered'],
        ],
      );
      const match = await store.delivery.matchReceipt('smsc', ['ID-2'], 'delivered');
      assert.deepEqual([match?.job.message.id, match?.job.destinationTn, match?.partsDelivered, match?.partCount], [open.id, '+19195550102', 2, 2]);
      assert.equal((await store.delivery.matchReceipt('smsc', ['ID-1'], 'failed'))?.job.message.id, ended.id, 'an ended ref still recognises its duplicate');
      assert.equal(await withSql(database.url, (sql) => sql.count("SELECT count(*) FROM parked_receipts WHERE carrier_message_id = 'ID-9'")), 1);
      assert.deepEqual(await store.delivery.matchedParkedReceipts(10), []);
    });

    it('takes a second ref of an id the carrier gave before, which then takes its receipts', async () => {
      await withSql(database.url, (sql) =>
        sql.run(`INSERT INTO carrier_refs (${REF_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, ['smsc', 'ID-1', later.id, '+19195550103', T0 + 1, 0, 0, 1, null]),
      { write: true });
      assert.equal((await store.delivery.matchReceipt('smsc', ['ID-1'], 'delivered'))?.job.message.id, later.id);
    });
  });
}
