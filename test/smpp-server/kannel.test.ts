// Interop with a real, independent ESME: Kannel's bearerbox + smsbox (Debian `kannel`), bound to
// Pigeon's SMPP server as a transceiver (`smsc = smpp`). Messages go in through Kannel's sendsms,
// the simulator's outcome comes back to Kannel's dlr-url (delivered and failed) with Pigeon's
// message id as Kannel's foreign id (%F), a long UCS-2 text arrives as one message, and an
// inbound message from `pigeon inbound` reaches Kannel's sms-service. Skipped where Kannel is not installed,
// unless PIGEON_TEST_INTEROP=require (CI).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPigeon } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { skipUnless } from '../helpers/requirements.js';
import { smppConfigYaml } from './esme-client.js';

const BEARERBOX = '/usr/sbin/bearerbox';
const SMSBOX = '/usr/sbin/smsbox';
const APP_NUMBER = '+19195551212';

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Hit {
  path: string;
  query: URLSearchParams;
}

const kannelInstalled = existsSync(BEARERBOX) && existsSync(SMSBOX);

for (const backend of BACKENDS) {
  describe(`Kannel bound to Pigeon over SMPP (${backend})`, { skip: skipUnless('interop', kannelInstalled, 'kannel is not installed') }, () => {
    let pigeon: TestPigeon;
    let dir: string;
    let sink: Server;
    const hits: Hit[] = [];
    const children: ChildProcess[] = [];
    let sendsmsPort = 0;
    let sinkPort = 0;

    const sendsms = async (params: Record<string, string>) => {
      const dlr = `http://127.0.0.1:${sinkPort}/dlr?type=%d&id=%F&to=%p&tag=${params.tag ?? ''}`;
      const query = new URLSearchParams({ username: 'tester', password: 'foobar', 'dlr-mask': '3', 'dlr-url': dlr, ...params });
      const res = await fetch(`http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms?${query.toString()}`);
      const body = await res.text();
      assert.ok(res.status === 202 || res.status === 200, `sendsms ${res.status}: ${body}`);
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pigeon-kannel-'));
      pigeon = await startPigeon({ backend, configYaml: smppConfigYaml() });
      sink = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        hits.push({ path: url.pathname, query: url.searchParams });
        res.end('ok');
      });
      await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
      sinkPort = (sink.address() as { port: number }).port;
      const [adminPort, boxPort] = [await freePort(), await freePort()];
      sendsmsPort = await freePort();
      const conf = join(dir, 'kannel.conf');
      writeFileSync(
        conf,
        `group = core
admin-port = ${adminPort}
admin-interface = 127.0.0.1
admin-password = adminpw
status-password = adminpw
admin-allow-ip = "127.0.0.1"
smsbox-port = ${boxPort}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "${dir}/bearerbox.log"
log-level = 0
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = pigeon
host = 127.0.0.1
port = ${pigeon.server.smpp?.port}
transceiver-mode = true
smsc-username = esme1
smsc-password = secret12
system-type = ""
source-addr-ton = 1
source-addr-npi = 1
dest-addr-ton = 1
dest-addr-npi = 1
enquire-link-interval = 30
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${boxPort}
sendsms-port = ${sendsmsPort}
sendsms-interface = 127.0.0.1
log-file = "${dir}/smsbox.log"
log-level = 0

group = sendsms-user
username = tester
password = foobar
concatenation = true
max-messages = 10

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "http://127.0.0.1:${sinkPort}/mo?from=%p&to=%P&text=%a&coding=%c"
`,
      );
      for (const bin of [BEARERBOX, SMSBOX]) {
        const child = spawn(bin, [conf], { stdio: 'ignore' });
        children.push(child);
        if (bin === BEARERBOX) await until(async () => (await fetch(`http://127.0.0.1:${adminPort}/status.txt?password=adminpw`).then((r) => r.ok).catch(() => false)) || undefined, 'bearerbox');
      }
      await until(async () => {
        const status = await pigeon.admin<{ smppServer: { sessions: Array<{ systemId: string }> } }>('GET', '/status');
        return status.smppServer.sessions.some((s) => s.systemId === 'esme1') || undefined;
      }, 'Kannel to bind');
      await until(async () => (await fetch(`http://127.0.0.1:${sendsmsPort}/`).then(() => true).catch(() => false)) || undefined, 'smsbox');
    });

    after(async () => {
      for (const child of children.reverse()) {
        child.kill('SIGTERM');
        await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      }
      await new Promise((r) => sink.close(r));
      await pigeon.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a message sent through sendsms is in Pigeon, and its delivered receipt reaches the dlr-url', async () => {
      await sendsms({ from: APP_NUMBER, to: '+19195550199', text: 'Hello from Kannel', tag: 'ok' });
      const final = await until(() => hits.find((h) => h.path === '/dlr' && h.query.get('tag') === 'ok' && h.query.get('type') === '1'), 'the delivered DLR');
      const id = final.query.get('id') as string;
      const view = await pigeon.waitForMessage(id);
      assert.equal(view.message.from, APP_NUMBER);
      assert.equal(view.message.text, 'Hello from Kannel');
    });

    it('a failed outcome reaches the dlr-url as failed', async () => {
      await sendsms({ from: APP_NUMBER, to: '+15005550001', text: 'This one fails', tag: 'fail' });
      const final = await until(() => hits.find((h) => h.path === '/dlr' && h.query.get('tag') === 'fail' && (h.query.get('type') === '2' || h.query.get('type') === '16')), 'the failed DLR');
      const view = await pigeon.waitForMessage(final.query.get('id') as string);
      assert.equal(view.message.to[0], '+15005550001');
    });

    it('a long UCS-2 message split by Kannel becomes one message in Pigeon', async () => {
      const text = 'Длинное сообщение по-русски, чтобы Kannel разбил его на части. '.repeat(3);
      await sendsms({ from: APP_NUMBER, to: '+19195550177', text, coding: '2', charset: 'UTF-8', tag: 'long' });
      const dlr = await until(() => hits.find((h) => h.path === '/dlr' && h.query.get('tag') === 'long' && h.query.get('type') === '1'), 'the DLR of the long message');
      const id = (dlr.query.get('id') as string).replace(/-\d+$/, '');
      const view = await pigeon.waitForMessage(id);
      assert.equal(view.message.text, text);
      assert.equal(view.message.segmentCount, 3);
    });

    it('an inbound message from `pigeon inbound` reaches the sms-service', async () => {
      const result = await runPigeon(['inbound', '--from', '+19195550155', '--to', APP_NUMBER, '--text', 'Reply from a phone'], {
        env: { PIGEON_URL: pigeon.url, PIGEON_ADMIN_TOKEN: ADMIN_TOKEN },
      });
      assert.equal(result.code, 0, result.stderr);
      const mo = await until(() => hits.find((h) => h.path === '/mo' && h.query.get('text') === 'Reply from a phone'), 'the MO at the sms-service');
      assert.match(mo.query.get('from') ?? '', /19195550155$/);
      assert.match(mo.query.get('to') ?? '', /19195551212$/);
    });
  });
}
