// Issue 21: the hot statements (queue claim, receipt matching, status changes, callback claims, the
// parked-receipt search, the simulator's receipts, the ESME outbox) keep the plan they were designed
// for whatever the planner's statistics say: none, taken on empty tables or on the first message
// in flight (what `PRAGMA optimize` at start-up saw when a message came at once), on a few rows or
// millions, or stale either way. SQLite: the plan itself, from EXPLAIN QUERY PLAN. PostgreSQL: the
// rows each statement reads under EXPLAIN ANALYZE, custom and generic plans alike.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { emptyTables, seedRows, WORK_TABLES } from './hot-plan-states.js';
import { POSTGRES_STATES, readsOf, recordHotStatements, type Recorded } from './hot-plans-postgres.js';
import { SQLITE_DESIGNED, SQLITE_HOT, SQLITE_STATES, sqlitePlan } from './hot-plans-sqlite.js';

if (BACKENDS.includes('sqlite')) {
  describe('hot statements keep their designed plan whatever the statistics say (sqlite)', () => {
    let dir: string;
    let store: SqliteStore;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'pigeon-plans-'));
      store = new SqliteStore({ path: join(dir, 'pigeon.db'), synchronous: 'normal' });
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('names a designed plan for every hot statement', () => {
      assert.deepEqual(SQLITE_HOT.map((s) => s.name).sort(), Object.keys(SQLITE_DESIGNED).sort());
    });

    for (const state of SQLITE_STATES) {
      it(`statistics: ${state.name}`, () => {
        state.apply(store.db);
        const drifted = SQLITE_HOT.flatMap((statement) => {
          const plan = sqlitePlan(store.db, statement);
          const designed = SQLITE_DESIGNED[statement.name];
          return JSON.stringify(plan) === JSON.stringify(designed) ? [] : [`${statement.name}:\n    ${plan.join('\n    ')}`];
        });
        assert.deepEqual(drifted, [], `plans that drifted from their design:\n  ${drifted.join('\n  ')}`);
      });
    }

    it('keeps them after the store analyzed the first message in flight at open (PRAGMA optimize = 0x10002)', async () => {
      for (const sql of [...emptyTables(), 'DELETE FROM sqlite_stat1', ...seedRows(2, 1)]) store.db.exec(sql);
      // A second connection, as the worker thread opens at start-up, runs the store's own optimize.
      const other = new SqliteStore({ path: join(dir, 'pigeon.db'), synchronous: 'normal' });
      try {
        const analyzed = other.db.prepare("SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'message_recipients'").get() as { n: number };
        assert.ok(analyzed.n > 0, 'the store took statistics of the queue at open');
        for (const statement of SQLITE_HOT) {
          assert.deepEqual(sqlitePlan(other.db, statement), SQLITE_DESIGNED[statement.name], statement.name);
        }
      } finally {
        await other.close();
      }
    });
  });
}

/** At most this many rows of a work table per statement, on tables of 3000 messages (a full read is 3000 or more). */
const READ_BOUND = 400;

if (BACKENDS.includes('postgres')) {
  describe('hot statements read what their batch needs whatever the statistics say (postgres)', () => {
    let statements: Recorded[];

    /** A migrated database whose work tables autovacuum leaves alone, with its store and a plain client. */
    async function database(): Promise<{ db: TestDatabase; store: PostgresStore; client: pg.Client; close: () => Promise<void> }> {
      const db = await createTestDatabase('postgres');
      const store = await PostgresStore.open(db.url);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      for (const table of WORK_TABLES) await client.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
      return {
        db,
        store,
        client,
        close: async () => {
          await client.end();
          await store.close();
          await db.drop();
        },
      };
    }

    const seeder = (client: pg.Client) => async (from: number, count: number) => {
      for (const sql of seedRows(from, count)) await client.query(sql);
    };

    before(async () => {
      const { store, client, close } = await database();
      try {
        await seeder(client)(1, 3000);
        statements = await recordHotStatements(store);
      } finally {
        await close();
      }
    });

    it('records the statements of every hot store method', () => {
      const methods = new Set(statements.map((s) => s.method));
      for (const method of ['claimDeliveries', 'recordSubmitted', 'recordTerminal', 'matchReceipt', 'matchedParkedReceipts', 'claimCallbacks', 'recordCallbackAttempt', 'dueReceipts', 'esme pending']) {
        assert.ok(methods.has(method), `no statement recorded for ${method}`);
      }
      assert.ok(statements.length >= 25, `${statements.length} statements recorded`);
    });

    for (const state of POSTGRES_STATES) {
      it(`statistics: ${state.name}`, async () => {
        const { client, close } = await database();
        try {
          await state.apply(client, seeder(client));
          const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM delivery_queue');
          assert.equal(Number(rows[0]?.n), 3000);
          const heavy: string[] = [];
          for (const statement of statements) {
            for (const mode of ['custom', 'generic'] as const) {
              const reads = await readsOf(client, statement, mode);
              const over = [...reads].filter(([, n]) => n > READ_BOUND);
              if (over.length > 0) {
                heavy.push(`${statement.method} (${mode}): ${over.map(([t, n]) => `${n} ${t}`).join(', ')}\n    ${statement.text.replace(/\s+/g, ' ').slice(0, 160)}`);
              }
            }
          }
          assert.deepEqual(heavy, [], `statements that read more than ${READ_BOUND} rows of a table:\n  ${heavy.join('\n  ')}`);
        } finally {
          await close();
        }
      });
    }
  });
}
