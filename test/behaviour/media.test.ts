import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { ACCOUNT_A, AUTH_A } from '../helpers/fixtures.js';
import { getJson } from '../helpers/http.js';
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
}
