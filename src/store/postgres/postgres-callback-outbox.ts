// Claiming callbacks fairly across endpoints, and recording attempts with the circuit of their
// endpoint, in PostgreSQL, where worker processes claim concurrently.
//
// An endpoint's share must hold over every process, so it is counted from leased outbox rows, and
// the count must be read after any other claim of the same endpoint has committed: a claim first
// row-locks the circuits of the endpoints it will take from (in endpoint order, so two claims never
// wait on each other in a circle), then, in a later statement whose snapshot sees every lease
// committed before those locks were granted, counts what each has in flight and leases its share.
// Claims of one endpoint therefore run one after another; claims of different endpoints do not wait.
import type { Pool, PoolClient } from 'pg';
import { circuitAfter, endpointCap, isClean } from '../../core/endpoints/circuit.js';
import { rotation } from '../../core/endpoints/round-robin.js';
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
import { noPin } from '../sql/index-pin.js';
import { qualified } from '../sql/queue-claim.js';
import { INDEX_PATHS_BEGIN } from './hot-settings.js';
import { named, run } from './statements.js';
import type { PostgresGroupCommitter } from './group-commit.js';
import { inTransaction } from './transaction.js';

const QUEUE = `'${CALLBACK_QUEUE}'`;

/** As the delivery claim: index paths whatever the statistics say (hot-settings.ts). */
const CLAIM_BEGIN = INDEX_PATHS_BEGIN;

/**
 * The endpoints with work: the circuits of those that may send now (healthy, or failing with the
 * probe due) row-locked until the claim commits, and, unlocked, those that have no circuit yet.
 */
const LOCK_ENDPOINTS = named(`WITH work AS (${endpointsWithWork('$1', noPin)}),
  locked AS (SELECT ${CIRCUIT_COLUMNS} FROM endpoint_circuits c
    WHERE c.queue = ${QUEUE} AND c.endpoint IN (SELECT url FROM work) AND (c.state = 'healthy' OR c.next_probe_at <= $1)
    ORDER BY c.endpoint FOR UPDATE)
  SELECT true AS known, ${CIRCUIT_COLUMNS} FROM locked
  UNION ALL
  SELECT false, w.url, 'healthy', 0, NULL, 0, NULL, NULL FROM work w
    WHERE NOT EXISTS (SELECT 1 FROM endpoint_circuits c WHERE c.queue = ${QUEUE} AND c.endpoint = w.url)`);
/** Circuits for endpoints seen for the first time, created healthy and locked like the others. */
const CREATE_CIRCUITS = named(`INSERT INTO endpoint_circuits (queue, endpoint, updated_at)
  SELECT ${QUEUE}, endpoint, $2 FROM unnest($1::text[]) AS n (endpoint) ORDER BY endpoint
  ON CONFLICT (queue, endpoint) DO NOTHING`);
const LOCK_CIRCUITS = named(`SELECT ${CIRCUIT_COLUMNS} FROM endpoint_circuits
  WHERE queue = ${QUEUE} AND endpoint = ANY($1::text[]) ORDER BY endpoint FOR UPDATE`);

const candidates = endpointCandidates({ now: '$4', url: 's.endpoint', n: 's.n', lock: 'FOR UPDATE SKIP LOCKED', pin: noPin });
/**
 * Each endpoint's share ($2: its cap, less what it has in flight, at most the claim's limit $5),
 * filled with its first due callbacks; then the first of every endpoint in turn ($3: its place in
 * the rotation), then the second of every endpoint, and so on, up to $5, leased to $6 until $7.
 * Joined on the id, as the claim before it was: the UPDATE follows a row to the version `cand` locked.
 */
