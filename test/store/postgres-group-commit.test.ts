// PostgreSQL's group commit (src/store/postgres/group-commit.ts) against a real server: writes of one
// turn of the event loop share a transaction and run in key order, each caller is answered after the
// COMMIT, a failing write fails alone, and writes of one kind run as one statement.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresGroupCommitter, type Combined } from '../../src/store/postgres/group-commit.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';

describe('PostgreSQL group commit', { skip: BACKENDS.includes('postgres') ? false : 'PostgreSQL not among PIGEON_TEST_BACKENDS' }, () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  before(async () => {
    database = await createTestDatabase('postgres');
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    await pool.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  const insert = (id: number, v = 'x') => async (client: pg.PoolClient) =>
    Number((await client.query<{ xid: string }>('INSERT INTO t (id, v) VALUES ($1, $2) RETURNING txid_current() AS xid', [id, v])).rows[0]?.xid);
  const stored = async (ids: number[]) =>
    (await pool.query<{ id: number }>('SELECT id FROM t WHERE id = ANY($1::int[]) ORDER BY id', [ids])).rows.map((r) => r.id);

  it('runs the writes of one turn in one transaction, in key order, and answers after the COMMIT', async () => {
    const commits = new PostgresGroupCommitter(pool);
    const sizes: number[] = [];
    commits.observer = (batch) => sizes.push(batch.size);
    const order: string[] = [];
    const tracked = (key: string, id: number) =>
      commits.run(key, async (client) => {
        order.push(key);
        return insert(id)(client);
      });
    const xids = await Promise.all([tracked('1|c', 3), tracked('1|a', 1), tracked('1|b', 2)]);
    assert.equal(new Set(xids).size, 1, `one transaction: ${JSON.stringify(xids)}`);
    assert.deepEqual(order, ['1|a', '1|b', '1|c']);
    assert.deepEqual(sizes, [3]);
    // Resolved only after the COMMIT: another connection sees every row.
    assert.deepEqual(await stored([1, 2, 3]), [1, 2, 3]);
  });

  it('fails only the write that failed; its neighbours commit', async () => {
    const commits = new PostgresGroupCommitter(pool);
    await commits.run('k', insert(10));
    const results = await Promise.allSettled([commits.run('a', insert(11)), commits.run('b', insert(10)), commits.run('c', insert(12))]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    const failure = results[1] as PromiseRejectedResult;
    assert.equal((failure.reason as { code?: string }).code, '23505', 'the duplicate key is what its caller is told');
    assert.deepEqual(await stored([10, 11, 12]), [10, 11, 12]);
  });

  it('runs the combined writes of one kind as one statement, and each alone after a failed batch', async () => {
    const commits = new PostgresGroupCommitter(pool);
    const calls: number[][] = [];
    const many: Combined<number> = {
      kind: 'insert many',
      execute: async (client, ids) => {
        calls.push([...ids]);
        await client.query(`INSERT INTO t (id, v) SELECT id, 'm' FROM unnest($1::int[]) AS id`, [ids]);
      },
    };
    await Promise.all([20, 21, 22].map((id) => commits.runCombined(`2|${id}`, many, id)));
    assert.deepEqual(calls, [[20, 21, 22]]);
    assert.deepEqual(await stored([20, 21, 22]), [20, 21, 22]);

    calls.length = 0;
    const results = await Promise.allSettled([commits.runCombined('2|23', many, 23), commits.runCombined('2|20', many, 20)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected'],
    );
    // Together first (in key order), then each on its own once that failed.
    assert.deepEqual(calls[0], [20, 23]);
    assert.deepEqual(calls.slice(1).sort(), [[20], [23]]);
    assert.deepEqual(await stored([23]), [23]);
  });
});
