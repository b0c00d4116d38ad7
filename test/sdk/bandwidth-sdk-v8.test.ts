// The official `bandwidth-sdk` (v8, typescript-axios) against a real Pigeon, configured exactly as a
// user would configure it for a self-hosted server (reference l.1): only `basePath` changes. Every
// JSON success body is also checked against the OpenAPI document shipped inside the SDK, because
// this SDK does no response validation of its own and would happily pass along a wrong shape.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  Configuration,
  ListMessageDirectionEnum,
  MediaApi,
  type MessageRequest,
  MessageStatusEnum,
  MessageTypeEnum,
  MessagesApi,
  PriorityEnum,
  ProductTypeEnum,
} from 'bandwidth-sdk';
import { ACCOUNT_A, AUTH_A, RECIPIENT, RECIPIENT_2 } from '../helpers/fixtures.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { assertMatchesResponse, assertMatchesSchema } from './openapi.js';

const MESSAGE_ID = /^\d{13}[a-z0-9]{16}$/;
const STATUSES = ['RECEIVED', 'QUEUED', 'SENDING', 'SENT', 'FAILED', 'DELIVERED', 'ACCEPTED', 'UNDELIVERED'];
const PICTURE = 'https://example.test/pictures/cat.png';
const PICTURES = [PICTURE, 'https://example.test/pictures/dog.jpg', 'https://example.test/pictures/owl.gif'];

/** The SDK types the upload body as the DOM `File`; on Node it is a Buffer, as in Bandwidth's own tests. */
type UploadBody = Parameters<MediaApi['uploadMedia']>[2];
const asUploadBody = (bytes: Buffer) => bytes as unknown as UploadBody;

/** Bytes that survive only a binary-safe path: a PNG signature followed by every byte value, shuffled. */
function pictureBytes(size = 4096): Buffer {
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(size)]);
}

/** axios rejects non-2xx answers; the status and body are on `error.response`. */
function httpFailure(err: unknown): { status: number | undefined; data: unknown } {
  const response = (err as { response?: { status?: number; data?: unknown } }).response;
  return { status: response?.status, data: response?.data };
}

async function rejectsWithStatus(promise: Promise<unknown>, status: number): Promise<unknown> {
  let data: unknown;
  await assert.rejects(promise, (err: unknown) => {
    const failure = httpFailure(err);
    assert.equal(failure.status, status, `expected HTTP ${status}, got ${String(failure.status)}: ${String(err)}`);
    data = failure.data;
    return true;
  });
  return data;
}

type ListArgs = Parameters<MessagesApi['listMessages']>;
interface ListFilters {
  messageId?: string;
  sourceTn?: string;
  destinationTn?: string;
  messageDirection?: ListArgs[5];
  callingNumberCountryA3?: string;
  pageToken?: string;
  limit?: number;
}

/** The SDK takes 27 positional filters; naming them here keeps each call site readable and checkable. */
function listMessages(api: MessagesApi, f: ListFilters = {}) {
  const u = undefined;
  return api.listMessages(
    ACCOUNT_A.id,
    f.messageId,
    f.sourceTn,
    f.destinationTn,
    u, // messageStatus
    f.messageDirection,
    u, // carrierName
    u, // messageType
    u, // errorCode
    u, // fromDateTime
    u, // toDateTime
    u, // campaignId
    u, // fromBwLatency
    u, // bwQueued
    u, // product
    u, // location
    u, // carrierQueued
    u, // fromCarrierLatency
    f.callingNumberCountryA3,
    u, // calledNumberCountryA3
    u, // fromSegmentCount
    u, // toSegmentCount
    u, // fromMessageSize
    u, // toMessageSize
    u, // sort
    f.pageToken,
    f.limit,
  );
}

function request(overrides: Partial<MessageRequest> = {}): MessageRequest {
  return {
    applicationId: ACCOUNT_A.applicationId,
    from: ACCOUNT_A.number,
    to: new Set([RECIPIENT]),
    text: 'hello from the v8 SDK',
    ...overrides,
  };
}

