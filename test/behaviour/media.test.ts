import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { ACCOUNT_A, AUTH_A, basic } from '../helpers/fixtures.js';
import { getJson, postMessage, smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

for (const backend of BACKENDS) {
  describe(`media (${backend})`, () => {
    let pigeon: TestPigeon;
    const base = `/api/v2/users/${ACCOUNT_A.id}/media`;
    const put = (id: string, body: Buffer | string, headers: Record<string, string> = {}) =>
      pigeon.fetch(`${base}/${id}`, { method: 'PUT', headers: { authorization: AUTH_A, ...headers }, body });
    const get = (id: string) => pigeon.fetch(`${base}/${id}`, { headers: { authorization: AUTH_A } });

    before(async () => {
      pigeon = await startPigeon({ backend });
    });
    after(() => pigeon.close());

    it('stores bytes with their content type and cache control, and serves them back', async () => {
      const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256));
      const res = await put('flyer.png', bytes, { 'content-type': 'image/png', 'cache-control': 'no-cache' });
      assert.equal(res.status, 204);
      assert.equal(await res.text(), '');
      const got = await get('flyer.png');
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'image/png');
      assert.equal(got.headers.get('cache-control'), 'no-cache');
      assert.equal(got.headers.get('content-length'), '4096');
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
    });

    it('accepts a chunked upload without Content-Length', async () => {
      const chunks = [Buffer.from('first,'), Buffer.from('second,'), Buffer.from('third')];
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(`${pigeon.url}${base}/chunked.txt`);
        const req = request(url, { method: 'PUT', headers: { authorization: AUTH_A, 'content-type': 'text/plain' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        Readable.from(chunks).pipe(req);
      });
      assert.equal(status, 204);
      assert.equal(await (await get('chunked.txt')).text(), 'first,second,third');
    });

    it('names the same file with an encoded or a literal slash', async () => {
      assert.equal((await put('albums%2F2026%2Fcover.jpg', 'cover', { 'content-type': 'image/jpeg' })).status, 204);
      const literal = await get('albums/2026/cover.jpg');
      assert.equal(literal.status, 200);
      assert.equal(await literal.text(), 'cover');
      const list = await getJson<Array<{ mediaName: string; content: string }>>(pigeon, base);
      const entry = list.body.find((m) => m.mediaName === 'albums/2026/cover.jpg');
      assert.ok(entry);
      assert.equal(entry.content, `${pigeon.url}${base}/albums/2026/cover.jpg`);
    });

    it('overwrites silently, keeps a missing content type as octet-stream, and deletes', async () => {
      assert.equal((await put('note', 'one', { 'content-type': 'text/plain' })).status, 204);
      assert.equal((await put('note', Buffer.from('two'))).status, 204); // a Buffer body: fetch adds no content type
      const got = await get('note');
      assert.equal(await got.text(), 'two');
      assert.equal(got.headers.get('content-type'), 'application/octet-stream');
      const del = await pigeon.fetch(`${base}/note`, { method: 'DELETE', headers: { authorization: AUTH_A } });
      assert.equal(del.status, 204);
      assert.equal((await get('note')).status, 404);
      assert.equal((await put('note', 'three', { 'content-type': 'text/plain' })).status, 204);
    });

    it('stores a JSON body as bytes, as the v8 SDK sends without a content type', async () => {
      const json = JSON.stringify({ type: 'Buffer', data: [1, 2, 3] });
      assert.equal((await put('payload.json', json, { 'content-type': 'application/json' })).status, 204);
      assert.equal(await (await get('payload.json')).text(), json);
      // Not even JSON: the media scope does not parse bodies.
      assert.equal((await put('broken.json', '{not json', { 'content-type': 'application/json' })).status, 204);
    });

    describe('stored media named by a send request is checked with the other fields', () => {
      type FieldErrors = Array<{ fieldName: string; description: string }>;
      const missing = () => `${pigeon.url}${base}/never-uploaded.png`;
      const notStored = (url: string) => ({ fieldName: 'media', description: `'${url}' does not name media stored for this account` });
      const byField = (errors: FieldErrors) =>
        [...errors].sort((a, b) => `${a.fieldName}${a.description}`.localeCompare(`${b.fieldName}${b.description}`));
      // Each row: the request's bad parts, and every field error that one 400 must name.
      const rows: Array<{ name: string; body: () => Record<string, unknown>; fieldErrors: () => FieldErrors }> = [
        {
          name: 'missing stored media alone',
          body: () => smsBody({ media: [missing()] }),
          fieldErrors: () => [notStored(missing())],
        },
        {
          name: 'missing stored media and a bad to',
          body: () => smsBody({ to: ['+1invalid'], media: [missing()] }),
          fieldErrors: () => [
            { fieldName: 'to', description: "'+1invalid' must be replaced with a valid E164 formatted telephone number" },
            notStored(missing()),
          ],
        },
        {
          name: 'missing stored media, no applicationId and a bad priority',
          body: () => smsBody({ applicationId: undefined, priority: 'urgent', media: [missing()] }),
          fieldErrors: () => [
            { fieldName: 'applicationId', description: "'applicationId' is required" },
            { fieldName: 'priority', description: "'priority' must be one of 'default' or 'high'" },
            notStored(missing()),
          ],
        },
        {
          name: 'a malformed media entry beside missing stored media',
          body: () => smsBody({ media: ['ftp://cdn.example.test/a.png', missing()] }),
          fieldErrors: () => [
            { fieldName: 'media', description: "'ftp://cdn.example.test/a.png' is not a valid http(s) URL" },
            notStored(missing()),
          ],
        },
        {
          name: 'stored media that exists, beside a bad to (only to is named)',
          body: () => smsBody({ to: ['+0123'], media: [`${pigeon.url}${base}/flyer.png`] }),
          fieldErrors: () => [
            { fieldName: 'to', description: "'+0123' must be replaced with a valid E164 formatted telephone number" },
          ],
        },
      ];
      for (const row of rows) {
        it(`${row.name} → one 400 naming every bad field`, async () => {
          assert.equal((await put('flyer.png', 'x', { 'content-type': 'image/png' })).status, 204);
          const res = await postMessage(pigeon, row.body());
          assert.equal(res.status, 400, JSON.stringify(res.body));
          const { fieldErrors, ...rest } = res.body as { fieldErrors: FieldErrors };
          assert.deepEqual(rest, { type: 'request-validation', description: 'Your request could not be accepted' });
          assert.deepEqual(byField(fieldErrors), byField(row.fieldErrors()));
        });
      }
    });

    it('lists media 1 000 at a time with a Continuation-Token', async () => {
      const other = await startPigeon({ backend });
      try {
        const prefix = `/api/v2/users/${ACCOUNT_A.id}/media`;
        for (let i = 0; i < 1005; i++) {
          const res = await other.fetch(`${prefix}/bulk-${String(i).padStart(4, '0')}`, {
            method: 'PUT',
            headers: { authorization: AUTH_A, 'content-type': 'text/plain' },
            body: `file ${i}`,
          });
          assert.equal(res.status, 204);
        }
        const first = await other.fetch(prefix, { headers: { authorization: AUTH_A } });
        const firstPage = (await first.json()) as Array<{ mediaName: string; contentLength: number }>;
        assert.equal(firstPage.length, 1000);
        assert.equal(firstPage[0]?.mediaName, 'bulk-0000');
        assert.equal(firstPage[0]?.contentLength, 6);
        const token = first.headers.get('continuation-token');
        assert.ok(token);
        const second = await other.fetch(prefix, { headers: { authorization: AUTH_A, 'continuation-token': token } });
        const secondPage = (await second.json()) as Array<{ mediaName: string }>;
        assert.deepEqual(secondPage.map((m) => m.mediaName), ['bulk-1000', 'bulk-1001', 'bulk-1002', 'bulk-1003', 'bulk-1004']);
        assert.equal(second.headers.get('continuation-token'), null);
      } finally {
        await other.close();
      }
    });
  });

  describe(`media of an account whose id is 'media' (${backend})`, () => {
    let pigeon: TestPigeon;
    const auth = basic('media-user', 'media-pass');
    before(async () => {
      pigeon = await startPigeon({
        backend,
        configYaml: `accounts:\n  - id: media\n    users: [{ username: media-user, password: media-pass }]\n`,
      });
    });
    after(() => pigeon.close());

    // The media id starts after /users/{accountId}/media/, not at the first '/media/' of the path.
    for (const prefix of ['/api/v2', '/v2', '']) {
      it(`stores, lists and serves media under '${prefix || '/'}' by its own id`, async () => {
        const base = `${prefix}/users/media/media`;
        const name = `pic${prefix.replace(/\//g, '-')}.png`;
        const put = await pigeon.fetch(`${base}/${name}`, {
          method: 'PUT',
          headers: { authorization: auth, 'content-type': 'image/png' },
          body: 'png bytes',
        });
        assert.equal(put.status, 204, await put.text());
        const list = await getJson<Array<{ mediaName: string; content: string }>>(pigeon, base, auth);
        assert.equal(list.status, 200);
        const entry = list.body.find((m) => m.mediaName === name);
        assert.ok(entry, `'${name}' not listed: ${JSON.stringify(list.body)}`);
        assert.equal(entry.content, `${pigeon.url}${base}/${name}`);
        const got = await pigeon.fetch(`${base}/${name}`, { headers: { authorization: auth } });
        assert.equal(got.status, 200);
        assert.equal(await got.text(), 'png bytes');
        const del = await pigeon.fetch(`${base}/${name}`, { method: 'DELETE', headers: { authorization: auth } });
        assert.equal(del.status, 204);
      });
    }

    it('finds the media id in an absolute-form request target too', async () => {
      const base = '/api/v2/users/media/media';
      const put = await pigeon.fetch(`${base}/absolute.txt`, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'text/plain' },
        body: 'absolute',
      });
      assert.equal(put.status, 204);
      const { host } = new URL(pigeon.url);
      const answer = await rawRequest(pigeon, `GET http://${host}${base}/absolute.txt HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${auth}\r\nConnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.ok(answer.endsWith('\r\n\r\nabsolute'), answer);
    });
  });
}

/** Writes `text` on a fresh TCP connection and resolves with everything the server sent back. */
function rawRequest(pigeon: TestPigeon, text: string): Promise<string> {
  const { hostname, port } = new URL(pigeon.url);
  return new Promise((resolve, reject) => {
    // Written without a FIN: a half-closed socket may be dropped before the answer; `Connection: close` ends it.
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
