// The web console in a real browser (headless Chromium) against a real Pigeon, on each storage
// engine: sign-in and its refusal, account isolation, the live list, a message's detail with its
// recipients and callbacks, compose, phones, the simulator, status and sign-out. Every page is
// checked with axe-core. With PIGEON_SCREENSHOTS=1 the SQLite run saves the screenshots the README
// shows into docs/screenshots; otherwise it takes none, so a test run leaves the tree as it was.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { describeViolations, launchBrowser, seriousViolations } from '../helpers/browser.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, AUTH_B, RECIPIENT, RECIPIENT_2, fixtureConfigYaml } from '../helpers/fixtures.js';
import { CONSOLE_BUDGET_BYTES } from './budget.test.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

/** Where the screenshots go when asked for (README: refreshing them). */
const SCREENSHOTS = process.env.PIGEON_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : undefined;
/** A 1×1 PNG, for media shown inline. */
const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const WAIT = { timeout: 15_000 };

for (const backend of BACKENDS) {
  describe(`web console (${backend})`, () => {
    let pigeon: TestPigeon;
    let receiver: CallbackReceiver;
    let browser: Browser;
    let admin: BrowserContext;
    let page: Page;

    const shot = async (name: string) => {
      if (SCREENSHOTS !== undefined && backend === 'sqlite') await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
    };
    const accessible = async (p: Page, name: string) => {
      const violations = await seriousViolations(p);
      assert.equal(violations.length, 0, `${name}: ${describeViolations(violations)}`);
    };
    const send = async (body: Record<string, unknown>): Promise<string> => {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json' },
        body: JSON.stringify({ applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, ...body }),
      });
      assert.equal(res.status, 202, await res.clone().text());
      return ((await res.json()) as { id: string }).id;
    };
    const signInAsAdmin = async (p: Page, url = pigeon.url) => {
      await p.goto(`${url}/`);
      await p.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await p.getByRole('button', { name: 'Sign in as administrator' }).click();
      await p.getByRole('heading', { name: 'Messages', level: 1 }).waitFor(WAIT);
    };
    const signInAsApiUser = async (p: Page, account: { id: string; username: string; password: string }) => {
      await p.goto(`${pigeon.url}/`);
      await p.getByLabel('Account ID').fill(account.id);
      await p.getByLabel('Username').fill(account.username);
      await p.getByLabel('Password').fill(account.password);
      await p.getByRole('button', { name: 'Sign in as API user' }).click();
      await p.getByRole('heading', { name: 'Messages', level: 1 }).waitFor(WAIT);
    };
    /** Runs `use` with a page of a browser context of its own (its own cookies), closed afterwards. */
    const inOwnContext = async (use: (p: Page) => Promise<void>) => {
      const context = await browser.newContext();
      try {
        await use(await context.newPage());
      } finally {
        await context.close();
      }
    };

    before(async () => {
      receiver = await new CallbackReceiver().start();
      pigeon = await startPigeon({
        backend,
        configYaml: fixtureConfigYaml({
          callbackUrl: receiver.url,
          extra: 'callbacks: { retryInitialSeconds: 0.2, retryMaxSeconds: 0.5, circuitFailureThreshold: 1000 }',
        }),
      });
      browser = await launchBrowser();
      admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await admin.newPage();
    });
    after(async () => {
      await browser?.close();
      await pigeon?.close();
      await receiver?.stop();
    });

    it('serves the page to a browser at / and leaves API clients their 404', async () => {
      const html = await pigeon.fetch('/', { headers: { accept: 'text/html' } });
      assert.equal(html.status, 200);
      assert.match(html.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(await html.text(), /\/console\/assets\/app\.js/);
      const api = await pigeon.fetch('/', { headers: { accept: 'application/json' } });
      assert.equal(api.status, 404);
    });

    it('refuses a wrong admin token, then signs in with the right one', async () => {
      // Everything the browser loads comes from Pigeon, within the download budget.
      const loaded: Array<{ url: string; bytes: number }> = [];
      const onResponse = async (response: Response) => {
        loaded.push({ url: response.url(), bytes: (await response.body().catch(() => Buffer.alloc(0))).length });
      };
      page.on('response', onResponse);
      await page.goto(`${pigeon.url}/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      page.off('response', onResponse);
      assert.ok(loaded.length >= 3, JSON.stringify(loaded));
      for (const { url } of loaded) assert.ok(url.startsWith(`${pigeon.url}/`), `loaded from elsewhere: ${url}`);
      const assets = loaded.filter((l) => !l.url.includes('/console/api/')).reduce((sum, l) => sum + l.bytes, 0);
      assert.ok(assets <= CONSOLE_BUDGET_BYTES, `the browser downloaded ${assets} bytes`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      await accessible(page, 'sign-in');
      await shot('sign-in');
      await page.getByLabel('Admin token').fill('not-the-token');
      await page.getByRole('button', { name: 'Sign in as administrator' }).click();
      await page.getByRole('alert').filter({ hasText: 'Sign-in refused' }).waitFor(WAIT);
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in as administrator' }).click();
      await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor(WAIT);
      const cookies = await admin.cookies();
      const session = cookies.find((c) => c.name === 'pigeon_console');
      assert.ok(session?.httpOnly, 'HttpOnly session cookie');
      assert.equal(session?.sameSite, 'Strict');
      assert.equal(await page.evaluate('localStorage.length + sessionStorage.length'), 0);
      assert.doesNotMatch(page.url(), /token|password/i);
    });

    it('shows a message sent through the API without a reload, until DELIVERED', async () => {
      await page.goto(`${pigeon.url}/console/messages`);
      await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor(WAIT);
      await page.evaluate('window.notReloaded = true');
      const id = await send({ to: [RECIPIENT], text: 'live list' });
      const row = page.getByRole('row').filter({ hasText: id });
      await row.getByText('DELIVERED').waitFor(WAIT);
      assert.equal(await page.evaluate('window.notReloaded'), true);
      await accessible(page, 'messages');
      await shot('messages');
    });

    it('shows a failed group recipient with its error', async () => {
      const id = await send({ to: [RECIPIENT, '+15005550001'], text: 'group with a landline' });
      await pigeon.waitForMessage(id);
      await page.goto(`${pigeon.url}/console/messages/${id}`);
      const failed = page.getByRole('table', { name: 'Status per recipient' }).getByRole('row').filter({ hasText: '+15005550001' });
      await failed.getByText('FAILED').waitFor(WAIT);
      await failed.getByText('4720').waitFor(WAIT);
      await page.getByRole('table', { name: 'Status per recipient' }).getByRole('row').filter({ hasText: RECIPIENT }).getByText('DELIVERED').waitFor(WAIT);
    });

    it('shows callback attempts against a receiver that is down, then up, and sends one again', async () => {
      receiver.status = 503;
      const id = await send({ to: [RECIPIENT], text: 'callbacks down then up' });
      await page.goto(`${pigeon.url}/console/messages/${id}`);
      await page.getByRole('cell', { name: '503' }).first().waitFor(WAIT);
      receiver.status = 200;
      await page.getByRole('cell', { name: '200' }).first().waitFor(WAIT);
      await accessible(page, 'message');
      await shot('message');
      const before = receiver.eventsFor(id).length;
      await page.getByRole('button', { name: /^Send callback #\d+ again$/ }).first().click();
      await page.getByText(/Callback queued again as #\d+/).waitFor(WAIT);
      await receiver.waitFor(() => receiver.eventsFor(id).length > before);
    });

    it('counts UCS-2 segments while typing an emoji and sends from compose', async () => {
      await page.goto(`${pigeon.url}/console/compose?to=${encodeURIComponent(RECIPIENT)}`);
      await page.getByLabel('Text', { exact: true }).fill('Hello 👋');
      await page.getByText('UCS-2 · 8 UTF-16 units · 1 segment').waitFor(WAIT);
      await page.getByLabel('Text', { exact: true }).fill(`${'👋'.repeat(36)}`);
      await page.getByText('UCS-2 · 72 UTF-16 units · 2 segments').waitFor(WAIT);
      await page.getByLabel('Text', { exact: true }).fill('Hello 👋');
      await accessible(page, 'compose');
      await shot('compose');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByText('Accepted:').waitFor(WAIT);
    });

    it('sends an MMS with uploaded media, shows the image inline and finds it by tag', async () => {
      await page.goto(`${pigeon.url}/console/compose`);
      await page.getByLabel('To', { exact: true }).fill(RECIPIENT);
      await page.getByLabel('Text', { exact: true }).fill('a picture');
      await page.getByLabel('Media').setInputFiles({ name: 'pixel.png', mimeType: 'image/png', buffer: PIXEL_PNG });
      await page.getByLabel('Tag').fill('console-mms');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByText('Accepted:').waitFor(WAIT);
      await page.getByRole('status').getByRole('link').click();
      const image = page.getByRole('img', { name: /pixel\.png/ });
      await image.waitFor(WAIT);
      await page.waitForFunction((el) => {
        const img = el as unknown as { complete: boolean; naturalWidth: number };
        return img.complete && img.naturalWidth === 1;
      }, await image.elementHandle());
      await page.getByText('MMS').first().waitFor(WAIT);
      await page.goto(`${pigeon.url}/console/messages`);
      await page.getByLabel('Tag').fill('console-mms');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('Message records 1 to 1', { exact: true }).waitFor(WAIT);
    });

    it('shows the events of a message whose application has no callback URL', async () => {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_B.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_B, 'content-type': 'application/json' },
        body: JSON.stringify({ applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number, to: [RECIPIENT], text: 'no callbacks' }),
      });
      const { id } = (await res.json()) as { id: string };
      await page.goto(`${pigeon.url}/console/messages/${id}`);
      await page.getByText('This application has no callback URL').waitFor(WAIT);
      await page.getByRole('table', { name: 'Events in order' }).getByText('DELIVERED').waitFor(WAIT);
    });

    it("shows a phone's reply, with media and to the group, as an inbound message", async () => {
      await pigeon.waitForMessage(await send({ to: [RECIPIENT, RECIPIENT_2], text: 'hello group' }));
      await page.goto(`${pigeon.url}/console/phones`);
      await page.getByRole('link', { name: RECIPIENT, exact: true }).click();
      await page.getByRole('heading', { name: `Phone ${RECIPIENT}` }).waitFor(WAIT);
      await page.locator('.bubble.received').filter({ hasText: 'hello group' }).waitFor(WAIT);
      assert.ok(await page.getByRole('checkbox', { name: RECIPIENT_2 }).isChecked(), 'the other group member is a recipient');
      assert.ok(await page.getByRole('checkbox', { name: `${ACCOUNT_A.number} (this account)` }).isChecked());
      await page.getByLabel('Reply text').fill('a reply from the phone');
      await page.getByLabel('Reply media').setInputFiles({ name: 'reply.png', mimeType: 'image/png', buffer: PIXEL_PNG });
      await page.getByRole('button', { name: 'Send reply' }).click();
      const reply = page.locator('.bubble.sent').filter({ hasText: 'a reply from the phone' });
      await reply.waitFor(WAIT);
      await reply.getByText(RECIPIENT_2, { exact: false }).waitFor(WAIT);
      await page.waitForFunction(
        "(() => { const img = [...document.querySelectorAll('.bubble.sent img')].at(-1); return !!img && img.complete && img.naturalWidth === 1; })()",
      );
      await accessible(page, 'phone');
      await shot('phone');
      await page.goto(`${pigeon.url}/console/messages`);
      await page.getByRole('row').filter({ hasText: 'INBOUND' }).filter({ hasText: RECIPIENT }).first().waitFor(WAIT);
    });

    it("changes the next message's outcome with a simulator rule", async () => {
      await page.goto(`${pigeon.url}/console/simulator`);
      await page.getByRole('heading', { name: 'Simulator', level: 1 }).waitFor(WAIT);
      await page.getByLabel('Rule ID').fill('unavailable');
      await page.getByLabel('To', { exact: true }).fill(RECIPIENT_2);
      await page.getByLabel('Outcome').selectOption('fail');
      await page.getByLabel('Error code', { exact: true }).fill('4702');
      await page.getByRole('button', { name: 'Save rule' }).click();
      await page.getByRole('button', { name: 'Remove unavailable' }).waitFor(WAIT);
      await accessible(page, 'simulator');
      await shot('simulator');
      const id = await send({ to: [RECIPIENT_2], text: 'ruled' });
      await page.goto(`${pigeon.url}/console/messages/${id}`);
      const row = page.getByRole('table', { name: 'Status per recipient' }).getByRole('row').filter({ hasText: RECIPIENT_2 });
      await row.getByText('4702').waitFor(WAIT);
      // A second rule, moved first, then edited; the order is what the server keeps.
      await page.goto(`${pigeon.url}/console/simulator`);
      await page.getByLabel('Rule ID').fill('slow');
      await page.getByLabel('To', { exact: true }).fill('+1919*');
      await page.getByLabel('Outcome').selectOption('deliver');
      await page.getByRole('button', { name: 'Save rule' }).click();
      await page.getByRole('button', { name: 'Move slow up' }).click();
      await page.getByRole('button', { name: 'Move slow down' }).waitFor(WAIT);
      await page.getByRole('button', { name: 'Edit slow' }).click();
      await page.getByLabel('Delay (ms)').fill('10');
      await page.getByRole('button', { name: 'Save rule' }).click();
      await page.getByRole('heading', { name: 'Add a rule' }).waitFor(WAIT);
      const rules = await pigeon.admin<Array<{ id: string; delayMs?: number }>>('GET', '/simulator/rules');
      assert.deepEqual(rules.map((r) => [r.id, r.delayMs]), [['slow', 10], ['unavailable', undefined]]);
      await page.getByRole('button', { name: 'Remove slow' }).click();
      await page.getByRole('button', { name: 'Remove unavailable' }).click();
      await page.getByText('No rules.').waitFor(WAIT);
    });

    it('shows carriers, queues and callback endpoints', async () => {
      await page.goto(`${pigeon.url}/console/status`);
      await page.getByRole('table', { name: 'Carriers and their state' }).waitFor(WAIT);
      await page.getByRole('table', { name: 'Callback endpoints per application' }).getByText(receiver.url).waitFor(WAIT);
      // The 503s of the callback test, with the application they belong to.
      const failures = page.getByRole('table', { name: 'Most recent failed callback attempts per application' });
      await failures.getByRole('row').filter({ hasText: '503' }).filter({ hasText: 'Main' }).first().waitFor(WAIT);
      await accessible(page, 'status');
      await shot('status');
    });

    it('lists, removes, adds, exports and imports opt-outs, scoped to the account', async () => {
      const stopper = '+19195550301';
      const manual = '+19195550302';
      const imported = '+19195550303';
      const ofB = '+19195550304';
      // A STOP reaches Pigeon (as the admin API's inbound injection) and shows up without a reload.
      await page.goto(`${pigeon.url}/console/opt-outs`);
      await page.getByRole('heading', { name: 'Opt-outs', level: 1 }).waitFor(WAIT);
      await page.evaluate('window.notReloaded = true');
      await pigeon.admin('POST', '/inbound', { from: stopper, to: ACCOUNT_A.number, text: 'STOP' });
      const table = page.getByRole('table', { name: 'Blocked numbers, oldest first' });
      await table.getByRole('row').filter({ hasText: stopper }).getByText('STOP').waitFor(WAIT);
      assert.equal(await page.evaluate('window.notReloaded'), true);
      // Another account's block is not on account A's page.
      await pigeon.admin('POST', '/opt-outs', { recipient: ofB, scope: 'account', scopeKey: ACCOUNT_B.id });
      // Search by number.
      await page.getByLabel('Search by number').fill(stopper);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await table.getByRole('row').filter({ hasText: stopper }).waitFor(WAIT);
      assert.equal(await table.getByRole('row').count(), 2);
      await accessible(page, 'opt-outs');
      // Removed by hand.
      await page.getByRole('button', { name: `Remove ${stopper} from Number ${ACCOUNT_A.number}` }).click();
      await page.getByRole('status').filter({ hasText: `Removed ${stopper}` }).waitFor(WAIT);
      await page.getByText(`No opt-outs match ${stopper}.`).waitFor(WAIT);
      // Added by hand, for the whole account: a send to it then fails with 4775.
      await page.getByLabel('Search by number').fill('');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByLabel('Number to block').fill(manual);
      await page.getByLabel('Scope', { exact: true }).selectOption({ label: 'Whole account' });
      await page.getByRole('button', { name: 'Add block' }).click();
      await table.getByRole('row').filter({ hasText: manual }).filter({ hasText: 'Whole account' }).waitFor(WAIT);
      const blocked = await send({ to: [manual], text: 'blocked by hand' });
      await page.goto(`${pigeon.url}/console/messages/${blocked}`);
      const row = page.getByRole('table', { name: 'Status per recipient' }).getByRole('row').filter({ hasText: manual });
      await row.getByText('4775').waitFor(WAIT);
      // Import a CSV file, then export the list as a download.
      await page.goto(`${pigeon.url}/console/opt-outs`);
      await table.getByRole('row').filter({ hasText: manual }).waitFor(WAIT);
      await page.getByLabel('CSV file').setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(`phone\r\n${imported}\r\n`) });
      await page.getByLabel('Scope of rows without one').selectOption({ label: `Number ${ACCOUNT_A.number}` });
      await page.getByRole('button', { name: 'Import CSV' }).click();
      await page.getByRole('status').filter({ hasText: 'Imported 1 rows: 1 added' }).waitFor(WAIT);
      await table.getByRole('row').filter({ hasText: imported }).getByText('import').waitFor(WAIT);
      await shot('opt-outs');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
      const csv = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks as Buffer[]).toString('utf8'));
      assert.match(csv, /^recipient,scope,scopeKey/);
      assert.match(csv, new RegExp(`\\${manual},account,${ACCOUNT_A.id}`));
      assert.match(csv, new RegExp(`\\${imported},number,\\${ACCOUNT_A.number}`));
      assert.doesNotMatch(csv, new RegExp(`\\${ofB}`));
      // An API user of account B sees B's block only, and cannot reach or change account A's.
      await inOwnContext(async (user) => {
        await signInAsApiUser(user, ACCOUNT_B);
        await user.getByRole('link', { name: 'Opt-outs' }).click();
        const mine = user.getByRole('table', { name: 'Blocked numbers, oldest first' });
        await mine.getByRole('row').filter({ hasText: ofB }).waitFor(WAIT);
        assert.equal(await mine.getByRole('row').filter({ hasText: manual }).count(), 0);
        assert.equal(await mine.getByRole('row').count(), 2);
        const list = await user.evaluate(async (path) => (await fetch(path)).status, `/console/api/accounts/${ACCOUNT_A.id}/opt-outs`);
        assert.equal(list, 404);
        // Without the CSRF header a change is refused even with the session cookie.
        const forged = await user.evaluate(
          async (path) => (await fetch(path, { method: 'DELETE' })).status,
          `/console/api/accounts/${ACCOUNT_B.id}/opt-outs/account/${ACCOUNT_B.id}/${encodeURIComponent(ofB)}`,
        );
        assert.equal(forged, 403);
      });
      const remaining = await pigeon.admin<{ optOuts: Array<{ recipient: string }> }>('GET', `/opt-outs?recipient=${encodeURIComponent(ofB)}`);
      assert.equal(remaining.optOuts.length, 1);
    });

    it('lets an API user see only their own account, also by typed URL and through the API', async () => {
      const otherId = await send({ to: [RECIPIENT], text: 'account A only' });
      await inOwnContext(async (user) => {
        await signInAsApiUser(user, ACCOUNT_B);
        assert.deepEqual(await user.getByLabel('Account').locator('option').allTextContents(), [ACCOUNT_B.id]);
        assert.equal(await user.getByRole('link', { name: 'Simulator' }).count(), 0);
        await user.goto(`${pigeon.url}/console/messages/${otherId}`);
        await user.getByRole('alert').filter({ hasText: `No message '${otherId}'` }).waitFor(WAIT);
        const status = await user.evaluate(async (path) => (await fetch(path)).status, `/console/api/accounts/${ACCOUNT_A.id}/messages`);
        assert.equal(status, 404);
        const simulator = await user.evaluate(async (path) => (await fetch(path)).status, '/console/api/simulator');
        assert.equal(simulator, 403);
        // A state-changing call without the CSRF header is refused even with the session cookie.
        const forged = await user.evaluate(
          async (path) => (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status,
          `/console/api/accounts/${ACCOUNT_B.id}/messages`,
        );
        assert.equal(forged, 403);
      });
      // Cross-site: refused before credentials are even looked at.
      const crossSite = await pigeon.fetch('/console/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
        body: JSON.stringify({ token: ADMIN_TOKEN }),
      });
      assert.equal(crossSite.status, 403);
    });

    it('rate-limits failed sign-ins', async () => {
      let last = 0;
      for (let i = 0; i < 12; i++) {
        const res = await pigeon.fetch('/console/api/session', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ accountId: ACCOUNT_A.id, username: ACCOUNT_A.username, password: `wrong-${i}` }),
        });
        last = res.status;
      }
      assert.equal(last, 429);
    });

    it('updates live from another process sharing the database', { skip: backend !== 'postgres' }, async () => {
      // An API-only Pigeon serves this console; the delivery happens in the first one, a separate server.
      const apiOnly = await startPigeon({ databaseUrl: pigeon.config.databaseUrl, configYaml: fixtureConfigYaml({ callbackUrl: receiver.url }), env: { PIGEON_ROLE: 'api' } });
      try {
        await inOwnContext(async (other) => {
          await signInAsAdmin(other, apiOnly.url);
          await other.evaluate('window.notReloaded = true');
          // Sent through the API-only process, delivered by the other: the DELIVERED reaches this page by NOTIFY.
          const res = await apiOnly.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
            method: 'POST',
            headers: { authorization: AUTH_A, 'content-type': 'application/json' },
            body: JSON.stringify({ applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, to: [RECIPIENT], text: 'across processes' }),
          });
          const { id } = (await res.json()) as { id: string };
          await other.getByRole('row').filter({ hasText: id }).getByText('DELIVERED').waitFor(WAIT);
          assert.equal(await other.evaluate('window.notReloaded'), true);
        });
      } finally {
        await apiOnly.close();
      }
    });

    it('signs out', async () => {
      await page.goto(`${pigeon.url}/console/messages`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      const status = await page.evaluate(async () => (await fetch('/console/api/session')).status);
      assert.equal(status, 204);
      await page.goto(`${pigeon.url}/console/status`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
    });
  });
}
