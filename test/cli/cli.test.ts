import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { verifyPassword } from '../../src/core/accounts/passwords.js';
import { ACCOUNT_A, RECIPIENT, RECIPIENT_2, fixtureConfigYaml } from '../helpers/fixtures.js';
import { runPigeon, spawnPigeon } from '../helpers/cli.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';

const dir = mkdtempSync(join(tmpdir(), 'pigeon-cli-'));
const configPath = join(dir, 'pigeon.yaml');
writeFileSync(configPath, fixtureConfigYaml());

describe('pigeon CLI', () => {
  it('prints usage with --help', async () => {
    const r = await runPigeon(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: pigeon <command>/);
  });

  it('rejects an unknown command with one line and exit code 2', async () => {
    const r = await runPigeon(['frobnicate']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  it('rejects an unknown option with exit code 2', async () => {
    const r = await runPigeon(['send', '--frm', '+1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^pigeon: .*--frm/);
  });

  it('checks a good config file', async () => {
    const r = await runPigeon(['config', 'check', '--config', configPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok — 2 account\(s\), 3 API user\(s\), 3 application\(s\), 4 number\(s\)/);
  });

  it('reports a bad config file in one line naming the key', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'accounts:\n  - id: "1"\n    users: [{ username: u }]\n');
    const r = await runPigeon(['config', 'check', '--config', bad]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /accounts\[0\]\.users\[0\]: exactly one of password and passwordHash is required/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  });

  it('hashes a password read from stdin', async () => {
    const r = await runPigeon(['hash-password'], { input: 'correct horse\n' });
    assert.equal(r.code, 0, r.stderr);
    const hash = r.stdout.trim();
    assert.match(hash, /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$/);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct horse\n', hash), false);
  });

  it('refuses to hash an empty password', async () => {
    const r = await runPigeon(['hash-password'], { input: '' });
    assert.equal(r.code, 2);
  });
});

// The commands that open the database themselves (no server), on each engine.
for (const backend of BACKENDS) {
  describe(`pigeon CLI on the database (${backend})`, () => {
    let database: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      database = await createTestDatabase(backend);
      env = { PIGEON_CONFIG: configPath, DATABASE_URL: database.url };
    });
    after(() => database.drop());

    it('sends a message and lists it back', async () => {
      const sent = await runPigeon(['send', '--from', ACCOUNT_A.number, '--to', RECIPIENT, '--to', RECIPIENT_2, '--text', 'from the CLI', '--tag', 'cli'], { env });
      assert.equal(sent.code, 0, sent.stderr);
      const message = JSON.parse(sent.stdout) as Record<string, unknown>;
      assert.match(String(message.id), /^\d{13}[a-z0-9]{16}$/);
      assert.deepEqual(message.to, [RECIPIENT, RECIPIENT_2]);
      assert.equal(message.applicationId, ACCOUNT_A.applicationId);
      assert.equal(message.tag, 'cli');

      const listed = await runPigeon(['messages', '--account', ACCOUNT_A.id, '--json', '--source-tn', ACCOUNT_A.number], { env });
      assert.equal(listed.code, 0, listed.stderr);
      const page = JSON.parse(listed.stdout) as { totalCount: number; messages: Array<{ messageId: string; destinationTn: string }> };
      assert.equal(page.totalCount, 2);
      assert.deepEqual(page.messages.map((m) => m.messageId), [message.id, message.id]);

      const table = await runPigeon(['messages', '--account', ACCOUNT_A.id], { env });
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^TIME\s+ID\s+DIRECTION/);
      assert.ok(table.stdout.includes(String(message.id)));
    });

    it('reports validation errors of send in one line', async () => {
      const r = await runPigeon(['send', '--from', ACCOUNT_A.number, '--to', '+1invalid'], { env });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /to: '\+1invalid' must be replaced with a valid E164/);
      assert.match(r.stderr, /text: 'text' is required unless media is included/);
    });

    it('refuses to list when several accounts exist and none is named', async () => {
      const r = await runPigeon(['messages'], { env });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /pass --account/);
    });
  });
}

describe('pigeon serve', () => {
  const children: Array<{ kill: (s: NodeJS.Signals) => boolean }> = [];
  after(() => children.forEach((c) => c.kill('SIGKILL')));

  it('a SIGTERM sent the moment the start-up line is read drains and exits 0 (the handler is taken before that line)', async (t) => {
    const database = await createTestDatabase('sqlite');
    t.after(() => database.drop());
    for (let i = 0; i < 3; i++) {
      const started = await spawnPigeon(['serve', '--role', 'api'], { PORT: '0', DATABASE_URL: database.url, PIGEON_LOG_LEVEL: 'info' }, /"msg":"pigeon listening"/);
      children.push(started.child);
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => started.child.on('exit', (code, signal) => resolve([code, signal])));
      started.child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null], started.output());
      assert.match(started.output(), /"msg":"stopped"/);
    }
  });

  for (const backend of BACKENDS) {
    it(`starts on the demo account and the curl command it prints gets a 202 (${backend})`, async (t) => {
      const database = await createTestDatabase(backend);
      t.after(() => database.drop());
      const { child, match } = await spawnPigeon(
        ['serve'],
        { PORT: '0', DATABASE_URL: database.url, PIGEON_LOG_LEVEL: 'warn' },
        /(curl -u [^\n]+\\\n[^\n]+\\\n[^\n]+\n)/,
      );
      children.push(child);
      const curl = (match[1] ?? '').replace(/\\\n/g, ' ').trim();
      const { stdout } = await promisify(execFile)('bash', ['-c', `${curl} -s -w '\\n%{http_code}'`]);
      const [body = '', status] = stdout.trim().split('\n');
      assert.equal(status, '202');
      const message = JSON.parse(body) as Record<string, unknown>;
      assert.equal(message.from, '+19195551212');
      assert.equal(message.direction, 'out');
      assert.equal(message.segmentCount, 1);

      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    });
  }

  it('exits non-zero with one line when the config is bad', async () => {
    const bad = join(dir, 'bad-serve.yaml');
    writeFileSync(bad, 'server: { port: "eighty" }\n');
    const r = await runPigeon(['serve', '--config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /server\.port: /);
  });
});
