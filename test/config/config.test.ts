import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { hashPassword, verifyPassword } from '../../src/core/accounts/passwords.js';

const dir = mkdtempSync(join(tmpdir(), 'pigeon-config-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

const GOOD = `
accounts:
  - id: "9900000"
    users:
      - { username: api-user, password: api-pass }
    applications:
      - id: 93de2206-9669-4e07-948d-329f4b722ee2
        name: Demo
        callbackUrl: http://127.0.0.1:3000/callbacks
        callbackUsername: cb-user
        callbackPassword: cb-pass
        numbers: ["+19195551212"]
`;

describe('config loading', () => {
  it('loads the documented YAML shape', () => {
    const config = loadConfig({ PIGEON_CONFIG: file(GOOD) });
    assert.equal(config.demo, false);
    assert.equal(config.accounts[0]?.id, '9900000');
    assert.equal(config.accounts[0]?.applications[0]?.callbackUsername, 'cb-user');
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, 'sqlite:./data/pigeon.db');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.accounts[0]));
  });

  it("takes a worker-only process's probe address from server.workerHost/workerPort, PIGEON_WORKER_HOST/PORT over them", () => {
    assert.deepEqual(loadConfig({}).workerListen, { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(loadConfig({ HOST: '0.0.0.0' }).workerListen, { host: '0.0.0.0', port: 9464 });
    const path = file(`server: { workerHost: 10.0.0.5, workerPort: 9100 }\n${GOOD}`);
    assert.deepEqual(loadConfig({ PIGEON_CONFIG: path }).workerListen, { host: '10.0.0.5', port: 9100 });
    assert.deepEqual(loadConfig({ PIGEON_CONFIG: path, PIGEON_WORKER_HOST: '::1', PIGEON_WORKER_PORT: '0' }).workerListen, { host: '::1', port: 0 });
    assert.throws(() => loadConfig({ PIGEON_WORKER_PORT: 'x' }), (err: unknown) => err instanceof ConfigError && /PIGEON_WORKER_PORT: 'x' is not a port number/.test(err.message));
  });

  it('accepts JSON too', () => {
    const json = JSON.stringify({ accounts: [{ id: '1', users: [{ username: 'u', password: 'p' }] }] });
    assert.equal(loadConfig({ PIGEON_CONFIG: file(json) }).accounts[0]?.users[0]?.username, 'u');
  });

  it('layers defaults < file < env < flags', () => {
    const path = file(`server: { port: 9000, host: 0.0.0.0 }\ndatabase: { url: "sqlite:/tmp/a.db" }\n${GOOD}`);
    const fromFile = loadConfig({ PIGEON_CONFIG: path });
    assert.equal(fromFile.port, 9000);
    assert.equal(fromFile.host, '0.0.0.0');
    assert.equal(fromFile.databaseUrl, 'sqlite:/tmp/a.db');
    const fromEnv = loadConfig({ PIGEON_CONFIG: path, PORT: '9001', HOST: '::1', DATABASE_URL: 'sqlite:/tmp/b.db' });
    assert.deepEqual([fromEnv.port, fromEnv.host, fromEnv.databaseUrl], [9001, '::1', 'sqlite:/tmp/b.db']);
    const fromFlags = loadConfig({ PIGEON_CONFIG: path, PORT: '9001' }, { port: '9002', databaseUrl: 'sqlite:/tmp/c.db' });
    assert.deepEqual([fromFlags.port, fromFlags.databaseUrl], [9002, 'sqlite:/tmp/c.db']);
    const flagConfig = loadConfig({ PIGEON_CONFIG: '/nonexistent.yaml' }, { config: path });
    assert.equal(flagConfig.port, 9000);
  });

  it('limits each account to 1 GB of media unless media.accountQuotaBytes says otherwise (0: no limit)', () => {
    assert.equal(loadConfig({}).media.accountQuotaBytes, 1_000_000_000);
    assert.equal(loadConfig({ PIGEON_CONFIG: file(`media: { accountQuotaBytes: 5000 }\n${GOOD}`) }).media.accountQuotaBytes, 5000);
    assert.equal(loadConfig({ PIGEON_CONFIG: file(`media: { accountQuotaBytes: 0 }\n${GOOD}`) }).media.accountQuotaBytes, undefined);
  });

  it('runs on the demo account without a config file', () => {
    const config = loadConfig({});
    assert.equal(config.demo, true);
    assert.equal(config.accounts[0]?.id, '9900000');
  });

  it('accepts a password hash from `pigeon hash-password`', async () => {
    const hash = await hashPassword('s3cret');
    const config = loadConfig({
      PIGEON_CONFIG: file(`accounts: [{ id: "1", users: [{ username: u, passwordHash: "${hash}" }] }]`),
    });
    assert.equal(config.accounts[0]?.users[0]?.passwordHash, hash);
    assert.equal(await verifyPassword('s3cret', hash), true);
    assert.equal(await verifyPassword('s3cret ', hash), false);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['unreadable file', '', /cannot read config file .*ENOENT/],
    ['invalid YAML', 'accounts: [ {', /not valid YAML or JSON/],
    ['duplicate YAML key', 'server: {}\nserver: {}', /not valid YAML or JSON/],
    ['unknown top-level key', 'acounts: []', /unknown key acounts/],
    ['unknown nested key', 'server: { prot: 1 }', /unknown key server\.prot/],
    ['port out of range', 'server: { port: 70000 }', /server\.port: /],
    ['account without users', 'accounts: [{ id: "1", users: [] }]', /accounts\[0\]\.users: /],
    ['user with neither password nor hash', 'accounts: [{ id: "1", users: [{ username: u }] }]', /accounts\[0\]\.users\[0\]: exactly one of password and passwordHash/],
    ['user with both', 'accounts: [{ id: "1", users: [{ username: u, password: p, passwordHash: x }] }]', /accounts\[0\]\.users\[0\]/],
    ['bad password hash', 'accounts: [{ id: "1", users: [{ username: u, passwordHash: plain }] }]', /users\[0\]\.passwordHash: is not a hash/],
    ['username with colon', 'accounts: [{ id: "1", users: [{ username: "a:b", password: p }] }]', /users\[0\]\.username: must not contain ':'/],
    ['number not E.164', 'accounts: [{ id: "1", users: [{ username: u, password: p }], applications: [{ id: a, name: A, numbers: ["9195551212"] }] }]', /applications\[0\]\.numbers\[0\]: must be an E\.164 number/],
    ['callback URL not http', 'accounts: [{ id: "1", users: [{ username: u, password: p }], applications: [{ id: a, name: A, callbackUrl: "ftp://x" }] }]', /applications\[0\]\.callbackUrl: must be an http\(s\) URL/],
    ['callback user without password', 'accounts: [{ id: "1", users: [{ username: u, password: p }], applications: [{ id: a, name: A, callbackUsername: x }] }]', /callbackUsername and callbackPassword go together/],
    ['duplicate account', 'accounts: [{ id: "1", users: [{ username: u, password: p }] }, { id: "1", users: [{ username: u, password: p }] }]', /accounts\[1\]\.id: duplicate account id '1'/],
    ['duplicate username', 'accounts: [{ id: "1", users: [{ username: u, password: p }, { username: u, password: q }] }]', /accounts\[0\]\.users\[1\]\.username: duplicate username/],
    ['number on two applications', 'accounts: [{ id: "1", users: [{ username: u, password: p }], applications: [{ id: a, name: A, numbers: ["+19195551212"] }, { id: b, name: B, numbers: ["+19195551212"] }] }]', /numbers\[0\]: number \+19195551212 is already assigned to accounts\[0\]\.applications\[0\]/],
    ['duplicate application id', 'accounts: [{ id: "1", users: [{ username: u, password: p }], applications: [{ id: a, name: A }, { id: a, name: B }] }]', /applications\[1\]\.id: application id 'a' is already used/],
    ['account id with a slash', 'accounts: [{ id: "1/2", users: [{ username: u, password: p }] }]', /accounts\[0\]\.id: must contain only/],
    ['unsupported database engine', 'database: { url: "mysql://x" }', /database\.url: must look like sqlite:PATH or postgres:\/\/…/],
    ['database URL without a scheme', 'database: { url: ./data/pigeon.db }', /database\.url: must look like/],
    ['empty database URL', 'database: { url: "" }', /database\.url: must look like/],
    ['sqlite URL without a path', 'database: { url: "sqlite:" }', /database\.url: must look like/],
    ['negative media quota', 'media: { accountQuotaBytes: -1 }', /media\.accountQuotaBytes: /],
    ['fractional media quota', 'media: { accountQuotaBytes: 1.5 }', /media\.accountQuotaBytes: /],
  ];
  for (const [name, text, message] of bad) {
    it(`rejects ${name} with a message naming the key`, () => {
      const path = text === '' ? join(dir, 'missing.yaml') : file(text);
      assert.throws(() => loadConfig({ PIGEON_CONFIG: path }), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  const badEnv: Array<[string, Record<string, string>, RegExp]> = [
    ['PORT not a number', { PORT: 'http' }, /PORT: 'http' is not a port number/],
    ['PORT too large', { PORT: '65536' }, /PORT: '65536'/],
    ['unknown log level', { PIGEON_LOG_LEVEL: 'loud' }, /PIGEON_LOG_LEVEL: 'loud' is not one of/],
    ['unsupported database', { DATABASE_URL: 'mysql://x' }, /DATABASE_URL: 'mysql:\/\/x' must look like/],
    ['PIGEON_TRUST_PROXY yes', { PIGEON_TRUST_PROXY: 'yes' }, /PIGEON_TRUST_PROXY: 'yes' must be true, false, 1 or 0/],
    ['PIGEON_TRUST_PROXY TRUE', { PIGEON_TRUST_PROXY: 'TRUE' }, /PIGEON_TRUST_PROXY: 'TRUE' must be true, false, 1 or 0/],
    ['PIGEON_TRUST_PROXY on', { PIGEON_TRUST_PROXY: 'on' }, /PIGEON_TRUST_PROXY: 'on'/],
    ['public URL not http', { PIGEON_PUBLIC_URL: 'example.com' }, /public URL 'example.com'/],
  ];
  for (const [name, env, message] of badEnv) {
    it(`rejects ${name}`, () => {
      assert.throws(() => loadConfig(env), message);
    });
  }

  // The same minimum lengths as admin.token, metrics.token and oauth2.signingKey in the file.
  const secrets: Array<[string, string, number, (c: ReturnType<typeof loadConfig>) => string | undefined]> = [
    ['PIGEON_ADMIN_TOKEN', 'admin: { token: "%s" }', 16, (c) => c.adminToken],
    ['PIGEON_METRICS_TOKEN', 'metrics: { token: "%s" }', 16, (c) => c.metricsToken],
    ['PIGEON_OAUTH2_SIGNING_KEY', 'oauth2: { signingKey: "%s" }', 32, (c) => c.oauth2?.signingKey],
  ];
  for (const [name, yaml, min, read] of secrets) {
    it(`holds ${name} to the file's minimum of ${min} characters, naming the variable`, () => {
      for (const short of ['ab', 'x'.repeat(min - 1)]) {
        assert.throws(() => loadConfig({ [name]: short }), (err: unknown) => {
          assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
          assert.equal(err.message, `${name}: must be at least ${min} characters`);
          return true;
        });
        const key = yaml.slice(0, yaml.indexOf(':'));
        assert.throws(() => loadConfig({ PIGEON_CONFIG: file(`${yaml.replace('%s', short)}\n${GOOD}`) }), new RegExp(`${key}\\.\\w+: must be at least ${min} characters`));
      }
      const good = 'k'.repeat(min);
      assert.equal(read(loadConfig({ [name]: good })), good);
      // The environment wins over a good file value, and is checked even then.
      const path = file(`${yaml.replace('%s', 'f'.repeat(min))}\n${GOOD}`);
      assert.equal(read(loadConfig({ PIGEON_CONFIG: path, [name]: good })), good);
      assert.throws(() => loadConfig({ PIGEON_CONFIG: path, [name]: 'short' }), new RegExp(`^ConfigError: ${name}: `));
      // Empty means unset, as for every other variable.
      assert.equal(read(loadConfig({ PIGEON_CONFIG: path, [name]: '' })), 'f'.repeat(min));
    });
  }

  it('names DATABASE_URL, not the file key, when the environment overrides a good file URL with a bad one', () => {
    const path = file(`database: { url: "sqlite:/tmp/a.db" }\n${GOOD}`);
    assert.throws(() => loadConfig({ PIGEON_CONFIG: path, DATABASE_URL: 'mysql://x' }), /^ConfigError: DATABASE_URL: 'mysql:\/\/x'/);
  });

  it('accepts every documented database URL form in the file', () => {
    for (const url of ['sqlite:./data/pigeon.db', 'sqlite:/tmp/p.db?synchronous=normal', 'postgres://u:p@h:5432/db?pool=10', 'postgresql://h/db']) {
      assert.equal(loadConfig({ PIGEON_CONFIG: file(`database: { url: "${url}" }\n${GOOD}`) }).databaseUrl, url);
    }
  });

  it('reads PIGEON_TRUST_PROXY as true, false, 1, 0 or a list of proxies, over the file; true is loopback only', () => {
    const path = file(`server: { trustProxy: true }\n${GOOD}`);
    const loopback = ['loopback'];
    const cases: Array<[string | undefined, false | string[]]> = [
      ['true', loopback],
      ['1', loopback],
      ['false', false],
      ['0', false],
      [undefined, loopback],
      ['10.0.0.1, 192.168.0.0/16,::1', ['10.0.0.1', '192.168.0.0/16', '::1']],
    ];
    for (const [value, expected] of cases) {
      const env = value === undefined ? { PIGEON_CONFIG: path } : { PIGEON_CONFIG: path, PIGEON_TRUST_PROXY: value };
      assert.deepEqual(loadConfig(env).trustProxy, expected, `PIGEON_TRUST_PROXY=${String(value)}`);
    }
    assert.deepEqual(loadConfig({ PIGEON_CONFIG: file(`server: { trustProxy: [10.1.2.3, uniquelocal] }\n${GOOD}`) }).trustProxy, ['10.1.2.3', 'uniquelocal']);
    assert.throws(() => loadConfig({ PIGEON_CONFIG: file(`server: { trustProxy: [proxy.example] }\n${GOOD}`) }), /must be an IP address, a CIDR/);
    assert.throws(() => loadConfig({ PIGEON_TRUST_PROXY: '10.0.0.0/33' }), /PIGEON_TRUST_PROXY: '10.0.0.0\/33'/);
  });
});
