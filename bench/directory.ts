// `npm run bench:directory`: the live directory at scale. For each engine, a database with only the
// bench account and one with 10 000 accounts and 1 000 000 numbers besides (BENCH_DIRECTORY_ACCOUNTS,
// BENCH_DIRECTORY_NUMBERS): how long a process takes to read the directory and to start, and the
// acceptance rate of one API process on each, measured in the same run so the two can be compared.
// The gap between processes on PostgreSQL is measured by test/scaleout/directory-propagation.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccountDirectory } from '../src/core/accounts/directory.js';
import type { DirectoryWrite } from '../src/core/accounts/directory-port.js';
import { hashPassword } from '../src/core/accounts/passwords.js';
import { openStore } from '../src/store/open-store.js';
import { killAllChildren } from './lib/child.js';
import { createBenchDatabase, postgresReachable, type Engine } from './lib/databases.js';
import { accountsYaml, MESSAGES_PATH, numberFromEnv, REQUEST_BODY, REQUEST_HEADERS } from './lib/fixture.js';
import { runLoad } from './lib/load.js';
import { startPigeon } from './lib/pigeon.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ACCOUNTS = Math.round(numberFromEnv('BENCH_DIRECTORY_ACCOUNTS', 10_000));
const NUMBERS = Math.round(numberFromEnv('BENCH_DIRECTORY_NUMBERS', 1_000_000));
const SECONDS = numberFromEnv('BENCH_SECONDS', 10);
const CONNECTIONS = Math.round(numberFromEnv('BENCH_CONNECTIONS', 64));
const CHUNK = 20_000;

/** Fills the directory straight through the store (one hash for every user: scrypt per user would take minutes). */
async function fill(url: string): Promise<void> {
  const store = await openStore(url);
  try {
    const passwordHash = await hashPassword('filler-password');
    const base = { deleted: false, source: 'api' as const };
    const writes: DirectoryWrite[] = [];
    for (let a = 0; a < ACCOUNTS; a++) {
      const accountId = `fill-${a}`;
      writes.push({ kind: 'account', row: { id: accountId, name: undefined, throughput: undefined, ...base } });
      writes.push({ kind: 'user', row: { accountId, username: 'user', passwordHash, roles: ['messaging'], enabled: true, ...base } });
      writes.push({
        kind: 'application',
        row: { id: `app-${a}`, accountId, name: 'fill', callbackUrl: undefined, callbackUsername: undefined, callbackPassword: undefined, inboundCallbackUrl: undefined, optOut: undefined, smartEncoding: false, ...base },
      });
    }
    const perAccount = Math.ceil(NUMBERS / ACCOUNTS);
    for (let n = 0; n < NUMBERS; n++) {
      const a = Math.floor(n / perAccount);
      writes.push({ kind: 'number', row: { number: `+1555${String(n).padStart(7, '0')}`, accountId: `fill-${a}`, applicationId: `app-${a}`, numberType: 'local', ratePerSecond: undefined, ...base } });
    }
    for (let i = 0; i < writes.length; i += CHUNK) await store.directory.write(writes.slice(i, i + CHUNK), [], Date.now());
  } finally {
    await store.close();
  }
}

/** Reading the whole directory into memory, as each process does at start. */
async function loadMs(url: string, filled: boolean): Promise<{ ms: number; heapMb: number }> {
  const store = await openStore(url);
  try {
    const heap = process.memoryUsage().heapUsed;
    const started = performance.now();
    const directory = AccountDirectory.fromRows(await store.directory.load());
    const ms = performance.now() - started;
    const heapMb = (process.memoryUsage().heapUsed - heap) / 1e6;
    if (filled && NUMBERS > 0 && !directory.ownerOfNumber('+15550000000')) throw new Error('the filled directory did not load');
    return { ms, heapMb };
  } finally {
    await store.close();
  }
}

async function measure(engine: Engine, dir: string, configPath: string, filled: boolean): Promise<string> {
  const db = await createBenchDatabase(engine, dir, filled ? 'filled' : 'small');
  try {
    if (filled) await fill(db.url);
    const load = await loadMs(db.url, filled);
    const started = performance.now();
    const server = await startPigeon({ root: ROOT, name: `${engine}-${filled ? 'filled' : 'small'}`, role: 'api', configPath, databaseUrl: db.url });
    const startMs = performance.now() - started;
    try {
      const result = await runLoad({ url: `${server.url}${MESSAGES_PATH}`, headers: REQUEST_HEADERS, body: REQUEST_BODY, seconds: SECONDS, connections: CONNECTIONS, serverPids: [server.pid] });
      return `${engine}\t${filled ? `${ACCOUNTS + 1} accounts, ${NUMBERS + 1} numbers` : '1 account, 1 number'}\tload ${load.ms.toFixed(0)} ms (+${load.heapMb.toFixed(0)} MB heap)\tstart ${startMs.toFixed(0)} ms\t${result.requestsPerSecond.toFixed(0)} req/s\tp99 ${result.p99Ms.toFixed(1)} ms\tnon-2xx ${result.non2xx}`;
    } finally {
      await server.stop();
    }
  } finally {
    await db.drop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-bench-directory-'));
  const configPath = join(dir, 'pigeon.yaml');
  writeFileSync(configPath, accountsYaml());
  const engines: Engine[] = ['sqlite', ...((await postgresReachable()).ok ? (['postgres'] as const) : [])];
  try {
    for (const engine of engines) {
      for (const filled of [false, true]) process.stdout.write(`${await measure(engine, dir, configPath, filled)}\n`);
    }
  } finally {
    killAllChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
