// Database URLs as they appear in logs and command output: no part of a password may remain,
// whatever characters it holds unencoded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDatabaseUrl } from '../../src/config/config.js';

const cases: Array<[string, string]> = [
  ['postgres://u:s3cr@tPass@host/db', 'postgres://u:***@host/db'],
  ['postgres://u:s3cr@tPass@host:5432/db?pool=10', 'postgres://u:***@host:5432/db'],
  ['postgresql://u:a@b@c@db.example.com/pigeon', 'postgresql://u:***@db.example.com/pigeon'],
  ['postgres://u:pa/ss@host/db', 'postgres://u:***@host/db'],
  ['postgres://u:pa?ss@host/db', 'postgres://u:***@host/db'],
  ['postgres://u:pa#ss@host/db', 'postgres://u:***@host/db'],
  ['postgres://u:pa:ss@host/db', 'postgres://u:***@host/db'],
  ['postgres://u:p%40ss@host/db', 'postgres://u:***@host/db'],
  ['postgres://u:@host/db', 'postgres://u:***@host/db'],
  ['postgres://u:secret@[::1]:5432/db', 'postgres://u:***@[::1]:5432/db'],
  ['postgres://u@host/db', 'postgres://u@host/db'],
  ['postgres://host/db?password=secret', 'postgres://host/db'],
  ['postgresql://h/db', 'postgresql://h/db'],
  ['sqlite:./data/pigeon.db', 'sqlite:./data/pigeon.db'],
  ['sqlite:/tmp/p.db?synchronous=normal', 'sqlite:/tmp/p.db'],
];

describe('describeDatabaseUrl', () => {
  for (const [url, expected] of cases) {
    it(`shows ${url} as ${expected}`, () => {
      assert.equal(describeDatabaseUrl(url), expected);
    });
  }

  it('never leaves a piece of the password, whatever it holds', () => {
    for (const password of ['s3cr@tPass', 'a@b/c?d#e', 'x:y@z', '@@@tail', 'p/ss@w?rd']) {
      for (const suffix of ['', ':5432', ':5432/db', '/db?sslmode=require', '/db?application_name=me@work']) {
        const shown = describeDatabaseUrl(`postgres://user:${password}@db.internal${suffix}`);
        for (const piece of password.split(/[@/?#:]/).filter((p) => p.length >= 2)) {
          assert.ok(!shown.includes(piece), `'${piece}' of the password left in ${shown}`);
        }
        assert.ok(shown.startsWith('postgres://user:***@'), shown);
      }
    }
  });
});
