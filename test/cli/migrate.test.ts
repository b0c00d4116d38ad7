// `pigeon migrate` and the schema-version guard, on each engine, through the real executable: a
// fresh database ends at the newest schema, a second run is a no-op, two runs at once both succeed,
// and a process refuses to start (every role) on a schema newer than it knows.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { loadMigrations } from '../../src/store/sqlite/migrate.js';
import { runPigeon } from '../helpers/cli.js';
import { BACKENDS, createTestDatabase, withSql, type Backend } from '../helpers/databases.js';
import { fixtureConfigYaml } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'pigeon-migrate-'));
const configPath = join(dir, 'pigeon.yaml');
writeFileSync(configPath, fixtureConfigYaml());
after(() => rmSync(dir, { recursive: true, force: true }));

// Each run must end by itself; one that hangs (a serve that started after all) fails after this.
const RUN_TIMEOUT_MS = 30_000;

/** The versions the executable under test knows: the migration files of its build (dist/), not of src/. */
function knownVersions(backend: Backend): number[] {
  return loadMigrations(new URL(`../../dist/store/${backend}/migrations/`, import.meta.url)).map((m) => m.version);
}

interface Applied {
  version: number;
  name: string;
  applied_at: number;
}

function appliedMigrations(databaseUrl: string): Promise<Applied[]> {
  return withSql(databaseUrl, async (db) =>
    (await db.all<Applied>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).map((r) => ({
      version: Number(r.version),
      name: r.name,
      applied_at: Number(r.applied_at),
    })),
  );
}

async function freshDatabase(t: TestContext, backend: Backend): Promise<{ url: string; env: Record<string, string> }> {
  const database = await createTestDatabase(backend);
  t.after(() => database.drop());
  return { url: database.url, env: { PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: '0' } };
}

function migrate(env: Record<string, string>) {
  return runPigeon(['migrate'], { env, timeoutMs: RUN_TIMEOUT_MS });
}

for (const backend of BACKENDS) {
  const known = knownVersions(backend);
  const latest = known.at(-1) ?? 0;
  const future = latest + 1;

  describe(`pigeon migrate (${backend})`, () => {
    it('brings a fresh database to the newest schema; a second run changes nothing', async (t) => {
      const { url, env } = await freshDatabase(t, backend);
      const first = await migrate(env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /: schema is up to date\n$/);
      const applied = await appliedMigrations(url);
      assert.deepEqual(applied.map((m) => m.version), known);
      // The tables of the last migration exist (a bookkeeping row alone would not prove it).
      assert.equal(await withSql(url, (db) => db.count('SELECT count(*) AS n FROM simulator_receipts')), 0);

      const second = await migrate(env);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /: schema is up to date\n$/);
      // Same rows, same applied_at: nothing was applied again.
      assert.deepEqual(await appliedMigrations(url), applied);
    });

    it('two runs at once on a fresh database both succeed and apply each migration once', async (t) => {
      const { url, env } = await freshDatabase(t, backend);
      const runs = await Promise.all([migrate(env), migrate(env)]);
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      assert.deepEqual((await appliedMigrations(url)).map((m) => m.version), known);
    });

    describe('a database migrated by a newer Pigeon', () => {
      const newerSchema = async (t: TestContext) => {
        const fresh = await freshDatabase(t, backend);
        assert.equal((await migrate(fresh.env)).code, 0);
        await withSql(
          fresh.url,
          (db) => db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [future, 'from_the_future', Date.now()]),
          { write: true },
        );
        return fresh;
      };
      const refusal = new RegExp(`^pigeon: database schema version ${future} is newer than this Pigeon knows \\(${latest}\\)`);

      for (const role of ['worker', 'api'] as const) {
        it(`pigeon serve --role ${role} refuses to start, in one line naming both versions`, async (t) => {
          const { url, env } = await newerSchema(t);
          const r = await runPigeon(['serve', '--role', role], { env, timeoutMs: RUN_TIMEOUT_MS });
          assert.notEqual(r.code, null, `it ran instead of refusing:\n${r.stdout}${r.stderr}`);
          assert.notEqual(r.code, 0);
          const lines = r.stderr.trim().split('\n');
          assert.equal(lines.length, 1, r.stderr);
          assert.match(lines[0] ?? '', refusal);
          assert.doesNotMatch(r.stdout, /pigeon listening|pigeon worker running/);
          // Nothing applied, nothing removed.
          assert.deepEqual((await appliedMigrations(url)).map((m) => m.version), [...known, future]);
        });
      }

      it('pigeon migrate refuses it too', async (t) => {
        const { env } = await newerSchema(t);
        const r = await migrate(env);
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, refusal);
      });
    });
  });
}
