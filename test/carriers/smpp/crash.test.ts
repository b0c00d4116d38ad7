// SIGKILL of Pigeon while receipts are on their way: a receipt is answered (deliver_sm_resp) only
// once it is durable, so one that was applied but not answered is offered again by the SMSC after
// the restart, and applied once. Runs the built `pigeon serve` (npm run build first).
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { MessageView } from '../../../src/core/admin/message-view.js';
import { spawnPigeon } from '../../helpers/cli.js';
import { BACKENDS, createTestDatabase } from '../../helpers/databases.js';
import { AUTH_A, ACCOUNT_A, fixtureConfigYaml } from '../../helpers/fixtures.js';
import { smsBody } from '../../helpers/http.js';
import { smppCarrier, startSmsc, until } from './smpp-support.js';

const TOKEN = 'crash-test-admin-token-0123';

for (const backend of BACKENDS) {
  describe(`SMPP receipts across a SIGKILL of Pigeon (${backend})`, () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it('applies a receipt redelivered after the crash exactly once', async () => {
      let child: ChildProcessWithoutNullStreams | undefined;
      let receiptsSent = 0;
      let killed = false;
      const smsc = await startSmsc({
        log: (line) => {
          if (!line.startsWith('->') || !/ deliver_sm seq=/.test(line)) return;
          // Kill while receipts are in flight: some taken and answered, some taken and not yet answered.
          if (++receiptsSent === 5 && child && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        },
        // Receipts come after every message has been accepted, so the kill hits receipts only.
      }, { latencyMs: 1000 });
      cleanups.push(() => smsc.close());
      const dir = mkdtempSync(join(tmpdir(), 'pigeon-smpp-crash-'));
      const database = await createTestDatabase(backend, dir);
      cleanups.push(async () => {
        await database.drop();
        rmSync(dir, { recursive: true, force: true });
      });
      const configPath = join(dir, 'pigeon.yaml');
      writeFileSync(configPath, fixtureConfigYaml({ extra: `carriers:\n${smppCarrier('smsc', smsc.address.port)}\nroutes:\n  - { carrier: smsc }\n` }));
      const env = { PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: '0', PIGEON_LOG_LEVEL: 'info', PIGEON_ADMIN_TOKEN: TOKEN };
      const start = async () => {
        const started = await spawnPigeon(['serve'], env, /"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
        child = started.child;
        const exited = new Promise<void>((resolve) => started.child.on('exit', () => resolve()));
        cleanups.push(async () => {
          if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL');
          await exited;
        });
        return { url: started.match[1] as string, exited };
      };

      const first = await start();
      const ids = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const res = await fetch(`${first.url}/api/v2/users/${ACCOUNT_A.id}/messages`, {
            method: 'POST',
            headers: { authorization: AUTH_A, 'content-type': 'application/json' },
            body: JSON.stringify(smsBody({ text: `crash ${i}` })),
          });
          assert.equal(res.status, 202);
          return ((await res.json()) as { id: string }).id;
        }),
      );
      await until(() => killed, 'the kill', 30_000);
      await first.exited;

      const second = await start();
      for (const id of ids) {
        const res = await fetch(`${second.url}/admin/v1/messages/${id}/wait?until=terminal&timeout=30`, { headers: { authorization: `Bearer ${TOKEN}` } });
        assert.equal(res.status, 200);
        const view = (await res.json()) as MessageView;
        const terminal = view.events.filter((e) => e.status === 'DELIVERED' || e.status === 'FAILED');
        assert.deepEqual(terminal.map((e) => e.status), ['DELIVERED'], `${id}: ${JSON.stringify(view.events)}`);
      }
      assert.ok(smsc.redelivered > 0, 'the SMSC offered unanswered receipts again');
    });
  });
}
