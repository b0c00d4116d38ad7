// A 202 means the message is on disk: a Pigeon process killed right after answering must not lose
// it, and SIGTERM must let in-flight requests finish before the process exits.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AUTH_A, ACCOUNT_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { spawnPigeon } from '../helpers/cli.js';
import { smsBody } from '../helpers/http.js';

async function startChild() {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-durable-'));
  const configPath = join(dir, 'pigeon.yaml');
  writeFileSync(configPath, fixtureConfigYaml());
  const dbPath = join(dir, 'pigeon.db');
  const { child, match } = await spawnPigeon(
    ['serve'],
    { PIGEON_CONFIG: configPath, DATABASE_URL: `sqlite:${dbPath}`, PORT: '0', PIGEON_LOG_LEVEL: 'info', PIGEON_ROLE: 'api' },
    /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, url: match[1] as string, dbPath, exited };
}

function send(url: string, i: number): Promise<Response> {
  return fetch(`${url}/api/v2/users/${ACCOUNT_A.id}/messages`, {
    method: 'POST',
    headers: { authorization: AUTH_A, 'content-type': 'application/json' },
    body: JSON.stringify(smsBody({ text: `durable ${i}` })),
  });
}

function storedIds(dbPath: string, ids: string[]): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    const row = db
      .prepare(`SELECT count(*) AS n FROM messages m JOIN delivery_queue q ON q.message_id = m.id WHERE m.id IN (${ids.map(() => '?').join(',')})`)
      .get(...ids) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

describe('durability of accepted messages', () => {
  it('keeps every 202-answered message when the process is killed with SIGKILL', async () => {
    const { child, url, dbPath, exited } = await startChild();
    const responses = await Promise.all(Array.from({ length: 300 }, (_, i) => send(url, i)));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    assert.ok(responses.every((r) => r.status === 202));
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');
    assert.equal(storedIds(dbPath, ids), 300);
  });

  it('drains in-flight requests on SIGTERM and exits 0', async () => {
    const { child, url, dbPath, exited } = await startChild();
    const inFlight = Array.from({ length: 200 }, (_, i) => send(url, i).then(async (r) => ({ status: r.status, body: (await r.json()) as { id?: string } }), () => undefined));
    await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGTERM');
    const settled = await Promise.all(inFlight);
    assert.deepEqual(await exited, { code: 0, signal: null });
    const accepted = settled.filter((r) => r?.status === 202).map((r) => String(r?.body.id));
    // Whatever got a 202 before the process went away is on disk, and nothing got a 5xx other than 503.
    assert.equal(storedIds(dbPath, accepted.length > 0 ? accepted : ['none']), accepted.length);
    assert.ok(settled.every((r) => r === undefined || r.status === 202 || r.status === 503), JSON.stringify(settled.filter((r) => r && r.status !== 202)));
  });
});