const CLAIM = named(`WITH e AS (SELECT * FROM unnest($1::text[], $2::int[], $3::int[]) AS e (endpoint, cap, pos)),
  busy AS (${inFlightByEndpoint('$4', noPin)}),
  share AS (SELECT e.endpoint, e.pos, greatest(0, least($5::int, e.cap - coalesce(b.n, 0)::int)) AS n
    FROM e LEFT JOIN busy b ON b.url = e.endpoint),
  cand AS (SELECT c.id, s.pos, row_number() OVER (PARTITION BY s.endpoint ORDER BY c.id) AS rank
    FROM share s CROSS JOIN LATERAL (
      SELECT u.id FROM (SELECT f.id FROM (${candidates.free}) f UNION ALL SELECT x.id FROM (${candidates.expired}) x) u
      ORDER BY u.id LIMIT s.n) c),
  due AS (SELECT id FROM cand ORDER BY rank, pos LIMIT $5)
  UPDATE callback_outbox o SET locked_by = $6, locked_until = $7, attempts = o.attempts + 1,
    first_attempt_at = coalesce(o.first_attempt_at, $4)
  FROM due WHERE o.id = due.id
  RETURNING ${qualified(LEASED_COLUMNS, 'o')}`);

/**
 * The attempt, in one statement: the UPDATE matches only while this worker holds the lease (a worker
 * whose lease was taken over records nothing; the new owner records its own attempt), and hands its
 * attempt number to the INSERT through RETURNING. The attempt that delivers it is kept in the row
 * instead (migration 0021), so a callback answered at once writes one row, not two. `dirty` tells whether the endpoint's circuit has
 * anything a success must reset: on the hot path it has not, and nothing more is written.
 */
const RECORD_ATTEMPT = named(`WITH o AS (
    UPDATE callback_outbox SET state = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL,
      delivered_at = CASE WHEN $1 = 'delivered' THEN $6::bigint END,
      delivered_status = CASE WHEN $1 = 'delivered' THEN $7::integer END,
      delivered_latency_ms = CASE WHEN $1 = 'delivered' THEN $8::bigint END
    WHERE id = $4 AND locked_by = $5
    RETURNING id, attempts),
  a AS (INSERT INTO callback_attempts (outbox_id, attempt, time, status_code, latency_ms, error)
    SELECT id, attempts, $6::bigint, $7::integer, $8::bigint, $9::text FROM o WHERE $1 <> 'delivered'
    ON CONFLICT (outbox_id, attempt) DO UPDATE SET time = excluded.time, status_code = excluded.status_code,
      latency_ms = excluded.latency_ms, error = excluded.error)
  SELECT EXISTS (SELECT 1 FROM endpoint_circuits WHERE queue = ${QUEUE} AND endpoint = $10
    AND (state <> 'healthy' OR consecutive_failures > 0)) AS dirty`);
const CREATE_CIRCUIT = named(`INSERT INTO endpoint_circuits (queue, endpoint, updated_at) VALUES (${QUEUE}, $1, $2)
  ON CONFLICT (queue, endpoint) DO NOTHING`);
const LOCK_CIRCUIT = named(`SELECT ${CIRCUIT_COLUMNS} FROM endpoint_circuits WHERE queue = ${QUEUE} AND endpoint = $1 FOR UPDATE`);
const SAVE_CIRCUIT = named(circuitUpsert((i) => `$${i}`));
const DRAIN = named(drainNow({ now: '$1', url: '$2' }));
const STATUS = named(endpointStatusQuery({ now: '$1', queue: '$2', endpoint: '$3' }));
const STATUSES = named(endpointStatusQuery({ now: '$1', queue: '$2' }));

export class PostgresCallbackOutbox {
  constructor(
    private readonly pool: Pool,
    /** Where attempts are recorded, batched with the workers' other writes (group-commit.ts). */
    private readonly batch: PostgresGroupCommitter,
  ) {}

  claim(request: CallbackClaimRequest): Promise<ClaimedCallback[]> {
    return inTransaction(this.pool, (client) => this.claimIn(client, request), CLAIM_BEGIN);
  }

