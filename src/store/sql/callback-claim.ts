// The SQL both engines share for claiming callbacks per endpoint (the callback URL) and for the
// endpoints' circuits (table endpoint_circuits, migration 0006). What each endpoint may take is
// decided by the core (core/endpoints/): the store finds the endpoints with work, reads their
// circuits, counts what each has in flight, and takes each one's first callbacks up to its share.

import type { Circuit, CircuitState } from '../../core/endpoints/circuit.js';
import type { CallbackAttempt, CallbackNext, ClaimedCallback, EndpointStatus } from '../../core/ports.js';
import type { IndexPin } from './index-pin.js';

type Int = number | string;

/** The endpoint_circuits key of the callback outbox's endpoints. */
export const CALLBACK_QUEUE = 'callbacks';

/** Free: nobody holds it. Literal, because the partial index callback_outbox_endpoint_ready needs it. */
const FREE = `o.state = 'pending' AND o.locked_by IS NULL`;
/**
 * A message's callbacks leave in order: one waits while an earlier one of its message is pending.
 * A scalar subquery rather than NOT EXISTS, which PostgreSQL turns into an anti-join: planned on
 * young statistics, that join walked every pending callback for each candidate (22 000 rows for
 * a claim of 22 in the plan test); a scalar subquery is one lookup of the message's callbacks per
 * candidate, whatever the statistics say.
 */
const inOrder = (pin: IndexPin) =>
  `(SELECT 1 FROM callback_outbox p ${pin('callback_outbox', 'callback_outbox_message')}
    WHERE p.message_id = o.message_id AND p.state = 'pending' AND p.id < o.id LIMIT 1) IS NULL`;
/** The outbox read through the partial index of free callbacks by URL (migration 0006), or of leases (0004). */
const READY = (pin: IndexPin) => `callback_outbox o ${pin('callback_outbox', 'callback_outbox_endpoint_ready')}`;
const LEASED = (pin: IndexPin) => `callback_outbox o ${pin('callback_outbox', 'callback_outbox_leased')}`;

/**
 * The distinct URLs of free callbacks, found by skipping through callback_outbox_endpoint_ready
 * from one URL to the next (a seek per endpoint, however long an endpoint's backlog is), plus those
 * of callbacks whose lease ran out (their holder died: they are work again), through the small index
 * of leases. `now` is the engine's placeholder of the claim time.
 */
export function endpointsWithWork(now: string, pin: IndexPin): string {
  return `WITH RECURSIVE free_urls (url) AS (
      SELECT (SELECT o.url FROM ${READY(pin)} WHERE ${FREE} ORDER BY o.url LIMIT 1)
      UNION ALL
      SELECT (SELECT o.url FROM ${READY(pin)} WHERE ${FREE} AND o.url > free_urls.url ORDER BY o.url LIMIT 1)
      FROM free_urls WHERE free_urls.url IS NOT NULL)
    SELECT url FROM free_urls WHERE url IS NOT NULL
    UNION
    SELECT o.url FROM ${LEASED(pin)} WHERE o.state = 'pending' AND o.locked_by IS NOT NULL AND o.locked_until < ${now}`;
}

/** Callbacks in flight per endpoint: leased and the lease still running, whichever process holds it. */
export function inFlightByEndpoint(now: string, pin: IndexPin): string {
  return `SELECT o.url, count(*) AS n FROM ${LEASED(pin)}
    WHERE o.state = 'pending' AND o.locked_by IS NOT NULL AND o.locked_until >= ${now} GROUP BY o.url`;
}

/**
 * The first `n` due callbacks of the endpoint `url` a claim may take, as two selects (free ones in id
 * order, expired leases in the order they ran out) that the engine combines, each with `lock`
 * appended (PostgreSQL's FOR UPDATE SKIP LOCKED). The per-message check, not the order, keeps each
 * message's callbacks in order.
 */
/** The columns of a callback a claim leases, in both engines' row shape (PostgreSQL's bigints come as strings). */
export const LEASED_COLUMNS = 'id, message_id, account_id, application_id, event_type, url, body, attempts, created_at, first_attempt_at, request_id';

export type LeasedRow = {
  id: Int;
  message_id: string;
  account_id: string;
  application_id: string;
  event_type: string;
  url: string;
  body: string;
  /** Already counting this claim. */
  attempts: Int;
  created_at: Int;
  first_attempt_at: Int;
  request_id: string | null;
};

export function claimedFromRow(r: LeasedRow, probe: boolean): ClaimedCallback {
  return {
    id: Number(r.id),
    messageId: r.message_id,
    accountId: r.account_id,
    applicationId: r.application_id,
    eventType: r.event_type,
    url: r.url,
    body: r.body,
    attempts: Number(r.attempts),
    createdAt: Number(r.created_at),
    firstAttemptAt: Number(r.first_attempt_at),
    ...(r.request_id !== null && { requestId: r.request_id }),
    probe,
  };
}

