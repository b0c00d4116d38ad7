// `pigeon smsc` and `pigeon serve` as users run them: two processes of bin/pigeon.js, the SMSC
// behind TLS with a certificate made for the test, Pigeon trusting it through `tls: { caFile }`.
// Pigeon binds and delivers over TLS; the SMSC's control API injects single and multi-part
// messages that reach the application; the SMSC's PDU log reads as documented; and SIGTERM makes
// Pigeon unbind (the SMSC logs unbind and its unbind_resp before the connection closes) and exit 0.
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallbackReceiver } from '../../helpers/callback-receiver.js';
import { runPigeon, spawnPigeon } from '../../helpers/cli.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../../helpers/databases.js';
import { ACCOUNT_A, AUTH_A, fixtureConfigYaml } from '../../helpers/fixtures.js';
import { smsBody } from '../../helpers/http.js';
import { Esme } from '../../smpp-server/esme-client.js';
import { smppCarrier } from './smpp-support.js';

const ADMIN_TOKEN = 'process-test-admin-token-0123';

interface Child {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  match: RegExpMatchArray;
}

async function spawn(args: string[], env: Record<string, string>, marker: RegExp): Promise<Child> {
  const started = await spawnPigeon(args, env, marker);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    started.child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { ...started, exited };
}

