// Bandwidth's getting-started flow for messaging, run unchanged with the official
// `@bandwidth/numbers` client against a real Pigeon (only `apiEndPoint` differs): site → SIP peer →
// SMS and MMS features → messaging application → link → search → order; then `bandwidth-sdk`
// sends an SMS and an MMS from the ordered number and the application's callback URL hears of
// their delivery; a reply to the number reaches the application; after a disconnect the number
// no longer sends. Also: a PARTIAL order, and an MMS refused from a location without MMS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Configuration, MessagesApi } from 'bandwidth-sdk';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { ACCOUNT_A, ACCOUNT_B, RECIPIENT } from '../helpers/fixtures.js';
import { call, numbersClient, numbersLib as bw, type BandwidthError, type NumbersClient } from '../helpers/numbers-client.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

type Obj = Record<string, unknown>;

for (const backend of BACKENDS) {
  describe(`@bandwidth/numbers getting-started flow against Pigeon (${backend})`, () => {
    let pigeon: TestPigeon;
    let receiver: CallbackReceiver;
    let client: NumbersClient;
    let messages: MessagesApi;
    before(async () => {
      receiver = await new CallbackReceiver().start();
      pigeon = await startPigeon({ backend });
      client = numbersClient(pigeon.url, ACCOUNT_A.id, ACCOUNT_A.username, ACCOUNT_A.password);
      messages = new MessagesApi(new Configuration({ basePath: `${pigeon.url}/api/v2`, username: ACCOUNT_A.username, password: ACCOUNT_A.password }));
    });
    after(async () => {
      await pigeon.close();
      await receiver.stop();
    });

    const send = (applicationId: string, from: string, media?: string[]) =>
      messages.createMessage(ACCOUNT_A.id, { applicationId, from, to: new Set([RECIPIENT]), text: media ? 'a picture' : 'hello', ...(media && { media }) });

    it('provisions, orders, sends SMS and MMS, receives a reply, and stops sending after a disconnect', async () => {
      const site = await call<Obj & { id: number; getSipPeers: unknown }>(bw.Site, 'create', client, {
        name: 'Raleigh office',
        description: 'getting started',
        address: { houseNumber: '900', streetName: 'Main Campus Drive', city: 'Raleigh', stateCode: 'NC', zip: '27606', country: 'United States', addressType: 'Service' },
      });
      assert.equal(site.name, 'Raleigh office');
      assert.equal((site.address as Obj).city, 'Raleigh');
      const peer = await call<Obj & { id: number }>(bw.SipPeer, 'create', client, { siteId: site.id, peerName: 'Messaging location', isDefaultPeer: true });
      assert.equal(peer.peerName, 'Messaging location');
      assert.equal(peer.isDefaultPeer, true);

      const sms = await call<Obj>(peer, 'createSmsSettings', { sipPeerSmsFeatureSettings: { tollFree: true, protocol: 'HTTP', zone1: true }, httpSettings: {} });
      assert.equal((sms.sipPeerSmsFeatureSettings as Obj).protocol, 'HTTP');
      const mms = await call<Obj>(peer, 'createMmsSettings', { mmsSettings: { protocol: 'HTTP' }, protocols: { HTTP: { httpSettings: {} } } });
      assert.equal((mms.mmsSettings as Obj).protocol, 'HTTP');
      assert.equal(((await call<Obj>(peer, 'getSmsSettings')).sipPeerSmsFeatureSettings as Obj).tollFree, true);

      const app = await call<Obj & { applicationId: string }>(bw.Application, 'createMessagingApplication', client, {
        appName: 'Getting started',
        msgCallbackUrl: receiver.url,
        callbackCreds: { userId: 'hook-user', password: 'hook-secret' },
      });
      assert.equal(app.serviceType, 'Messaging-V2');
      assert.equal(app.msgCallbackUrl, receiver.url);
      assert.equal((app.callbackCreds as Obj).userId, 'hook-user');
      const linked = await call<Obj>(peer, 'editApplication', { httpMessagingV2AppId: app.applicationId });
      assert.equal(linked.httpMessagingV2AppId, app.applicationId);
      assert.deepEqual((await call<Obj>(peer, 'listApplication')).httpMessagingV2AppId, [app.applicationId]);
      const associated = await call<Obj[]>(app, 'getSipPeers');
      assert.equal(String(associated[0]?.peerId), String(peer.id));

      const found = await call<Obj>(bw.AvailableNumbers, 'list', client, { areaCode: '919', quantity: 2 });
      assert.equal(found.resultCount, 2);
      const candidates = (found.telephoneNumberList as Obj).telephoneNumber as string[];
      assert.equal(candidates.length, 2);
      assert.match(candidates[0] as string, /^919[2-9]\d{6}$/);
      const tn = candidates[0] as string;

      const created = await call<Obj & { order: Obj & { id: string } }>(bw.Order, 'create', client, {
        name: 'First number',
        siteId: site.id,
        peerId: peer.id,
        existingTelephoneNumberOrderType: { telephoneNumberList: { telephoneNumber: [tn] } },
      });
      assert.equal(created.orderStatus, 'RECEIVED');
      const order = await call<Obj>(bw.Order, 'get', client, created.order.id);
      assert.equal(order.orderStatus, 'COMPLETE');
      assert.equal(((order.completedNumbers as Obj).telephoneNumber as Obj).fullNumber, tn);
      const history = await call<Obj[]>(created.order, 'getHistory');
      assert.deepEqual(history.map((h) => h.status), ['RECEIVED', 'COMPLETE']);
      // The ordered number is no longer available.
      const again = await call<Obj>(bw.AvailableNumbers, 'list', client, { npaNxx: tn.slice(0, 6), quantity: 5000 });
      assert.ok(!JSON.stringify(again).includes(tn));
      // Its details name the site and location.
      const details = await call<Obj>(await call<Obj>(bw.Tn, 'get', client, tn), 'getTnDetails');
      assert.equal(details.status, 'Inservice');
      assert.equal(String((details.site as Obj).id), String(site.id));
      assert.equal(String((details.sipPeer as Obj).peerId), String(peer.id));

      const from = `+1${tn}`;
      const smsSent = await send(app.applicationId, from);
      assert.equal(smsSent.status, 202);
      const mmsSent = await send(app.applicationId, from, ['https://example.test/pictures/cat.png']);
      assert.equal(mmsSent.status, 202);
      for (const id of [smsSent.data.id, mmsSent.data.id] as string[]) {
        await receiver.waitFor(() => receiver.eventsFor(id).some((e) => e.type === 'message-delivered'), 20_000, `delivery of ${id}`);
      }

      const inbound = await pigeon.admin<{ messages: Array<{ id: string; applicationId: string }> }>('POST', '/inbound', { from: RECIPIENT, to: from, text: 'thanks!' });
      assert.equal(inbound.messages[0]?.applicationId, app.applicationId);
      const inboundId = inbound.messages[0]?.id as string;
      await receiver.waitFor(() => receiver.eventsFor(inboundId).some((e) => e.type === 'message-received'), 20_000, 'the reply');

      const released = await call<Obj>(bw.Disconnect, 'create', client, 'release', [tn]);
      assert.equal(released.orderStatus, 'RECEIVED');
      await assert.rejects(send(app.applicationId, from), (err: { response?: { status?: number } }) => err.response?.status === 400);
      // Nor does it receive: an inbound message to it has no application to go to.
      await assert.rejects(pigeon.admin('POST', '/inbound', { from: RECIPIENT, to: from, text: 'anyone?' }), /: 400 /);
      assert.equal(((await call<Obj>(bw.InServiceNumber, 'totals', client)).count), 0);
    });

    it('updates, moves and deletes through the client: sites, locations, features, applications, numbers, notes', async () => {
      const site = await call<Obj & { id: number }>(bw.Site, 'create', client, { name: 'Lifecycle' });
      await call(site, 'update', { name: 'Lifecycle renamed', description: 'changed' });
      const sites = await call<Obj[]>(bw.Site, 'list', client);
      assert.equal(sites.find((s) => String(s.id) === String(site.id))?.name, 'Lifecycle renamed');
      const one = await call<Obj & { id: number }>(bw.SipPeer, 'create', client, { siteId: site.id, peerName: 'one' });
      const two = await call<Obj & { id: number }>(bw.SipPeer, 'create', client, { siteId: site.id, peerName: 'two' });
      await call(two, 'update', { peerName: 'two renamed' });
      const peers = await call<Obj[]>(bw.SipPeer, 'list', client, site.id);
      assert.deepEqual(peers.map((p) => p.peerName).sort(), ['one', 'two renamed']);
      assert.equal(peers.find((p) => p.peerName === 'one')?.isDefaultPeer, true);
      await call(two, 'update', { isDefaultPeer: true });
      const defaults = (await call<Obj[]>(bw.SipPeer, 'list', client, site.id)).filter((p) => p.isDefaultPeer).map((p) => p.peerName);
      assert.deepEqual(defaults, ['two renamed']);
      await call(one, 'update', { isDefaultPeer: true });
      for (const peer of [one, two]) await call(peer, 'createSmsSettings', { sipPeerSmsFeatureSettings: { protocol: 'HTTP' } });
      const edited = await call<Obj>(one, 'editSmsSettings', { sipPeerSmsFeatureSettings: { protocol: 'HTTP', tollFree: false } });
      assert.equal((edited.sipPeerSmsFeatureSettings as Obj).tollFree, false);
      for (const peer of [one, two]) await call(peer, 'createMmsSettings', { mmsSettings: { protocol: 'HTTP' } });
      await call(two, 'deleteMmsSettings');
      await assert.rejects(call(two, 'getMmsSettings'), (e: BandwidthError) => e.status === 404);

      const app = await call<Obj & { applicationId: string }>(bw.Application, 'createMessagingApplication', client, { appName: 'Lifecycle', msgCallbackUrl: receiver.url });
      await call(app, 'update', { serviceType: 'Messaging-V2', appName: 'Lifecycle v2', msgCallbackUrl: receiver.url });
      assert.equal((await call<Obj>(bw.Application, 'get', client, app.applicationId)).appName, 'Lifecycle v2');
      const patched = await pigeon.fetch(`/api/accounts/${ACCOUNT_A.id}/applications/${app.applicationId}`, {
        method: 'PATCH',
        headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_A.username}:${ACCOUNT_A.password}`).toString('base64')}`, 'content-type': 'application/xml' },
        body: '<Application><AppName>Lifecycle v3</AppName></Application>',
      });
      assert.equal(patched.status, 200);
      assert.ok((await call<Obj[]>(bw.Application, 'list', client)).some((a) => a.appName === 'Lifecycle v3'));
      for (const peer of [one, two]) await call(peer, 'editApplication', { httpMessagingV2AppId: app.applicationId });
      await assert.rejects(call(app, 'delete'), (e: BandwidthError) => e.status === 409);

      const created = await call<Obj & { order: Obj & { id: string } }>(bw.Order, 'create', client, { name: 'Two', siteId: site.id, areaCodeSearchAndOrderType: { areaCode: '303', quantity: 2 } });
      await call(created.order, 'update', { name: 'Two renamed' });
      assert.equal(((await call<Obj>(bw.Order, 'get', client, created.order.id)).order as Obj).name, 'Two renamed');
      const note = await call<Obj>(created.order, 'addNote', { userId: 'ops', description: 'for the Denver team' });
      assert.equal(note.description, 'for the Denver team');
      assert.equal((await call<Obj[]>(created.order, 'getNotes')).length, 1);
      const tns = (await call<Obj>(created.order, 'getTns')).telephoneNumber as string[];
      assert.equal(tns.length, 2);
      assert.deepEqual((await call<Obj[]>(one, 'getTns')).map((t) => t.fullNumber).sort(), [...tns].sort());
      await call(one, 'updateTns', tns[1], { fullNumber: tns[1], callForward: '9195550100' });
      assert.equal((await call<Obj>(one, 'getTns', tns[1])).callForward, '9195550100');
      await call(two, 'moveTns', [tns[0]]);
      assert.deepEqual((await call<Obj[]>(two, 'getTns')).map((t) => t.fullNumber), [tns[0]]);
      // On location two (no MMS) the moved number sends SMS only; on one it still sends MMS.
      await assert.rejects(send(app.applicationId, `+1${tns[0]}`, ['https://example.test/p.png']), (err: { response?: { status?: number } }) => err.response?.status === 400);
      assert.equal((await send(app.applicationId, `+1${tns[1]}`, ['https://example.test/p.png'])).status, 202);
      const inService = await call<Obj>(bw.InServiceNumber, 'list', client, {});
      assert.ok(((inService.telephoneNumbers as Obj).telephoneNumber as string[]).includes(tns[1] as string));

      await assert.rejects(call(site, 'delete'), (e: BandwidthError) => e.status === 409);
      await call(bw.Disconnect, 'create', client, 'release both', tns);
      for (const peer of [one, two]) await call(peer, 'removeApplication');
      await call(app, 'delete');
      await assert.rejects(call(bw.Application, 'get', client, app.applicationId), (e: BandwidthError) => e.status === 404);
      await call(two, 'delete');
      await call(site, 'delete');
      await assert.rejects(call(bw.Site, 'get', client, site.id), (e: BandwidthError) => e.status === 404);
      // A number provisioned the old way (config file) still sends.
      assert.equal((await send(ACCOUNT_A.applicationId, ACCOUNT_A.number)).status, 202);
    });

    it('orders PARTIAL (5005) past a number another account holds, FAILED when partial is not allowed, one winner of a race', async () => {
      const other = numbersClient(pigeon.url, ACCOUNT_B.id, ACCOUNT_B.username, ACCOUNT_B.password);
      const [siteB, siteA] = [await call<Obj & { id: number }>(bw.Site, 'create', other, { name: 'B' }), await call<Obj & { id: number }>(bw.Site, 'create', client, { name: 'A' })];
      await call(bw.SipPeer, 'create', other, { siteId: siteB.id, peerName: 'b' });
      await call(bw.SipPeer, 'create', client, { siteId: siteA.id, peerName: 'a' });
      const found = await call<Obj>(bw.AvailableNumbers, 'list', client, { areaCode: '704', quantity: 2 });
      const [mine, theirs] = (found.telephoneNumberList as Obj).telephoneNumber as string[];
      const byB = await call<Obj & { order: { id: string } }>(bw.Order, 'create', other, { name: 'B first', siteId: siteB.id, existingTelephoneNumberOrderType: { telephoneNumberList: { telephoneNumber: [theirs] } } });
      assert.equal((await call<Obj>(bw.Order, 'get', other, byB.order.id)).orderStatus, 'COMPLETE');

      const byA = await call<Obj & { order: { id: string } }>(bw.Order, 'create', client, { name: 'A both', siteId: siteA.id, existingTelephoneNumberOrderType: { telephoneNumberList: { telephoneNumber: [mine, theirs] } } });
      // The client turns an order document carrying errors into an error, with the document beside it.
      const err = (await call(bw.Order, 'get', client, byA.order.id).then(
        () => assert.fail('expected the client to report the failed number'),
        (e: unknown) => e,
      )) as BandwidthError;
      assert.equal(String(err.code), '5005');
      const result = err.result as Obj;
      assert.equal(result.orderStatus, 'PARTIAL');
      assert.equal(((result.completedNumbers as Obj).telephoneNumber as Obj).fullNumber, mine);
      assert.equal((result.failedNumbers as Obj).fullNumber, theirs);
      // PartialAllowed false: one number unavailable fails the whole order, and the other stays free.
      // One result comes back as a string, several as an array (the client's parser).
      const firstFree = async () => String(((await call<Obj>(bw.AvailableNumbers, 'list', client, { areaCode: '704', quantity: 1 })).telephoneNumberList as Obj).telephoneNumber);
      const spare = await firstFree();
      const strict = await call<Obj & { order: { id: string } }>(bw.Order, 'create', client, { name: 'all or none', siteId: siteA.id, partialAllowed: false, existingTelephoneNumberOrderType: { telephoneNumberList: { telephoneNumber: [spare, theirs] } } });
      const strictErr = (await call(bw.Order, 'get', client, strict.order.id).catch((e: unknown) => e)) as BandwidthError;
      assert.equal((strictErr.result as Obj).orderStatus, 'FAILED');
      assert.ok(JSON.stringify(await call<Obj>(bw.AvailableNumbers, 'list', client, { areaCode: '704', quantity: 5000 })).includes(spare));
      // Two accounts ordering one number at once: exactly one gets it.
      const contested = await firstFree();
      const orderFor = (c: NumbersClient, siteId: number) =>
        call<Obj & { order: { id: string } }>(bw.Order, 'create', c, { name: 'race', siteId, existingTelephoneNumberOrderType: { telephoneNumberList: { telephoneNumber: [contested] } } });
      const raced = await Promise.all([orderFor(client, siteA.id), orderFor(other, siteB.id)]);
      const outcomes = await Promise.all(
        raced.map((r, i) => call<Obj>(bw.Order, 'get', i === 0 ? client : other, r.order.id).then((o) => o.orderStatus, (e: BandwidthError) => (e.result as Obj).orderStatus)),
      );
      assert.deepEqual([...outcomes].sort(), ['COMPLETE', 'FAILED']);
      // Account isolation: B's order and site are missing to A.
      await assert.rejects(call(bw.Order, 'get', client, byB.order.id), (e: BandwidthError) => e.status === 404);
      await assert.rejects(call(bw.Site, 'get', client, siteB.id), (e: BandwidthError) => e.status === 404);
    });

    it('refuses an MMS from a number whose location has SMS but no MMS (4403), and sends its SMS', async () => {
      const site = await call<Obj & { id: number }>(bw.Site, 'create', client, { name: 'SMS only' });
      const peer = await call<Obj & { id: number }>(bw.SipPeer, 'create', client, { siteId: site.id, peerName: 'sms only' });
      await call(peer, 'createSmsSettings', { sipPeerSmsFeatureSettings: { protocol: 'HTTP' } });
      const app = await call<Obj & { applicationId: string }>(bw.Application, 'createMessagingApplication', client, { appName: 'sms only', msgCallbackUrl: receiver.url });
      await call(peer, 'editApplication', { httpMessagingV2AppId: app.applicationId });
      const created = await call<Obj & { order: { id: string } }>(bw.Order, 'create', client, { name: 'tf', siteId: site.id, peerId: peer.id, tollFreeWildCharSearchAndOrderType: { tollFreeWildCardPattern: '8**', quantity: 1 } });
      const order = await call<Obj>(bw.Order, 'get', client, created.order.id);
      assert.equal(order.orderStatus, 'COMPLETE');
      const tn = ((order.completedNumbers as Obj).telephoneNumber as Obj).fullNumber as string;
      assert.match(tn, /^8(33|44|55|66|77|88)\d{7}$/);
      assert.equal((await send(app.applicationId, `+1${tn}`)).status, 202);
      await assert.rejects(send(app.applicationId, `+1${tn}`, ['https://example.test/p.png']), (err: { response?: { status?: number; data?: { fieldErrors?: Array<{ description: string }> } } }) => {
        assert.equal(err.response?.status, 400);
        assert.match(String(err.response?.data?.fieldErrors?.[0]?.description), /4403/);
        return true;
      });
      // Unlinking the application stops the number at once.
      await call(peer, 'removeApplication');
      await assert.rejects(send(app.applicationId, `+1${tn}`), (err: { response?: { status?: number } }) => err.response?.status === 400);
    });
  });
}
