import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startMediaRetention } from '../../src/core/media/media-retention.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

describe('media retention', () => {
  it('deletes media older than the retention period and keeps the rest', async () => {
    const store = new SqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'pigeon-ret-')), 'db.sqlite') });
    const now = Date.UTC(2030, 0, 3);
    const media = (name: string, ageHours: number) =>
      store.media.putMedia({ accountId: '1', name, contentType: 'text/plain', cacheControl: undefined, data: Buffer.from(name), createdAt: now - ageHours * 3_600_000 });
    await media('old', 49);
    await media('fresh', 47);
    const errors: unknown[] = [];
    const stop = startMediaRetention(store.media, 48, () => now, (err) => errors.push(err));
    stop();
    // The first sweep runs at once; give its promise a turn to settle.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await store.media.hasMedia('1', 'old'), false);
    assert.equal(await store.media.hasMedia('1', 'fresh'), true);
    assert.deepEqual(errors, []);
    await store.close();
  });
});
