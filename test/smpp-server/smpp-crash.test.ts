// No acknowledged submit is lost: 10 000 submit_sm with a window of 100, Pigeon SIGKILLed in the
// middle; the ESME reconnects to the restarted Pigeon (same database, same port), binds again and
// sends what had no answer. Every id a submit_sm_resp gave must be a stored message. Both engines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnPigeon } from '../helpers/cli.js';
import { BACKENDS, createTestDatabase, withSql } from '../helpers/databases.js';
import { freePort } from '../helpers/free-port.js';
import { Esme, smppConfigYaml } from './esme-client.js';

const TOTAL = 10_000;
const WINDOW = 100;
const KILL_AFTER = 4_000;

for (const backend of BACKENDS) {
  describe(`SMPP submits across a SIGKILL (${backend})`, () => {
    it(`keeps every acknowledged submit of ${TOTAL}`, { timeout: 240_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pigeon-smpp-crash-'));
      const configPath = join(dir, 'pigeon.yaml');
      // Every account's queue is unbounded here: the test is about durability, not admission.
      writeFileSync(configPath, smppConfigYaml({ window: WINDOW }).replace('delivery:\n', 'delivery:\n  rateLimits: { queueMinutes: 0 }\n'));
      const database = await createTestDatabase(backend, dir);
      const smppPort = await freePort();
      const start = () =>
        spawnPigeon(
          ['serve'],
          { PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: '0', PIGEON_SMPP_PORT: String(smppPort), PIGEON_LOG_LEVEL: 'info', PIGEON_ROLE: 'api' },
          /"msg":"pigeon listening"/,
        );
      let running = await start();
      const acked = new Set<string>();
      let next = 0;
      const unanswered = new Set<number>();
      try {
        const connect = () => Esme.bound(smppPort, 'transmitter');
        // Sends submits numbered from the queue (unanswered first), WINDOW at a time, until all are
        // acknowledged or the connection drops.
        const pump = (esme: Esme, onAck: () => void) => {
          const queue = [...unanswered];
          return esme.pump(WINDOW, () => {
            const n = queue.length > 0 ? queue.shift() : next < TOTAL ? next++ : undefined;
            if (n === undefined) return undefined;
            unanswered.add(n);
            return {
              from: '+19195551212',
              to: `+1919555${String(n).padStart(4, '0')}`,
              fields: { short_message: Buffer.from(`message ${n}`) },
              onResp: (resp) => {
                if (resp.command_status !== 0) return;
                acked.add(String(resp.message_id));
                unanswered.delete(n);
                onAck();
              },
            };
          });
        };
        const first = await connect();
        await pump(first, () => {
          if (acked.size === KILL_AFTER) running.child.kill('SIGKILL');
        });
        await new Promise((r) => running.child.once('exit', r));
        assert.ok(acked.size >= KILL_AFTER && acked.size < TOTAL, `killed mid-way (${acked.size} acknowledged)`);
        running = await start();
        const second = await connect();
        await pump(second, () => undefined);
        await second.close();
        assert.equal(unanswered.size, 0);
        const ids = [...acked];
        const stored = await withSql(database.url, async (sql) => {
          let n = 0;
          for (let i = 0; i < ids.length; i += 500) {
            const chunk = ids.slice(i, i + 500);
            n += await sql.count(`SELECT count(*) FROM messages WHERE id IN (${chunk.map(() => '?').join(',')})`, chunk);
          }
          return n;
        });
        assert.equal(stored, ids.length, 'every acknowledged submit is a stored message');
        assert.ok(ids.length >= TOTAL);
      } finally {
        if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
        await new Promise((r) => (running.child.exitCode !== null || running.child.signalCode !== null ? r(undefined) : running.child.once('exit', r)));
        await database.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
