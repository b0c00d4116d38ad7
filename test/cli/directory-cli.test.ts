// `pigeon accounts|users|applications|numbers|smpp-users …` against a running Pigeon: the built
// CLI over the admin API, its --json output, and numbers going out to a CSV file and back.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPigeon } from '../helpers/cli.js';
import { ACCOUNT_A, basic, RECIPIENT } from '../helpers/fixtures.js';
import { postMessage } from '../helpers/http.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

for (const backend of BACKENDS) {
  describe(`pigeon directory commands (${backend})`, () => {
    let pigeon: TestPigeon;
    let dir: string;
    let env: Record<string, string>;
    before(async () => {
      pigeon = await startPigeon({ backend });
      dir = mkdtempSync(join(tmpdir(), 'pigeon-dir-cli-'));
      env = { PIGEON_URL: pigeon.url, PIGEON_ADMIN_TOKEN: ADMIN_TOKEN };
    });
    after(async () => {
      await pigeon.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const cli = async (args: string[]) => {
      const r = await runPigeon(args, { env });
      assert.equal(r.code, 0, `pigeon ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    it('adds, shows, changes, lists and removes entries; what it adds works at once', async () => {
      assert.equal(JSON.parse(await cli(['accounts', 'add', 'cli-acct', '--name', 'CLI', '--json'])).id, 'cli-acct');
      await cli(['users', 'add', 'cli-user', '--account', 'cli-acct', '--password', 'cli-pass']);
      const app = JSON.parse(await cli(['applications', 'add', '--account', 'cli-acct', '--name', 'CLI app', '--callback-url', 'http://127.0.0.1:9/cb', '--json'])) as { id: string };
      await cli(['numbers', 'add', '+19195556100', '--application', app.id]);
      const sent = await postMessage(pigeon, { applicationId: app.id, from: '+19195556100', to: [RECIPIENT], text: 'x' }, { auth: basic('cli-user', 'cli-pass'), accountId: 'cli-acct' });
      assert.equal(sent.status, 202);

      const shown = JSON.parse(await cli(['applications', 'show', app.id, '--json'])) as { callbackUrl: string };
      assert.equal(shown.callbackUrl, 'http://127.0.0.1:9/cb');
      await cli(['applications', 'set', app.id, '--callback-url', 'none']);
      assert.equal((JSON.parse(await cli(['applications', 'show', app.id, '--json'])) as { callbackUrl?: string }).callbackUrl, undefined);
      // Opt-out settings as JSON, checked by the server (a keyword in two classes is refused), and cleared with none.
      const optOut = { scope: 'application', keywords: { optOut: ['ALTO'] } };
      await cli(['applications', 'set', app.id, '--opt-out', JSON.stringify(optOut)]);
      assert.deepEqual((JSON.parse(await cli(['applications', 'show', app.id, '--json'])) as { optOut?: unknown }).optOut, optOut);
      const refused = await runPigeon(['applications', 'set', app.id, '--opt-out', '{"keywords": {"help": ["STOP"]}}'], { env });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /optOut\.keywords\.help/);
      const notJson = await runPigeon(['applications', 'set', app.id, '--opt-out', '{scope: application}'], { env });
      assert.equal(notJson.code, 2);
      assert.match(notJson.stderr, /--opt-out must be JSON/);
      await cli(['applications', 'set', app.id, '--opt-out', 'none']);
      assert.equal((JSON.parse(await cli(['applications', 'show', app.id, '--json'])) as { optOut?: unknown }).optOut, undefined);

      const table = await cli(['numbers', 'list', '--account', 'cli-acct']);
      assert.equal(table, `+19195556100\tcli-acct\t${app.id}\tlocal\t-\n`);
      const users = JSON.parse(await cli(['users', 'list', '--account', 'cli-acct', '--json'])) as { items: Array<{ username: string }> };
      assert.deepEqual(users.items.map((u) => u.username), ['cli-user']);

      await cli(['users', 'set', 'cli-user', '--account', 'cli-acct', '--password', 'rotated']);
      assert.equal((await postMessage(pigeon, { applicationId: app.id, from: '+19195556100', to: [RECIPIENT], text: 'x' }, { auth: basic('cli-user', 'cli-pass'), accountId: 'cli-acct' })).status, 401);
      await cli(['numbers', 'remove', '+19195556100']);
      assert.equal((await postMessage(pigeon, { applicationId: app.id, from: '+19195556100', to: [RECIPIENT], text: 'x' }, { auth: basic('cli-user', 'rotated'), accountId: 'cli-acct' })).status, 400);
      await cli(['accounts', 'remove', 'cli-acct']);
      const gone = await runPigeon(['accounts', 'show', 'cli-acct'], { env });
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /404 No account 'cli-acct'/);
    });

    it('exports numbers to a CSV file and imports one', async () => {
      const file = join(dir, 'numbers.csv');
      writeFileSync(file, `number,applicationId\n+19195556201,${ACCOUNT_A.applicationId}\n+19195556202,${ACCOUNT_A.applicationId}\n`);
      assert.deepEqual(JSON.parse(await cli(['numbers', 'import', file, '--json'])), { created: 2, updated: 0, unchanged: 0 });
      const out = join(dir, 'out.csv');
      await cli(['numbers', 'export', out, '--prefix', '+1919555620']);
      assert.equal(readFileSync(out, 'utf8'), `number,applicationId,ratePerSecond\r\n+19195556201,${ACCOUNT_A.applicationId},\r\n+19195556202,${ACCOUNT_A.applicationId},\r\n`);
    });

    it('names the bad field and exits 1; an unknown action exits 2', async () => {
      const bad = await runPigeon(['numbers', 'add', 'not-a-number', '--application', ACCOUNT_A.applicationId], { env });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /400 .*number: must be an E\.164 number/);
      const unknown = await runPigeon(['smpp-users', 'frobnicate'], { env });
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /use list, show, add, set or remove/);
    });
  });
}
