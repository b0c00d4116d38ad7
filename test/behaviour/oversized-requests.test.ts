// A body over the limit (JSON over server.bodyLimitBytes, media over media.maxBytes) gets its 413
// in Bandwidth's shape even while the client is still sending it: the connection is half-closed
// after the answer and the rest of the body read and dropped (http/lingering-close.ts), instead of
// a reset that can swallow the answer. And slow clients are cut off: headers and whole requests
// have time limits.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Configuration, MediaApi, MessagesApi } from 'bandwidth-sdk';
import { ACCOUNT_A, AUTH_A, fixtureConfigYaml, RECIPIENT } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const FIVE_MB = 5 * 1024 * 1024;
const JSON_LIMIT = 1024 * 1024;
const MEDIA_LIMIT = 3_750_000;
const tooLarge = (limit: number) => ({
  type: 'request-entity-too-large',
  description: `Request body exceeds the limit of ${limit} bytes`,
});

interface RawAnswer {
  /** Everything the client read before the connection ended. */
  response: string;
  /** A socket error the client met (EPIPE, ECONNRESET …), if any. */
  error: string | undefined;
  sent: number;
}

/**
 * Sends a request with a 5 MB body over a plain socket in 64 KiB pieces, as fast as the server
 * takes them, and keeps sending after the answer came, as a client that does not read early does.
 */
async function rawUpload(pigeon: TestPigeon, path: string, contentType: string, chunked: boolean): Promise<RawAnswer> {
  const url = new URL(pigeon.url);
  // Half-open allowed: it goes on sending after the server has answered and ended its side.
  const socket = net.connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let response = '';
  let error: string | undefined;
  socket.on('data', (data) => (response += data.toString('latin1')));
  socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(
    `${path.includes('/media/') ? 'PUT' : 'POST'} ${path} HTTP/1.1\r\nHost: pigeon\r\nAuthorization: ${AUTH_A}\r\n` +
      `Content-Type: ${contentType}\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${FIVE_MB}`}\r\n\r\n`,
  );
  const piece = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  while (sent < FIVE_MB && !socket.destroyed && socket.writable) {
    const frame = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
    sent += piece.length;
    if (!socket.write(frame)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
  }
  if (chunked && socket.writable) socket.write('0\r\n\r\n');
  if (socket.writable) socket.end();
  await closed;
  return { response, error, sent };
}

function assertAnswered413(answer: RawAnswer, limit: number): void {
  const [head = '', body = ''] = answer.response.split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.1 413 /, `read ${JSON.stringify(answer.response.slice(0, 200))}, error ${answer.error}`);
  assert.match(head, /\r\nconnection: close/i);
  assert.deepEqual(JSON.parse(body), tooLarge(limit));
  // The server read (and dropped) the rest: the client sent it all without a reset.
  assert.equal(answer.error, undefined);
  assert.equal(answer.sent, FIVE_MB);
}

describe('oversized requests', () => {
  let pigeon: TestPigeon;
  before(async () => {
    pigeon = await startPigeon({ env: { PIGEON_ROLE: 'api' } });
  });
  after(() => pigeon.close());

  it('answers 413 to a client that keeps sending, by Content-Length and chunked, JSON and media', async () => {
    const messages = `/api/v2/users/${ACCOUNT_A.id}/messages`;
    const media = `/api/v2/users/${ACCOUNT_A.id}/media/big.bin`;
    for (const chunked of [false, true]) {
      assertAnswered413(await rawUpload(pigeon, messages, 'application/json', chunked), JSON_LIMIT);
      assertAnswered413(await rawUpload(pigeon, media, 'application/octet-stream', chunked), MEDIA_LIMIT);
    }
  });

  it('answers 413 to 5 MB uploads from fetch and the SDK while other requests are running', async () => {
    const big = 'x'.repeat(FIVE_MB);
    const fetchJson = () =>
      pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json' },
        body: JSON.stringify(smsBody({ text: big })),
      });
    const fetchMedia = (i: number) =>
      pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/big-${i}.bin`, {
        method: 'PUT',
        headers: { authorization: AUTH_A, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(FIVE_MB, 1),
      });
    const normal = () =>
      pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json' },
        body: JSON.stringify(smsBody()),
      });
    const config = new Configuration({ basePath: `${pigeon.url}/api/v2`, username: ACCOUNT_A.username, password: ACCOUNT_A.password });
    const sdkStatus = async (call: Promise<unknown>) => {
      try {
        await call;
        return { status: 200, data: undefined };
      } catch (err) {
        const response = (err as { response?: { status?: number; data?: unknown }; code?: string }).response;
        return { status: response?.status ?? (err as { code?: string }).code, data: response?.data };
      }
    };
    for (let round = 0; round < 3; round++) {
      const [json, mediaAnswers, normals, sdk] = await Promise.all([
        Promise.all(Array.from({ length: 4 }, fetchJson)),
        Promise.all(Array.from({ length: 4 }, (_, i) => fetchMedia(i))),
        Promise.all(Array.from({ length: 8 }, normal)),
        Promise.all([
          sdkStatus(new MessagesApi(config).createMessage(ACCOUNT_A.id, { applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, to: new Set([RECIPIENT]), text: big })),
          sdkStatus(new MediaApi(config).uploadMedia(ACCOUNT_A.id, 'sdk-big.bin', Buffer.alloc(FIVE_MB, 2) as unknown as Parameters<MediaApi['uploadMedia']>[2], 'application/octet-stream')),
        ]),
      ]);
      for (const res of json) assert.deepEqual([res.status, await res.json()], [413, tooLarge(JSON_LIMIT)]);
      for (const res of mediaAnswers) assert.deepEqual([res.status, await res.json()], [413, tooLarge(MEDIA_LIMIT)]);
      for (const res of normals) assert.equal(res.status, 202, await res.text());
      assert.deepEqual(sdk, [
        { status: 413, data: tooLarge(JSON_LIMIT) },
        { status: 413, data: tooLarge(MEDIA_LIMIT) },
      ]);
    }
  });
});

