// `pigeon phones` (the real executable; run `npm run build` first): add a rule, see it fire, read and
// reset the conversation, remove the rule.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPigeon } from '../helpers/cli.js';
import { ACCOUNT_A } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { ADMIN_TOKEN, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const PHONE = '+18285550401';

describe('pigeon phones', () => {
  let pigeon: TestPigeon;
  let dir: string;
  before(async () => {
    pigeon = await startPigeon();
    dir = mkdtempSync(join(tmpdir(), 'pigeon-phones-cli-'));
  });
  after(async () => {
    await pigeon.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = () => ({ PIGEON_URL: pigeon.url, PIGEON_ADMIN_TOKEN: ADMIN_TOKEN });

  it('adds rules (flags and a file), lists them, shows and resets the conversation, removes them', async () => {
    const added = await runPigeon(['phones', 'add', '--id', 'cli-hi', '--phone', PHONE, '--match', '^hi', '--text', 'hello from the cli'], { env: env() });
    assert.equal(added.code, 0, added.stderr);
    assert.equal((JSON.parse(added.stdout) as { id: string }).id, 'cli-hi');
    const file = join(dir, 'flow.yaml');
    writeFileSync(file, `- { id: cli-step, phone: "${PHONE}", step: 0, text: { exact: go }, answer: { text: went } }\n`);
    assert.equal((await runPigeon(['phones', 'add', '--file', file], { env: env() })).code, 0);
    const list = JSON.parse((await runPigeon(['phones', 'list'], { env: env() })).stdout) as { rules: Array<{ id: string }> };
    assert.deepEqual(list.rules.map((r) => r.id).sort(), ['cli-hi', 'cli-step']);

    const sent = await postMessage(pigeon, smsBody({ to: [PHONE], text: 'go' }));
    const answer = await pigeon.fetch(`/admin/v1/messages/next?direction=in&from=${encodeURIComponent(PHONE)}&afterMessage=${sent.body.id as string}&timeout=30`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(((await answer.json()) as { message: { text: string } }).message.text, 'went');
    const conversations = JSON.parse((await runPigeon(['phones', 'conversations', '--phone', PHONE], { env: env() })).stdout) as {
      conversations: Array<{ applicationNumber: string; step: number }>;
    };
    assert.deepEqual(conversations.conversations.map((c) => [c.applicationNumber, c.step]), [[ACCOUNT_A.number, 1]]);
    assert.deepEqual(JSON.parse((await runPigeon(['phones', 'reset', '--phone', PHONE], { env: env() })).stdout), { reset: 1 });

    const removed = await runPigeon(['phones', 'remove', 'cli-hi'], { env: env() });
    assert.equal(removed.stdout, 'removed cli-hi\n');
    const again = await runPigeon(['phones', 'remove', 'cli-hi'], { env: env() });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /404/);
    assert.equal((await runPigeon(['phones', 'add', '--phone', PHONE], { env: env() })).code, 2);
    assert.equal((await runPigeon(['phones', 'shout'], { env: env() })).code, 2);
  });
});
