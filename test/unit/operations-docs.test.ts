// The operations documentation is checked against the code: every metric the registry exports is in
// the README's metrics table with its type and labels (and the table names no metric that does not
// exist), and the example Prometheus configuration and alert rules pass promtool, whose rule unit
// tests (docs/prometheus/alerts.test.yml) show that each alert fires when it should.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PigeonMetrics } from '../../src/metrics/metrics.js';
import { skipUnless } from '../helpers/requirements.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const PROMETHEUS_DIR = new URL('../../docs/prometheus/', import.meta.url).pathname;

interface Row {
  type: string;
  labels: string[];
}

/** `| \`name\` | type | \`label\` (\`value\`, …), \`label\` | meaning |` rows of the README. */
function documentedMetrics(): Map<string, Row> {
  const rows = new Map<string, Row>();
  // A row may name two metrics of the same type and labels: `a`, `b`.
  for (const match of README.matchAll(/^\| `([a-z0-9_*]+)`(?:, `([a-z0-9_*]+)`)? \|\s*(\w*)\s*\|([^|]*)\|/gm)) {
    const labels = [...(match[4] ?? '').replace(/\([^)]*\)/g, '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1] ?? '');
    for (const name of [match[1], match[2]]) if (name) rows.set(name, { type: match[3] ?? '', labels: [...labels].sort() });
  }
  return rows;
}

async function exportedMetrics(): Promise<Map<string, Row>> {
  // Every source given, so that every metric a process can export is registered.
  const metrics = new PigeonMetrics({
    now: () => 0,
    queues: async () => ({ queued: 0, oldestQueuedAt: undefined, awaitingReceipt: [], outboxPending: 0, oldestOutboxAt: undefined }),
    carrier: () => ({ name: 'simulator', state: 'connected' }),
    outage: () => undefined,
    pool: () => ({ total: 0, idle: 0, waiting: 0 }),
    upstreams: () => [],
  });
  const types = new Map((await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
  return new Map(
    metrics.registry.getMetricsAsArray().map((m) => {
      const { name, labelNames } = m as unknown as { name: string; labelNames: string[] };
      return [name, { type: types.get(name) ?? '', labels: [...labelNames].sort() }];
    }),
  );
}

describe('operations documentation', () => {
  it("lists every exported metric in the README's table, with its type and labels, and no other", async () => {
    const documented = documentedMetrics();
    const exported = await exportedMetrics();
    const ours = [...exported].filter(([name]) => name.startsWith('pigeon_'));
    assert.ok(ours.length >= 20);
    for (const [name, row] of ours) assert.deepEqual(documented.get(name), row, `README metrics table: ${name}`);
    for (const name of documented.keys()) {
      if (name.startsWith('pigeon_')) assert.ok(exported.has(name), `README lists ${name}, which is not exported`);
    }
    // prom-client's default metrics are one row.
    const others = [...exported.keys()].filter((name) => !name.startsWith('pigeon_'));
    assert.ok(others.every((name) => /^(process|nodejs)_/.test(name)), others.join(', '));
    assert.ok(documented.has('process_*'));
  });

  const promtool = spawnSync('promtool', ['--version']).error ? undefined : 'promtool';
  it('has alert rules and a scrape configuration promtool accepts, and alerts that fire as their tests expect', { skip: skipUnless('interop', promtool !== undefined, 'promtool (Debian prometheus) is not installed') }, () => {
    for (const args of [['check', 'rules', 'alerts.yml'], ['test', 'rules', 'alerts.test.yml'], ['check', 'config', '--syntax-only', 'prometheus.yml']]) {
      const run = spawnSync('promtool', args, { cwd: PROMETHEUS_DIR, encoding: 'utf8' });
      assert.equal(run.status, 0, `promtool ${args.join(' ')}:\n${run.stdout}${run.stderr}`);
    }
  });
});