/** Sends through the SDK and checks what every 202 must satisfy (reference c.1); returns the raw body. */
async function send(api: MessagesApi, req: MessageRequest): Promise<Record<string, unknown>> {
  const res = await api.createMessage(ACCOUNT_A.id, req);
  assert.equal(res.status, 202);
  assertMatchesResponse('createMessage', 202, res.data);
  const body = res.data as unknown as Record<string, unknown>;
  assert.match(String(body.id), MESSAGE_ID);
  assert.equal(body.owner, req.from);
  assert.equal(body.from, req.from);
  assert.equal(body.applicationId, req.applicationId);
  assert.equal(body.direction, 'out');
  assert.deepEqual(body.to, [...req.to]);
  assert.ok(Number.isFinite(Date.parse(String(body.time))), `time '${String(body.time)}' must be a date-time`);
  // The id leads with the acceptance time in epoch ms (reference h.1).
  assert.equal(String(body.id).slice(0, 13), String(Date.parse(String(body.time))));
  for (const [key, value] of Object.entries(body)) assert.notEqual(value, null, `'${key}' must be omitted, not null`);
  return body;
}

describe('bandwidth.yml validator', () => {
  // Guards against a validator that accepts everything, which would make the schema checks below vacuous.
  it('rejects what the published contract rejects', () => {
    assert.throws(() => assertMatchesSchema('Message', { id: 'x', tag: null }), /tag/);
    assert.throws(() => assertMatchesSchema('Message', { segmentCount: '1' }), /segmentCount/);
    assert.throws(() => assertMatchesSchema('MessagesList', { messages: [{ errorCode: null }] }), /errorCode/);
    assert.throws(() => assertMatchesResponse('listMedia', 200, [{ contentLength: null }]), /contentLength/);
    assert.throws(() => assertMatchesResponse('createMessage', 400, { type: 'x' }), /description/);
  });

  it('accepts the nullable list-item fields as null', () => {
    assertMatchesSchema('MessagesList', {
      totalCount: 1,
      pageInfo: {},
      messages: [{ messageId: 'm', errorCode: 0, carrierName: null, campaignId: null, bwLatency: null }],
    });
    assertMatchesSchema('Media', { content: 'http://x/y', contentLength: 1, mediaName: 'y' });
  });
});

