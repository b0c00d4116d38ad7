// The demo (no config file) answers only requests addressed to the names it serves, so a web page
// cannot reach a local demo by DNS rebinding and drive it with the published demo credentials.
// Requests are made with node:http, which sends the Host header it is given (fetch would not).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { DEMO } from '../../src/config/demo.js';
import { startServer, type RunningServer } from '../../src/main/server.js';
import { createLogger } from '../../src/shared/logger.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const DEMO_AUTH = `Basic ${Buffer.from(`${DEMO.username}:${DEMO.password}`).toString('base64')}`;

function call(url: string, host: string, method = 'GET', path = `/api/v2/users/${DEMO.accountId}/messages`, body?: unknown): Promise<{ status: number; body: string }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method,
      headers: { host, authorization: DEMO_AUTH, ...(text !== undefined && { 'content-type': 'application/json' }) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

for (const backend of BACKENDS) {
  describe(`demo Host check (${backend})`, () => {
    let database: TestDatabase;
    let server: RunningServer;
    let port: string;

    before(async () => {
      database = await createTestDatabase(backend);
      const config = loadConfig({ DATABASE_URL: database.url, PIGEON_LOG_LEVEL: 'silent' }, { port: '0', host: '127.0.0.1' });
      assert.equal(config.demo, true);
      server = await startServer(config, createLogger('silent'));
      port = new URL(server.url).port;
    });
    after(async () => {
      await server?.close();
      await database?.drop();
    });

    it('answers the names it serves, with or without the port', async () => {
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost', '127.0.0.1', `LOCALHOST:${port}`, 'localhost:1']) {
        const res = await call(server.url, host);
        assert.equal(res.status, 200, `${host}: ${res.body}`);
      }
    });

    it('refuses any other name with 421 in Bandwidth’s error shape, on every route', async () => {
      const hosts = [
        `evil.example:${port}`,
        'evil.example',
        `127.0.0.1.nip.io:${port}`,
        `localhost.evil.example:${port}`,
        `evil.localhost.example:${port}`,
        `localhost.:${port}`,
        `10.1.2.3:${port}`,
        `[::2]:${port}`,
      ];
      for (const host of hosts) {
        for (const path of [`/api/v2/users/${DEMO.accountId}/messages`, '/healthz', '/admin/v1/simulator/rules', '/console/api/session']) {
          const res = await call(server.url, host, 'GET', path);
          assert.equal(res.status, 421, `${host} ${path}: ${res.body}`);
          const body = JSON.parse(res.body) as { type: string; description: string };
          assert.equal(body.type, 'misdirected-request');
          assert.match(body.description, /demo answers only requests to localhost/);
        }
      }
    });

    it('stores nothing sent through a rebound name, and sends what comes to localhost', async () => {
      const message = { applicationId: DEMO.applicationId, from: DEMO.number, to: [DEMO.recipient], text: 'rebound?' };
      const refused = await call(server.url, `attacker.example:${port}`, 'POST', `/api/v2/users/${DEMO.accountId}/messages`, message);
      assert.equal(refused.status, 421);
      const list = await call(server.url, `localhost:${port}`);
      assert.equal((JSON.parse(list.body) as { totalCount: number }).totalCount, 0);
      const accepted = await call(server.url, `localhost:${port}`, 'POST', `/api/v2/users/${DEMO.accountId}/messages`, message);
      assert.equal(accepted.status, 202, accepted.body);
    });
  });
}

describe('with a config file', () => {
  let pigeon: TestPigeon;
  before(async () => {
    pigeon = await startPigeon();
  });
  after(async () => pigeon?.close());

  it('serves any Host: a deployment names itself (server.publicUrl, a proxy)', async () => {
    const res = await call(pigeon.url, 'sms.example.com', 'GET', '/healthz');
    assert.equal(res.status, 200, res.body);
  });
});
