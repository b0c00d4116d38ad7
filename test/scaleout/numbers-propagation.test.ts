// Numbers API changes between two Pigeons on one PostgreSQL database: a number ordered through one
// sends through the other once the directory's change signal (NOTIFY) has reached it, and after a
// disconnect through the first, the other refuses it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, basic, RECIPIENT } from '../helpers/fixtures.js';
import { call, numbersClient, numbersLib as bw } from '../helpers/numbers-client.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

type Obj = Record<string, unknown>;
const PATIENCE_MS = 10_000;

describe('Numbers API changes across two Pigeons on PostgreSQL', { skip: !BACKENDS.includes('postgres') }, () => {
  let one: TestPigeon;
  let two: TestPigeon;
  before(async () => {
    one = await startPigeon({ backend: 'postgres' });
    two = await startPigeon({ databaseUrl: one.config.databaseUrl });
  });
  after(async () => {
    await two.close();
    await one.close();
  });

  /** Sends from `from` through `pigeon` until the answer is `want` (the directory's signal has arrived) or patience ends. */
  async function sendsWith(pigeon: TestPigeon, applicationId: string, from: string, want: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: basic(ACCOUNT_A.username, ACCOUNT_A.password), 'content-type': 'application/json' },
        body: JSON.stringify({ applicationId, from, to: [RECIPIENT], text: 'hi' }),
      });
      await res.arrayBuffer();
      if (res.status === want || Date.now() - started > PATIENCE_MS) return res.status;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('an order through one sends through the other; a disconnect through one stops it in the other', async () => {
    const client = numbersClient(one.url, ACCOUNT_A.id, ACCOUNT_A.username, ACCOUNT_A.password);
    const site = await call<Obj & { id: number }>(bw.Site, 'create', client, { name: 'Scale-out' });
    const peer = await call<Obj & { id: number }>(bw.SipPeer, 'create', client, { siteId: site.id, peerName: 'p' });
    await call(peer, 'createSmsSettings', { sipPeerSmsFeatureSettings: { protocol: 'HTTP' } });
    const app = await call<Obj & { applicationId: string }>(bw.Application, 'createMessagingApplication', client, { appName: 'scale-out', msgCallbackUrl: 'https://example.test/hook' });
    await call(peer, 'editApplication', { httpMessagingV2AppId: app.applicationId });
    const created = await call<Obj & { order: { id: string } }>(bw.Order, 'create', client, { name: 'o', siteId: site.id, areaCodeSearchAndOrderType: { areaCode: '212', quantity: 1 } });
    const order = await call<Obj>(bw.Order, 'get', client, created.order.id);
    const tn = ((order.completedNumbers as Obj).telephoneNumber as Obj).fullNumber as string;

    assert.equal(await sendsWith(two, app.applicationId, `+1${tn}`, 202), 202);
    await call(bw.Disconnect, 'create', client, 'release', [tn]);
    assert.equal(await sendsWith(two, app.applicationId, `+1${tn}`, 400), 400);
  });
});
