// Every request the bandwidth carrier makes upstream, checked against Bandwidth's own OpenAPI
// document (the bandwidth.yml shipped inside bandwidth-sdk) by Prism with request validation on: an
// SMS with priority and expiration, an MMS whose picture is uploaded to the media API first, a group
// MMS, and the message-list search made after a send whose answer was lost. Prism adds an
// sl-violations header (and a 4xx) to any request that does not match; the test fails on either.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, AUTH_A, RECIPIENT } from '../../helpers/fixtures.js';
import { smsBody } from '../../helpers/http.js';
import { BACKENDS, type TestPigeon } from '../../helpers/pigeon.js';
import { send, startHarness, type Harness } from '../../delivery/e2e-support.js';
import { until } from '../smpp/smpp-support.js';
import { PrismUpstream } from './upstream-proxies.js';
import { upstreamCarrier } from './upstream-support.js';

const PICTURE = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('picture for prism')]);

/** Polls the admin view until every recipient reached SENT (Prism sends no event callbacks). */
async function untilSent(pigeon: TestPigeon, id: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const view = await pigeon.waitForMessage(id, 'terminal', 0.2).catch(() => undefined);
    const res = await pigeon.admin<{ recipients: Array<{ messageStatus: string }> }>('GET', `/messages/${id}`);
    if (view === undefined && res.recipients.length > 0 && res.recipients.every((r) => r.messageStatus === 'SENT')) return;
    if (view !== undefined) throw new Error(`message ${id} ended: ${JSON.stringify(view.recipients)}`);
    if (Date.now() - started > 20_000) throw new Error(`message ${id} not SENT: ${JSON.stringify(res.recipients)}`);
  }
}

describe('bandwidth carrier requests validated by Prism against bandwidth.yml', () => {
  let prism: PrismUpstream;
  before(async () => {
    prism = await new PrismUpstream().start();
  });
  after(async () => {
    await prism?.stop();
  });

  for (const backend of BACKENDS) {
    describe(backend, () => {
      let h: Harness;
      before(async () => {
        h = await startHarness({
          backend,
          extra: ['carriers:', upstreamCarrier('bw', prism.url, { timeoutSeconds: 2 }), 'routes:', '  - { carrier: bw }', ''].join('\n'),
        });
      });
      after(async () => {
        await h?.close();
      });

      it('sends SMS, MMS with an uploaded picture and a group MMS, each request valid', async () => {
        const from = prism.exchanges.length;
        const sms = await send(h.pigeon, smsBody({ text: 'prism sms', priority: 'high', expiration: new Date(Date.now() + 3_600_000).toISOString() }));
        await untilSent(h.pigeon, sms.id);
        const put = await h.pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/prism.png`, {
          method: 'PUT',
          headers: { authorization: AUTH_A, 'content-type': 'image/png' },
          body: PICTURE,
        });
        assert.equal(put.status, 204);
        const mms = await send(h.pigeon, smsBody({ text: 'prism mms', media: [`${h.pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/prism.png`] }));
        await untilSent(h.pigeon, mms.id);
        const group = await send(h.pigeon, smsBody({ to: [RECIPIENT, '+19195550181', '+19195550182'], text: 'prism group' }));
        await untilSent(h.pigeon, group.id);
        const exchanges = prism.exchanges.slice(from);
        assert.deepEqual(
          exchanges.map((e) => `${e.method} ${e.path.split('?')[0]}`),
          [
            'POST /users/5550001/messages',
            `PUT /users/5550001/media/pigeon-${mms.id}-0-prism.png`,
            'POST /users/5550001/messages',
            'POST /users/5550001/messages',
          ],
        );
        for (const e of exchanges) {
          assert.equal(e.violations, undefined, `${e.method} ${e.path}: ${e.violations}`);
          assert.ok(e.status < 300, `${e.method} ${e.path} answered ${e.status}: ${e.body}`);
        }
      });

      it('searches the message list (a valid request) before sending again after a lost answer', async () => {
        const from = prism.exchanges.length;
        prism.withhold = (method, path) => method === 'POST' && path.endsWith('/messages');
        const sms = await send(h.pigeon, smsBody({ text: 'answer lost' }));
        await untilSent(h.pigeon, sms.id);
        await until(() => prism.exchanges.length >= from + 2, 'the search');
        const exchanges = prism.exchanges.slice(from);
        const search = exchanges.find((e) => e.method === 'GET');
        assert.ok(search, JSON.stringify(exchanges.map((e) => [e.method, e.path])));
        const query = new URL(search.path, 'http://x').searchParams;
        assert.equal(query.get('sourceTn'), ACCOUNT_A.number);
        assert.equal(query.get('destinationTn'), RECIPIENT);
        assert.equal(query.get('messageDirection'), 'OUTBOUND');
        // Prism's example list holds only the id its example answers gave the sends before, which Pigeon
        // knows are other messages: nothing there can be this one, so it is sent again (once).
        assert.deepEqual(exchanges.map((e) => e.method), ['POST', 'GET', 'POST']);
        for (const e of exchanges) {
          assert.equal(e.violations, undefined, `${e.method} ${e.path}: ${e.violations}`);
          assert.ok(e.status < 300, `${e.method} ${e.path} answered ${e.status}: ${e.body}`);
        }
      });
    });
  }
});
