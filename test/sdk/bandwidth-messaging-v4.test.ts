// The legacy `@bandwidth/messaging` SDK (4.x, APIMatic) against a real Pigeon, configured as reference
// l.2 prescribes (Environment.Custom + baseUrl). This SDK validates every JSON success body against its
// own schemas and throws ResponseValidationError on a mismatch (a null where it wants a string, an
// empty 202…), so a call that merely succeeds is already a conformance check. The raw body it keeps
// in `response.body` is additionally checked against the OpenAPI document shipped with bandwidth-sdk.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  ApiController,
  ApiError,
  type ApiResponse,
  Client,
  Environment,
  FileWrapper,
  type MessageRequest,
  PriorityEnum,
  ResponseValidationError,
} from '@bandwidth/messaging';
import { ACCOUNT_A, AUTH_A, RECIPIENT, RECIPIENT_2 } from '../helpers/fixtures.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { assertMatchesResponse, type OperationId } from './openapi.js';

const MESSAGE_ID = /^\d{13}[a-z0-9]{16}$/;
const STATUSES = ['RECEIVED', 'QUEUED', 'SENDING', 'SENT', 'FAILED', 'DELIVERED', 'ACCEPTED', 'UNDELIVERED'];
const PICTURE = 'https://example.test/pictures/cat.png';
const PICTURES = [PICTURE, 'https://example.test/pictures/dog.jpg', 'https://example.test/pictures/owl.gif'];

function controller(baseUrl: string, username: string = ACCOUNT_A.username, password: string = ACCOUNT_A.password) {
  const client = new Client({
    environment: Environment.Custom,
    baseUrl,
    basicAuthUserName: username,
    basicAuthPassword: password,
    timeout: 10_000,
  });
  return new ApiController(client);
}

/** Bytes that survive only a binary-safe path: a PNG signature followed by random bytes. */
function pictureBytes(size = 4096): Buffer {
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(size)]);
}

/** What the SDK's own user would do: wrap a Node stream, which the SDK sends chunked. */
function streamed(bytes: Buffer): FileWrapper {
  return new FileWrapper(Readable.from([bytes]));
}

async function readAll(stream: NodeJS.ReadableStream | Blob): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Runs an SDK call and turns a ResponseValidationError into a failure that names the offending
 * fields and shows the body, since that error is exactly the non-conformance these tests look for.
 */
async function conforming<T>(call: Promise<ApiResponse<T>>): Promise<ApiResponse<T>> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ResponseValidationError) {
      const issues = err.errors.map((e) => e.message).join('\n');
      throw new Error(`legacy SDK rejected the response body:\n${issues}\nbody: ${String(err.body)}`);
    }
    throw err;
  }
}

/** The raw JSON the SDK received, before its schema mapping dropped unknown fields. */
function rawBody(res: ApiResponse<unknown>): unknown {
  assert.equal(typeof res.body, 'string', 'a JSON operation keeps its body as text');
  return JSON.parse(res.body as string);
}

function assertRawMatches(operation: OperationId, res: ApiResponse<unknown>): unknown {
  const raw = rawBody(res);
  assertMatchesResponse(operation, res.statusCode, raw);
  return raw;
}

/** 4xx answers surface as MessagingExceptionError (not exported, so matched by name), a subclass of ApiError. */
async function rejectsWithStatus(promise: Promise<unknown>, status: number): Promise<ApiError> {
  let caught: ApiError | undefined;
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.statusCode, status);
    assert.equal(err.constructor.name, 'MessagingExceptionError');
    caught = err;
    return true;
  });
  return caught as ApiError;
}

function request(overrides: Partial<MessageRequest> = {}): MessageRequest {
  return {
    applicationId: ACCOUNT_A.applicationId,
    from: ACCOUNT_A.number,
    to: [RECIPIENT],
    text: 'hello from the legacy SDK',
    ...overrides,
  };
}

