// A worker-only process (--role worker, PostgreSQL scale-out) serves /healthz, /readyz and its own
// /metrics on a small listener of its own (server.workerHost, server.workerPort), and nothing else.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { Exposition } from '../helpers/prometheus.js';

const METRICS_TOKEN = 'worker-metrics-token-0123456789';

describe('a worker-only process serves its probes and metrics (postgres)', { skip: !BACKENDS.includes('postgres') }, () => {
  let api: TestPigeon;
  let worker: TestPigeon;
  before(async () => {
    const yaml = fixtureConfigYaml();
    api = await startPigeon({ backend: 'postgres', configYaml: yaml, env: { PIGEON_ROLE: 'api' } });
    worker = await startPigeon({
      databaseUrl: api.config.databaseUrl,
      configYaml: yaml,
      env: { PIGEON_ROLE: 'worker', PIGEON_METRICS_TOKEN: METRICS_TOKEN },
    });
  });
  after(async () => {
    await worker.close();
    await api.close();
  });

  const probe = (path: string, init?: RequestInit) => fetch(`${worker.server.probeUrl}${path}`, init);

  it('listens on the configured address only in the worker role', () => {
    assert.match(worker.server.probeUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(worker.server.url, '');
    assert.equal(api.server.probeUrl, '');
  });

  it('answers /healthz and /readyz', async () => {
    const health = await probe('/healthz');
    assert.deepEqual([health.status, await health.json()], [200, { status: 'ok' }]);
    const ready = await probe('/readyz');
    assert.deepEqual([ready.status, await ready.json()], [200, { status: 'ready' }]);
  });

  it("serves the worker's own metrics, behind the metrics token: the submits and callbacks it made", async () => {
    const sent = await postMessage(api, smsBody());
    assert.equal(sent.status, 202);
    await api.waitForMessage(String(sent.body.id), 'terminal');
    const refused = await probe('/metrics');
    assert.equal(refused.status, 401);
    await refused.arrayBuffer();
    const res = await probe('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(res.status, 200);
    const metrics = new Exposition(await res.text());
    assert.equal(metrics.value('pigeon_carrier_submits_total', { carrier: 'simulator', outcome: 'accepted' }), 1);
    assert.equal(metrics.value('pigeon_recipients_ended_total', { status: 'DELIVERED', error_code: '0' }), 1);
    // The API process made none: its counters are its own.
    const apiMetrics = new Exposition(await (await api.fetch('/metrics')).text());
    assert.equal(apiMetrics.sample('pigeon_carrier_submits_total', { carrier: 'simulator', outcome: 'accepted' }), undefined);
  });

  it('serves nothing of the API', async () => {
    for (const path of [`/api/v2/users/${ACCOUNT_A.id}/messages`, '/admin/v1/status', '/api/v2/openapi.json']) {
      const res = await probe(path);
      assert.equal(res.status, 404, path);
      await res.arrayBuffer();
    }
  });
});
