// Issue 21, end to end: `pigeon serve` (SQLite, role all, default settings, so the real worker
// thread) starts while a message waits in the queue, and gets one more SMS the moment its port
// opens, while the worker thread is still opening its connection and taking planner statistics;
// once their callbacks came, a burst as fast as 64 connections allow. The waiting message (accepted
// by a `--role api` process run before) makes the statistics deterministic: a message arriving in
// the instant between the port opening and the worker thread's PRAGMA optimize is a race, which the
// issue saw won 15 times in 18 and a loaded machine wins less often. Delivery must keep its pace over the burst: the rate of terminal callbacks
// in the second half at least half that of the first. With statistics taken on that first message,
// each claim read every message stored (PRAGMA optimize at open; fixed by the pinned plans of
// test/store/hot-plans.test.ts), so the rate fell as the burst filled the tables. The absolute rate
// is the benchmark's (`npm run bench`, scenario e2e-startup); this compares the run with itself.
//
// Needs dist/ (npm run build): the processes are the CLI's, as an operator starts them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startBenchServer, type ChildServer } from '../../bench/lib/child.js';
import { accountsYaml, MESSAGES_PATH, REQUEST_BODY, REQUEST_HEADERS } from '../../bench/lib/fixture.js';
import { epochNow, runAmount } from '../../bench/lib/load.js';
import { startPigeon } from '../../bench/lib/pigeon.js';
import { BACKENDS } from '../helpers/databases.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BURST = Number(process.env.PIGEON_TEST_BURST ?? 20_000);
const CONNECTIONS = 64;
/**
 * However loaded the machine, the first half is delivered well within this (about 100 s at the
 * slowest seen); a collapsed run had 2 000 callbacks in 14 minutes, so the test fails here rather
 * than wait for it.
 */
const FIRST_HALF_LIMIT_MS = 240_000;

async function terminalCount(receiver: ChildServer): Promise<number> {
  const response = await fetch(`${receiver.url}/stats`);
  return ((await response.json()) as { terminal: number }).terminal;
}

/** Polls the receiver until `count` terminal callbacks came or `deadline` (epoch ms) passed; resolves with when, or undefined. */
async function reached(receiver: ChildServer, count: number, deadline: () => number): Promise<number | undefined> {
  for (;;) {
    if ((await terminalCount(receiver)) >= count) return epochNow();
    if (epochNow() > deadline()) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('delivery keeps its pace when a message arrives during start-up (sqlite, role all)', { skip: !BACKENDS.includes('sqlite') }, () => {
  let dir: string;
  let receiver: ChildServer;
  let pigeon: ChildServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pigeon-startup-'));
    receiver = await startBenchServer(ROOT, 'callback-receiver');
    writeFileSync(join(dir, 'pigeon.yaml'), `simulator: { latencyMs: 0 }\n${accountsYaml(`${receiver.url}/callbacks`)}`);
  });

  after(async () => {
    await pigeon?.stop(30_000);
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`delivers the second half of a ${BURST}-message burst at least half as fast as the first`, async () => {
    const options = { root: ROOT, configPath: join(dir, 'pigeon.yaml'), databaseUrl: `sqlite:${join(dir, 'pigeon.db')}` };
    const send = async (url: string) => {
      const response = await fetch(`${url}${MESSAGES_PATH}`, { method: 'POST', headers: REQUEST_HEADERS, body: REQUEST_BODY });
      assert.equal(response.status, 202, await response.text());
    };
    const api = await startPigeon({ ...options, name: 'pigeon-api', role: 'api' });
    await send(api.url);
    assert.equal(await api.stop(30_000), 0);
    pigeon = await startPigeon({ ...options, name: 'pigeon', role: 'all' });
    // The moment it listens: the worker thread is told to open its connection only now.
    await send(pigeon.url);
    assert.ok(await reached(receiver, 2, () => Infinity), 'the first two messages were delivered');

    const sending = runAmount({
      url: `${pigeon.url}${MESSAGES_PATH}`,
      headers: REQUEST_HEADERS,
      body: REQUEST_BODY,
      connections: CONNECTIONS,
      amount: BURST,
      serverPids: [pigeon.pid],
    });
    const start = epochNow();
    const half = await reached(receiver, 2 + BURST / 2, () => start + FIRST_HALF_LIMIT_MS);
    assert.ok(half !== undefined, `the first half of the burst was not delivered within ${FIRST_HALF_LIMIT_MS / 1000} s`);
    const firstHalf = half - start;
    // At least half the first half's rate: the second half may take at most twice as long.
    const end = await reached(receiver, 2 + BURST, () => half + 2 * firstHalf);
    const sent = await sending;
    assert.equal(sent.responses2xx, BURST, `${sent.responses2xx} of ${BURST} accepted (${JSON.stringify(sent.statusCounts)})`);
    const rate = (ms: number) => `${((1000 * BURST) / 2 / ms).toFixed(0)}/s`;
    const delivered = (await terminalCount(receiver)) - 2 - BURST / 2;
    assert.ok(
      end !== undefined,
      `first half ${rate(firstHalf)} (${(firstHalf / 1000).toFixed(1)} s); in the next ${((2 * firstHalf) / 1000).toFixed(1)} s only ` +
        `${delivered} of the second half's ${BURST / 2} callbacks came`,
    );
    console.log(`first half ${rate(firstHalf)}, second half ${rate(end - half)}`);
  });
});
