// The smppServer section and SMPP users: defaults, PIGEON_SMPP_PORT, and the cross-field checks.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const dir = mkdtempSync(join(tmpdir(), 'pigeon-smpp-config-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

const account = (smppUsers: string) => `accounts:
  - id: "9900000"
    users: [{ username: u, password: p }]
    applications: [{ id: app1, name: A, numbers: ["+19195551212"] }]
    smppUsers: ${smppUsers}
`;

describe('smppServer config', () => {
  it('is off by default, on with defaults when the section or PIGEON_SMPP_PORT is there', () => {
    assert.equal(loadConfig({ PIGEON_CONFIG: file(account('[]')) }).smppServer, undefined);
    const on = loadConfig({ PIGEON_CONFIG: file(`smppServer: {}\n${account('[]')}`) }).smppServer;
    assert.deepEqual(on, {
      host: '127.0.0.1',
      port: 2775,
      tls: undefined,
      idleMs: 300_000,
      bindTimeoutMs: 30_000,
      maxConnectionsPerAddress: 16,
      reassemblyMs: 600_000,
      window: 100,
      responseTimeoutMs: 30_000,
    });
    assert.equal(loadConfig({ PIGEON_CONFIG: file(account('[]')), PIGEON_SMPP_PORT: '2776' }).smppServer?.port, 2776);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['a systemId longer than SMPP allows', account('[{ systemId: abcdefghijklmnop, password: x, applicationId: app1 }]'), /systemId/],
    ['a password longer than SMPP allows', account('[{ systemId: e, password: ninechars, applicationId: app1 }]'), /password/],
    ['an application of no account', account('[{ systemId: e, password: x, applicationId: nope }]'), /application 'nope' is not an application/],
    ['a duplicate systemId', account('[{ systemId: e, password: x, applicationId: app1 }, { systemId: e, password: y, applicationId: app1 }]'), /duplicate SMPP systemId 'e'/],
    ['a certificate without its key', `smppServer: { tlsCertFile: /tmp/c.pem }\n${account('[]')}`, /tlsCertFile and tlsKeyFile go together/],
  ];
  for (const [name, text, message] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(() => loadConfig({ PIGEON_CONFIG: file(text) }), (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