function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'smsc-cert.pem');
  const key = join(dir, 'smsc-key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}

/** The SMSC's log lines about one peer (the connection Pigeon bound on). */
function linesOf(log: string, peer: string): string[] {
  return log.split('\n').filter((line) => line.includes(` ${peer} `));
}

describe('pigeon smsc options', () => {
  it('lists its options in --help, as the README does', async () => {
    const r = await runPigeon(['smsc', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--port', '--host', '--control-port', '--system-id', '--password', '--id-format', '--first-id', '--receipt-id-format', '--receipts', '--tls-cert', '--tls-key', '--quiet']) {
      assert.ok(r.stdout.includes(flag), `--help does not mention ${flag}`);
    }
  });

  it('refuses a --first-id that is not a whole number, naming the flag', async () => {
    for (const bad of ['-1', '1.5', '', '1234567890123456']) {
      const r = await runPigeon(['smsc', '--port', '0', `--first-id=${bad}`], { timeoutMs: 10_000 });
      assert.equal(r.code, 2, `--first-id ${JSON.stringify(bad)}: ${r.stderr}`);
      assert.match(r.stderr, /--first-id: '.*' is not a whole number/, bad);
    }
  });

  it('numbers its message ids from --first-id, again from there when started again, as a restarted SMSC does', async () => {
    const idsOfARun = async (): Promise<string[]> => {
      const smsc = await spawn(['smsc', '--port', '0', '--first-id', '4094', '--id-format', 'decimal', '--quiet'], {}, /on 127\.0\.0\.1:(\d+)/);
      try {
        const esme = await Esme.bound(Number(smsc.match[1]), 'transceiver');
        const ids = [];
        for (const to of ['+19195550101', '+19195550102', '+19195550103']) ids.push(String((await esme.submit('+19195550100', to)).message_id));
        await esme.close();
        return ids;
      } finally {
        smsc.child.kill('SIGTERM');
        await smsc.exited;
      }
    };
    assert.deepEqual(await idsOfARun(), ['4094', '4095', '4096']);
    assert.deepEqual(await idsOfARun(), ['4094', '4095', '4096'], 'the same ids after a restart');
  });

  it('refuses a certificate without its key, naming the flags', async () => {
    const r = await runPigeon(['smsc', '--port', '0', '--tls-cert', '/nonexistent.pem'], { timeoutMs: 10_000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--tls-cert and --tls-key go together/);
  });
});

for (const backend of BACKENDS) {
  describe(`pigeon smsc and pigeon serve as processes, over TLS (${backend})`, () => {
    let dir: string;
    let database: TestDatabase;
    let receiver: CallbackReceiver;
    let smsc: Child;
    let pigeon: Child;
    let controlUrl: string;
    let pigeonUrl: string;
    let peer: string;

    const admin = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${pigeonUrl}/admin/v1${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.ok(res.ok, `${path}: ${res.status}`);
      return (await res.json()) as T;
    };
    const control = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${controlUrl}${path}`, {
        method,
        ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pigeon-smpp-processes-'));
      const tls = selfSignedCertificate(dir);
      smsc = await spawn(
        ['smsc', '--port', '0', '--control-port', '0', '--tls-cert', tls.cert, '--tls-key', tls.key],
        {},
        /over TLS on 127\.0\.0\.1:(\d+)\n(?:.*\n)*?.*control API on (http:\/\/127\.0\.0\.1:\d+)/,
      );
      const smppPort = Number(smsc.match[1]);
      controlUrl = smsc.match[2] as string;
      receiver = await new CallbackReceiver().start();
      database = await createTestDatabase(backend, dir);
      const configPath = join(dir, 'pigeon.yaml');
      const carrier = smppCarrier('smsc', smppPort, { tls: { caFile: tls.cert } });
      writeFileSync(configPath, fixtureConfigYaml({ callbackUrl: receiver.url, extra: `carriers:\n${carrier}\nroutes:\n  - { carrier: smsc }\n` }));
      pigeon = await spawn(
        ['serve'],
        { PIGEON_CONFIG: configPath, DATABASE_URL: database.url, PORT: '0', PIGEON_LOG_LEVEL: 'info', PIGEON_ADMIN_TOKEN: ADMIN_TOKEN },
        /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
      );
      pigeonUrl = pigeon.match[1] as string;
      for (const started = Date.now(); ; await new Promise((r) => setTimeout(r, 50))) {
        const { carriers } = await admin<{ carriers: Array<{ state: string }> }>('/status');
        if (carriers[0]?.state === 'bound') break;
        assert.ok(Date.now() - started < 20_000, `never bound: ${JSON.stringify(carriers)}\n${smsc.output()}`);
      }
      const bindLine = smsc.output().split('\n').find((line) => / bind_transceiver seq=/.test(line));
      peer = String(/^\S+ <- (\S+) bind_transceiver/.exec(bindLine ?? '')?.[1]);
    });

    after(async () => {
      for (const c of [pigeon, smsc]) if (c && c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      await Promise.all([pigeon?.exited, smsc?.exited]);
      await receiver.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Sends an SMS through the running Pigeon and waits for its message-delivered callback. */
    const sendDelivered = async (text: string) => {
      const res = await fetch(`${pigeonUrl}/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json' },
        body: JSON.stringify(smsBody({ text })),
      });
      assert.equal(res.status, 202);
      const { id } = (await res.json()) as { id: string };
      await receiver.waitFor(() => receiver.eventsFor(id).some((e) => e.type === 'message-delivered'), 30_000, `${text} delivered`);
    };

    it('binds over TLS with the credentials and delivers, every PDU in the SMSC log as one readable line', async () => {
      assert.match(peer, /^127\.0\.0\.1:\d+$/);
      const text = 'Over TLS € @';
      await sendDelivered(text);
      const received = (await control('GET', '/messages')).body as unknown as Array<{ text: string }>;
      assert.ok(received.some((m) => m.text === text), JSON.stringify(received));
      const lines = linesOf(smsc.output(), peer);
      assert.ok(lines.some((l) => /<- \S+ bind_transceiver seq=\d+ system_id="pigeon" password=\*\*\* /.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /-> \S+ bind_transceiver_resp seq=\d+ system_id="pigeon-smsc"/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => l.includes(' submit_sm seq=') && l.includes(`text=${JSON.stringify(text)}`) && l.includes('data_coding=0')), lines.join('\n'));
      assert.ok(lines.some((l) => / deliver_sm seq=\d+ .*esm_class=4 .*receipted_message_id=/.test(l) && /stat:DELIVRD/.test(l)), lines.join('\n'));
    });

    it('injects a single and a multi-part message through the control API; the application receives each once, whole', async () => {
      const single = await control('POST', '/inject', { from: '+15551230100', to: ACCOUNT_A.number, text: 'Hi from a phone' });
      assert.deepEqual([single.status, single.body.parts], [202, 1]);
      const long = `Long inbound ${'y'.repeat(180)} end`;
      const multi = await control('POST', '/inject', { from: '+15551230101', to: ACCOUNT_A.number, text: long, method: 'udh16' });
      assert.deepEqual([multi.status, multi.body.parts], [202, 2]);
      const received = (text: string) => receiver.events((e) => e.type === 'message-received' && e.message.text === text);
      await receiver.waitFor(() => received('Hi from a phone').length > 0 && received(long).length > 0, 20_000);
      assert.equal(received(long)[0]?.message.from, '+15551230101');
      assert.deepEqual(received(long)[0]?.message.to, [ACCOUNT_A.number]);
      const bad = await control('POST', '/inject', { from: '+15551230101', to: ACCOUNT_A.number, text: 'x', method: 'morse' });
      assert.equal(bad.status, 400);
      // The two parts went out as deliver_sm with the UDHI flag and a 16-bit reference IE (06 08 04 …).
      const parts = linesOf(smsc.output(), peer).filter((l) => / deliver_sm seq=/.test(l) && /esm_class=64 /.test(l) && /short_message=<060804/.test(l));
      assert.equal(parts.length, 2, parts.join('\n'));
      // Every taken message is acknowledged only once durable: the deliver_sm_resp lines carry no error status.
      const responses = linesOf(smsc.output(), peer).filter((l) => / deliver_sm_resp seq=/.test(l));
      assert.ok(responses.length >= 3 && responses.every((l) => !/ status=0x/.test(l)), responses.join('\n'));
      // After the test's own bursts, a settled duplicate would show up as a second callback.
      assert.equal(received(long).length, 1);
    });

    it('obeys the control API: /throttle, /silent and /disconnect', { timeout: 60_000 }, async () => {
      type CarrierView = { state: string; counters: { throttled: number; noResponse: number; reconnects: number } };
      const carrier = async () => (await admin<{ carriers: CarrierView[] }>('/status')).carriers[0] as CarrierView;
      const lines = () => linesOf(smsc.output(), peer);
      const waitFor = async (condition: () => Promise<boolean> | boolean, what: string) => {
        for (const started = Date.now(); !(await condition()); await new Promise((r) => setTimeout(r, 50))) {
          assert.ok(Date.now() - started < 20_000, `timed out waiting for ${what}:\n${lines().slice(-10).join('\n')}`);
        }
      };

      // The next two submits answered ESME_RTHROTTLED, then taken.
      const before = await carrier();
      assert.deepEqual(await control('POST', '/throttle', { count: 2 }), { status: 200, body: { throttleNext: 2 } });
      await sendDelivered('after two throttles');
      assert.equal(lines().filter((l) => / -> \S+ submit_sm_resp seq=\d+ status=0x00000058/.test(l)).length, 2);
      assert.equal((await carrier()).counters.throttled - before.counters.throttled, 2);

      // Silent: the submit is not answered (Pigeon gives up on it after responseTimeoutSeconds), then
      // taken once the SMSC speaks again.
      assert.equal((await control('POST', '/silent', { silent: true })).status, 200);
      const silentSend = sendDelivered('while silent');
      await waitFor(async () => (await carrier()).counters.noResponse > before.counters.noResponse, 'a submit without response');
      assert.equal((await control('POST', '/silent', { silent: false })).status, 200);
      await silentSend;

      // Disconnect: every connection dropped without unbind; Pigeon binds again.
      const reconnects = (await carrier()).counters.reconnects;
      assert.equal((await control('POST', '/disconnect')).status, 200);
      await waitFor(async () => (await carrier()).counters.reconnects > reconnects && (await carrier()).state === 'bound', 'the rebind');
      assert.equal((await control('GET', '/status')).body.binds, 1);
      await sendDelivered('after the disconnect');
      const peers = smsc.output().split('\n').filter((l) => / bind_transceiver seq=/.test(l) && / <- /.test(l));
      assert.ok(peers.length >= 2, peers.join('\n'));
      peer = String(/<- (\S+) bind_transceiver/.exec(peers.at(-1) ?? '')?.[1]);
    });

    it('unbinds on SIGTERM before the connection closes, and exits 0', { timeout: 60_000 }, async () => {
      pigeon.child.kill('SIGTERM');
      assert.deepEqual(await pigeon.exited, { code: 0, signal: null }, pigeon.output());
      const lines = linesOf(smsc.output(), peer);
      const unbind = lines.findIndex((l) => / <- \S+ unbind seq=/.test(l));
      const unbindResp = lines.findIndex((l) => / -> \S+ unbind_resp seq=/.test(l));
      const closed = lines.findIndex((l) => / -- \S+ closed$/.test(l));
      assert.ok(unbind >= 0, `no unbind from Pigeon:\n${lines.slice(-10).join('\n')}`);
      assert.ok(unbind < unbindResp && unbindResp < closed, `out of order:\n${lines.slice(-10).join('\n')}`);
      assert.match(pigeon.output(), /SMPP carrier unbound/);
      smsc.child.kill('SIGTERM');
      assert.deepEqual(await smsc.exited, { code: 0, signal: null });
    });
  });
}
