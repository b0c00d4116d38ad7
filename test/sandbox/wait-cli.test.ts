// `pigeon wait` (the real executable; run `npm run build` first) prints a one-time code the app sent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runPigeon } from '../helpers/cli.js';
import { RECIPIENT } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { ADMIN_TOKEN, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

describe('pigeon wait', () => {
  let pigeon: TestPigeon;
  before(async () => {
    pigeon = await startPigeon();
  });
  after(() => pigeon.close());
  const env = () => ({ PIGEON_URL: pigeon.url, PIGEON_ADMIN_TOKEN: ADMIN_TOKEN });

  it('prints the capture group of the message the app sends meanwhile', async () => {
    const since = String(Date.now());
    const waiting = runPigeon(['wait', '--to', RECIPIENT, '--match', 'code is (\\d{6})', '--group', '1', '--after', since, '--timeout', '20'], { env: env() });
    await postMessage(pigeon, smsBody({ text: 'Your code is 771204' }));
    const result = await waiting;
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, '771204\n');
    assert.equal(result.code, 0);
  });

  it('exits 1 with the 408 on timeout, and 2 on a --group without --match', async () => {
    const late = await runPigeon(['wait', '--to', '+19195550000', '--timeout', '0.2'], { env: env() });
    assert.equal(late.code, 1);
    assert.match(late.stderr, /408/);
    const bad = await runPigeon(['wait', '--group', '1'], { env: env() });
    assert.equal(bad.code, 2);
  });
});
