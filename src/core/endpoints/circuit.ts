// The circuit of one outbound endpoint (a callback URL today; an SMPP bind tomorrow): healthy, or
// failing after enough consecutive timeouts and errors. A failing endpoint gets one probe at a time,
// each after a backoff that grows with the failed probes, until one answers; its backlog then drains
// at the endpoint's normal share. The state lives in the store (table endpoint_circuits), shared by
// every worker process and kept over restarts; this module only decides the transitions.
import { backoffMs } from '../delivery/backoff.js';

export type CircuitState = 'healthy' | 'failing';

export interface Circuit {
  state: CircuitState;
  /** Failed attempts since the last success. */
  consecutiveFailures: number;
  /** The first failure of the current run of failures; undefined after a success. */
  failingSince: number | undefined;
  /** Probes that failed since the circuit opened: the exponent of the probe backoff. */
  failedProbes: number;
  /** When a failing endpoint may be probed next. */
  nextProbeAt: number | undefined;
  lastError: string | undefined;
}

export interface CircuitPolicy {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  probeInitialMs: number;
  probeMaxMs: number;
}

export const HEALTHY: Circuit = Object.freeze({
  state: 'healthy',
  consecutiveFailures: 0,
  failingSince: undefined,
  failedProbes: 0,
  nextProbeAt: undefined,
  lastError: undefined,
});

/** What an attempt told about the endpoint. `probe`: it was sent as the failing endpoint's probe. */
export interface EndpointOutcome {
  ok: boolean;
  probe: boolean;
  time: number;
  error: string | undefined;
}

/** A change of state worth one log line: the circuit opened, or the endpoint answered again. */
export type CircuitChange = 'opened' | 'recovered';

/** True when a success has nothing to reset: the hot path writes nothing to the circuit. */
export function isClean(circuit: Circuit): boolean {
  return circuit.state === 'healthy' && circuit.consecutiveFailures === 0;
}

export function circuitAfter(
  circuit: Circuit,
  outcome: EndpointOutcome,
  policy: CircuitPolicy,
  random?: () => number,
): { circuit: Circuit; change: CircuitChange | undefined } {
  if (outcome.ok) return { circuit: HEALTHY, change: circuit.state === 'failing' ? 'recovered' : undefined };
  const failures = circuit.consecutiveFailures + 1;
  const failing = {
    ...circuit,
    consecutiveFailures: failures,
    failingSince: circuit.failingSince ?? outcome.time,
    lastError: outcome.error,
  };
  if (circuit.state === 'healthy') {
    if (failures < policy.failureThreshold) return { circuit: failing, change: undefined };
    const nextProbeAt = outcome.time + backoffMs(1, policy.probeInitialMs, policy.probeMaxMs, random);
    return { circuit: { ...failing, state: 'failing', failedProbes: 0, nextProbeAt }, change: 'opened' };
  }
  // Already failing. Only the probe moves the next probe: the requests that were in flight when the
  // circuit opened fail one after another and must not stretch the backoff by as many steps.
  if (!outcome.probe) return { circuit: failing, change: undefined };
  const failedProbes = circuit.failedProbes + 1;
  const nextProbeAt = outcome.time + backoffMs(failedProbes + 1, policy.probeInitialMs, policy.probeMaxMs, random);
  return { circuit: { ...failing, failedProbes, nextProbeAt }, change: undefined };
}

/**
 * How many requests an endpoint may have in flight now: its whole share while healthy; one, the
 * probe, while failing and the probe is due; none otherwise. The store subtracts what is in flight.
 */
export function endpointCap(circuit: Circuit, perEndpoint: number, now: number): { cap: number; probe: boolean } {
  if (circuit.state === 'healthy') return { cap: perEndpoint, probe: false };
  const due = circuit.nextProbeAt === undefined || circuit.nextProbeAt <= now;
  return { cap: due ? 1 : 0, probe: true };
}
