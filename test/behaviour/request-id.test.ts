// Every request has an id, taken from X-Request-Id when a proxy sends a sensible one and made up
// otherwise, echoed in the response and named by the log lines made while serving it. Logs are
// JSON lines, or human-readable lines with --log-format pretty (the default on a terminal).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { ACCOUNT_A, AUTH_A, fixtureConfigYaml, RECIPIENT } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { LogCapture } from '../helpers/log-capture.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  let dir: string;
  let pigeon: TestPigeon;
  const log = new LogCapture();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pigeon-reqid-'));
    pigeon = await startPigeon({ dir, log, databaseUrl: `sqlite:${join(dir, 'pigeon.db')}?busy_timeout=50`, env: { PIGEON_ROLE: 'api' } });
  });
  after(async () => {
    await pigeon.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('echoes a proxy\'s X-Request-Id, and makes one up when there is none or it is not sensible', async () => {
    const given = await pigeon.fetch('/healthz', { headers: { 'x-request-id': 'lb-7f3a.42' } });
    assert.equal(given.headers.get('x-request-id'), 'lb-7f3a.42');
    const none = await pigeon.fetch('/healthz');
    assert.match(none.headers.get('x-request-id') ?? '', UUID);
    const unsafe = await pigeon.fetch('/healthz', { headers: { 'x-request-id': 'a"b c' } });
    assert.match(unsafe.headers.get('x-request-id') ?? '', UUID);
    const tooLong = await pigeon.fetch('/healthz', { headers: { 'x-request-id': 'x'.repeat(129) } });
    assert.match(tooLong.headers.get('x-request-id') ?? '', UUID);
    // Error answers carry it too.
    const unauthorized = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, { headers: { 'x-request-id': 'req-401' } });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('x-request-id'), 'req-401');
  });

  it('names the request in the log lines made while serving it, after its body was read', async () => {
    // Another connection holds the write lock: the send is answered 503 and logged as such.
    const other = new Database(join(dir, 'pigeon.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json', 'x-request-id': 'req-busy-1' },
        body: JSON.stringify(smsBody()),
      });
      assert.equal(res.status, 503);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const lines = log.matching(/^database busy/);
    assert.equal(lines.length, 1, JSON.stringify(log.lines));
    assert.equal(lines[0]?.reqId, 'req-busy-1');
    // Lines of no request name none.
    assert.ok(log.lines.filter((line) => /listening/.test(line.msg)).every((line) => line.reqId === undefined));
  });
});

