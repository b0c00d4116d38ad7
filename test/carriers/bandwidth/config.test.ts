// The `bandwidth` carrier's config keys and the routes' new matchers: defaults filled in, and each
// bad value refused with the key that is wrong named (a table); plus the upstream error table.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { upstreamErrorCode } from '../../../src/carriers/bandwidth/error-map.js';
import { retryAfterMs } from '../../../src/carriers/bandwidth/client.js';
import { loadConfig } from '../../../src/config/config.js';

const load = (yaml: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-cfg-'));
  writeFileSync(join(dir, 'p.yaml'), yaml);
  return loadConfig({ PIGEON_CONFIG: join(dir, 'p.yaml') });
};
const MINIMAL = { name: 'bw', type: 'bandwidth', accountId: '9900000', applicationId: 'app-1', username: 'u', password: 'p', callbackUsername: 'cb', callbackPassword: 'cb-secret-1' };
const yaml = (carrier: Record<string, unknown>, route: Record<string, unknown> = { carrier: 'bw' }) =>
  `carriers:\n  - ${JSON.stringify(carrier)}\nroutes:\n  - ${JSON.stringify(route)}\n`;

describe('bandwidth carrier config', () => {
  it('fills in the defaults: Bandwidth production, same numbers upstream, 10 in flight, 10 s', () => {
    const [carrier] = load(yaml(MINIMAL)).carriers;
    assert.equal(carrier?.type, 'bandwidth');
    if (carrier?.type !== 'bandwidth') return;
    assert.equal(carrier.baseUrl, 'https://messaging.bandwidth.com/api/v2');
    assert.equal(carrier.tokenUrl, 'https://id.bandwidth.com/api/v1/oauth2/token');
    assert.deepEqual(carrier.numbers, {});
    assert.equal(carrier.concurrency, 10);
    assert.equal(carrier.timeoutSeconds, 10);
    assert.equal(carrier.requestsPerSecond, 0);
  });

  it('takes OAuth2 client credentials instead of Basic, and routes by kind and allowlist', () => {
    const oauth = { ...MINIMAL, username: undefined, password: undefined, clientId: 'c', clientSecret: 's', baseUrl: 'http://127.0.0.1:9/api/v2/' };
    const config = load(yaml(oauth, { carrier: 'bw', kind: 'mms', numbers: ['+19195550100'] }));
    const [carrier] = config.carriers;
    assert.equal(carrier?.type === 'bandwidth' && carrier.baseUrl, 'http://127.0.0.1:9/api/v2');
    assert.deepEqual(config.routes[0]?.kind, ['mms']);
    assert.deepEqual(config.routes[0]?.numbers, ['+19195550100']);
  });

  const bad: Array<[string, Record<string, unknown>, Record<string, unknown> | undefined, RegExp]> = [
    ['no accountId', { ...MINIMAL, accountId: undefined }, undefined, /carriers\[0\]\.accountId/],
    ['no applicationId', { ...MINIMAL, applicationId: undefined }, undefined, /carriers\[0\]\.applicationId/],
    ['no credentials', { ...MINIMAL, username: undefined, password: undefined }, undefined, /carriers\[0\]\.username: is required/],
    ['a username without password', { ...MINIMAL, password: undefined }, undefined, /carriers\[0\]\.password: username and password go together/],
    ['Basic and OAuth2 both', { ...MINIMAL, clientId: 'c', clientSecret: 's' }, undefined, /carriers\[0\]\.clientId: give username\/password or clientId\/clientSecret/],
    ['a clientId without secret', { ...MINIMAL, username: undefined, password: undefined, clientId: 'c' }, undefined, /carriers\[0\]\.clientSecret/],
    ['a baseUrl that is no URL', { ...MINIMAL, baseUrl: 'messaging.example' }, undefined, /carriers\[0\]\.baseUrl: must be an http\(s\) URL/],
    ['no callback credentials', { ...MINIMAL, callbackPassword: undefined }, undefined, /carriers\[0\]\.callbackPassword/],
    ['a short callback password', { ...MINIMAL, callbackPassword: 'short' }, undefined, /carriers\[0\]\.callbackPassword/],
    ['a number map of non-numbers', { ...MINIMAL, numbers: { '+19195551212': 'abc' } }, undefined, /carriers\[0\]\.numbers/],
    ['concurrency 0', { ...MINIMAL, concurrency: 0 }, undefined, /carriers\[0\]\.concurrency/],
    ['a negative timeout', { ...MINIMAL, timeoutSeconds: -1 }, undefined, /carriers\[0\]\.timeoutSeconds/],
    ['a negative rate limit', { ...MINIMAL, requestsPerSecond: -1 }, undefined, /carriers\[0\]\.requestsPerSecond/],
    ['an unknown key', { ...MINIMAL, apiKey: 'x' }, undefined, /carriers\[0\].*apiKey/],
    ['a route of an unknown kind', MINIMAL, { carrier: 'bw', kind: 'fax' }, /routes\[0\]\.kind/],
    ['an allowlist entry that is no number', MINIMAL, { carrier: 'bw', numbers: ['team'] }, /routes\[0\]\.numbers\[0\]: must be an E\.164 number/],
    ['an empty allowlist', MINIMAL, { carrier: 'bw', numbers: [] }, /routes\[0\]\.numbers/],
    ['a fallback that names no carrier', MINIMAL, { carrier: 'bw', fallback: ['smsc'] }, /routes\[0\]\.fallback\[0\]: names no carrier/],
  ];
  for (const [what, carrier, route, message] of bad) {
    it(`refuses ${what}, naming the key`, () => {
      assert.throws(() => load(yaml(carrier, route)), message);
    });
  }
});

describe('upstream error mapping', () => {
  const table: Array<[number, unknown, number]> = [
    [400, { fieldErrors: [{ fieldName: 'to', description: 'bad' }] }, 4720],
    [400, { fieldErrors: [{ fieldName: 'from', description: 'bad' }] }, 4740],
    [400, { fieldErrors: [{ fieldName: 'media[0]', description: 'bad' }] }, 4410],
    [400, { fieldErrors: [{ fieldName: 'text', description: 'too long' }] }, 4411],
    [400, { fieldErrors: [{ fieldName: 'applicationId', description: 'bad' }] }, 4452],
    [400, { type: 'request-validation' }, 4750],
    [401, undefined, 4493],
    [403, undefined, 4403],
    [404, undefined, 4451],
    [413, undefined, 4411],
    [422, undefined, 4750],
    [418, undefined, 4750],
  ];
  for (const [status, body, code] of table) {
    it(`maps ${status} ${JSON.stringify(body ?? '')} to ${code}`, () => assert.equal(upstreamErrorCode(status, body), code));
  }
  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('3', 0), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs('soon', 0), undefined);
    assert.equal(retryAfterMs(null, 0), undefined);
  });
});
