// Another process (`pigeon send`, a migration, a backup script) can hold SQLite's write lock longer
// than Pigeon's busy timeout. That is a server-side condition, not the client's fault: the API must
// answer 503 in Bandwidth's error shape with Retry-After, store nothing, and accept again once the
// lock is gone. Here a second better-sqlite3 connection on the same file holds the lock, and the
// busy timeout is shortened through the database URL so the test does not wait five seconds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ACCOUNT_A, AUTH_A } from '../helpers/fixtures.js';
import { getJson, postMessage, smsBody } from '../helpers/http.js';
import { startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const BUSY = {
  type: 'service-unavailable',
  description: 'The service is temporarily busy. Wait for Retry-After time before sending the request again.',
};

/**
 * A Pigeon (API role: no worker competes for the lock, so every write is a request's) with the
 * given busy timeout, and a second connection to its file, to hold the write lock with; started
 * before the suite's tests, which get both from the function returned.
 */
function withLockingConnection(busyTimeoutMs: number): () => { pigeon: TestPigeon; other: Database.Database } {
  let dir: string;
  let pigeon: TestPigeon;
  let other: Database.Database;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pigeon-busy-'));
    const path = join(dir, 'pigeon.db');
    pigeon = await startPigeon({ dir, databaseUrl: `sqlite:${path}?busy_timeout=${busyTimeoutMs}`, env: { PIGEON_ROLE: 'api' } });
    other = new Database(path);
  });
  after(async () => {
    other.close();
    await pigeon.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => ({ pigeon, other });
}

describe('a SQLite database locked by another connection', () => {
  const locked = withLockingConnection(50);

  it('answers 503 with Retry-After while the lock is held, stores nothing, and accepts again after', async () => {
    const { pigeon, other } = locked();
    other.exec('BEGIN IMMEDIATE');
    try {
      // Several at once, so they share one group-commit batch, and a media upload through the same committer.
      const sends = await Promise.all(Array.from({ length: 5 }, () => rawPost(pigeon, smsBody())));
      const upload = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/media/locked.txt`, {
        method: 'PUT',
        headers: { authorization: AUTH_A, 'content-type': 'text/plain' },
        body: 'x',
      });
      for (const res of [...sends, upload]) {
        const text = await res.text();
        assert.equal(res.status, 503, text);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
        assert.equal(res.headers.get('retry-after'), '1');
        assert.deepEqual(JSON.parse(text), BUSY);
      }
    } finally {
      other.exec('ROLLBACK');
    }

    const accepted = await postMessage(pigeon, smsBody());
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    // The database was empty: only the message accepted after the lock went is stored.
    const list = await getJson<{ totalCount: number; messages: Array<{ messageId: string }> }>(
      pigeon,
      `/api/v2/users/${ACCOUNT_A.id}/messages`,
    );
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.messages.map((m) => m.messageId), [accepted.body.id]);
    const media = await getJson<unknown[]>(pigeon, `/api/v2/users/${ACCOUNT_A.id}/media`);
    assert.deepEqual(media.body, []);
  });
});

function rawPost(pigeon: TestPigeon, body: unknown): Promise<Response> {
  return pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
    method: 'POST',
    headers: { authorization: AUTH_A, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('waiting for a SQLite write lock another connection holds', () => {
  const locked = withLockingConnection(30_000);

  it('keeps serving while a write waits for the lock, and commits the write once the lock is free', async () => {
    const { pigeon, other } = locked();
    other.exec('BEGIN IMMEDIATE');
    let sendSettled = false;
    let send: Promise<Response>;
    try {
      send = rawPost(pigeon, smsBody()).finally(() => (sendSettled = true));
      // The test and Pigeon share this thread: with SQLite's own busy handler the write would hold
      // the event loop inside BEGIN, and no other request could be answered until the lock went.
      for (let i = 0; i < 5; i++) {
        const health = await pigeon.fetch('/healthz');
        assert.equal(health.status, 200);
      }
      assert.equal(sendSettled, false, 'the write waits for the lock');
    } finally {
      other.exec('COMMIT');
    }
    const res = await send;
    const body = (await res.json()) as { id: string };
    assert.equal(res.status, 202, JSON.stringify(body));
    const list = await getJson<{ messages: Array<{ messageId: string }> }>(pigeon, `/api/v2/users/${ACCOUNT_A.id}/messages`);
    assert.deepEqual(list.body.messages.map((m) => m.messageId), [body.id]);
  });
});
