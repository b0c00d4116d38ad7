// Routes by kind with failover, through real carriers: SMS over SMPP (a `pigeon smsc`), MMS and
// groups through an upstream Pigeon (reached with OAuth2 client credentials, behind a proxy the test
// can take down); the upstream down then up loses nothing; a send whose answer was lost is found
// upstream by the list search and not sent twice; with the SMSC gone, SMS fail over to the upstream.
// The upstream carrier's state and counters show in GET /admin/v1/status and /metrics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SmscServer } from '../../../src/carriers/smpp/smsc/smsc-server.js';
import { ACCOUNT_A, AUTH_A, RECIPIENT, basic } from '../../helpers/fixtures.js';
import { freePort } from '../../helpers/free-port.js';
import { smsBody } from '../../helpers/http.js';
import { ADMIN_TOKEN, BACKENDS, type TestPigeon } from '../../helpers/pigeon.js';
import { send, startHarness, type Harness } from '../../delivery/e2e-support.js';
import { smppCarrier, startSmsc, until } from '../smpp/smpp-support.js';
import { RecordingProxy } from './upstream-proxies.js';
import { UP, startUpstream, upstreamCarrier, upstreamMessagesTo } from './upstream-support.js';

/** Between two polls of observable state. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 25));

interface CarrierStatus {
  name: string;
  type: string;
  state: string;
  inFlight?: number;
  counters?: Record<string, number>;
}

for (const backend of BACKENDS) {
  describe(`routes by kind with failover: SMPP and an upstream Pigeon (${backend})`, () => {
    let up: TestPigeon;
    let proxy: RecordingProxy;
    let smsc: SmscServer;
    let h: Harness;
    before(async () => {
      const localPort = await freePort();
      up = await startUpstream(backend, `http://127.0.0.1:${localPort}/carriers/up/callbacks`, [ACCOUNT_A.number]);
      proxy = await new RecordingProxy(up.url).up();
      smsc = await startSmsc();
      h = await startHarness({
        backend,
        configure: (config) => ({ ...config, port: localPort }),
        extra: [
          'carriers:',
          smppCarrier('smsc', smsc.address.port),
          upstreamCarrier('up', `${proxy.url}/api/v2`, {
            username: undefined,
            password: undefined,
            clientId: UP.username,
            clientSecret: UP.password,
            tokenUrl: `${proxy.url}/api/v1/oauth2/token`,
            timeoutSeconds: 1,
          }),
          'routes:',
          '  - { carrier: smsc, kind: sms, fallback: [up] }',
          // A fallback that cannot take media: an MMS waits for the upstream rather than failing over SMPP.
          '  - { carrier: up, kind: [mms, group], fallback: [smsc] }',
          '',
        ].join('\n'),
      });
      await until(() => smsc.bindCount > 0, 'the bind');
    });
    after(async () => {
      await h?.close();
      await proxy?.down();
      await up?.close();
      await smsc?.close();
    });

    const delivered = async (id: string) => {
      await h.pigeon.waitForMessage(id, 'callbacks');
      return h.receiver.eventsFor(id).filter((e) => e.type === 'message-delivered').map((e) => e.to).sort();
    };
    const carriers = async () => (await h.pigeon.admin<{ carriers: CarrierStatus[] }>('GET', '/status')).carriers;

    it('sends SMS over SMPP and MMS and groups upstream', async () => {
      const sms = await send(h.pigeon, smsBody({ to: ['+19195550131'], text: 'kind sms' }));
      const mms = await send(h.pigeon, smsBody({ to: ['+19195550132'], text: 'kind mms', media: ['https://example.com/cat.png'] }));
      const group = await send(h.pigeon, smsBody({ to: ['+19195550133', '+19195550134'], text: 'kind group' }));
      assert.deepEqual(await delivered(sms.id), ['+19195550131']);
      assert.deepEqual(await delivered(mms.id), ['+19195550132']);
      assert.deepEqual(await delivered(group.id), ['+19195550133', '+19195550134']);
      assert.ok(smsc.received.some((m) => m.text === 'kind sms'), 'the SMS went over SMPP');
      assert.ok(!smsc.received.some((m) => m.text === 'kind mms' || m.text === 'kind group'));
      assert.equal((await upstreamMessagesTo(up, '+19195550131')).length, 0);
      const [upMms] = await upstreamMessagesTo(up, '+19195550132');
      assert.deepEqual(upMms?.message.media, ['https://example.com/cat.png'], 'a URL outside Pigeon passed on as it is');
      assert.equal((await upstreamMessagesTo(up, '+19195550133')).length, 1);
      assert.ok(proxy.exchanges.some((e) => e.path === '/api/v1/oauth2/token' && e.status === 200), 'a bearer token was fetched');
      assert.ok(proxy.exchanges.every((e) => e.status !== 401), 'no request refused for its credentials');
    });

    it('loses nothing while the upstream is down (no MMS to the SMPP fallback), and sends each message once when it is back', async () => {
      await proxy.down();
      const to = ['+19195550141', '+19195550142', '+19195550143'];
      const created = await Promise.all(to.map((n) => send(h.pigeon, smsBody({ to: [n], text: `while down ${n}`, media: ['https://example.com/a.png'] }))));
      // Each is tried, refused (connection refused) and put back without spending an attempt.
      const startedWaiting = Date.now();
      for (;;) {
        const views = await Promise.all(created.map((c) => h.pigeon.admin<{ queue: Array<{ lastError?: string }> }>('GET', `/messages/${c.id}`)));
        if (views.every((v) => v.queue[0]?.lastError !== undefined)) break;
        assert.ok(Date.now() - startedWaiting < 20_000, 'every recipient was tried while the upstream was down');
        await pause();
      }
      const whileDown = (await carriers()).find((c) => c.name === 'up') as CarrierStatus & { lastError?: string };
      assert.match(String(whileDown.lastError), /ECONNREFUSED/);
      assert.ok((whileDown.counters?.deferred ?? 0) >= 3, JSON.stringify(whileDown.counters));
      await proxy.up();
      for (const [i, c] of created.entries()) assert.deepEqual(await delivered(c.id), [to[i]]);
      for (const n of to) assert.equal((await upstreamMessagesTo(up, n)).length, 1, `one upstream message to ${n}`);
      assert.ok(!smsc.received.some((m) => m.text.startsWith('while down')), 'nothing went to the SMPP fallback');
    });

    it('answers 503 to a reply whose upstream media cannot be fetched now, storing nothing, and takes it once the upstream is back', async () => {
      const from = '+19195550177';
      const post = () =>
        h.pigeon.fetch('/carriers/up/callbacks', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: basic(UP.callbackUsername, UP.callbackPassword) },
          body: JSON.stringify([
            {
              type: 'message-received',
              time: new Date().toISOString(),
              to: ACCOUNT_A.number,
              message: { id: 'up-reply-503', from, to: [ACCOUNT_A.number], text: 'a picture', media: [`${proxy.url}/api/v2/users/${UP.accountId}/media/gone.png`] },
            },
          ]),
        });
      const stored = async () => {
        const res = await h.pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages?sourceTn=${encodeURIComponent(from)}`, { headers: { authorization: AUTH_A } });
        return ((await res.json()) as { totalCount: number }).totalCount;
      };
      await proxy.down();
      try {
        const refused = await post();
        assert.equal(refused.status, 503, await refused.clone().text());
        assert.equal(refused.headers.get('retry-after'), '5');
      } finally {
        await proxy.up();
      }
      assert.equal(await stored(), 0, 'nothing stored while the media could not be fetched');
      // Offered again with the upstream back: the file is gone for good there (404), so the message is
      // taken with the upstream's URL for it.
      assert.equal((await post()).status, 200);
      assert.equal(await stored(), 1);
    });

    it('finds a send whose answer was lost upstream (the list search) instead of sending it again', async () => {
      proxy.withhold = (method, path) => method === 'POST' && path.endsWith('/messages');
      const created = await send(h.pigeon, smsBody({ to: ['+19195550151'], text: 'answer lost', media: ['https://example.com/b.png'] }));
      assert.deepEqual(await delivered(created.id), ['+19195550151']);
      assert.equal((await upstreamMessagesTo(up, '+19195550151')).length, 1, 'the upstream holds it once');
      assert.ok(proxy.exchanges.some((e) => e.method === 'GET' && e.path.includes('destinationTn=%2B19195550151')), 'the list was searched');
      assert.ok(((await carriers()).find((c) => c.name === 'up')?.counters?.foundUpstream ?? 0) >= 1);
    });

    it('shows the upstream carrier in GET /admin/v1/status and /metrics', async () => {
      const status = (await carriers()).find((c) => c.name === 'up');
      assert.equal(status?.type, 'bandwidth');
      assert.equal(status?.state, 'up');
      assert.equal(status?.inFlight, 0);
      assert.ok((status?.counters?.submitted ?? 0) >= 5, JSON.stringify(status));
      const { upstreamEvents } = await h.pigeon.admin<{ upstreamEvents: Record<string, { receipts: number; refused: number }> }>('GET', '/status');
      assert.ok((upstreamEvents.up?.receipts ?? 0) >= 5, JSON.stringify(upstreamEvents));
      const metrics = await (await h.pigeon.fetch('/metrics', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      assert.match(metrics, /pigeon_upstream_requests_total\{carrier="up"\} \d+/);
      assert.match(metrics, /pigeon_upstream_up\{carrier="up"\} 1/);
      assert.match(metrics, /pigeon_upstream_in_flight\{carrier="up"\} 0/);
    });

    it('fails SMS over to the upstream while the SMSC is down', async () => {
      await smsc.close();
      const started = Date.now();
      while ((await carriers()).find((c) => c.name === 'smsc')?.state === 'bound') {
        assert.ok(Date.now() - started < 20_000, 'the SMPP carrier noticed the SMSC went away');
        await pause();
      }
      const sms = await send(h.pigeon, smsBody({ to: [RECIPIENT], text: 'failover sms' }));
      assert.deepEqual(await delivered(sms.id), [RECIPIENT]);
      const upstream = (await upstreamMessagesTo(up, RECIPIENT)).filter((v) => v.message.text === 'failover sms');
      assert.equal(upstream.length, 1, 'carried by the fallback upstream');
    });
  });
}