/** What an attempt writes to its outbox row: the callback's state, when it runs next, its last error. */
export function attemptOutcome(attempt: CallbackAttempt, next: CallbackNext): { state: string; runAt: number; error: string | null } {
  return {
    state: next.state === 'retry' ? 'pending' : next.state,
    runAt: next.state === 'retry' ? next.runAt : attempt.time,
    error: attempt.error ?? (attempt.statusCode !== undefined && next.state !== 'delivered' ? `HTTP ${attempt.statusCode}` : null),
  };
}

export function endpointCandidates(p: { now: string; url: string; n: string; lock: string; pin: IndexPin }): {
  free: string;
  expired: string;
} {
  const due = `o.url = ${p.url} AND o.run_at <= ${p.now} AND ${inOrder(p.pin)}`;
  return {
    free: `SELECT o.id FROM ${READY(p.pin)} WHERE ${FREE} AND ${due} ORDER BY o.id LIMIT ${p.n} ${p.lock}`,
    expired: `SELECT o.id FROM ${LEASED(p.pin)} WHERE o.state = 'pending' AND o.locked_by IS NOT NULL
      AND o.locked_until < ${p.now} AND ${due} ORDER BY o.locked_until, o.id LIMIT ${p.n} ${p.lock}`,
  };
}

export const CIRCUIT_COLUMNS = 'endpoint, state, consecutive_failures, failing_since, failed_probes, next_probe_at, last_error';

export interface CircuitRow {
  endpoint: string;
  state: CircuitState;
  consecutive_failures: Int;
  failing_since: Int | null;
  failed_probes: Int;
  next_probe_at: Int | null;
  last_error: string | null;
}

export function circuitFromRow(row: CircuitRow): Circuit {
  const time = (value: Int | null) => (value === null ? undefined : Number(value));
  return {
    state: row.state,
    consecutiveFailures: Number(row.consecutive_failures),
    failingSince: time(row.failing_since),
    failedProbes: Number(row.failed_probes),
    nextProbeAt: time(row.next_probe_at),
    lastError: row.last_error ?? undefined,
  };
}

/** The values of a circuit row after `queue, endpoint`, in the order of CIRCUIT_UPSERT's columns. */
export function circuitParams(circuit: Circuit, time: number): unknown[] {
  return [
    circuit.state,
    circuit.consecutiveFailures,
    circuit.failingSince ?? null,
    circuit.failedProbes,
    circuit.nextProbeAt ?? null,
    circuit.lastError ?? null,
    time,
  ];
}

/** Writes a circuit, creating its row if the endpoint has none yet. `ph(i)` is the i-th placeholder (1-based). */
export function circuitUpsert(ph: (i: number) => string): string {
  return `INSERT INTO endpoint_circuits (queue, endpoint, state, consecutive_failures, failing_since, failed_probes,
      next_probe_at, last_error, updated_at)
    VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9].map(ph).join(', ')})
    ON CONFLICT (queue, endpoint) DO UPDATE SET state = excluded.state, consecutive_failures = excluded.consecutive_failures,
      failing_since = excluded.failing_since, failed_probes = excluded.failed_probes, next_probe_at = excluded.next_probe_at,
      last_error = excluded.last_error, updated_at = excluded.updated_at`;
}

/**
 * After an endpoint answered again: its waiting callbacks that a failed attempt had put off are due
 * now, so the backlog drains at once rather than each callback at the end of its own backoff.
 */
export function drainNow(p: { now: string; url: string }): string {
  return `UPDATE callback_outbox SET run_at = ${p.now} WHERE url = ${p.url} AND state = 'pending' AND locked_by IS NULL AND run_at > ${p.now}`;
}

/**
 * Every circuit of the callback queue with its backlog (pending callbacks, counted through the two
 * partial indexes that hold them: free ones by URL, leased ones by lease end) and what is in flight.
 */
export function endpointStatusQuery(p: { now: string; queue: string; endpoint?: string }): string {
  return `SELECT ${CIRCUIT_COLUMNS},
      (SELECT count(*) FROM callback_outbox o WHERE ${FREE} AND o.url = c.endpoint) AS free,
      (SELECT count(*) FROM callback_outbox o WHERE o.state = 'pending' AND o.locked_by IS NOT NULL AND o.url = c.endpoint) AS leased,
      (SELECT count(*) FROM callback_outbox o WHERE o.state = 'pending' AND o.locked_by IS NOT NULL
        AND o.locked_until >= ${p.now} AND o.url = c.endpoint) AS in_flight
    FROM endpoint_circuits c WHERE c.queue = ${p.queue}${p.endpoint ? ` AND c.endpoint = ${p.endpoint}` : ''} ORDER BY c.endpoint`;
}

export type EndpointStatusRow = CircuitRow & { free: Int; leased: Int; in_flight: Int };

export function endpointStatusFromRow(row: EndpointStatusRow): EndpointStatus {
  return {
    queue: CALLBACK_QUEUE,
    endpoint: row.endpoint,
    ...circuitFromRow(row),
    backlog: Number(row.free) + Number(row.leased),
    inFlight: Number(row.in_flight),
  };
}
