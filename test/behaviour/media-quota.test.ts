// media.accountQuotaBytes: what one account's stored files may add up to. Past it an upload is a 413
// in Bandwidth's error shape and stores nothing, through the API, the console's upload and the
// console's phone replies; a replaced file counts once; deleted and expired files free room; other
// accounts are not affected; and concurrent uploads cannot slip past it together.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, AUTH_B, RECIPIENT, fixtureConfigYaml } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const QUOTA = 1000;

for (const backend of BACKENDS) {
  describe(`media quota per account (${backend})`, () => {
    let pigeon: TestPigeon;
    const put = (account: { id: string }, auth: string, name: string, size: number) =>
      pigeon.fetch(`/api/v2/users/${account.id}/media/${name}`, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(size, 7),
      });
    const sizes = async (account: { id: string }, auth: string) => {
      const res = await pigeon.fetch(`/api/v2/users/${account.id}/media`, { headers: { authorization: auth } });
      assert.equal(res.status, 200);
      return Object.fromEntries(((await res.json()) as Array<{ mediaName: string; contentLength: number }>).map((m) => [m.mediaName, m.contentLength]));
    };
    const assertQuotaError = async (res: Response, size: number) => {
      assert.equal(res.status, 413);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await res.json(), {
        type: 'media-quota-exceeded',
        description: `This file of ${size} bytes does not fit within the account's media quota of ${QUOTA} bytes. Delete media the account no longer needs, or wait until older files expire.`,
      });
    };

    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml({ extra: `media: { accountQuotaBytes: ${QUOTA} }` }) });
    });
    after(() => pigeon?.close());

    it('takes uploads up to the quota, then answers 413 and stores nothing', async () => {
      assert.equal((await put(ACCOUNT_A, AUTH_A, 'a.bin', 400)).status, 204);
      assert.equal((await put(ACCOUNT_A, AUTH_A, 'b.bin', 400)).status, 204);
      await assertQuotaError(await put(ACCOUNT_A, AUTH_A, 'c.bin', 201), 201);
      assert.equal((await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/c.bin`, { headers: { authorization: AUTH_A } })).status, 404);
      // Exactly up to the quota is within it.
      assert.equal((await put(ACCOUNT_A, AUTH_A, 'c.bin', 200)).status, 204);
      assert.deepEqual(await sizes(ACCOUNT_A, AUTH_A), { 'a.bin': 400, 'b.bin': 400, 'c.bin': 200 });
    });

    it('counts a replaced file once, and keeps the old one when the new one does not fit', async () => {
      assert.equal((await put(ACCOUNT_A, AUTH_A, 'a.bin', 400)).status, 204);
      await assertQuotaError(await put(ACCOUNT_A, AUTH_A, 'a.bin', 401), 401);
      assert.deepEqual(await sizes(ACCOUNT_A, AUTH_A), { 'a.bin': 400, 'b.bin': 400, 'c.bin': 200 });
    });

    it('frees room when a file is deleted', async () => {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/b.bin`, { method: 'DELETE', headers: { authorization: AUTH_A } });
      assert.equal(res.status, 204);
      assert.equal((await put(ACCOUNT_A, AUTH_A, 'd.bin', 400)).status, 204);
    });

    it('applies to the console’s uploads and phone replies too', async () => {
      const signIn = await pigeon.fetch('/console/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: ADMIN_TOKEN }),
      });
      assert.equal(signIn.status, 201);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '';
      const { csrf } = (await signIn.json()) as { csrf: string };
      const headers = { cookie, 'x-pigeon-csrf': csrf };
      const upload = await pigeon.fetch(`/console/api/accounts/${ACCOUNT_A.id}/media/console.bin`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(1, 1),
      });
      await assertQuotaError(upload, 1);
      const reply = await pigeon.fetch(`/console/api/accounts/${ACCOUNT_A.id}/phones/${encodeURIComponent(RECIPIENT)}/reply`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ to: [ACCOUNT_A.number], text: 'a photo', media: [{ fileName: 'p.bin', contentType: 'image/png', base64: Buffer.alloc(10).toString('base64') }] }),
      });
      await assertQuotaError(reply, 10);
      assert.deepEqual(await sizes(ACCOUNT_A, AUTH_A), { 'a.bin': 400, 'c.bin': 200, 'd.bin': 400 });
    });

    it('frees room when files expire (the retention sweep)', async () => {
      await assertQuotaError(await put(ACCOUNT_A, AUTH_A, 'e.bin', 1), 1);
      // What the retention sweep does after media.retentionHours, for every file stored so far.
      assert.equal(await pigeon.server.store.media.deleteMediaCreatedBefore(Date.now() + 1), 3);
      assert.deepEqual(await sizes(ACCOUNT_A, AUTH_A), {});
      assert.equal((await put(ACCOUNT_A, AUTH_A, 'e.bin', QUOTA)).status, 204);
      await assertQuotaError(await put(ACCOUNT_A, AUTH_A, 'f.bin', 1), 1);
    });

    it('is per account: account B has its own, and concurrent uploads cannot pass it together', async () => {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => put(ACCOUNT_B, AUTH_B, `race-${i}.bin`, 300)));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [204, 204, 204, ...Array<number>(9).fill(413)], JSON.stringify(statuses));
      const stored = Object.values(await sizes(ACCOUNT_B, AUTH_B));
      assert.equal(stored.length, 3);
      assert.ok(stored.reduce((a, b) => a + b, 0) <= QUOTA);
    });
  });
}
