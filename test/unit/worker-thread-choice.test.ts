// When `pigeon serve` delivers in a worker thread (main/worker-thread.ts): role all on a SQLite file only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { usesWorkerThread } from '../../src/main/worker-thread.js';

describe('usesWorkerThread', () => {
  const cases: Array<[string, Record<string, string>, { role?: string }, boolean]> = [
    ['role all on a SQLite file', { DATABASE_URL: 'sqlite:/tmp/pigeon.db', PIGEON_WORKER_THREAD: '1' }, {}, true],
    ['with a query string', { DATABASE_URL: 'sqlite:/tmp/pigeon.db?synchronous=normal', PIGEON_WORKER_THREAD: 'true' }, {}, true],
    ['turned off', { DATABASE_URL: 'sqlite:/tmp/pigeon.db', PIGEON_WORKER_THREAD: '0' }, {}, false],
    ['an in-memory database, private to one connection', { DATABASE_URL: 'sqlite::memory:', PIGEON_WORKER_THREAD: '1' }, {}, false],
    ['PostgreSQL, which scales by processes', { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/pigeon', PIGEON_WORKER_THREAD: '1' }, {}, false],
    ['role api', { DATABASE_URL: 'sqlite:/tmp/pigeon.db', PIGEON_WORKER_THREAD: '1' }, { role: 'api' }, false],
    ['role worker', { DATABASE_URL: 'sqlite:/tmp/pigeon.db', PIGEON_WORKER_THREAD: '1' }, { role: 'worker' }, false],
  ];
  for (const [name, env, flags, expected] of cases) {
    it(`${expected ? 'uses' : 'does not use'} a worker thread: ${name}`, () => {
      assert.equal(usesWorkerThread(loadConfig(env, flags)), expected);
    });
  }

  it('refuses a PIGEON_WORKER_THREAD that is not a boolean, naming it', () => {
    assert.throws(() => loadConfig({ PIGEON_WORKER_THREAD: 'sometimes' }, {}), /PIGEON_WORKER_THREAD: 'sometimes' must be true, false, 1 or 0/);
  });
});
