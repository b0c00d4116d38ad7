// Bad input to every Numbers API resource, as a table: each answer is a 4xx whose XML the official
// client's own parser (xml2js with the client's options) reads into Bandwidth's ErrorCode and
// Description, and nothing is stored. Then every document Pigeon answers with parses, with that
// same parser, into the fields the client reads; credentials that do not fit, and another
// account's resources, answer as missing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, ACCOUNT_B, basic } from '../helpers/fixtures.js';
import { numbersClient, type NumbersClient } from '../helpers/numbers-client.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

type Obj = Record<string, unknown>;
/** One element or the first of several (xml2js with explicitArray false gives either). */
const first = (value: unknown): Obj => (Array.isArray(value) ? value[0] : value) as Obj;
const AUTH_A = basic(ACCOUNT_A.username, ACCOUNT_A.password);
const XML = 'application/xml';

interface Row {
  name: string;
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  auth?: string;
  status: number;
  /** The ErrorCode (or a search's Error Code) the document carries. */
  code?: number;
}

const BOMB = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Site><Name>&lol3;</Name></Site>`;
const HUGE = `<Site><Name>x</Name><Description>${'y'.repeat(70 * 1024)}</Description></Site>`;
const DEEP = `<Site>${'<A>'.repeat(5000)}${'</A>'.repeat(5000)}</Site>`;

for (const backend of BACKENDS) {
  describe(`Numbers API documents and bad input (${backend})`, () => {
    let pigeon: TestPigeon;
    let client: NumbersClient;
    const ids = { site: '', peer: '', app: '', tn: '', order: '', disconnect: '' };
    const request = (method: string, path: string, body?: string, auth = AUTH_A, contentType = XML) =>
      pigeon.fetch(`/api${path}`, { method, headers: { authorization: auth, ...(body !== undefined && { 'content-type': contentType }) }, body });
    const account = (path: string) => `/accounts/${ACCOUNT_A.id}${path}`;
    const parse = (xml: string) =>
      new Promise<Obj>((resolve, reject) => client.parseXml(xml, (err, result) => (err ? reject(err as Error) : resolve(result))));
    const created = async (path: string, body: string) => {
      const res = await request('POST', account(path), body);
      assert.equal(res.status, 201, `${path}: ${await res.clone().text()}`);
      return String(res.headers.get('location')).split('/').pop() as string;
    };

    before(async () => {
      pigeon = await startPigeon({ backend });
      client = numbersClient(pigeon.url, ACCOUNT_A.id, ACCOUNT_A.username, ACCOUNT_A.password);
      ids.site = await created('/sites', '<Site><Name>Docs</Name></Site>');
      ids.peer = await created(`/sites/${ids.site}/sippeers`, '<SipPeer><PeerName>Docs peer</PeerName><IsDefaultPeer>true</IsDefaultPeer></SipPeer>');
      const peer = `/sites/${ids.site}/sippeers/${ids.peer}`;
      assert.equal((await request('POST', account(`${peer}/products/messaging/features/sms`), '<SipPeerSmsFeature><SipPeerSmsFeatureSettings><Protocol>HTTP</Protocol></SipPeerSmsFeatureSettings></SipPeerSmsFeature>')).status, 201);
      ids.app = await created('/applications', '<Application><ServiceType>Messaging-V2</ServiceType><AppName>Docs</AppName><MsgCallbackUrl>https://example.test/hook</MsgCallbackUrl></Application>');
      assert.equal((await request('PUT', account(`${peer}/products/messaging/applicationSettings`), `<ApplicationsSettings><HttpMessagingV2AppId>${ids.app}</HttpMessagingV2AppId></ApplicationsSettings>`)).status, 200);
      ids.order = await created('/orders', `<Order><Name>docs</Name><SiteId>${ids.site}</SiteId><ZIPSearchAndOrderType><Zip>27601</Zip><Quantity>1</Quantity></ZIPSearchAndOrderType></Order>`);
      const order = await parse(await (await request('GET', account(`/orders/${ids.order}`))).text());
      ids.tn = (((order.orderResponse as Obj).completedNumbers as Obj).telephoneNumber as Obj).fullNumber as string;
      assert.match(ids.tn, /^919\d{7}$/);
      await created(`/orders/${ids.order}/notes`, '<Note><UserId>ops</UserId><Description>first</Description></Note>');
      ids.disconnect = await created('/disconnects', '<DisconnectTelephoneNumberOrder><name>none held</name><DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>9195550000</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>');
      await created(`/disconnects/${ids.disconnect}/notes`, '<Note><Description>why</Description></Note>');
    });
    after(async () => {
      await pigeon.close();
    });

    /** What a bad request must leave as it was. */
    const snapshot = async () => {
      const paths = ['/sites', `/sites/${ids.site}/sippeers`, `/sites/${ids.site}/sippeers/${ids.peer}/tns`, '/applications', '/orders', '/disconnects', '/inserviceNumbers'];
      const texts = await Promise.all(paths.map(async (p) => (await request('GET', account(p))).text()));
      // Order lists carry modification times that do not change without a write; compare whole.
      return texts.join('\n');
    };

    it('answers every bad request with a 4xx in Bandwidth\'s error shape, storing nothing', async () => {
      const peer = `/sites/${ids.site}/sippeers/${ids.peer}`;
      const rows: Row[] = [
        { name: 'site without Name', method: 'POST', path: '/sites', body: '<Site><Description>d</Description></Site>', status: 400, code: 1001 },
        { name: 'site Name too long', method: 'POST', path: '/sites', body: `<Site><Name>${'n'.repeat(51)}</Name></Site>`, status: 400, code: 1001 },
        { name: 'site malformed XML', method: 'POST', path: '/sites', body: '<Site><Name>x</Site>', status: 400, code: 1002 },
        { name: 'site wrong root', method: 'POST', path: '/sites', body: '<SipPeer><Name>x</Name></SipPeer>', status: 400, code: 1002 },
        { name: 'site empty body', method: 'POST', path: '/sites', body: '', status: 400, code: 1002 },
        { name: 'site XML bomb', method: 'POST', path: '/sites', body: BOMB, status: 400, code: 1002 },
        { name: 'site name with a NUL reference', method: 'POST', path: '/sites', body: '<Site><Name>a&#0;b</Name></Site>', status: 400, code: 1002 },
        { name: 'site name with a control character', method: 'POST', path: '/sites', body: '<Site><Name>a\u0001b</Name></Site>', status: 400, code: 1002 },
        { name: 'site with text beside its elements', method: 'POST', path: '/sites', body: '<Site>junk<Name>x</Name></Site>', status: 400, code: 1002 },
        { name: 'site deeply nested', method: 'POST', path: '/sites', body: DEEP, status: 400 },
        { name: 'site huge document', method: 'POST', path: '/sites', body: HUGE, status: 413, code: 413 },
        { name: 'site as JSON', method: 'POST', path: '/sites', body: '{"name":"x"}', contentType: 'application/json', status: 415, code: 415 },
        { name: 'unknown site', method: 'GET', path: '/sites/999999', status: 404, code: 12001 },
        { name: 'update unknown site', method: 'PUT', path: '/sites/999999', body: '<Site><Name>x</Name></Site>', status: 404, code: 12001 },
        { name: 'delete site holding numbers', method: 'DELETE', path: `/sites/${ids.site}`, status: 409, code: 12002 },
        { name: 'peer without PeerName', method: 'POST', path: `/sites/${ids.site}/sippeers`, body: '<SipPeer><Description>x</Description></SipPeer>', status: 400, code: 1001 },
        { name: 'peer in unknown site', method: 'POST', path: '/sites/999999/sippeers', body: '<SipPeer><PeerName>x</PeerName></SipPeer>', status: 404, code: 12001 },
        { name: 'peer IsDefaultPeer not boolean', method: 'POST', path: `/sites/${ids.site}/sippeers`, body: '<SipPeer><PeerName>x</PeerName><IsDefaultPeer>maybe</IsDefaultPeer></SipPeer>', status: 400, code: 1001 },
        { name: 'unknown peer', method: 'GET', path: `/sites/${ids.site}/sippeers/999999`, status: 404, code: 13001 },
        { name: 'delete peer holding numbers', method: 'DELETE', path: peer, status: 409, code: 13002 },
        { name: 'SMS enabled twice', method: 'POST', path: `${peer}/products/messaging/features/sms`, body: '<SipPeerSmsFeature/>', status: 409, code: 13004 },
        { name: 'MMS not enabled', method: 'GET', path: `${peer}/products/messaging/features/mms`, status: 404, code: 13003 },
        { name: 'change MMS not enabled', method: 'PUT', path: `${peer}/products/messaging/features/mms`, body: '<MmsFeature/>', status: 404, code: 13003 },
        { name: 'link unknown application', method: 'PUT', path: `${peer}/products/messaging/applicationSettings`, body: '<ApplicationsSettings><HttpMessagingV2AppId>nope</HttpMessagingV2AppId></ApplicationsSettings>', status: 404, code: 14001 },
        { name: "link another account's application", method: 'PUT', path: `${peer}/products/messaging/applicationSettings`, body: `<ApplicationsSettings><HttpMessagingV2AppId>${ACCOUNT_B.applicationId}</HttpMessagingV2AppId></ApplicationsSettings>`, status: 404, code: 14001 },
        { name: "another account's application", method: 'GET', path: `/applications/${ACCOUNT_B.applicationId}`, status: 404, code: 14001 },
        { name: 'link without an id', method: 'PUT', path: `${peer}/products/messaging/applicationSettings`, body: '<ApplicationsSettings><Other>1</Other></ApplicationsSettings>', status: 400, code: 1001 },
        { name: 'move a number not held', method: 'POST', path: `${peer}/movetns`, body: '<SipPeerTelephoneNumbers><FullNumber>9195550000</FullNumber></SipPeerTelephoneNumbers>', status: 404, code: 16001 },
        { name: 'move nothing', method: 'POST', path: `${peer}/movetns`, body: '<SipPeerTelephoneNumbers/>', status: 400, code: 1001 },
        { name: 'peer number not on it', method: 'GET', path: `${peer}/tns/9195550000`, status: 404, code: 16001 },
        { name: 'settings of a number not on it', method: 'PUT', path: `${peer}/tns/9195550000`, body: '<SipPeerTelephoneNumber><CallForward>9195550100</CallForward></SipPeerTelephoneNumber>', status: 404, code: 16001 },
        { name: 'nested number settings', method: 'PUT', path: `${peer}/tns/${ids.tn}`, body: '<SipPeerTelephoneNumber><TnAttributes><TnAttribute>Protected</TnAttribute></TnAttributes></SipPeerTelephoneNumber>', status: 400, code: 1001 },
        { name: 'application without AppName', method: 'POST', path: '/applications', body: '<Application><ServiceType>Messaging-V2</ServiceType><MsgCallbackUrl>https://example.test/h</MsgCallbackUrl></Application>', status: 400, code: 1001 },
        { name: 'voice application', method: 'POST', path: '/applications', body: '<Application><ServiceType>Voice-V2</ServiceType><AppName>v</AppName><MsgCallbackUrl>https://example.test/h</MsgCallbackUrl></Application>', status: 400, code: 14003 },
        { name: 'application callback not a URL', method: 'POST', path: '/applications', body: '<Application><ServiceType>Messaging-V2</ServiceType><AppName>a</AppName><MsgCallbackUrl>not a url</MsgCallbackUrl></Application>', status: 400, code: 1001 },
        { name: 'application credentials half given', method: 'POST', path: '/applications', body: '<Application><ServiceType>Messaging-V2</ServiceType><AppName>a</AppName><MsgCallbackUrl>https://example.test/h</MsgCallbackUrl><CallbackCreds><UserId>u</UserId></CallbackCreds></Application>', status: 400, code: 1001 },
        { name: 'unknown application', method: 'GET', path: '/applications/nope', status: 404, code: 14001 },
        { name: 'update unknown application', method: 'PATCH', path: '/applications/nope', body: '<Application><AppName>x</AppName></Application>', status: 404, code: 14001 },
        { name: 'delete linked application', method: 'DELETE', path: `/applications/${ids.app}`, status: 409, code: 14002 },
        { name: 'search without criteria', method: 'GET', path: '/availableNumbers', status: 400, code: 4000 },
        { name: 'search bad area code', method: 'GET', path: '/availableNumbers?areaCode=1a', status: 400, code: 4000 },
        { name: 'search quantity 0', method: 'GET', path: '/availableNumbers?areaCode=919&quantity=0', status: 400, code: 4000 },
        { name: 'search unsupported criterion', method: 'GET', path: '/availableNumbers?rateCenter=RALEIGH', status: 400, code: 4000 },
        { name: 'search bad wildcard', method: 'GET', path: '/availableNumbers?tollFreeWildCardPattern=9**', status: 400, code: 4000 },
        { name: 'exchanges without criteria', method: 'GET', path: '/availableNpaNxx', status: 400, code: 4000 },
        { name: 'exchanges of a bad state', method: 'GET', path: '/availableNpaNxx?state=North', status: 400, code: 4000 },
        { name: 'order without Name', method: 'POST', path: '/orders', body: `<Order><SiteId>${ids.site}</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode></AreaCodeSearchAndOrderType></Order>`, status: 400, code: 1001 },
        { name: 'order without SiteId', method: 'POST', path: '/orders', body: '<Order><Name>o</Name><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode></AreaCodeSearchAndOrderType></Order>', status: 400, code: 1001 },
        { name: 'order into unknown site', method: 'POST', path: '/orders', body: '<Order><Name>o</Name><SiteId>999999</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode></AreaCodeSearchAndOrderType></Order>', status: 404, code: 12001 },
        { name: 'order into unknown peer', method: 'POST', path: '/orders', body: `<Order><Name>o</Name><SiteId>${ids.site}</SiteId><PeerId>999999</PeerId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode></AreaCodeSearchAndOrderType></Order>`, status: 404, code: 13001 },
        { name: 'order without a type', method: 'POST', path: '/orders', body: `<Order><Name>o</Name><SiteId>${ids.site}</SiteId></Order>`, status: 400, code: 1001 },
        { name: 'order with two types', method: 'POST', path: '/orders', body: `<Order><Name>o</Name><SiteId>${ids.site}</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode></AreaCodeSearchAndOrderType><ZIPSearchAndOrderType><Zip>27601</Zip></ZIPSearchAndOrderType></Order>`, status: 400, code: 1001 },
        { name: 'order quantity too large', method: 'POST', path: '/orders', body: `<Order><Name>o</Name><SiteId>${ids.site}</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>5001</Quantity></AreaCodeSearchAndOrderType></Order>`, status: 400, code: 1001 },
        { name: 'order of no numbers', method: 'POST', path: '/orders', body: `<Order><Name>o</Name><SiteId>${ids.site}</SiteId><ExistingTelephoneNumberOrderType><TelephoneNumberList/></ExistingTelephoneNumberOrderType></Order>`, status: 400, code: 1001 },
        { name: 'unknown order', method: 'GET', path: '/orders/4f0f2a3e-0000-4000-8000-000000000000', status: 404, code: 15001 },
        { name: 'note without Description', method: 'POST', path: `/orders/${ids.order}/notes`, body: '<Note><UserId>u</UserId></Note>', status: 400, code: 1001 },
        { name: 'disconnect without numbers', method: 'POST', path: '/disconnects', body: '<DisconnectTelephoneNumberOrder><name>d</name></DisconnectTelephoneNumberOrder>', status: 400, code: 1001 },
        { name: 'unknown disconnect', method: 'GET', path: '/disconnects/nope', status: 404, code: 16002 },
        { name: 'number not in service', method: 'GET', path: '/inserviceNumbers/9195550000', status: 404, code: 16001 },
        { name: 'unknown path', method: 'GET', path: '/nothing-here', status: 404, code: 404 },
        { name: 'unknown path without credentials', method: 'GET', path: '/nothing-here', auth: '', status: 401, code: 401 },
        { name: 'no credentials', method: 'GET', path: '/sites', auth: '', status: 401, code: 401 },
        { name: 'wrong password', method: 'GET', path: '/sites', auth: basic(ACCOUNT_A.username, 'wrong'), status: 401, code: 401 },
        { name: "another account's path", method: 'GET', path: '/sites', auth: basic(ACCOUNT_B.username, ACCOUNT_B.password), status: 401, code: 401 },
      ];
      const before = await snapshot();
      const failures: string[] = [];
      for (const row of rows) {
        const res = await request(row.method, account(row.path), row.body, row.auth ?? AUTH_A, row.contentType ?? XML);
        const text = await res.text();
        if (res.status !== row.status) failures.push(`${row.name}: ${res.status} ${text}`);
        if (row.code === undefined) continue;
        // What the client reads of an error: the first ErrorCode (or Error/Code) and Description.
        const doc = await parse(text).catch(() => ({}) as Obj);
        const body = Object.values(doc)[0] as Obj | undefined;
        const status = (body?.responseStatus ?? body?.error) as Obj | undefined;
        const code = status?.errorCode ?? status?.code;
        if (String(code) !== String(row.code) || typeof status?.description !== 'string') failures.push(`${row.name}: code ${String(code)} in ${text}`);
      }
      assert.deepEqual(failures, []);
      assert.equal(await snapshot(), before);
    });

    it('answers a search that finds nothing as Bandwidth does: ResultCount 0', async () => {
      const res = await request('GET', account('/availableNumbers?areaCode=907'));
      assert.equal(res.status, 200);
      assert.deepEqual(await parse(await res.text()), { searchResult: { resultCount: 0 } });
    });

    it('parses every document it answers with into the fields the client reads', async () => {
      const peer = `/sites/${ids.site}/sippeers/${ids.peer}`;
      // path → the fields the client's code reads from the parsed root (lib/*.js).
      const documents: Array<[string, (doc: Obj) => unknown]> = [
        [account('/sites'), (d) => (d.sites as Obj).site],
        [account(`/sites/${ids.site}`), (d) => (d.site as Obj).id],
        [account(`/sites/${ids.site}/sippeers`), (d) => ((d.sipPeers as Obj).sipPeer as Obj).peerId],
        [account(peer), (d) => (d.sipPeer as Obj).peerId],
        [account(`${peer}/products/messaging/features/sms`), (d) => d.sipPeerSmsFeature],
        [account(`${peer}/products/messaging/applicationSettings`), (d) => (d.applicationSettings as Obj).httpMessagingV2AppId],
        [account(`${peer}/tns`), (d) => first((d.sipPeerTelephoneNumbers as Obj).sipPeerTelephoneNumber).fullNumber],
        [account(`${peer}/tns/${ids.tn}`), (d) => (d.sipPeerTelephoneNumber as Obj).fullNumber],
        [account('/applications'), (d) => ((d.applicationList as Obj).application as Obj[]).length],
        [account(`/applications/${ids.app}`), (d) => (d.application as Obj).applicationId],
        [account(`/applications/${ids.app}/associatedsippeers`), (d) => ((d.associatedSipPeers as Obj).associatedSipPeer as Obj).peerId],
        [account('/availableNumbers?zip=27601&quantity=2&enableTNDetail=true'), (d) => ((d.telephoneNumberDetailList as Obj).telephoneNumberDetail as Obj[])[0]?.lata],
        [account('/availableNpaNxx?areaCode=919'), (d) => first((d.availableNpaNxxList as Obj).availableNpaNxx).nxx],
        ['/cities?state=NC', (d) => first((d.cities as Obj).city).name],
        ['/rateCenters?state=nc', (d) => first((d.rateCenters as Obj).rateCenter).abbreviation],
        [account('/orders'), (d) => (d.listOrderIdUserIdDate as Obj).totalCount],
        [account(`/orders/${ids.order}`), (d) => [(d.order as Obj).id, d.orderStatus]],
        [account(`/orders/${ids.order}/history`), (d) => first(d.orderHistory).status],
        [account(`/orders/${ids.order}/tns`), (d) => d.telephoneNumber],
        [account(`/orders/${ids.order}/areaCodes`), (d) => (d.telephoneDetailsReport as Obj).areaCode],
        [account(`/orders/${ids.order}/npaNxx`), (d) => (d.telephoneDetailsReport as Obj).npaNxx],
        [account(`/orders/${ids.order}/totals`), (d) => (d.telephoneDetailsReport as Obj).count],
        [account(`/orders/${ids.order}/notes`), (d) => (d.note as Obj).description],
        [account('/inserviceNumbers'), (d) => (d.telephoneNumbers as Obj).telephoneNumber],
        [account(''), (d) => (d.account as Obj).accountId],
        [account(`/sites/${ids.site}/inserviceNumbers`), (d) => (d.telephoneNumbers as Obj).telephoneNumber],
        [account(`/sites/${ids.site}/totaltns`), (d) => (d.siteTNs as Obj).totalCount],
        [account(`/sites/${ids.site}/orders`), (d) => first((d.listOrderIdUserIdDate as Obj).orderIdUserIdDate).orderId],
        [account('/discNumbers'), (d) => d.totalCount],
        [account('/discNumbers/totals'), (d) => d.count],
        [account('/disconnects'), (d) => first((d.listOrderIdUserIdDate as Obj).orderIdUserIdDate).orderStatus],
        [account(`/disconnects/${ids.disconnect}`), (d) => [d.orderStatus, ((d.errorList as Obj).error as Obj).code]],
        [account(`/disconnects/${ids.disconnect}/notes`), (d) => (d.note as Obj).description],
        [account('/inserviceNumbers/totals'), (d) => d.count],
        [`/tns?page=1&size=500`, (d) => first((d.telephoneNumbers as Obj).telephoneNumber).fullNumber],
        [`/tns/${ids.tn}`, (d) => [d.telephoneNumber, d.siteId]],
        [`/tns/${ids.tn}/tndetails`, (d) => [(d.telephoneNumberDetails as Obj).lata, (d.telephoneNumberDetails as Obj).status]],
        [`/tns/${ids.tn}/sites`, (d) => d.id],
        [`/tns/${ids.tn}/sippeers`, (d) => d.id],
        [`/tns/${ids.tn}/ratecenter`, (d) => (d.telephoneNumberDetails as Obj).rateCenter],
      ];
      const missing: string[] = [];
      for (const [path, read] of documents) {
        const res = await request('GET', path);
        const text = await res.text();
        assert.equal(res.status, 200, `${path}: ${text}`);
        assert.match(String(res.headers.get('content-type')), /^application\/xml/);
        const doc = await parse(text);
        const rootValue = Object.values(doc)[0] as Obj;
        const value = read(rootValue);
        if (value === undefined || (Array.isArray(value) && value.some((v) => v === undefined))) missing.push(`${path}: ${text}`);
      }
      assert.deepEqual(missing, []);
    });

    it('serves /tns with the account the credentials belong to; another account sees none of it', async () => {
      const other = basic(ACCOUNT_B.username, ACCOUNT_B.password);
      assert.equal((await request('GET', `/tns/${ids.tn}`, undefined, other)).status, 404);
      assert.equal((await request('GET', `/tns/${ids.tn}`, undefined, basic(ACCOUNT_A.username, 'wrong'))).status, 401);
      assert.equal((await request('GET', `/tns/${ids.tn}`, undefined, basic('nobody', 'x'))).status, 401);
      assert.equal((await request('GET', '/cities')).status, 400);
      assert.equal((await request('GET', '/rateCenters?state=NC', undefined, '')).status, 401);
      const list = await parse(await (await request('GET', '/tns', undefined, other)).text());
      assert.equal((list.telephoneNumbersResponse as Obj).telephoneNumberCount, 0);
    });
  });
}