describe('log formats', () => {
  it('writes JSON lines, or readable lines with pretty, and never the credentials', () => {
    const json = new LogCapture();
    createLogger('info', json, 'json').info({ password: 'secret', accountId: '1' }, 'hello');
    assert.equal(json.lines[0]?.msg, 'hello');
    assert.equal(json.lines[0]?.password, '[redacted]');

    let text = '';
    const sink = new (class extends LogCapture {
      override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
        text += chunk.toString('utf8');
        done();
      }
    })();
    createLogger('info', sink, 'pretty').info({ password: 'secret', accountId: '1' }, 'hello');
    assert.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello\n/);
    assert.match(text, /accountId: "1"/);
    assert.doesNotMatch(text, /secret/);
    assert.throws(() => JSON.parse(text.split('\n')[0] ?? ''));
  });

  it('takes --log-format and PIGEON_LOG_FORMAT, and refuses anything else', () => {
    assert.equal(loadConfig({}, { logFormat: 'pretty' }).logFormat, 'pretty');
    assert.equal(loadConfig({ PIGEON_LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.equal(loadConfig({}).logFormat, undefined);
    assert.throws(() => loadConfig({}, { logFormat: 'xml' }), (err: unknown) => err instanceof ConfigError && /--log-format: 'xml' is not one of pretty, json/.test(err.message));
  });
});

/** Log lines are written just after the state a wait sees; a safety net of 10 s, not a timing. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the log lines did not come');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function sendWithId(pigeon: TestPigeon, body: unknown, requestId: string): Promise<{ status: number; body: unknown }> {
  const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
    method: 'POST',
    headers: { authorization: AUTH_A, 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

// The request id is stored with the message (and its callbacks), so the delivery and callback work
// the request caused names it too, in whichever process does that work.
for (const backend of BACKENDS) {
  describe(`request ids in the work a request caused (${backend})`, () => {
    const log = new LogCapture();
    const receiver = new CallbackReceiver();
    let pigeon: TestPigeon;
    before(async () => {
      await receiver.start();
      pigeon = await startPigeon({ backend, log, logLevel: 'debug', configYaml: fixtureConfigYaml({ callbackUrl: receiver.url }) });
    });
    after(async () => {
      await pigeon.close();
      await receiver.stop();
    });

    it("names the request in the delivery's and the callbacks' log lines", async () => {
      const sent = await sendWithId(pigeon, smsBody({ to: [RECIPIENT, '+15005550012'] }), 'abc');
      assert.equal(sent.status, 202);
      const id = (sent.body as { id: string }).id;
      await pigeon.waitForMessage(id, 'callbacks');
      const about = (pattern: RegExp) => log.matching(pattern).filter((line) => line.messageId === id);
      const submitted = about(/^submitted to the carrier$/);
      assert.equal(submitted.length, 1, JSON.stringify(log.lines.slice(-20)));
      assert.deepEqual([submitted[0]?.reqId, submitted[0]?.component], ['abc', 'delivery']);
      const failed = about(/^recipient failed$/);
      assert.deepEqual(failed.map((line) => [line.reqId, line.errorCode]), [['abc', 4404]]);
      // A group message: message-sending for each recipient, then message-delivered and message-failed.
      // Each line is written just after its attempt is recorded, which is what the wait waited for.
      await until(() => about(/^callback delivered$/).length === 4);
      const callbacks = about(/^callback delivered$/);
      assert.deepEqual(callbacks.map((line) => line.eventType).sort(), ['message-delivered', 'message-failed', 'message-sending', 'message-sending']);
      for (const line of callbacks) assert.deepEqual([line.reqId, line.component], ['abc', 'callbacks']);
    });

    it('names the id Pigeon made up when the request had none', async () => {
      const res = await pigeon.fetch(`/api/v2/users/${ACCOUNT_A.id}/messages`, {
        method: 'POST',
        headers: { authorization: AUTH_A, 'content-type': 'application/json' },
        body: JSON.stringify(smsBody()),
      });
      const made = res.headers.get('x-request-id') ?? '';
      assert.match(made, UUID);
      const { id } = (await res.json()) as { id: string };
      await pigeon.waitForMessage(id, 'callbacks');
      await until(() => log.lines.filter((line) => line.messageId === id).length === 2);
      for (const line of log.lines.filter((l) => l.messageId === id)) assert.equal(line.reqId, made);
    });
  });
}

describe('request ids across processes (postgres)', { skip: !BACKENDS.includes('postgres') }, () => {
  const log = new LogCapture();
  const receiver = new CallbackReceiver();
  let api: TestPigeon;
  let worker: TestPigeon;
  before(async () => {
    await receiver.start();
    const yaml = fixtureConfigYaml({ callbackUrl: receiver.url });
    api = await startPigeon({ backend: 'postgres', configYaml: yaml, env: { PIGEON_ROLE: 'api' } });
    worker = await startPigeon({ databaseUrl: api.config.databaseUrl, configYaml: yaml, log, logLevel: 'debug', env: { PIGEON_ROLE: 'worker' } });
  });
  after(async () => {
    await worker.close();
    await api.close();
    await receiver.stop();
  });

  it("names the API process's request in the worker process's lines", async () => {
    const sent = await sendWithId(api, smsBody(), 'abc-scaled');
    const id = (sent.body as { id: string }).id;
    await api.waitForMessage(id, 'callbacks');
    await until(() => log.lines.filter((line) => line.messageId === id).length === 2);
    const lines = log.lines.filter((line) => line.messageId === id);
    assert.deepEqual(
      lines.map((line) => [line.component, line.msg, line.reqId]),
      [
        ['delivery', 'submitted to the carrier', 'abc-scaled'],
        ['callbacks', 'callback delivered', 'abc-scaled'],
      ],
    );
  });
});
