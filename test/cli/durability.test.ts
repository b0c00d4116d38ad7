// A 202 means the message is in the database: a Pigeon process killed right after answering must
// not lose it, and SIGTERM must let in-flight requests finish before the process exits. On each
// storage engine.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pollUntil } from '../delivery/crash-harness.js';
import { AUTH_A, ACCOUNT_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { spawnPigeon } from '../helpers/cli.js';
import { BACKENDS, createTestDatabase, withSql, type Backend } from '../helpers/databases.js';
import { smsBody } from '../helpers/http.js';

async function startChild(backend: Backend) {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-durable-'));
  const configPath = join(dir, 'pigeon.yaml');
  writeFileSync(configPath, fixtureConfigYaml());
  const database = await createTestDatabase(backend, dir);
  const { child, match, output } = await spawnPigeon(
    ['serve'],
    { PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: '0', PIGEON_LOG_LEVEL: 'info', PIGEON_ROLE: 'api' },
    /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const remove = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { child, url: match[1] as string, databaseUrl: database.url, output, exited, remove };
}

function send(url: string, i: number): Promise<Response> {
  return fetch(`${url}/api/v2/users/${ACCOUNT_A.id}/messages`, {
    method: 'POST',
    headers: { authorization: AUTH_A, 'content-type': 'application/json' },
    body: JSON.stringify(smsBody({ text: `durable ${i}` })),
  });
}

/** How many of `ids` are stored with their queue entry (the worker has not run: role api). */
function storedIds(databaseUrl: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return Promise.resolve(0);
  return withSql(databaseUrl, (db) =>
    db.count(
      `SELECT count(*) AS n FROM messages m JOIN delivery_queue q ON q.message_id = m.id WHERE m.id IN (${ids.map(() => '?').join(',')})`,
      ids,
    ),
  );
}

interface HeldRequest {
  /** Resolves once the server has parsed the request's headers and routed it (it answered 100 Continue). */
  routed: Promise<void>;
  /** Sends the body; resolves with the answer, rejects when the connection fails instead. */
  finish(): Promise<{ status: number; body: string }>;
}

/**
 * A send whose headers go first, with `Expect: 100-continue`, and whose body is held back until
 * finish(): once `routed` has resolved the request is in flight at the server for certain, and it
 * stays in flight until the test lets the body go.
 */
function heldRequest(url: string, i: number): HeldRequest {
  const body = JSON.stringify(smsBody({ text: `drain ${i}` }));
  const req = request(`${url}/api/v2/users/${ACCOUNT_A.id}/messages`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: AUTH_A,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      expect: '100-continue',
    },
  });
  const failed = new Promise<never>((_, reject) => req.once('error', reject));
  // Observed here so that a failure surfaces through `routed` or finish(), not as an unhandled rejection.
  failed.catch(() => undefined);
  const routed = Promise.race([new Promise<void>((resolve) => req.once('continue', () => resolve())), failed]);
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.once('error', reject);
    });
  });
  req.flushHeaders();
  return {
    routed,
    finish: () => {
      req.end(body);
      return Promise.race([answered, failed]);
    },
  };
}

for (const backend of BACKENDS) {
  describe(`durability of accepted messages (${backend})`, () => {
    it('keeps every 202-answered message when the process is killed with SIGKILL', async () => {
      const pigeon = await startChild(backend);
      try {
        const responses = await Promise.all(Array.from({ length: 300 }, (_, i) => send(pigeon.url, i)));
        const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
        assert.ok(responses.every((r) => r.status === 202));
        pigeon.child.kill('SIGKILL');
        assert.equal((await pigeon.exited).signal, 'SIGKILL');
        assert.equal(await storedIds(pigeon.databaseUrl, ids), 300);
      } finally {
        await pigeon.remove();
      }
    });

    it('answers every request in flight at SIGTERM, stores every 202, and exits 0', async (t) => {
      const pigeon = await startChild(backend);
      try {
        const held = Array.from({ length: 100 }, (_, i) => heldRequest(pigeon.url, i));
        await Promise.all(held.map((r) => r.routed));
        pigeon.child.kill('SIGTERM');
        // The bodies go once the process is shutting down, so every request is processed during the drain.
        await pollUntil(() => pigeon.output().includes('"msg":"shutting down"'), 10_000, 'the shutdown to begin');
        const settled = await Promise.allSettled(held.map((r) => r.finish()));
        assert.deepEqual(await pigeon.exited, { code: 0, signal: null });

        const lost = settled.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
        assert.deepEqual(lost, [], 'every request in flight at SIGTERM got an answer');
        const answers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const accepted = answers.filter((a) => a.status === 202).map((a) => (JSON.parse(a.body) as { id: string }).id);
        const others = answers.filter((a) => a.status !== 202);
        t.diagnostic(`${accepted.length} of ${held.length} answered 202; others ${JSON.stringify(others.map((a) => a.status))}`);
        assert.ok(accepted.length > 0, 'requests in flight at SIGTERM were accepted');
        // Refusing one (503, the server is closing) is allowed; failing one half-way is not.
        assert.deepEqual(others.filter((a) => a.status !== 503), [], 'no answer other than 202 or 503');
        assert.equal(await storedIds(pigeon.databaseUrl, accepted), accepted.length, 'every 202 is in the database after the exit');
      } finally {
        await pigeon.remove();
      }
    });
  });
}
