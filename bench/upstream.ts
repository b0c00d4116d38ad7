// `npm run bench:upstream`: end to end through an upstream Pigeon (the `bandwidth` carrier, issue 26)
// beside the simulator path, in the same run. Each scenario sends BENCH_UPSTREAM_MESSAGES SMS
// (POST …/messages, BENCH_CONCURRENCY in flight) and waits for every message-delivered callback at
// the local application; it reports messages per second from the first POST to the last callback,
// and each message's time from its POST to its callback (p50, p95).
//   simulator: one Pigeon, built-in simulator (latency 0).
//   upstream:  a local Pigeon whose only carrier is an upstream Pigeon (simulator latency 0 there);
//              the upstream's events come back to the local /carriers/up/callbacks.
// Environment: BENCH_ENGINES=sqlite (or postgres), BENCH_UPSTREAM_MESSAGES=1000, BENCH_CONCURRENCY=32,
// BENCH_SKIP_BUILD=1.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/free-port.js';
import { killAllChildren, startChild, type ChildServer } from './lib/child.js';
import { createBenchDatabase, type BenchDatabase, type Engine } from './lib/databases.js';
import { accountsYaml, APPLICATION_ID, FROM, MESSAGES_PATH, numberFromEnv, REQUEST_HEADERS } from './lib/fixture.js';
import { fixed, formatTable } from './lib/table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MESSAGES = numberFromEnv('BENCH_UPSTREAM_MESSAGES', 1000);
const CONCURRENCY = numberFromEnv('BENCH_CONCURRENCY', 32);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite').split(',').map((e) => e.trim()) as Engine[];
const CALLBACK = { username: 'up-events', password: 'up-events-secret' };

/** Counts message-delivered callbacks and remembers when each message's came. */
class Receiver {
  readonly deliveredAt = new Map<string, number>();
  private server: Server | undefined;
  private waiting: (() => void) | undefined;
  private target = 0;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const events = JSON.parse(Buffer.concat(chunks).toString()) as Array<{ type: string; message: { id: string } }>;
        for (const e of events) if (e.type === 'message-delivered') this.deliveredAt.set(e.message.id, performance.now());
        res.writeHead(204).end();
        if (this.waiting && this.deliveredAt.size >= this.target) this.waiting();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/`;
  }

  until(count: number): Promise<void> {
    this.target = count;
    if (this.deliveredAt.size >= count) return Promise.resolve();
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

async function pigeon(engine: Engine, dir: string, name: string, yaml: string, port = 0): Promise<{ server: ChildServer; database: BenchDatabase }> {
  const configPath = join(dir, `${name}.yaml`);
  writeFileSync(configPath, `simulator:\n  latencyMs: 0\n${yaml}`);
  const database = await createBenchDatabase(engine, dir, name);
  const server = await startChild({
    name,
    args: [join(ROOT, 'bin/pigeon.js'), 'serve'],
    cwd: ROOT,
    env: { PATH: process.env.PATH, PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: String(port), PIGEON_LOG_LEVEL: 'info', PIGEON_LOG_FORMAT: 'json' },
  });
  return { server, database };
}

/** Sends MESSAGES SMS to distinct numbers, CONCURRENCY at a time; resolves with each message's POST time. */
async function sendAll(url: string): Promise<Map<string, number>> {
  const sentAt = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) {
      const i = next++;
      const body = JSON.stringify({ applicationId: APPLICATION_ID, from: FROM, to: [`+1919556${String(i).padStart(4, '0')}`], text: `Bench message ${i}` });
      const started = performance.now();
      const res = await fetch(`${url}${MESSAGES_PATH}`, { method: 'POST', headers: REQUEST_HEADERS, body });
      const created = (await res.json()) as { id?: string };
      if (res.status !== 202 || !created.id) throw new Error(`POST answered ${res.status}: ${JSON.stringify(created)}`);
      sentAt.set(created.id, started);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return sentAt;
}

async function measure(url: string, receiver: Receiver): Promise<string[]> {
  const started = performance.now();
  const sentAt = await sendAll(url);
  await receiver.until(MESSAGES);
  const seconds = (performance.now() - started) / 1000;
  const latencies = [...sentAt].map(([id, at]) => (receiver.deliveredAt.get(id) ?? Number.NaN) - at).sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return [String(MESSAGES), fixed(MESSAGES / seconds, 0), fixed(q(0.5), 0), fixed(q(0.95), 0)];
}

async function main(): Promise<void> {
  if (process.env.BENCH_SKIP_BUILD !== '1') spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const rows: string[][] = [];
  for (const engine of ENGINES) {
    const dir = mkdtempSync(join(tmpdir(), 'pigeon-bench-upstream-'));
    const started: Array<{ server: ChildServer; database: BenchDatabase }> = [];
    try {
      // The simulator path.
      const direct = new Receiver();
      await direct.start();
      const alone = await pigeon(engine, dir, 'direct', accountsYaml(direct.url));
      started.push(alone);
      rows.push([engine, 'simulator', ...(await measure(alone.server.url, direct))]);
      await alone.server.stop();
      await direct.stop();

      // Through an upstream Pigeon.
      const receiver = new Receiver();
      await receiver.start();
      const localPort = await freePort();
      const upstreamYaml = `accounts:
  - id: "5550001"
    users:
      - { username: up-user, password: up-pass-0123456789 }
    applications:
      - id: 6f1d9a2e-3b4c-4d5e-8f70-112233445566
        name: Upstream
        callbackUrl: http://127.0.0.1:${localPort}/carriers/up/callbacks
        callbackUsername: ${CALLBACK.username}
        callbackPassword: ${CALLBACK.password}
        numbers: ["${FROM}"]
`;
      const upstream = await pigeon(engine, dir, 'upstream', upstreamYaml);
      started.push(upstream);
      const carrier = {
        name: 'up',
        type: 'bandwidth',
        baseUrl: `${upstream.server.url}/api/v2`,
        accountId: '5550001',
        applicationId: '6f1d9a2e-3b4c-4d5e-8f70-112233445566',
        username: 'up-user',
        password: 'up-pass-0123456789',
        callbackUsername: CALLBACK.username,
        callbackPassword: CALLBACK.password,
        concurrency: CONCURRENCY,
      };
      const local = await pigeon(engine, dir, 'local', `carriers:\n  - ${JSON.stringify(carrier)}\nroutes:\n  - { carrier: up }\n${accountsYaml(receiver.url)}`, localPort);
      started.push(local);
      rows.push([engine, 'upstream Pigeon', ...(await measure(local.server.url, receiver))]);
      await receiver.stop();
    } finally {
      for (const s of started.reverse()) {
        await s.server.stop();
        await s.database.drop();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\nEnd to end, ${MESSAGES} SMS each, ${CONCURRENCY} in flight (POST to message-delivered callback)\n`);
  console.log(formatTable(['engine', 'path', 'messages', 'msg/s', 'p50 ms', 'p95 ms'], rows));
}

main().catch((err: unknown) => {
  console.error(err);
  killAllChildren();
  process.exitCode = 1;
});
