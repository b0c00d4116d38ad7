// A full disk is an outage, not a crash. The SQLite database lives on a 3 MB tmpfs which a filler
// file then fills: sends must answer 202 (stored) or 503 service-unavailable with Retry-After
// (nothing stored), never 500; /readyz says 'disk-full' while /healthz stays 200; the outage is
// logged once when it starts and once when it ends; and once the filler is gone, every message
// acknowledged before or during the outage is delivered with its callbacks, and SQLite's file passes
// PRAGMA integrity_check. The same for PostgreSQL with its tables in a tablespace on the tmpfs. Mounting needs root (CI runs as root); elsewhere the suite is skipped, saying why, unless
// PIGEON_TEST_ROOT=require (CI), where it fails instead.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ACCOUNT_A, AUTH_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { BACKENDS, POSTGRES_ADMIN_URL, withSql } from '../helpers/databases.js';
import { getJson, postMessage, smsBody } from '../helpers/http.js';
import { LogCapture } from '../helpers/log-capture.js';
import { startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { waitForReadiness } from '../helpers/readiness.js';
import { skipUnless } from '../helpers/requirements.js';

const UNAVAILABLE = {
  type: 'service-unavailable',
  description: 'The service is temporarily unavailable. Wait for Retry-After time before sending the request again.',
};

const skip = skipUnless('root', process.getuid?.() === 0, `needs root to mount a tmpfs (running as uid ${process.getuid?.() ?? '?'}); CI runs as root`);

/** Writes to `path` until the filesystem refuses another byte. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [256 * 1024, 4096, 64, 1]) {
      const chunk = Buffer.alloc(size, 0x61);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

function rawPost(pigeon: TestPigeon): Promise<Response> {
  return pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
    method: 'POST',
    headers: { authorization: AUTH_A, 'content-type': 'application/json' },
    body: JSON.stringify(smsBody()),
  });
}

/** Mounts a 3 MB tmpfs on a new temp directory; `owner` (uid:gid) owns its root. */
function mountTmpfs(prefix: string, owner?: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir]);
  if (owner) execFileSync('chown', [owner, dir]);
  return dir;
}

function unmount(dir: string | undefined): void {
  if (!dir) return;
  execFileSync('umount', [dir]);
  rmdirSync(dir);
}

interface Scenario {
  pigeon: TestPigeon;
  receiver: CallbackReceiver;
  log: LogCapture;
  /** The filesystem the database writes to. */
  dir: string;
}

async function fullDiskScenario({ pigeon: app, receiver, log, dir }: Scenario): Promise<void> {
  const acknowledged: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await postMessage(app, smsBody());
    assert.equal(res.status, 202, JSON.stringify(res.body));
    acknowledged.push(String(res.body.id));
  }
  for (const id of acknowledged) await app.waitForMessage(id, 'callbacks');

  const filler = join(dir, 'filler');
  fillDisk(filler);
  try {
    // The database may still fit a few writes into space it already holds; the disk runs out within these.
    let refused = 0;
    for (let round = 0; round < 100 && refused < 20; round++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => rawPost(app)));
      for (const res of answers) {
        const body = (await res.json()) as Record<string, unknown>;
        if (res.status === 202) acknowledged.push(String(body.id));
        else {
          assert.equal(res.status, 503, JSON.stringify(body));
          assert.equal(res.headers.get('retry-after'), '5');
          assert.deepEqual(body, UNAVAILABLE);
          refused++;
        }
      }
    }
    assert.ok(refused > 0, 'no send was refused on a full disk');
    const ready = await waitForReadiness(app, 503, 'disk-full');
    assert.equal(ready.description, "the database's disk is full");
    assert.equal((await app.fetch('/healthz')).status, 200);
    // Reads still work.
    const list = await getJson<{ totalCount: number }>(app, `/api/v2/users/${ACCOUNT_A.id}/messages`);
    assert.equal(list.status, 200);
    // The outage lasts while the disk is full: the probe finds no room and keeps it.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal((await waitForReadiness(app, 503)).reason, 'disk-full');
  } finally {
    rmSync(filler, { force: true });
  }

  await waitForReadiness(app, 200);
  assert.deepEqual(log.matching(/^database outage (started|changed|ended)/).map((line) => [line.msg.split(':')[0], line.reason]), [
    ['database outage started', 'disk-full'],
    ['database outage ended', 'disk-full'],
  ]);
  // Nothing else was logged as an error: no stack per request or per worker poll.
  assert.deepEqual(log.lines.filter((line) => line.level >= 50 && !/^database outage started/.test(line.msg)), []);

  const after = await postMessage(app, smsBody());
  assert.equal(after.status, 202, JSON.stringify(after.body));
  acknowledged.push(String(after.body.id));
  for (const id of acknowledged) {
    const view = await app.waitForMessage(id, 'callbacks', 60);
    assert.equal(view.recipients[0]?.messageStatus, 'DELIVERED', id);
  }
  await receiver.waitFor(() => acknowledged.every((id) => receiver.eventsFor(id).some((e) => e.type === 'message-delivered')), 30_000);
  // Only what was acknowledged is stored.
  const list = await getJson<{ totalCount: number }>(app, `/api/v2/users/${ACCOUNT_A.id}/messages`);
  assert.equal(list.body.totalCount, acknowledged.length);
}

