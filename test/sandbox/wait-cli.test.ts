// `pigeon wait` (the real executable; run `npm run build` first) prints a one-time code the app sent;
// `pigeon export` streams an account's messages to a file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPigeon } from '../helpers/cli.js';
import { ACCOUNT_A, RECIPIENT } from '../helpers/fixtures.js';
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

  it('pigeon export writes the filtered export to a file, and refuses a missing --account', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pigeon-export-'));
    try {
      const file = join(dir, 'out.csv');
      await postMessage(pigeon, smsBody({ text: 'exported by the cli', tag: 'cli-export' }));
      const result = await runPigeon(['export', '--account', ACCOUNT_A.id, '--format', 'csv', '--tag', 'cli-export', '--file', file], { env: env() });
      assert.equal(result.stderr, '');
      assert.equal(result.code, 0);
      const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
      assert.equal(lines.length, 2);
      assert.match(lines[1] ?? '', /exported by the cli/);
      const missing = await runPigeon(['export'], { env: env() });
      assert.equal(missing.code, 2);
      const bad = await runPigeon(['export', '--account', ACCOUNT_A.id, '--format', 'xml'], { env: env() });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /format/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
