// The console's message list in headless Chromium: each row shows the start of the message's text
// (or "MMS: 2 files") and its tag, the search finds messages by their text (and exports them), and the browser meets
// no 404 (the favicon included). Compose counts segments with and without smart encoding.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { ACCOUNT_A, AUTH_A, RECIPIENT, fixtureConfigYaml } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const WAIT = { timeout: 15_000 };
/** Smart encoding on for account A's main application, not for its toll-free one. */
const SMART_YAML = fixtureConfigYaml().replace('        name: Main\n', '        name: Main\n        smartEncoding: true\n');
const CURLY = '\u201CYour table is ready\u201D \u2014 we\u2019ll hold it for 15 minutes. '.padEnd(160, 'x');
const LONG = 'Your verification code is 123456. It expires in ten minutes; do not share it with anyone at all.';

for (const backend of BACKENDS) {
  describe(`console: list preview and search, favicon, compose counter (${backend})`, () => {
    let pigeon: TestPigeon;
    let browser: Browser;
    let page: Page;
    const notFound: string[] = [];
    const send = async (body: Record<string, unknown>): Promise<string> => {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json' },
        body: JSON.stringify({ applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, to: [RECIPIENT], ...body }),
      });
      assert.equal(res.status, 202, await res.clone().text());
      return ((await res.json()) as { id: string }).id;
    };

    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: SMART_YAML });
      browser = await launchBrowser();
      page = await (await browser.newContext()).newPage();
      page.on('response', (res) => {
        if (res.status() === 404) notFound.push(res.url());
      });
    });
    after(async () => {
      await browser?.close();
      await pigeon?.close();
    });

    it('shows the start of the text and the tag, "MMS: 2 files" for media alone, and searches the text', async () => {
      const code = await send({ text: LONG, tag: 'signup' });
      const mms = await send({ media: ['https://example.com/a.png', 'https://example.com/b.png'] });
      const other = await send({ text: 'an unrelated reminder' });
      await page.goto(`${pigeon.url}/`);
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in as administrator' }).click();
      await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor(WAIT);

      const codeRow = page.getByRole('row').filter({ hasText: code });
      await codeRow.waitFor(WAIT);
      const preview = (await codeRow.locator('.preview').textContent()) ?? '';
      assert.ok(preview.startsWith('Your verification code is 123456.'), preview);
      assert.ok(preview.endsWith('…') && [...preview].length === 60, preview);
      assert.equal(await codeRow.getByRole('cell', { name: 'signup', exact: true }).count(), 1);
      assert.equal(await page.getByRole('row').filter({ hasText: mms }).locator('.preview').textContent(), 'MMS: 2 files');
      assert.equal(await page.getByRole('row').filter({ hasText: other }).locator('.preview').textContent(), 'an unrelated reminder');

      await page.getByLabel('Text contains').fill('VERIFICATION code');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('Message records 1 to 1', { exact: true }).waitFor(WAIT);
      assert.equal(await page.getByRole('row').filter({ hasText: code }).count(), 1);
      // LIKE's own wildcards are searched for as characters.
      await page.getByLabel('Text contains').fill('100%');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('No message records match.', { exact: true }).waitFor(WAIT);

      // The export of the list as filtered: the search for the code finds its one message.
      await page.getByLabel('Text contains').fill('verification');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('Message records 1 to 1', { exact: true }).waitFor(WAIT);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV', exact: true }).click()]);
      const rows = readFileSync((await download.path()) ?? '', 'utf8').trimEnd().split('\r\n');
      assert.equal(rows.length, 2);
      assert.ok(rows[1]?.startsWith(`${code},`), rows[1]);
    });

    it("counts the segments with and without smart encoding, first as the sending application sends", async () => {
      await page.goto(`${pigeon.url}/console/compose?to=${encodeURIComponent(RECIPIENT)}`);
      await page.getByLabel('Text', { exact: true }).fill(CURLY);
      const smart = 'GSM-7 · 160 septets · 1 segment';
      const plain = 'UCS-2 · 160 UTF-16 units · 3 segments';
      await page.getByText(`${smart} with smart encoding (without: ${plain})`, { exact: true }).waitFor(WAIT);
      await page.getByLabel('From').selectOption(`${ACCOUNT_A.otherApplicationId}|${ACCOUNT_A.tollFreeNumber}`);
      await page.getByText(`${plain} (with smart encoding: ${smart})`, { exact: true }).waitFor(WAIT);
      await page.getByLabel('Text', { exact: true }).fill('plain text');
      await page.getByText('GSM-7 · 10 septets · 1 segment', { exact: true }).waitFor(WAIT);
    });

    it('gives the browser its favicon: no 404 anywhere', async () => {
      const icon = await page.evaluate(async () => (await fetch('/favicon.ico')).status);
      assert.equal(icon, 200);
      assert.deepEqual(notFound, []);
    });
  });
}
