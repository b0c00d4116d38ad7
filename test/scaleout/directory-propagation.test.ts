// The directory between processes on PostgreSQL: two `pigeon serve` processes on one database. A
// number added through the admin API of one sends through the other once NOTIFY has reached it
// (measured; under a second), and a user deleted in one is refused by the other from then on.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spawnPigeon } from '../helpers/cli.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { ACCOUNT_A, ACCOUNT_B, basic, fixtureConfigYaml, RECIPIENT } from '../helpers/fixtures.js';
import { ADMIN_TOKEN } from '../helpers/pigeon.js';

const PATIENCE_MS = 10_000;

describe('the directory across processes on PostgreSQL', { skip: !BACKENDS.includes('postgres') }, () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  let database: TestDatabase | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-directory-'));
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a number added in one process sends through the other within a second; a user deleted in one is refused by the other', async () => {
    database = await createTestDatabase('postgres');
    const configPath = join(dir, 'pigeon.yaml');
    writeFileSync(configPath, fixtureConfigYaml());
    const env = { PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: '0', PIGEON_LOG_LEVEL: 'info', PIGEON_ADMIN_TOKEN: ADMIN_TOKEN };
    const start = async () => {
      const started = await spawnPigeon(['serve', '--role', 'api'], env, /"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
      children.push(started.child);
      return started.match[1] ?? '';
    };
    const [one, two] = [await start(), await start()];
    const admin = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return res;
    };
    const send = async (base: string, from: string, auth: string, accountId: string, applicationId: string) => {
      const res = await fetch(`${base}/api/v2/users/${accountId}/messages`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ applicationId, from, to: [RECIPIENT], text: 'hi' }),
      });
      await res.arrayBuffer();
      return res.status;
    };
    const authA = basic(ACCOUNT_A.username, ACCOUNT_A.password);
    // Process two has the directory as it started: the new number is not ACCOUNT_A's yet.
    assert.equal(await send(two, '+19195557500', authA, ACCOUNT_A.id, ACCOUNT_A.applicationId), 400);

    const lags: number[] = [];
    for (let i = 0; i < 5; i++) {
      const number = `+1919555751${i}`;
      await admin(one, 'POST', '/numbers', { number, applicationId: ACCOUNT_A.applicationId });
      const added = Date.now();
      let status = 0;
      while ((status = await send(two, number, authA, ACCOUNT_A.id, ACCOUNT_A.applicationId)) !== 202 && Date.now() - added < PATIENCE_MS) {
        assert.equal(status, 400);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(status, 202);
      lags.push(Date.now() - added);
    }
    console.log(`directory propagation between processes (ms): ${lags.join(', ')}`);
    assert.ok(Math.max(...lags) < 1000, `lags ${lags.join(', ')} ms`);

    // A user made and then deleted through process one: accepted by two, then refused by two.
    await admin(one, 'POST', `/accounts/${ACCOUNT_B.id}/users`, { username: 'short-lived', password: 'pw' });
    const authShort = basic('short-lived', 'pw');
    const sendShort = () => send(two, ACCOUNT_B.number, authShort, ACCOUNT_B.id, ACCOUNT_B.applicationId);
    let status: number;
    const deadline = Date.now() + PATIENCE_MS;
    while ((status = await sendShort()) !== 202 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(status, 202);
    await admin(one, 'DELETE', `/accounts/${ACCOUNT_B.id}/users/short-lived`);
    while ((status = await sendShort()) !== 401 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(status, 401);
  });
});
