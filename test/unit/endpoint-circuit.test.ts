// The per-endpoint scheduling rules on their own: when a circuit opens and closes, when a failing
// endpoint may be probed, how a claim is shared out in turn, and that the log says so once per change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { circuitAfter, endpointCap, HEALTHY, isClean, type Circuit } from '../../src/core/endpoints/circuit.js';
import { interleave, rotation } from '../../src/core/endpoints/round-robin.js';
import type { EndpointChange } from '../../src/core/ports.js';
import { endpointForLog, logEndpointChange } from '../../src/shared/endpoint-log.js';

const POLICY = { failureThreshold: 3, probeInitialMs: 1000, probeMaxMs: 8000 };
// No jitter: the backoff's upper end.
const noJitter = () => 1;
const fail = (circuit: Circuit, time: number, probe = false) =>
  circuitAfter(circuit, { ok: false, probe, time, error: 'timed out' }, POLICY, noJitter);

describe('endpoint circuit', () => {
  it('opens after the threshold of consecutive failures, counting from the first of them', () => {
    let c = fail(HEALTHY, 100);
    assert.equal(c.change, undefined);
    assert.equal(c.circuit.failingSince, 100);
    c = fail(c.circuit, 200);
    assert.equal(c.circuit.state, 'healthy');
    c = fail(c.circuit, 300);
    assert.equal(c.change, 'opened');
    assert.deepEqual(c.circuit, {
      state: 'failing',
      consecutiveFailures: 3,
      failingSince: 100,
      failedProbes: 0,
      nextProbeAt: 1300,
      lastError: 'timed out',
    });
  });

  it('a success in between starts the count again', () => {
    const two = fail(fail(HEALTHY, 1).circuit, 2).circuit;
    const ok = circuitAfter(two, { ok: true, probe: false, time: 3, error: undefined }, POLICY);
    assert.equal(ok.change, undefined);
    assert.ok(isClean(ok.circuit));
    assert.equal(fail(ok.circuit, 4).circuit.consecutiveFailures, 1);
  });

  it('backs the probes off, doubling to the cap, and only a probe moves the next one', () => {
    let c = fail(fail(fail(HEALTHY, 0).circuit, 0).circuit, 0).circuit;
    assert.equal(c.nextProbeAt, 1000);
    // A request that was in flight when the circuit opened fails later: counted, but the probe stays.
    c = fail(c, 500).circuit;
    assert.equal(c.consecutiveFailures, 4);
    assert.equal(c.nextProbeAt, 1000);
    const gaps = [];
    for (let time = 1000; gaps.length < 5; ) {
      const next = fail(c, time, true).circuit;
      gaps.push((next.nextProbeAt as number) - time);
      c = next;
      time = next.nextProbeAt as number;
    }
    assert.deepEqual(gaps, [2000, 4000, 8000, 8000, 8000]);
    assert.equal(c.state, 'failing');
    assert.equal(c.failedProbes, 5);
  });

  it('closes on the first answer, probe or not, and reports the recovery once', () => {
    const open = fail(fail(fail(HEALTHY, 0).circuit, 0).circuit, 0).circuit;
    const ok = circuitAfter(open, { ok: true, probe: true, time: 2000, error: undefined }, POLICY);
    assert.equal(ok.change, 'recovered');
    assert.deepEqual(ok.circuit, HEALTHY);
    assert.equal(circuitAfter(ok.circuit, { ok: true, probe: false, time: 2001, error: undefined }, POLICY).change, undefined);
  });

  it('caps a healthy endpoint at its share, a failing one at one probe when due and none before', () => {
    assert.deepEqual(endpointCap(HEALTHY, 32, 0), { cap: 32, probe: false });
    const open = fail(fail(fail(HEALTHY, 0).circuit, 0).circuit, 0).circuit;
    assert.deepEqual(endpointCap(open, 32, 999), { cap: 0, probe: true });
    assert.deepEqual(endpointCap(open, 32, 1000), { cap: 1, probe: true });
  });
});

describe('round-robin shares', () => {
  it('rotates which endpoint goes first with each turn', () => {
    assert.deepEqual(rotation(['c', 'a', 'b'], 0), ['a', 'b', 'c']);
    assert.deepEqual(rotation(['c', 'a', 'b'], 1), ['b', 'c', 'a']);
    assert.deepEqual(rotation(['c', 'a', 'b'], 5), ['c', 'a', 'b']);
    assert.deepEqual(rotation([], 3), []);
  });

  it('takes the first of every list, then the second of every list, up to the limit', () => {
    assert.deepEqual(interleave([[1, 2, 3, 4], [10], [20, 21]], 5), [1, 10, 20, 2, 21]);
    assert.deepEqual(interleave([[1, 2], [10]], 10), [1, 10, 2]);
    assert.deepEqual(interleave([], 3), []);
  });
});

describe('endpoint log lines', () => {
  const status = (state: 'healthy' | 'failing') => ({
    ...HEALTHY,
    state,
    queue: 'callbacks',
    endpoint: 'https://user:secret@app.example.com/hooks?token=abc',
    consecutiveFailures: state === 'failing' ? 5 : 0,
    failingSince: state === 'failing' ? 0 : undefined,
    nextProbeAt: state === 'failing' ? 5000 : undefined,
    lastError: state === 'failing' ? 'HTTP 500' : undefined,
    backlog: 12,
    inFlight: 0,
  });

  it('keeps credentials and the query out of the endpoint it names', () => {
    assert.equal(endpointForLog('https://user:secret@app.example.com/hooks?token=abc'), 'https://app.example.com/hooks');
  });

  it('writes one warning when the circuit opens and one info line when it closes', () => {
    const lines: Array<[string, Record<string, unknown>, string]> = [];
    const logger = {
      warn: (fields: Record<string, unknown>, message: string) => lines.push(['warn', fields, message]),
      info: (fields: Record<string, unknown>, message: string) => lines.push(['info', fields, message]),
    };
    const changes: EndpointChange[] = [
      { change: 'opened', status: status('failing') },
      { change: 'recovered', status: status('healthy') },
    ];
    for (const change of changes) logEndpointChange(logger as never, change);
    assert.deepEqual(
      lines.map(([level, fields]) => [level, fields.endpoint, fields.backlog]),
      [
        ['warn', 'https://app.example.com/hooks', 12],
        ['info', 'https://app.example.com/hooks', 12],
      ],
    );
    assert.equal(lines[0]?.[1].failingSince, '1970-01-01T00:00:00.000Z');
    assert.equal(lines[0]?.[1].nextProbeAt, '1970-01-01T00:00:05.000Z');
    assert.ok(!JSON.stringify(lines).includes('secret'));
  });
});