  private async claimIn(client: PoolClient, request: CallbackClaimRequest): Promise<ClaimedCallback[]> {
    const { now } = request;
    const { rows } = await run<CircuitRow & { known: boolean }>(client, LOCK_ENDPOINTS, [now]);
    if (rows.length === 0) return [];
    const circuits: CircuitRow[] = rows.filter((r) => r.known);
    const unknown = rows.filter((r) => !r.known).map((r) => r.endpoint);
    if (unknown.length > 0) {
      await run(client, CREATE_CIRCUITS, [unknown, now]);
      circuits.push(...(await run<CircuitRow>(client, LOCK_CIRCUITS, [unknown])).rows);
    }
    const caps = new Map(circuits.map((r) => [r.endpoint, endpointCap(circuitFromRow(r), request.perEndpoint, now)]));
    const order = rotation([...caps.keys()], request.turn).filter((endpoint) => (caps.get(endpoint)?.cap ?? 0) > 0);
    if (order.length === 0) return [];
    const { rows: leased } = await run<LeasedRow>(client, CLAIM, [
      order,
      order.map((endpoint) => caps.get(endpoint)?.cap ?? 0),
      order.map((_, i) => i),
      now,
      request.limit,
      request.workerId,
      now + request.leaseMs,
    ]);
    return leased
      .map((r) => claimedFromRow(r, caps.get(r.url)?.probe ?? false))
      .sort((a, b) => a.id - b.id);
  }

  async record(
    id: number,
    workerId: string,
    attempt: CallbackAttempt,
    next: CallbackNext,
    report: EndpointReport,
  ): Promise<EndpointChange | undefined> {
    const { state, runAt, error } = attemptOutcome(attempt, next);
    const values = [
      state,
      runAt,
      error,
      id,
      workerId,
      attempt.time,
      attempt.statusCode ?? null,
      attempt.latencyMs,
      attempt.error ?? null,
      report.endpoint,
    ];
    // Keyed by the outbox id: batches lock outbox rows in id order.
    const key = `5|${String(id).padStart(16, '0')}`;
    const { rows } = await this.batch.run(key, (client) => run<{ dirty: boolean }>(client, RECORD_ATTEMPT, values), 'callback');
    if (report.outcome.ok && !rows[0]?.dirty) return undefined;
    return inTransaction(this.pool, (client) => this.moveCircuit(client, report));
  }

  /** The circuit's read-modify-write under its row lock, so concurrent outcomes all count. */
  private async moveCircuit(client: PoolClient, { endpoint, outcome, policy }: EndpointReport): Promise<EndpointChange | undefined> {
    await run(client, CREATE_CIRCUIT, [endpoint, outcome.time]);
    const row = (await run<CircuitRow>(client, LOCK_CIRCUIT, [endpoint])).rows[0];
    if (!row) throw new Error(`endpoint circuit of ${endpoint} vanished`);
    const circuit = circuitFromRow(row);
    if (outcome.ok && isClean(circuit)) return undefined;
    const after = circuitAfter(circuit, outcome, policy);
    await run(client, SAVE_CIRCUIT, [CALLBACK_QUEUE, endpoint, ...circuitParams(after.circuit, outcome.time)]);
    if (after.change === 'recovered') await run(client, DRAIN, [outcome.time, endpoint]);
    if (!after.change) return undefined;
    const status = (await run<EndpointStatusRow>(client, STATUS, [outcome.time, CALLBACK_QUEUE, endpoint])).rows[0];
    if (!status) throw new Error(`endpoint circuit of ${endpoint} vanished`);
    return { change: after.change, status: endpointStatusFromRow(status) };
  }

  async endpoints(now: number): Promise<EndpointStatus[]> {
    const { rows } = await run<EndpointStatusRow>(this.pool, STATUSES, [now, CALLBACK_QUEUE]);
    return rows.map(endpointStatusFromRow);
  }
}