/** A short lease: a submit whose recording the full disk failed is taken over within a second. */
const configYaml = (receiver: CallbackReceiver) => fixtureConfigYaml({ callbackUrl: receiver.url, extra: 'delivery: { leaseSeconds: 1 }' });

describe('a SQLite database on a full disk', { skip }, () => {
  let dir: string | undefined;
  let pigeon: TestPigeon | undefined;
  const receiver = new CallbackReceiver();
  const log = new LogCapture();

  before(async () => {
    dir = mountTmpfs('pigeon-full-');
    await receiver.start();
    pigeon = await startPigeon({ dir, log, configYaml: configYaml(receiver) });
  });
  after(async () => {
    await pigeon?.close();
    await receiver.stop();
    unmount(dir);
  });

  it('answers 503 while the disk is full, says so once, and delivers everything it acknowledged once space returns', async () => {
    const app = pigeon as TestPigeon;
    await fullDiskScenario({ pigeon: app, receiver, log, dir: dir as string });
    const integrity = await withSql(app.config.databaseUrl, (sql) => sql.all<{ integrity_check: string }>('PRAGMA integrity_check'));
    assert.deepEqual(integrity, [{ integrity_check: 'ok' }]);
  });
});

// PostgreSQL's own "disk full" (53100, could not extend file): the database's tables live in a
// tablespace on the tmpfs (the catalog and the WAL stay on the server's disk).
describe('a PostgreSQL database on a full disk', { skip: skip || (!BACKENDS.includes('postgres') && 'no postgres backend') }, () => {
  let dir: string | undefined;
  let pigeon: TestPigeon | undefined;
  let admin: pg.Client | undefined;
  const suffix = randomBytes(6).toString('hex');
  const tablespace = `pigeon_full_${suffix}`;
  const database = `pigeon_t_full_${suffix}`;
  const receiver = new CallbackReceiver();
  const log = new LogCapture();

  before(async () => {
    dir = mountTmpfs('pigeon-pgfull-', 'postgres:postgres');
    admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE TABLESPACE ${tablespace} LOCATION '${dir}'`);
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.query(`ALTER DATABASE ${database} SET default_tablespace = ${tablespace}`);
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${database}`;
    await receiver.start();
    pigeon = await startPigeon({ databaseUrl: url.toString(), log, configYaml: configYaml(receiver) });
  });
  after(async () => {
    await pigeon?.close();
    await receiver.stop();
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.query(`DROP TABLESPACE IF EXISTS ${tablespace}`);
    await admin?.end();
    unmount(dir);
  });

  it('answers 503 while the disk is full, says so once, and delivers everything it acknowledged once space returns', async () => {
    await fullDiskScenario({ pigeon: pigeon as TestPigeon, receiver, log, dir: dir as string });
  });
});
