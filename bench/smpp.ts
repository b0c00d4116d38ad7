// `npm run bench:smpp`: submit_sm accepted per second over Pigeon's SMPP server (several binds,
// window 100 each) beside HTTP acceptance (POST …/messages, autocannon) measured against the same
// Pigeon process in the same run; then end to end: submits with registered_delivery over
// transceiver binds until every receipt has come back to the ESMEs.
//
// Environment: BENCH_ENGINES=sqlite (or postgres), BENCH_SECONDS=5, BENCH_SMPP_BINDS=4,
// BENCH_SMPP_WINDOW=100, BENCH_CONNECTIONS=64, BENCH_E2E_MESSAGES=20000, BENCH_SKIP_BUILD=1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pdu } from '../src/carriers/smpp/smpp-lib.js';
import { Esme } from '../test/smpp-server/esme-client.js';
import { freePort } from '../test/helpers/free-port.js';
import { killAllChildren, startChild, type ChildServer } from './lib/child.js';
import { createBenchDatabase, type Engine } from './lib/databases.js';
import { accountsYaml, APPLICATION_ID, FROM, MESSAGES_PATH, numberFromEnv, REQUEST_BODY, REQUEST_HEADERS, TO } from './lib/fixture.js';
import { runLoad } from './lib/load.js';
import { fixed, formatTable } from './lib/table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = numberFromEnv('BENCH_SECONDS', 5);
const BINDS = numberFromEnv('BENCH_SMPP_BINDS', 4);
const WINDOW = numberFromEnv('BENCH_SMPP_WINDOW', 100);
const CONNECTIONS = numberFromEnv('BENCH_CONNECTIONS', 64);
const E2E_MESSAGES = numberFromEnv('BENCH_E2E_MESSAGES', 20_000);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite').split(',').map((e) => e.trim()) as Engine[];

const BENCH_USER = { systemId: 'bench', password: 'bench123' };

const configYaml = () => `simulator:
  latencyMs: 0
smppServer:
  window: ${WINDOW}
${accountsYaml().replace(/\n$/, '')}
    smppUsers:
      - { systemId: ${BENCH_USER.systemId}, password: ${BENCH_USER.password}, applicationId: ${APPLICATION_ID}, maxBinds: ${BINDS} }
`;

async function bindAll(port: number, mode: 'transmitter' | 'transceiver'): Promise<Esme[]> {
  const esmes: Esme[] = [];
  for (let i = 0; i < BINDS; i++) esmes.push(await Esme.bound(port, mode, BENCH_USER));
  return esmes;
}

/** Keeps WINDOW submits in flight on each bind until `until()` says stop; resolves with the answered counts. */
async function pump(esmes: Esme[], until: () => boolean, fields: Record<string, unknown> = {}): Promise<{ ok: number; refused: number }> {
  let ok = 0;
  let refused = 0;
  const submit = {
    from: FROM,
    to: TO,
    fields: { short_message: Buffer.from('Hello from bench'), ...fields },
    onResp: (resp: Pdu) => (resp.command_status === 0 ? ok++ : refused++),
  };
  await Promise.all(esmes.map((esme) => esme.pump(WINDOW, () => (until() ? undefined : submit))));
  return { ok, refused };
}

async function startPigeon(engine: Engine, dir: string, role: 'api' | 'all', name: string): Promise<{ server: ChildServer; smppPort: number; drop: () => Promise<void> }> {
  const database = await createBenchDatabase(engine, dir, name);
  const smppPort = await freePort();
  const configPath = join(dir, `${name}.yaml`);
  writeFileSync(configPath, configYaml());
  const server = await startChild({
    name,
    args: [join(ROOT, 'bin/pigeon.js'), 'serve'],
    cwd: ROOT,
    env: { PATH: process.env.PATH, PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: '0', PIGEON_SMPP_PORT: String(smppPort), PIGEON_ROLE: role, PIGEON_LOG_LEVEL: 'info', PIGEON_LOG_FORMAT: 'json' },
  });
  return { server, smppPort, drop: () => database.drop() };
}

async function main(): Promise<void> {
  if (process.env.BENCH_SKIP_BUILD !== '1') spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const rows: string[][] = [];
  for (const engine of ENGINES) {
    const dir = mkdtempSync(join(tmpdir(), 'pigeon-bench-smpp-'));
    try {
      // Acceptance: one `--role api` process, HTTP then SMPP against the same process.
      const api = await startPigeon(engine, dir, 'api', `smpp-accept-${engine}`);
      const http = await runLoad({ url: `${api.server.url}${MESSAGES_PATH}`, headers: REQUEST_HEADERS, body: REQUEST_BODY, seconds: SECONDS, connections: CONNECTIONS, serverPids: [api.server.pid] });
      const esmes = await bindAll(api.smppPort, 'transmitter');
      const started = Date.now();
      const smpp = await pump(esmes, () => Date.now() - started >= SECONDS * 1000);
      const smppSeconds = (Date.now() - started) / 1000;
      for (const e of esmes) await e.close();
      await api.server.stop();
      await api.drop();
      rows.push([engine, 'HTTP POST …/messages (202)', `${CONNECTIONS} connections`, fixed(http.requestsPerSecond, 0)]);
      rows.push([engine, 'SMPP submit_sm (ESME_ROK)', `${BINDS} binds × window ${WINDOW}`, fixed(smpp.ok / smppSeconds, 0)]);

      // End to end: role all; every receipt back at the ESMEs.
      const all = await startPigeon(engine, dir, 'all', `smpp-e2e-${engine}`);
      const trx = await bindAll(all.smppPort, 'transceiver');
      let sent = 0;
      const e2eStart = Date.now();
      const submits = await pump(trx, () => sent++ >= E2E_MESSAGES, { registered_delivery: 1 });
      const lastSubmit = Date.now();
      const receipts = () => trx.reduce((n, e) => n + e.delivered.filter((p) => p.esm_class === 0x04).length, 0);
      const deadline = Date.now() + 300_000;
      while (receipts() < submits.ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const e2eSeconds = (Date.now() - e2eStart) / 1000;
      for (const e of trx) await e.close();
      await all.server.stop();
      await all.drop();
      rows.push([engine, `SMPP end to end (${submits.ok} submits, ${receipts()} receipts back)`, `${BINDS} transceivers × window ${WINDOW}`, fixed(receipts() / e2eSeconds, 0)]);
      rows.push([engine, '  of which submit phase', '', fixed(submits.ok / ((lastSubmit - e2eStart) / 1000), 0)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(formatTable(['engine', 'what', 'load', 'per second'], rows));
}

main().catch((err: unknown) => {
  console.error(err);
  killAllChildren();
  process.exitCode = 1;
});