/** Sends through the SDK and checks what every 202 must satisfy (reference c.1); returns the raw body. */
async function send(api: ApiController, req: MessageRequest): Promise<Record<string, unknown>> {
  const res = await conforming(api.createMessage(ACCOUNT_A.id, req));
  assert.equal(res.statusCode, 202);
  const raw = assertRawMatches('createMessage', res) as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) assert.notEqual(value, null, `'${key}' must be omitted, not null`);
  const body = res.result;
  assert.match(String(body.id), MESSAGE_ID);
  assert.equal(body.owner, req.from);
  assert.equal(body.from, req.from);
  assert.equal(body.applicationId, req.applicationId);
  assert.equal(body.direction, 'out');
  assert.deepEqual(body.to, req.to);
  assert.ok(Number.isFinite(Date.parse(String(body.time))));
  return raw;
}

/**
 * A pass-through HTTP proxy that records request headers, to prove what the SDK actually puts on
 * the wire (reference 0.3: stream uploads go out chunked, without Content-Length).
 */
async function recordingProxy(target: string): Promise<{ url: string; seen: IncomingHttpHeaders[]; close: () => Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    const upstream = httpRequest(`${target}${req.url ?? ''}`, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const backend of BACKENDS) {
  describe(`@bandwidth/messaging 4.x against Pigeon at /api/v2 (${backend})`, () => {
    let pigeon: TestPigeon;
    let api: ApiController;

    before(async () => {
      // API role: these suites check the wire contract, and a delivery in progress would change statuses they list by.
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' } });
      api = controller(`${pigeon.url}/api/v2`);
    });
    after(() => pigeon.close());

    describe('createMessage', () => {
      it('sends a single SMS', async () => {
        const raw = await send(api, request({ text: 'single SMS' }));
        assert.deepEqual(raw.to, [RECIPIENT]);
        assert.equal(raw.text, 'single SMS');
        assert.equal(raw.segmentCount, 1);
        assert.equal(raw.priority, 'default');
        assert.equal('media' in raw, false);
        assert.equal('tag' in raw, false);
      });

      it('sends an MMS with one picture', async () => {
        const raw = await send(api, request({ text: 'one picture', media: [PICTURE] }));
        assert.deepEqual(raw.media, [PICTURE]);
        assert.equal(raw.segmentCount, 1);
      });

      it('sends an MMS with several pictures, in order', async () => {
        const raw = await send(api, request({ text: 'several pictures', media: PICTURES }));
        assert.deepEqual(raw.media, PICTURES);
        assert.equal(raw.segmentCount, 1);
      });

      it('sends media without text', async () => {
        const req = request({ media: [PICTURE] });
        delete req.text;
        const raw = await send(api, req);
        assert.deepEqual(raw.media, [PICTURE]);
        assert.equal('text' in raw, false);
        assert.equal(raw.segmentCount, 1);
      });

      it('sends a group message to two recipients', async () => {
        const raw = await send(api, request({ to: [RECIPIENT, RECIPIENT_2], text: 'group hello' }));
        assert.deepEqual(raw.to, [RECIPIENT, RECIPIENT_2]);
        assert.equal(raw.segmentCount, 1);
      });

      it('sends a group picture message', async () => {
        const raw = await send(api, request({ to: [RECIPIENT, RECIPIENT_2], text: 'group picture', media: [PICTURE] }));
        assert.deepEqual(raw.to, [RECIPIENT, RECIPIENT_2]);
        assert.deepEqual(raw.media, [PICTURE]);
        assert.equal(raw.segmentCount, 1);
      });

      it('echoes the tag', async () => {
        const raw = await send(api, request({ tag: 'legacy-tag ✓' }));
        assert.equal(raw.tag, 'legacy-tag ✓');
      });

      it("echoes priority 'high'", async () => {
        const raw = await send(api, request({ priority: PriorityEnum.High }));
        assert.equal(raw.priority, 'high');
      });

      it('de-duplicates repeated recipients, keeping the first occurrence', async () => {
        // Only this SDK can send duplicates (v8 takes a Set); bandwidth.yml declares `to` uniqueItems.
        const res = await conforming(
          api.createMessage(ACCOUNT_A.id, request({ to: [RECIPIENT_2, RECIPIENT, RECIPIENT_2], text: 'dupes' })),
        );
        assertRawMatches('createMessage', res);
        assert.deepEqual(res.result.to, [RECIPIENT_2, RECIPIENT]);
      });

      it("answers 400 for to '+1invalid' with Bandwidth's error shape", async () => {
        const err = await rejectsWithStatus(api.createMessage(ACCOUNT_A.id, request({ to: ['+1invalid'] })), 400);
        assertMatchesResponse('createMessage', 400, err.result);
        const result = err.result as { type?: string; fieldErrors?: Array<{ fieldName?: string }> };
        assert.equal(result.type, 'request-validation');
        assert.ok(result.fieldErrors?.some((e) => e.fieldName === 'to'));
      });
    });

    describe('getMessages', () => {
      const sent: Record<string, unknown>[] = [];
      const from = ACCOUNT_A.secondNumber;

      before(async () => {
        // A sender no other test uses, so the expected result set is exact.
        sent.push(await send(api, request({ from, text: 'listed sms' })));
        sent.push(await send(api, request({ from, to: [RECIPIENT, RECIPIENT_2], media: [PICTURE] })));
      });

      it('finds the sent messages by sourceTn, one record per recipient', async () => {
        const res = await conforming(api.getMessages(ACCOUNT_A.id, undefined, from));
        assert.equal(res.statusCode, 200);
        assertRawMatches('listMessages', res);
        const { totalCount, pageInfo, messages = [] } = res.result;
        assert.equal(totalCount, 3);
        assert.deepEqual(pageInfo, {});
        const [sms, group] = sent as [Record<string, unknown>, Record<string, unknown>];
        for (const item of messages) {
          assert.match(String(item.messageId), MESSAGE_ID);
          assert.equal(item.accountId, ACCOUNT_A.id);
          assert.equal(item.sourceTn, from);
          assert.equal(item.messageDirection, 'OUTBOUND');
          assert.ok(STATUSES.includes(String(item.messageStatus)));
          assert.equal(item.errorCode, 0);
          assert.equal(item.segmentCount, 1);
          assert.ok(Number.isFinite(Date.parse(String(item.receiveTime))));
        }
        assert.deepEqual(
          messages.map((i) => [i.messageId, i.destinationTn, i.messageType]).sort(),
          [
            [sms.id, RECIPIENT, 'sms'],
            [group.id, RECIPIENT, 'mms'],
            [group.id, RECIPIENT_2, 'mms'],
          ].sort(),
        );
      });

      it('filters by messageId and destinationTn, and pages with limit and pageToken', async () => {
        const byId = await conforming(api.getMessages(ACCOUNT_A.id, String(sent[1]?.id), undefined, RECIPIENT_2));
        assertRawMatches('listMessages', byId);
        assert.equal(byId.result.totalCount, 1);
        assert.equal(byId.result.messages?.[0]?.destinationTn, RECIPIENT_2);

        const u = undefined;
        const first = await conforming(api.getMessages(ACCOUNT_A.id, u, from, u, u, u, u, u, u, 2));
        assertRawMatches('listMessages', first);
        assert.equal(first.result.messages?.length, 2);
        const token = first.result.pageInfo?.nextPageToken;
        assert.ok(token, 'a first page of two out of three must offer a next page');
        assert.match(String(first.result.pageInfo?.nextPage), /^http/);
        const second = await conforming(api.getMessages(ACCOUNT_A.id, u, from, u, u, u, u, u, token, 2));
        assertRawMatches('listMessages', second);
        assert.equal(second.result.messages?.length, 1);
        assert.ok(second.result.pageInfo?.prevPageToken);
      });

      it('filters by status, error code and date range', async () => {
        const u = undefined;
        const now = Date.now();
        const lookup = await conforming(api.getMessages(ACCOUNT_A.id, String(sent[0]?.id)));
        assertRawMatches('listMessages', lookup);
        const status = lookup.result.messages?.[0]?.messageStatus;
        assert.ok(status);
        const from1h = new Date(now - 3_600_000).toISOString();
        const to1m = new Date(now + 60_000).toISOString();
        const res = await conforming(api.getMessages(ACCOUNT_A.id, u, from, u, status, 0, from1h, to1m));
        assertRawMatches('listMessages', res);
        assert.ok((res.result.totalCount ?? 0) >= 1);
        assert.ok(res.result.messages?.every((i) => i.messageStatus === status && i.errorCode === 0));

        const none = await conforming(api.getMessages(ACCOUNT_A.id, u, from, u, u, 4720));
        assertRawMatches('listMessages', none);
        assert.equal(none.result.totalCount, 0);
        assert.deepEqual(none.result.messages, []);
      });

      it('answers 200 with no filters at all', async () => {
        const res = await conforming(api.getMessages(ACCOUNT_A.id));
        assert.equal(res.statusCode, 200);
        assertRawMatches('listMessages', res);
        assert.ok((res.result.totalCount ?? 0) >= 3);
      });
    });

    describe('media', () => {
      it('uploads a stream, downloads identical bytes, lists, deletes, then 404s', async () => {
        const bytes = pictureBytes();
        const name = 'legacy-picture.png';
        const put = await api.uploadMedia(ACCOUNT_A.id, name, streamed(bytes), 'image/png');
        assert.equal(put.statusCode, 204);

        const got = await api.getMedia(ACCOUNT_A.id, name);
        assert.equal(got.statusCode, 200);
        assert.ok((await readAll(got.result)).equals(bytes), 'downloaded bytes differ');
        assert.equal(got.headers['content-type'], 'image/png');

        const list = await conforming(api.listMedia(ACCOUNT_A.id));
        assert.equal(list.statusCode, 200);
        assertRawMatches('listMedia', list);
        const entry = list.result.find((m) => m.mediaName === name);
        assert.equal(entry?.contentLength, bytes.length);
        assert.equal(entry?.content, `${pigeon.url}/api/v2/users/${ACCOUNT_A.id}/media/${name}`);

        assert.equal((await api.deleteMedia(ACCOUNT_A.id, name)).statusCode, 204);
        await rejectsWithStatus(api.getMedia(ACCOUNT_A.id, name), 404);
        await rejectsWithStatus(api.deleteMedia(ACCOUNT_A.id, name), 404);
      });

      it('sends the upload chunked, without Content-Length, and Pigeon accepts it', async () => {
        const proxy = await recordingProxy(pigeon.url);
        try {
          const bytes = pictureBytes(64 * 1024);
          const viaProxy = controller(`${proxy.url}/api/v2`);
          await viaProxy.uploadMedia(ACCOUNT_A.id, 'legacy-chunked.bin', streamed(bytes), 'application/octet-stream');
          const put = proxy.seen[0];
          assert.equal(put?.['transfer-encoding'], 'chunked');
          assert.equal(put?.['content-length'], undefined);
          assert.ok((await readAll((await api.getMedia(ACCOUNT_A.id, 'legacy-chunked.bin')).result)).equals(bytes));
          await api.deleteMedia(ACCOUNT_A.id, 'legacy-chunked.bin');
        } finally {
          await proxy.close();
        }
      });

      it("round-trips a mediaId containing '/' (sent as %2F)", async () => {
        const bytes = pictureBytes(1024);
        const name = '1919858400650grpinabcdefgh004/0/legacy.png';
        await api.uploadMedia(ACCOUNT_A.id, name, streamed(bytes), 'image/png');
        assert.ok((await readAll((await api.getMedia(ACCOUNT_A.id, name)).result)).equals(bytes));

        const list = await conforming(api.listMedia(ACCOUNT_A.id));
        assertRawMatches('listMedia', list);
        const entry = list.result.find((m) => m.mediaName === name);
        assert.equal(entry?.contentLength, bytes.length);
        const direct = await fetch(String(entry?.content), { headers: { authorization: AUTH_A } });
        assert.ok(Buffer.from(await direct.arrayBuffer()).equals(bytes));

        await api.deleteMedia(ACCOUNT_A.id, name);
        await rejectsWithStatus(api.getMedia(ACCOUNT_A.id, name), 404);
      });

      it('sends an MMS whose picture was uploaded to Pigeon', async () => {
        await api.uploadMedia(ACCOUNT_A.id, 'legacy-attached.png', streamed(pictureBytes(256)), 'image/png');
        const list = await conforming(api.listMedia(ACCOUNT_A.id));
        assertRawMatches('listMedia', list);
        const content = list.result.find((m) => m.mediaName === 'legacy-attached.png')?.content;
        assert.ok(content);
        const raw = await send(api, request({ media: [content] }));
        assert.deepEqual(raw.media, [content]);
      });
    });

    describe('authentication', () => {
      it('answers 401 when the Client is configured without credentials', async () => {
        // What a user gets by leaving basicAuthUserName/basicAuthPassword out. This SDK then sends its
        // placeholder defaults ('TODO access token' for both), which must fail like any unknown user.
        const anonymous = new ApiController(
          new Client({ environment: Environment.Custom, baseUrl: `${pigeon.url}/api/v2`, timeout: 10_000 }),
        );
        const expected = { type: 'unauthorized', description: 'Authentication Failed' };
        const calls: Array<[OperationId, Promise<unknown>]> = [
          ['createMessage', anonymous.createMessage(ACCOUNT_A.id, request())],
          ['listMessages', anonymous.getMessages(ACCOUNT_A.id)],
          ['listMedia', anonymous.listMedia(ACCOUNT_A.id)],
        ];
        for (const [operation, call] of calls) {
          const err = await rejectsWithStatus(call, 401);
          // The SDK parses error bodies into null-prototype objects; spread them to compare the fields.
          assert.deepEqual({ ...(err.result as object) }, expected, `${operation} error body`);
          assert.match(String(err.headers['www-authenticate']), /^Basic /);
          assertMatchesResponse(operation, 401, err.result);
        }
      });

      it('answers 401 for wrong credentials, with a parsable error body', async () => {
        const wrong = controller(`${pigeon.url}/api/v2`, ACCOUNT_A.username, 'not-the-password');
        const err = await rejectsWithStatus(wrong.createMessage(ACCOUNT_A.id, request()), 401);
        assertMatchesResponse('createMessage', 401, err.result);
        await rejectsWithStatus(wrong.getMessages(ACCOUNT_A.id), 401);
        await rejectsWithStatus(wrong.listMedia(ACCOUNT_A.id), 401);
      });

      it('answers 403 for a user without the messaging role', async () => {
        const noRole = controller(`${pigeon.url}/api/v2`, ACCOUNT_A.noRoleUser, ACCOUNT_A.noRolePassword);
        const err = await rejectsWithStatus(noRole.createMessage(ACCOUNT_A.id, request()), 403);
        assertMatchesResponse('createMessage', 403, err.result);
      });
    });
  });

  describe(`@bandwidth/messaging 4.x against Pigeon at the root (${backend})`, () => {
    let pigeon: TestPigeon;
    let api: ApiController;

    before(async () => {
      // API role: these suites check the wire contract, and a delivery in progress would change statuses they list by.
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' } });
      api = controller(pigeon.url);
    });
    after(() => pigeon.close());

    it('creates a message, lists it back, and stores media', async () => {
      const raw = await send(api, request({ tag: 'root' }));
      const list = await conforming(api.getMessages(ACCOUNT_A.id, String(raw.id)));
      assertRawMatches('listMessages', list);
      assert.equal(list.result.totalCount, 1);

      await api.uploadMedia(ACCOUNT_A.id, 'root.txt', streamed(Buffer.from('root media')), 'text/plain');
      const media = await conforming(api.listMedia(ACCOUNT_A.id));
      assertRawMatches('listMedia', media);
      assert.deepEqual(media.result, [
        { content: `${pigeon.url}/users/${ACCOUNT_A.id}/media/root.txt`, contentLength: 10, mediaName: 'root.txt' },
      ]);
    });
  });
}
