// The console's Tenants page in headless Chromium, on each engine: the administrator adds an
// application and a number through the page and the number sends at once through the messaging API;
// an account's user changes its own application's callback URL through the page (the admin API sees
// it) and the page shows it nothing of another account's applications and numbers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { describeViolations, launchBrowser, seriousViolations } from '../helpers/browser.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_B, RECIPIENT, fixtureConfigYaml } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const WAIT = { timeout: 30_000 };

for (const backend of BACKENDS) {
  describe(`console Tenants page (${backend})`, () => {
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

    const inOwnContext = async (use: (p: Page) => Promise<void>) => {
      const context = await browser.newContext();
      try {
        await use(await context.newPage());
      } finally {
        await context.close();
      }
    };

    it('lets the administrator add an application and a number that sends at once', async () => {
      await inOwnContext(async (page) => {
        await page.goto(`${pigeon.url}/`);
        await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
        await page.getByRole('button', { name: 'Sign in as administrator' }).click();
        await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor(WAIT);
        await page.getByRole('link', { name: 'Tenants' }).click();
        await page.getByRole('heading', { name: 'Tenants', level: 1 }).waitFor(WAIT);

        const addApp = page.getByRole('form', { name: 'Add an application' });
        await addApp.getByLabel('Account id').fill(ACCOUNT_B.id);
        await addApp.getByLabel('Application name').fill('CI run 1');
        await addApp.getByLabel('Callback URL').fill('http://127.0.0.1:9/ci');
        await addApp.getByRole('button', { name: 'Add application' }).click();
        await page.getByRole('status').filter({ hasText: 'Added application CI run 1' }).waitFor(WAIT);
        await page.getByRole('cell', { name: 'CI run 1', exact: true }).waitFor(WAIT);

        const addNumber = page.getByRole('form', { name: 'Add or move a number' });
        await addNumber.getByLabel('Number').fill('+19195558300');
        await addNumber.getByLabel('Application').selectOption({ label: `CI run 1 (${ACCOUNT_B.id})` });
        await addNumber.getByRole('button', { name: 'Add number' }).click();
        await page.getByRole('status').filter({ hasText: 'Added +19195558300 to CI run 1' }).waitFor(WAIT);
        await page.getByRole('cell', { name: '+19195558300', exact: true }).waitFor(WAIT);
        const violations = await seriousViolations(page);
        assert.deepEqual(violations, [], describeViolations(violations));
      });
      const apps = (await pigeon.admin('GET', `/applications?accountId=${ACCOUNT_B.id}`)) as { items: Array<{ id: string; name: string }> };
      const applicationId = apps.items.find((a) => a.name === 'CI run 1')?.id;
      assert.ok(applicationId);
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_B.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_B, 'content-type': 'application/json' },
        body: JSON.stringify({ applicationId, from: '+19195558300', to: [RECIPIENT], text: 'from a number made in the console' }),
      });
      assert.equal(res.status, 202, await res.clone().text());
      const trail = (await pigeon.admin('GET', '/audit?kind=number&key=%2B19195558300')) as { items: Array<{ actor: string; action: string }> };
      assert.equal(trail.items[0]?.actor, 'console:admin-token');
    });

    it('lets an account user change its application’s callback URL and shows it no other account’s entries', async () => {
      await inOwnContext(async (page) => {
        await page.goto(`${pigeon.url}/`);
        await page.getByLabel('Account ID').fill(ACCOUNT_B.id);
        await page.getByLabel('Username').fill(ACCOUNT_B.username);
        await page.getByLabel('Password').fill(ACCOUNT_B.password);
        await page.getByRole('button', { name: 'Sign in as API user' }).click();
        await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor(WAIT);
        await page.getByRole('link', { name: 'Applications' }).click();
        await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor(WAIT);
        await page.getByRole('cell', { name: ACCOUNT_B.number, exact: true }).waitFor(WAIT);

        const text = await page.locator('#directory').innerText();
        for (const other of [ACCOUNT_A.id, ACCOUNT_A.applicationId, ACCOUNT_A.otherApplicationId, ACCOUNT_A.number]) assert.ok(!text.includes(other), `the page shows ${other}`);
        assert.equal(await page.getByRole('form', { name: 'Add an application' }).count(), 0);
        assert.equal(await page.getByRole('button', { name: /^Release/ }).count(), 0);

        const form = page.getByRole('form', { name: 'Callback' });
        await form.getByLabel('Application').selectOption(ACCOUNT_B.applicationId);
        await form.getByLabel('Callback URL').fill('http://127.0.0.1:9/changed-in-console');
        await form.getByLabel('Callback username').fill('hook');
        await form.getByLabel('Callback password').fill('hook-secret');
        await form.getByRole('button', { name: 'Save callback' }).click();
        await page.getByRole('status').filter({ hasText: 'Saved the callback' }).waitFor(WAIT);
        await page.getByRole('cell', { name: 'http://127.0.0.1:9/changed-in-console', exact: true }).waitFor(WAIT);
      });
      const app = (await pigeon.admin('GET', `/applications/${ACCOUNT_B.applicationId}`)) as { callbackUrl: string; callbackUsername: string; callbackPassword: string };
      assert.equal(app.callbackUrl, 'http://127.0.0.1:9/changed-in-console');
      assert.equal(app.callbackUsername, 'hook');
      assert.equal(app.callbackPassword, '***');
      const trail = (await pigeon.admin('GET', `/audit?kind=application&key=${ACCOUNT_B.applicationId}`)) as { items: Array<{ actor: string }> };
      assert.equal(trail.items[0]?.actor, `user:${ACCOUNT_B.id}/${ACCOUNT_B.username}`);
    });

    it('lets the administrator set an application’s own opt-out settings, which the next inbound keyword follows', async () => {
      const phone = '+19195558411';
      await inOwnContext(async (page) => {
        await page.goto(`${pigeon.url}/`);
        await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
        await page.getByRole('button', { name: 'Sign in as administrator' }).click();
        await page.getByRole('link', { name: 'Tenants' }).click();
        const form = page.getByRole('form', { name: 'Application settings' });
        await form.getByLabel('Application', { exact: true }).selectOption(ACCOUNT_A.applicationId);
        const save = () => form.getByRole('button', { name: 'Save settings' }).click();
        // Refused in the page (not JSON), then by the server, naming the field; nothing is stored.
        await form.getByLabel('Opt-out settings').fill('{"keywords":');
        await save();
        await page.getByRole('alert').filter({ hasText: 'Opt-out settings: not valid JSON' }).waitFor(WAIT);
        await form.getByLabel('Opt-out settings').fill('{"scope":"planet"}');
        await save();
        await page.getByRole('alert').filter({ hasText: 'optOut.scope' }).waitFor(WAIT);
        assert.equal((await pigeon.admin<{ optOut?: unknown }>('GET', `/applications/${ACCOUNT_A.applicationId}`)).optOut, undefined);

        await form.getByLabel('Opt-out settings').fill('{"keywords":{"optOut":["BAJA"]}}');
        await form.getByLabel('Smart encoding').check();
        await save();
        await page.getByRole('status').filter({ hasText: 'Saved the settings of' }).waitFor(WAIT);
        const violations = await seriousViolations(page);
        assert.deepEqual(violations, [], describeViolations(violations));
      });
      const app = await pigeon.admin<{ optOut?: unknown; smartEncoding?: boolean }>('GET', `/applications/${ACCOUNT_A.applicationId}`);
      assert.deepEqual(app.optOut, { keywords: { optOut: ['BAJA'] } });
      assert.equal(app.smartEncoding, true);
      // BAJA is now this application's opt-out keyword: the phone is on the list.
      await pigeon.admin('POST', '/inbound', { from: phone, to: [ACCOUNT_A.number], text: 'BAJA' });
      const events = await pigeon.admin<{ events: Array<{ action: string }> }>('GET', `/opt-outs/events?recipient=${encodeURIComponent(phone)}`);
      assert.deepEqual(events.events.map((e) => e.action), ['opt-out']);
    });
  });
}