describe('slow clients', () => {
  let pigeon: TestPigeon;
  before(async () => {
    pigeon = await startPigeon({
      env: { PIGEON_ROLE: 'api' },
      configYaml: fixtureConfigYaml({ extra: 'server: { headersTimeoutSeconds: 1, requestTimeoutSeconds: 2 }' }),
    });
  });
  after(() => pigeon.close());

  /** Opens a connection, writes `text` and waits until the server ends it; resolves with what it answered. */
  async function stall(text: string): Promise<{ response: string; ms: number }> {
    const url = new URL(pigeon.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let response = '';
    socket.on('data', (data) => (response += data.toString('latin1')));
    socket.on('error', () => undefined);
    const started = Date.now();
    socket.write(text);
    await new Promise((resolve) => socket.once('close', resolve));
    return { response, ms: Date.now() - started };
  }

  it('cuts off a client whose headers do not come, and one whose body does not', async () => {
    const headers = await stall(`POST /api/v2/users/${ACCOUNT_A.id}/messages HTTP/1.1\r\nHost: pigeon\r\n`);
    assert.match(headers.response, /^HTTP\/1\.1 408 /);
    const body = await stall(
      `POST /api/v2/users/${ACCOUNT_A.id}/messages HTTP/1.1\r\nHost: pigeon\r\nAuthorization: ${AUTH_A}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"to":',
    );
    assert.match(body.response, /^HTTP\/1\.1 408 /);
    // Cut off after about the configured time, not the default minutes (checked each second).
    assert.ok(headers.ms < 30_000 && body.ms < 30_000, `${headers.ms} ms, ${body.ms} ms`);
    // The server still serves others.
    assert.equal((await pigeon.fetch('/healthz')).status, 200);
  });
});