for (const backend of BACKENDS) {
  describe(`bandwidth-sdk v8 against Pigeon at /api/v2 (${backend})`, () => {
    let pigeon: TestPigeon;
    let messages: MessagesApi;
    let media: MediaApi;

    before(async () => {
      // API role: these suites check the wire contract, and a delivery in progress would change statuses they list by.
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' } });
      const config = new Configuration({
        basePath: `${pigeon.url}/api/v2`,
        username: ACCOUNT_A.username,
        password: ACCOUNT_A.password,
      });
      messages = new MessagesApi(config);
      media = new MediaApi(config);
    });
    after(() => pigeon.close());

    describe('createMessage', () => {
      it('sends a single SMS', async () => {
        const body = await send(messages, request({ text: 'single SMS' }));
        assert.deepEqual(body.to, [RECIPIENT]);
        assert.equal(body.text, 'single SMS');
        assert.equal(body.segmentCount, 1);
        assert.equal(body.priority, 'default');
        assert.equal('media' in body, false);
        assert.equal('tag' in body, false);
        assert.equal('expiration' in body, false);
      });

      it('counts segments of a long SMS', async () => {
        // 161 GSM-7 characters no longer fit one 160-character segment; concatenated parts hold 153 each.
        const body = await send(messages, request({ text: 'x'.repeat(161) }));
        assert.equal(body.segmentCount, 2);
      });

      it('sends an MMS with one picture', async () => {
        const body = await send(messages, request({ text: 'one picture', media: [PICTURE] }));
        assert.deepEqual(body.media, [PICTURE]);
        assert.equal(body.text, 'one picture');
        assert.equal(body.segmentCount, 1);
      });

      it('sends an MMS with several pictures, in order', async () => {
        const body = await send(messages, request({ text: 'several pictures', media: PICTURES }));
        assert.deepEqual(body.media, PICTURES);
        assert.equal(body.segmentCount, 1);
      });

      it('sends media without text', async () => {
        const req = request({ media: [PICTURE] });
        delete req.text;
        const body = await send(messages, req);
        assert.deepEqual(body.media, [PICTURE]);
        assert.equal('text' in body, false);
        assert.equal(body.segmentCount, 1);
      });

      it('sends a group message to two recipients', async () => {
        const body = await send(messages, request({ to: new Set([RECIPIENT, RECIPIENT_2]), text: 'group hello' }));
        assert.deepEqual(body.to, [RECIPIENT, RECIPIENT_2]);
        assert.equal(body.segmentCount, 1);
        assert.equal(body.text, 'group hello');
      });

      it('sends a group picture message', async () => {
        const body = await send(
          messages,
          request({ to: new Set([RECIPIENT, RECIPIENT_2]), text: 'group picture', media: [PICTURE] }),
        );
        assert.deepEqual(body.to, [RECIPIENT, RECIPIENT_2]);
        assert.deepEqual(body.media, [PICTURE]);
        assert.equal(body.segmentCount, 1);
      });

      it('echoes the tag', async () => {
        const body = await send(messages, request({ tag: 'order-1234 "quoted" ✓' }));
        assert.equal(body.tag, 'order-1234 "quoted" ✓');
      });

      it("echoes priority 'high'", async () => {
        const body = await send(messages, request({ priority: PriorityEnum.High }));
        assert.equal(body.priority, 'high');
      });

      it('echoes a future expiration', async () => {
        const expiration = new Date(Date.now() + 86_400_000).toISOString();
        const body = await send(messages, request({ expiration }));
        assert.equal(body.expiration, expiration);
      });

      it('sends an MMS whose picture was uploaded to Pigeon', async () => {
        const bytes = pictureBytes();
        await media.uploadMedia(ACCOUNT_A.id, 'v8-attached.png', asUploadBody(bytes), 'image/png');
        const list = await media.listMedia(ACCOUNT_A.id);
        assertMatchesResponse('listMedia', 200, list.data);
        const listed = list.data.find((m) => m.mediaName === 'v8-attached.png');
        assert.ok(listed?.content, 'uploaded media must be listed with a content URL');
        const body = await send(messages, request({ text: 'stored picture', media: [listed.content] }));
        assert.deepEqual(body.media, [listed.content]);
      });

      it("answers 400 for to '+1invalid' with Bandwidth's error shape", async () => {
        const data = await rejectsWithStatus(messages.createMessage(ACCOUNT_A.id, request({ to: new Set(['+1invalid']) })), 400);
        assertMatchesResponse('createMessage', 400, data);
        const error = data as { type: string; fieldErrors?: Array<{ fieldName?: string; description?: string }> };
        assert.equal(error.type, 'request-validation');
        const toError = error.fieldErrors?.find((e) => e.fieldName === 'to');
        assert.match(String(toError?.description), /'\+1invalid' must be replaced with a valid E164 formatted telephone number/);
      });
    });

    describe('listMessages', () => {
      const sent: Record<string, unknown>[] = [];
      const from = ACCOUNT_A.secondNumber;

      before(async () => {
        // A sender no other test uses, so the expected result set is exact.
        sent.push(await send(messages, request({ from, text: 'listed sms' })));
        sent.push(await send(messages, request({ from, to: new Set([RECIPIENT, RECIPIENT_2]), text: 'listed group' })));
      });

      it('finds the sent messages by sourceTn, one record per recipient', async () => {
        const res = await listMessages(messages, { sourceTn: from });
        assert.equal(res.status, 200);
        assertMatchesResponse('listMessages', 200, res.data);
        const { totalCount, pageInfo, messages: items = [] } = res.data;
        assert.equal(totalCount, 3);
        assert.deepEqual(pageInfo, {});
        assert.equal(items.length, 3);
        const [sms, group] = sent as [Record<string, unknown>, Record<string, unknown>];
        for (const item of items) {
          assert.match(String(item.messageId), MESSAGE_ID);
          assert.equal(item.accountId, ACCOUNT_A.id);
          assert.equal(item.sourceTn, from);
          assert.equal(item.messageDirection, 'OUTBOUND');
          assert.ok(STATUSES.includes(String(item.messageStatus)), `unexpected messageStatus ${String(item.messageStatus)}`);
          assert.equal(typeof item.errorCode, 'number');
          assert.equal(item.errorCode, 0);
          assert.equal(item.segmentCount, 1);
          assert.ok(Number.isFinite(Date.parse(String(item.receiveTime))));
          assert.equal('text' in item, false, 'list items never carry the text');
        }
        const smsItems = items.filter((i) => i.messageId === sms.id);
        assert.deepEqual(
          smsItems.map((i) => [i.destinationTn, i.messageType, i.recipientCount]),
          [[RECIPIENT, 'sms', 1]],
        );
        const groupItems = items.filter((i) => i.messageId === group.id);
        assert.deepEqual(
          groupItems.map((i) => [i.destinationTn, i.messageType, i.recipientCount]).sort(),
          [
            [RECIPIENT, 'mms', 2],
            [RECIPIENT_2, 'mms', 2],
          ].sort(),
        );
        // Default order is newest first (two sends may share a millisecond, so compare times, not ids).
        const times = items.map((i) => Date.parse(String(i.receiveTime)));
        assert.deepEqual(times, [...times].sort((a, b) => b - a));
      });

      it("matches the SDK's own smoke-test query (direction and calling country)", async () => {
        const res = await listMessages(messages, {
          sourceTn: from,
          messageDirection: ListMessageDirectionEnum.Outbound,
          callingNumberCountryA3: 'USA',
        });
        assert.equal(res.status, 200);
        assertMatchesResponse('listMessages', 200, res.data);
        assert.equal(res.data.totalCount, 3);
        for (const item of res.data.messages ?? []) {
          assert.equal(item.callingNumberCountryA3, 'USA');
          assert.equal(item.calledNumberCountryA3, 'USA');
          assert.equal(item.messageId?.length, 29);
        }
      });

      it('finds one message by messageId', async () => {
        const id = String(sent[0]?.id);
        const res = await listMessages(messages, { messageId: id });
        assertMatchesResponse('listMessages', 200, res.data);
        assert.equal(res.data.totalCount, 1);
        assert.equal(res.data.messages?.[0]?.messageId, id);
        assert.equal(res.data.messages?.[0]?.destinationTn, RECIPIENT);
      });

      it('pages with absolute page URLs and bare tokens', async () => {
        const first = await listMessages(messages, { sourceTn: from, limit: 2 });
        assertMatchesResponse('listMessages', 200, first.data);
        assert.equal(first.data.totalCount, 3);
        assert.equal(first.data.messages?.length, 2);
        const info = first.data.pageInfo ?? {};
        assert.match(String(info.nextPage), /^http/);
        assert.ok(info.nextPageToken);
        assert.equal('prevPage' in info, false);
        assert.ok(String(info.nextPage).includes(`pageToken=${encodeURIComponent(info.nextPageToken)}`));

        const second = await listMessages(messages, { sourceTn: from, limit: 2, pageToken: info.nextPageToken });
        assertMatchesResponse('listMessages', 200, second.data);
        assert.equal(second.data.messages?.length, 1);
        assert.equal('nextPage' in (second.data.pageInfo ?? {}), false);
        assert.match(String(second.data.pageInfo?.prevPage), /^http/);
        const seen = [...(first.data.messages ?? []), ...(second.data.messages ?? [])].map(
          (i) => `${i.messageId}>${i.destinationTn}`,
        );
        assert.equal(new Set(seen).size, 3, 'the two pages must not overlap');
      });

      it('accepts every one of the 27 filters the SDK can send', async () => {
        const sms = sent[0] as Record<string, unknown>;
        const text = String(sms.text);
        const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
        const soon = new Date(Date.now() + 60_000).toISOString();
        const lookup = await listMessages(messages, { messageId: String(sms.id) });
        assertMatchesResponse('listMessages', 200, lookup.data);
        const [status] = lookup.data.messages ?? [];
        assert.ok(status?.messageStatus);
        // Filters a freshly queued local SMS satisfies; the rest (carrier, campaign, latency…) are
        // passed in the next call, where nothing can match them.
        const matching = await messages.listMessages(
          ACCOUNT_A.id,
          String(sms.id),
          from,
          RECIPIENT,
          status.messageStatus,
          ListMessageDirectionEnum.Outbound,
          undefined,
          MessageTypeEnum.Sms,
          0,
          hourAgo,
          soon,
          undefined,
          undefined,
          undefined,
          ProductTypeEnum.P2P,
          undefined,
          undefined,
          undefined,
          'USA',
          'USA',
          1,
          1,
          Buffer.byteLength(text),
          Buffer.byteLength(text),
          'receiveTime:asc',
          undefined,
          10,
          true,
        );
        assert.equal(matching.status, 200);
        assertMatchesResponse('listMessages', 200, matching.data);
        assert.equal(matching.data.totalCount, 1);
        assert.equal(matching.data.messages?.[0]?.messageId, sms.id);
        assert.equal(matching.data.messages?.[0]?.product, 'P2P');
        assert.equal(matching.data.messages?.[0]?.messageSize, Buffer.byteLength(text));

        const everything = await messages.listMessages(
          ACCOUNT_A.id,
          String(sms.id),
          from,
          RECIPIENT,
          MessageStatusEnum.Delivered,
          ListMessageDirectionEnum.Outbound,
          'AT&T',
          MessageTypeEnum.Sms,
          0,
          hourAgo,
          soon,
          'CJEUMDK',
          5,
          true,
          ProductTypeEnum.P2P,
          '123ID',
          false,
          5,
          'USA',
          'USA',
          1,
          2,
          0,
          1000,
          'sourceTn:desc',
          undefined,
          10,
          false,
        );
        assert.equal(everything.status, 200);
        assertMatchesResponse('listMessages', 200, everything.data);
        assert.equal(everything.data.totalCount, 0);
        assert.deepEqual(everything.data.messages, []);
      });

      it('answers 200 with no filters at all', async () => {
        const res = await messages.listMessages(ACCOUNT_A.id);
        assert.equal(res.status, 200);
        assertMatchesResponse('listMessages', 200, res.data);
        assert.ok((res.data.totalCount ?? 0) >= 3);
        assert.ok(res.data.messages?.some((i) => i.messageId === sent[1]?.id));
      });
    });

    describe('media', () => {
      it('uploads, downloads identical bytes, lists, deletes, then 404s', async () => {
        const bytes = pictureBytes();
        const name = 'v8-picture.png';
        const put = await media.uploadMedia(ACCOUNT_A.id, name, asUploadBody(bytes), 'image/png');
        assert.equal(put.status, 204);

        const got = await media.getMedia(ACCOUNT_A.id, name, { responseType: 'arraybuffer' });
        assert.equal(got.status, 200);
        assert.ok(Buffer.from(got.data as unknown as ArrayBuffer).equals(bytes), 'downloaded bytes differ');
        assert.equal(got.headers['content-type'], 'image/png');

        const list = await media.listMedia(ACCOUNT_A.id);
        assert.equal(list.status, 200);
        assertMatchesResponse('listMedia', 200, list.data);
        const entry = list.data.find((m) => m.mediaName === name);
        assert.ok(entry, `${name} must be listed`);
        assert.equal(entry.contentLength, bytes.length);
        assert.match(String(entry.content), /^http/);
        assert.equal(entry.content, `${pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/${name}`);

        const deleted = await media.deleteMedia(ACCOUNT_A.id, name);
        assert.equal(deleted.status, 204);
        await rejectsWithStatus(media.getMedia(ACCOUNT_A.id, name, { responseType: 'arraybuffer' }), 404);
        const remaining = await media.listMedia(ACCOUNT_A.id);
        assertMatchesResponse('listMedia', 200, remaining.data);
        assert.equal(remaining.data.some((m) => m.mediaName === name), false);
      });

      it("round-trips a mediaId containing '/' (sent as %2F), also reachable by its literal content URL", async () => {
        const bytes = pictureBytes(1024);
        const name = '1919858400650grpinabcdefgh004/0/menu.png';
        await media.uploadMedia(ACCOUNT_A.id, name, asUploadBody(bytes), 'image/png');

        const got = await media.getMedia(ACCOUNT_A.id, name, { responseType: 'arraybuffer' });
        assert.ok(Buffer.from(got.data as unknown as ArrayBuffer).equals(bytes));

        const list = await media.listMedia(ACCOUNT_A.id);
        assertMatchesResponse('listMedia', 200, list.data);
        const entry = list.data.find((m) => m.mediaName === name);
        assert.equal(entry?.contentLength, bytes.length);
        // Webhook consumers follow `content` as-is, with literal slashes.
        assert.equal(entry?.content, `${pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/${name}`);
        const direct = await fetch(String(entry?.content), { headers: { authorization: AUTH_A } });
        assert.equal(direct.status, 200);
        assert.ok(Buffer.from(await direct.arrayBuffer()).equals(bytes));

        assert.equal((await media.deleteMedia(ACCOUNT_A.id, name)).status, 204);
        await rejectsWithStatus(media.getMedia(ACCOUNT_A.id, name), 404);
      });

      it('overwrites media uploaded again under the same name', async () => {
        const name = 'v8-overwrite.txt';
        await media.uploadMedia(ACCOUNT_A.id, name, asUploadBody(Buffer.from('first version')), 'text/plain');
        await media.uploadMedia(ACCOUNT_A.id, name, asUploadBody(Buffer.from('second')), 'text/plain');
        const got = await media.getMedia(ACCOUNT_A.id, name, { responseType: 'arraybuffer' });
        assert.equal(Buffer.from(got.data as unknown as ArrayBuffer).toString('utf8'), 'second');
        const list = await media.listMedia(ACCOUNT_A.id);
        assertMatchesResponse('listMedia', 200, list.data);
        const entry = list.data.find((m) => m.mediaName === name);
        assert.equal(entry?.contentLength, 'second'.length);
        await media.deleteMedia(ACCOUNT_A.id, name);
      });
    });

    describe('authentication', () => {
      it('answers 401 when the Configuration has no credentials', async () => {
        const anonymous = new Configuration({ basePath: `${pigeon.url}/api/v2` });
        const data = await rejectsWithStatus(new MessagesApi(anonymous).createMessage(ACCOUNT_A.id, request()), 401);
        assertMatchesResponse('createMessage', 401, data);
        await rejectsWithStatus(new MessagesApi(anonymous).listMessages(ACCOUNT_A.id), 401);
        await rejectsWithStatus(new MediaApi(anonymous).listMedia(ACCOUNT_A.id), 401);
      });

      it('answers 401 for a wrong password', async () => {
        const wrong = new Configuration({
          basePath: `${pigeon.url}/api/v2`,
          username: ACCOUNT_A.username,
          password: 'not-the-password',
        });
        const data = await rejectsWithStatus(new MessagesApi(wrong).createMessage(ACCOUNT_A.id, request()), 401);
        assertMatchesResponse('createMessage', 401, data);
      });
    });
  });

  describe(`bandwidth-sdk v8 against Pigeon at the root, as the SDK's own tests do (${backend})`, () => {
    let pigeon: TestPigeon;
    let messages: MessagesApi;
    let media: MediaApi;

    before(async () => {
      // API role: these suites check the wire contract, and a delivery in progress would change statuses they list by.
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' } });
      const config = new Configuration({ basePath: pigeon.url, username: ACCOUNT_A.username, password: ACCOUNT_A.password });
      messages = new MessagesApi(config);
      media = new MediaApi(config);
    });
    after(() => pigeon.close());

    it('creates a message and lists it back', async () => {
      const body = await send(messages, request({ tag: 'root', priority: PriorityEnum.High }));
      assert.equal(body.tag, 'root');
      assert.equal(body.priority, 'high');

      const res = await listMessages(messages, { messageId: String(body.id) });
      assert.equal(res.status, 200);
      assertMatchesResponse('listMessages', 200, res.data);
      assert.equal(res.data.totalCount, 1);
      assert.equal(res.data.messages?.[0]?.messageId, body.id);
      assert.equal(res.data.messages?.[0]?.sourceTn, ACCOUNT_A.number);

      const all = await messages.listMessages(ACCOUNT_A.id);
      assert.equal(all.status, 200);
      assertMatchesResponse('listMessages', 200, all.data);
      assert.equal(all.data.totalCount, 1);
    });

    it('stores media and hands out content URLs without the /api/v2 prefix', async () => {
      const bytes = pictureBytes(512);
      await media.uploadMedia(ACCOUNT_A.id, 'root.png', asUploadBody(bytes), 'image/png');
      const got = await media.getMedia(ACCOUNT_A.id, 'root.png', { responseType: 'arraybuffer' });
      assert.ok(Buffer.from(got.data as unknown as ArrayBuffer).equals(bytes));
      const list = await media.listMedia(ACCOUNT_A.id);
      assertMatchesResponse('listMedia', 200, list.data);
      assert.deepEqual(list.data, [
        { content: `${pigeon.url}/users/${ACCOUNT_A.id}/media/root.png`, contentLength: bytes.length, mediaName: 'root.png' },
      ]);
      await media.deleteMedia(ACCOUNT_A.id, 'root.png');
    });

    it('answers 400 for an invalid recipient and 401 without credentials', async () => {
      await rejectsWithStatus(messages.createMessage(ACCOUNT_A.id, request({ to: new Set(['+1invalid']) })), 400);
      const anonymous = new MessagesApi(new Configuration({ basePath: pigeon.url }));
      await rejectsWithStatus(anonymous.createMessage(ACCOUNT_A.id, request()), 401);
    });
  });
}
