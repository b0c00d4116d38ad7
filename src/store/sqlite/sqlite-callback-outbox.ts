// Claiming callbacks fairly across endpoints, and recording attempts with the circuit of their
// endpoint, in SQLite. Both run inside the group committer's write transaction, which no other
// writer overlaps, so reading what is in flight and leasing from it needs no locks.
import type Database from 'better-sqlite3';
import { circuitAfter, endpointCap, HEALTHY, isClean } from '../../core/endpoints/circuit.js';
import { interleave, rotation } from '../../core/endpoints/round-robin.js';
import type {
  CallbackAttempt,
  CallbackClaimRequest,
  CallbackNext,
  ClaimedCallback,
  EndpointChange,
  EndpointReport,
  EndpointStatus,
} from '../../core/ports.js';
import {
  attemptOutcome,
  CALLBACK_QUEUE,
  claimedFromRow,
  CIRCUIT_COLUMNS,
  circuitFromRow,
  circuitParams,
  circuitUpsert,
  drainNow,
  endpointCandidates,
  endpointStatusFromRow,
  endpointStatusQuery,
  endpointsWithWork,
  inFlightByEndpoint,
  LEASED_COLUMNS,
  type CircuitRow,
  type EndpointStatusRow,
  type LeasedRow,
} from '../sql/callback-claim.js';
import { sqlitePin } from '../sql/index-pin.js';
import type { GroupCommitter } from './group-commit.js';
import { prepareAll } from './prepare-all.js';

const candidates = endpointCandidates({ now: '@now', url: '@url', n: '@n', lock: '', pin: sqlitePin });

/** The statements of the callback outbox; exported for the plan tests (test/store/hot-plans.test.ts). */
export const CALLBACK_OUTBOX_SQL = {
  endpoints: endpointsWithWork('@now', sqlitePin),
  inFlight: inFlightByEndpoint('@now', sqlitePin),
  candidates: `SELECT id FROM (${candidates.free}) UNION ALL SELECT id FROM (${candidates.expired}) ORDER BY 1 LIMIT @n`,
  lease: `UPDATE callback_outbox SET locked_by = ?, locked_until = ?, attempts = attempts + 1,
      first_attempt_at = coalesce(first_attempt_at, ?) WHERE id = ? RETURNING ${LEASED_COLUMNS}`,
  circuit: `SELECT ${CIRCUIT_COLUMNS} FROM endpoint_circuits ${sqlitePin('endpoint_circuits')} WHERE queue = ? AND endpoint = ?`,
  newCircuit: 'INSERT OR IGNORE INTO endpoint_circuits (queue, endpoint, updated_at) VALUES (?, ?, ?)',
  saveCircuit: circuitUpsert(() => '?'),
  drain: drainNow({ now: '@now', url: '@url' }),
  status: endpointStatusQuery({ now: '@now', queue: '@queue', endpoint: '@endpoint' }),
  statuses: endpointStatusQuery({ now: '@now', queue: '@queue' }),
  owned: 'SELECT attempts FROM callback_outbox WHERE id = ? AND locked_by = ?',
  insertAttempt: `INSERT OR REPLACE INTO callback_attempts (outbox_id, attempt, time, status_code, latency_ms, error)
    VALUES (?, ?, ?, ?, ?, ?)`,
  finish: `UPDATE callback_outbox SET state = ?, run_at = ?, last_error = ?, locked_by = NULL,
      locked_until = NULL WHERE id = ? AND locked_by = ?`,
  // The attempt that delivered it goes into the row (migration 0021): one write, no attempt row.
  delivered: `UPDATE callback_outbox SET state = 'delivered', run_at = ?, last_error = NULL, locked_by = NULL,
      locked_until = NULL, delivered_at = ?, delivered_status = ?, delivered_latency_ms = ? WHERE id = ? AND locked_by = ?`,
};

export class SqliteCallbackOutbox {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {
    this.s = prepareAll(db, CALLBACK_OUTBOX_SQL);
    this.s.endpoints.pluck();
    this.s.candidates.pluck();
  }

  claim(request: CallbackClaimRequest): Promise<ClaimedCallback[]> {
    return this.writes.run(() => {
      const { now, limit } = request;
      const urls = this.s.endpoints.all({ now }) as string[];
      if (urls.length === 0) return [];
      const inFlight = new Map((this.s.inFlight.all({ now }) as Array<{ url: string; n: number }>).map((r) => [r.url, r.n]));
      const lists: number[][] = [];
      const probes = new Set<string>();
      for (const url of rotation(urls, request.turn)) {
        const { cap, probe } = endpointCap(this.circuitOf(url, now), request.perEndpoint, now);
        const share = Math.min(limit, cap - (inFlight.get(url) ?? 0));
        if (share <= 0) continue;
        lists.push(this.s.candidates.all({ now, url, n: share }) as number[]);
        if (probe) probes.add(url);
      }
      return interleave(lists, limit).map((id) => {
        const row = this.s.lease.get(request.workerId, now + request.leaseMs, now, id) as LeasedRow;
        return claimedFromRow(row, probes.has(row.url));
      });
    });
  }

  /** The endpoint's circuit; an endpoint seen for the first time gets its row (healthy) here. */
  private circuitOf(url: string, now: number) {
    const row = this.s.circuit.get(CALLBACK_QUEUE, url) as CircuitRow | undefined;
    if (row) return circuitFromRow(row);
    this.s.newCircuit.run(CALLBACK_QUEUE, url, now);
    return HEALTHY;
  }

  record(
    id: number,
    workerId: string,
    attempt: CallbackAttempt,
    next: CallbackNext,
    report: EndpointReport,
  ): Promise<EndpointChange | undefined> {
    return this.writes.run(() => {
      // Without the lease (taken over) the new owner records its own attempt; what the endpoint
      // answered is true all the same, so its circuit moves either way.
      const { state, runAt, error } = attemptOutcome(attempt, next);
      if (state === 'delivered') {
        this.s.delivered.run(runAt, attempt.time, attempt.statusCode ?? null, attempt.latencyMs, id, workerId);
        return this.moveCircuit(report);
      }
      const row = this.s.owned.get(id, workerId) as { attempts: number } | undefined;
      if (row) {
        this.s.insertAttempt.run(id, row.attempts, attempt.time, attempt.statusCode ?? null, attempt.latencyMs, attempt.error ?? null);
        this.s.finish.run(state, runAt, error, id, workerId);
      }
      return this.moveCircuit(report);
    }, 'callback');
  }

  private moveCircuit({ endpoint, outcome, policy }: EndpointReport): EndpointChange | undefined {
    const row = this.s.circuit.get(CALLBACK_QUEUE, endpoint) as CircuitRow | undefined;
    const circuit = row ? circuitFromRow(row) : HEALTHY;
    // The hot path: a success at a healthy endpoint has nothing to write.
    if (outcome.ok && isClean(circuit)) return undefined;
    const after = circuitAfter(circuit, outcome, policy);
    this.s.saveCircuit.run(CALLBACK_QUEUE, endpoint, ...circuitParams(after.circuit, outcome.time));
    if (after.change === 'recovered') this.s.drain.run({ now: outcome.time, url: endpoint });
    if (!after.change) return undefined;
    const status = this.s.status.get({ now: outcome.time, queue: CALLBACK_QUEUE, endpoint }) as EndpointStatusRow;
    return { change: after.change, status: endpointStatusFromRow(status) };
  }

  async endpoints(now: number): Promise<EndpointStatus[]> {
    return (this.s.statuses.all({ now, queue: CALLBACK_QUEUE }) as EndpointStatusRow[]).map(endpointStatusFromRow);
  }
}
