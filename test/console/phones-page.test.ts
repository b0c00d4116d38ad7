// The console's Phones page manages scripted phones, in headless Chromium on each engine: the
// administrator adds a rule of a two-step flow through the page (a bad regular expression first,
// which the page shows at the text field), a message sent through the messaging API gets the
// rule's answer (seen in the phone's conversation) and moves the conversation to step 1 (seen in
// the page); the rule is edited, the conversation reset in the page, and the edited answer comes
// at step 0 again; then the rule is deleted. The admin API sees each change.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { MessageView } from '../../src/core/admin/message-view.js';
import { describeViolations, launchBrowser, seriousViolations } from '../helpers/browser.js';
import { ACCOUNT_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const WAIT = { timeout: 30_000 };
const PHONE = '+18285550401';
const APP = ACCOUNT_A.number;
/** With PIGEON_SCREENSHOTS=1 the SQLite run saves the page for the README (as console.test.ts does). */
const SCREENSHOTS = process.env.PIGEON_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : undefined;

for (const backend of BACKENDS) {
  describe(`console Phones page: scripted phones (${backend})`, () => {
    let pigeon: TestPigeon;
    let browser: Browser;
    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml() });
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await pigeon?.close();
    });

    const send = async (text: string) => {
      const res = await postMessage(pigeon, smsBody({ to: [PHONE], text }));
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const rule = async () => {
      const res = await pigeon.fetch('/admin/v1/phones/rules/signup', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('adds, edits and deletes a rule, shows a conversation’s step and resets it', async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const page = await context.newPage();
        await page.goto(`${pigeon.url}/`);
        await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
        await page.getByRole('button', { name: 'Sign in as administrator' }).click();
        await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor(WAIT);
        await page.getByRole('link', { name: 'Phones' }).click();
        await page.getByRole('heading', { name: 'Scripted phones' }).waitFor(WAIT);
        const section = page.getByRole('region', { name: 'Scripted phones' });
        const form = section.getByRole('form');

        // A regular expression that does not compile: the server's error, at the field.
        await form.getByLabel('Rule id').fill('signup');
        await form.getByLabel('Phone', { exact: true }).fill(PHONE);
        await form.getByLabel('Sending number (optional)').fill(APP);
        await form.getByLabel('Text', { exact: true }).selectOption('regex');
        const textField = form.getByLabel('Text to match');
        await textField.fill('(join');
        await form.getByLabel('At step (optional)').fill('0');
        await form.getByLabel('Then go to step (optional)').fill('1');
        await form.getByLabel('Answer text').fill('JOINED');
        await form.getByRole('button', { name: 'Add rule' }).click();
        await page.locator('[aria-invalid="true"][name="text"]').waitFor(WAIT);
        // The field's accessible description: its hint and its error, as a screen reader reads them.
        const described = (await page.evaluate(
          "(() => { const el = document.querySelector('form [name=text]'); return (el.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '); })()",
        )) as string;
        assert.match(described, /the pattern does not compile/);
        const violations = await seriousViolations(page);
        assert.deepEqual(violations, [], describeViolations(violations));
        assert.equal((await rule()).status, 404);

        await form.getByLabel('Text', { exact: true }).selectOption('contains');
        await textField.fill('join');
        await form.getByRole('button', { name: 'Add rule' }).click();
        await section.getByRole('status').filter({ hasText: 'Added rule signup.' }).waitFor(WAIT);
        assert.equal(await textField.getAttribute('aria-invalid'), null);
        await section.getByRole('cell', { name: 'contains “join”' }).waitFor(WAIT);
        const added = (await rule()).body;
        assert.deepEqual([added.phone, added.from, added.text, added.step, added.nextStep, (added.answer as { text: string }).text], [PHONE, APP, { contains: 'join' }, 0, 1, 'JOINED']);

        // A message that matches: the phone answers (its conversation shows it), and the
        // conversation moves to step 1, which the page shows as it happens.
        await send('Please join us');
        const conversation = section.getByRole('table', { name: 'Each conversation’s step' });
        await conversation.getByRole('row').filter({ hasText: PHONE }).getByRole('cell', { name: '1', exact: true }).waitFor(WAIT);
        if (SCREENSHOTS !== undefined && backend === 'sqlite') await page.screenshot({ path: `${SCREENSHOTS}phones.png`, fullPage: true });
        await page.getByRole('link', { name: PHONE }).click();
        await page.getByRole('list', { name: `Conversation of ${PHONE}` }).getByText('JOINED', { exact: true }).waitFor(WAIT);
        await page.goBack();
        await page.getByRole('heading', { name: 'Scripted phones' }).waitFor(WAIT);

        // Edit: another answer; reset the conversation in the page, and step 0 answers again with it.
        await section.getByRole('button', { name: 'Edit rule signup' }).click();
        await page.getByRole('heading', { name: 'Edit rule signup' }).waitFor(WAIT);
        assert.equal(await form.getByLabel('Text to match').inputValue(), 'join');
        await form.getByLabel('Answer text').fill('WELCOME');
        await form.getByLabel('Only the first N matches (optional)').fill('5');
        await form.getByRole('button', { name: 'Save rule' }).click();
        await section.getByRole('status').filter({ hasText: 'Saved rule signup.' }).waitFor(WAIT);
        await section.getByRole('cell', { name: 'WELCOME' }).waitFor(WAIT);
        await section.getByRole('cell', { name: '1 of 5' }).waitFor(WAIT);
        await section.getByRole('button', { name: `Reset ${PHONE} with ${APP}` }).click();
        await section.getByText('Every conversation is at step 0.').waitFor(WAIT);
        const conversations = (await pigeon.admin('GET', `/phones/conversations?phone=${encodeURIComponent(PHONE)}`)) as { conversations: unknown[] };
        assert.deepEqual(conversations.conversations, []);
        const again = await send('join again?');
        const next = new URLSearchParams({ direction: 'in', from: PHONE, afterMessage: again, timeout: '30' });
        const answer = (await pigeon.admin('GET', `/messages/next?${next.toString()}`)) as MessageView;
        assert.equal(answer.message.text, 'WELCOME');

        await section.getByRole('button', { name: 'Delete rule signup' }).click();
        await section.getByRole('status').filter({ hasText: 'Deleted rule signup.' }).waitFor(WAIT);
        await section.getByText('No rules yet.').waitFor(WAIT);
        assert.equal((await rule()).status, 404);
      } finally {
        await context.close();
      }
    });
  });
}
