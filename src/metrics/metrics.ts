// Prometheus metrics of one Pigeon process (prom-client), exposed at GET /metrics. The core knows
// nothing of them: what the core does is observed at its ports (instrument.ts wraps the store and
// the carrier adapter), the HTTP layer through a hook, and what the queues hold is read from the
// database at scrape time, so that with several processes on one PostgreSQL database any one of them
// reports the queue-wide figures right. Labels are bounded: route patterns, never paths; message
// types, statuses, Bandwidth error codes, carrier names from the config; never ids, numbers or URLs.
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** A registry's metrics as prom-client passes them between threads. */
export type MetricsSnapshot = Array<MetricObjectWithValues<MetricValue<string>>>;

/** What the queues hold, from the database (store/store-stats.ts). */
export interface QueueFigures {
  queued: number;
  /** When the oldest recipient still queued was accepted (epoch ms). */
  oldestQueuedAt: number | undefined;
  /** Submitted recipients whose receipt has not come, per carrier. */
  awaitingReceipt: ReadonlyArray<{ carrier: string; count: number }>;
  outboxPending: number;
  /** When the oldest callback still to send was created (epoch ms). */
  oldestOutboxAt: number | undefined;
}

/** One upstream carrier's figures (carriers/bandwidth/bandwidth-carrier.ts). */
export interface UpstreamFigures {
  name: string;
  up: boolean;
  inFlight: number;
  requests: number;
  errors: number;
  /** Recent request latency, milliseconds; absent before the first answer. */
  latencyMs?: { p50: number; p95: number };
}

export interface MetricsSources {
  now: () => number;
  /** Queue-wide figures; read at most once per scrape. */
  queues?: () => Promise<QueueFigures>;
  /** The carrier in use and its session state. */
  carrier?: () => { name: string; state: string };
  /** Upstream messaging providers used as carriers (carriers/bandwidth), where this process runs them. */
  upstreams?: () => readonly UpstreamFigures[];
  /** A database outage in progress (main/store-health.ts). */
  outage?: () => string | undefined;
  /** Pooled connections (PostgreSQL). */
  pool?: () => { total: number; idle: number; waiting: number };
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A receipt can take from milliseconds (the simulator) to days (a phone that is off). */
const RECEIPT_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];
const CARRIER_STATES = ['connecting', 'connected', 'disconnected'];

export class PigeonMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'pigeon_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'pigeon_http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by route pattern, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly messagesAccepted = new Counter({
    name: 'pigeon_messages_accepted_total',
    help: 'Outbound messages accepted (stored durably and answered 202), by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly recipientsEnded = new Counter({
    name: 'pigeon_recipients_ended_total',
    help: 'Outbound recipients that reached a terminal status, by status and Bandwidth error code (0 when delivered)',
    labelNames: ['status', 'error_code'] as const,
    registers: [this.registry],
  });
  readonly inboundMessages = new Counter({
    name: 'pigeon_inbound_messages_total',
    help: 'Inbound message copies stored (one per owned number), by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly inboundDropped = new Counter({
    name: 'pigeon_inbound_dropped_total',
    help: 'Inbound messages from a carrier dropped because no application owns any addressed number (unknown or released), by carrier',
    labelNames: ['carrier'] as const,
    registers: [this.registry],
  });
  readonly carrierSubmits = new Counter({
    name: 'pigeon_carrier_submits_total',
    help: 'Submits to the carrier by this process, by carrier and outcome (accepted, transient_error, permanent_error)',
    labelNames: ['carrier', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly carrierSubmitDuration = new Histogram({
    name: 'pigeon_carrier_submit_duration_seconds',
    help: 'Time a submit took until the carrier answered, by carrier',
    labelNames: ['carrier'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly carrierSubmitsInFlight = new Gauge({
    name: 'pigeon_carrier_submits_in_flight',
    help: 'Submits of this process waiting for the carrier, by carrier',
    labelNames: ['carrier'] as const,
    registers: [this.registry],
  });
  readonly submitToReceipt = new Histogram({
    name: 'pigeon_carrier_receipt_latency_seconds',
    help: 'Time from a submit by this process to its delivery receipt, by carrier and outcome (delivered, failed)',
    labelNames: ['carrier', 'outcome'] as const,
    buckets: RECEIPT_BUCKETS,
    registers: [this.registry],
  });
  readonly callbackAttempts = new Counter({
    name: 'pigeon_callback_attempts_total',
    help: 'Callback attempts by this process, by outcome (delivered, retry, abandoned)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly callbackAttemptDuration = new Histogram({
    name: 'pigeon_callback_attempt_duration_seconds',
    help: "Time a callback attempt took until the application's server answered or the attempt failed, by outcome",
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly dbCommitBatch = new Histogram({
    name: 'pigeon_db_commit_batch_size',
    help: "Writes committed together by one group commit (SQLite: the store's writes; PostgreSQL: the workers' writes)",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  readonly dbCommitDuration = new Histogram({
    name: 'pigeon_db_commit_duration_seconds',
    help: 'Time of one group commit: the transaction (phase=commit) and, on SQLite, the WAL fsync after it (phase=sync)',
    labelNames: ['phase'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /**
   * `processMetrics: false` leaves out the standard process_* and nodejs_* metrics: for a worker
   * thread, whose figures are added to its process's (main/worker-thread.ts), which reports those once.
   */
  constructor(
    private readonly sources: MetricsSources,
    options: { processMetrics?: boolean } = {},
  ) {
    // The standard names (process_*, nodejs_*), which dashboards for Node processes expect.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    // Gauges named like counters, which promtool rejects; nodejs_active_{handles,requests,resources}
    // by type say the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }
    const queues = cachedPerScrape(sources.queues);
    const queueGauge = (name: string, help: string, value: (figures: QueueFigures) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          const figures = await queues();
          if (figures) this.set(value(figures));
        },
      });
    queueGauge('pigeon_delivery_queue_depth', 'Outbound recipients waiting in the delivery queue (the whole database)', (f) => f.queued);
    queueGauge('pigeon_delivery_queue_oldest_age_seconds', 'Age of the oldest recipient in the delivery queue (0 when empty)', (f) =>
      ageSeconds(sources.now(), f.oldestQueuedAt),
    );
    queueGauge('pigeon_callback_outbox_depth', 'Callbacks waiting to be sent or retried (the whole database)', (f) => f.outboxPending);
    queueGauge('pigeon_callback_outbox_oldest_age_seconds', 'Age of the oldest callback waiting to be sent (0 when none)', (f) =>
      ageSeconds(sources.now(), f.oldestOutboxAt),
    );
    new Gauge({
      name: 'pigeon_carrier_receipts_awaited',
      help: 'Submitted recipients waiting for their delivery receipt, by carrier (the whole database)',
      labelNames: ['carrier'] as const,
      registers: [this.registry],
      async collect() {
        const figures = await queues();
        if (!figures) return;
        this.reset();
        for (const { carrier, count } of figures.awaitingReceipt) this.set({ carrier }, count);
      },
    });
    if (sources.carrier) {
      const carrier = sources.carrier;
      new Gauge({
        name: 'pigeon_carrier_state',
        help: "The carrier session's state: 1 for the current one (connecting, connected, disconnected)",
        labelNames: ['carrier', 'state'] as const,
        registers: [this.registry],
        collect() {
          const { name, state } = carrier();
          this.reset();
          for (const s of new Set([...CARRIER_STATES, state])) this.set({ carrier: name, state: s }, s === state ? 1 : 0);
        },
      });
      new Gauge({
        name: 'pigeon_carrier_up',
        help: 'Whether the carrier session is connected (1) or not (0)',
        labelNames: ['carrier'] as const,
        registers: [this.registry],
        collect() {
          const { name, state } = carrier();
          this.reset();
          this.set({ carrier: name }, state === 'connected' ? 1 : 0);
        },
      });
    }
    if (sources.upstreams) upstreamMetrics(this.registry, sources.upstreams);
    if (sources.outage) {
      const outage = sources.outage;
      new Gauge({
        name: 'pigeon_database_outage',
        help: 'A database outage this process is in, by reason (unreachable, disk-full, read-only, io-error): 1 while it lasts',
        labelNames: ['reason'] as const,
        registers: [this.registry],
        collect() {
          const reason = outage();
          this.reset();
          for (const r of new Set(['unreachable', 'disk-full', 'read-only', 'io-error', ...(reason ? [reason] : [])])) {
            this.set({ reason: r }, r === reason ? 1 : 0);
          }
        },
      });
    }
    if (sources.pool) {
      const pool = sources.pool;
      new Gauge({
        name: 'pigeon_db_pool_connections',
        help: 'PostgreSQL pool connections of this process: open (total), idle, and requests waiting for one (waiting)',
        labelNames: ['state'] as const,
        registers: [this.registry],
        collect() {
          const { total, idle, waiting } = pool();
          this.set({ state: 'total' }, total);
          this.set({ state: 'idle' }, idle);
          this.set({ state: 'waiting' }, waiting);
        },
      });
    }
  }

  /** This registry's metrics, for the thread that renders them with its own. */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /**
   * The exposition text and its content type; with `others`, the figures of the worker threads of
   * this process added in (counters and histograms summed; each gauge is reported by one thread only).
   */
  async render(others: readonly MetricsSnapshot[] = []): Promise<{ contentType: string; body: string }> {
    if (others.length === 0) return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    const all = AggregatorRegistry.aggregate([await this.snapshot(), ...others]);
    return { contentType: this.registry.contentType, body: await all.metrics() };
  }
}

function ageSeconds(now: number, since: number | undefined): number {
  return since === undefined ? 0 : Math.max(0, (now - since) / 1000);
}

/**
 * One database read serves every gauge of a scrape: the gauges collect concurrently, and the result
 * is kept for a second. A failed read leaves the gauges as they were (an outage is reported apart).
 */
function cachedPerScrape(read: (() => Promise<QueueFigures>) | undefined): () => Promise<QueueFigures | undefined> {
  let last: { at: number; figures: Promise<QueueFigures | undefined> } | undefined;
  return () => {
    if (!read) return Promise.resolve(undefined);
    const at = Date.now();
    if (!last || at - last.at > 1000) last = { at, figures: read().catch(() => undefined) };
    return last.figures;
  };
}

/** Per upstream carrier: up or down, requests in flight, requests and errors so far, recent latency. */
function upstreamMetrics(registry: Registry, upstreams: () => readonly UpstreamFigures[]): void {
  const gauge = (name: string, help: string, value: (u: UpstreamFigures) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['carrier'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const u of upstreams()) {
          const v = value(u);
          if (v !== undefined) this.set({ carrier: u.name }, v);
        }
      },
    });
  const counter = (name: string, help: string, value: (u: UpstreamFigures) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['carrier'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const u of upstreams()) this.inc({ carrier: u.name }, value(u));
      },
    });
  gauge('pigeon_upstream_up', 'Whether routes use the upstream carrier (1) or treat it as down after errors (0)', (u) => (u.up ? 1 : 0));
  gauge('pigeon_upstream_in_flight', 'Requests to the upstream carrier waiting for an answer', (u) => u.inFlight);
  counter('pigeon_upstream_requests_total', 'Requests made to the upstream carrier by this process', (u) => u.requests);
  counter('pigeon_upstream_errors_total', 'Upstream requests that failed: timeouts, connection errors, 429 and 5xx', (u) => u.errors);
  gauge('pigeon_upstream_latency_p50_seconds', 'Median latency of recent upstream requests', (u) => (u.latencyMs ? u.latencyMs.p50 / 1000 : undefined));
  gauge('pigeon_upstream_latency_p95_seconds', '95th percentile latency of recent upstream requests', (u) => (u.latencyMs ? u.latencyMs.p95 / 1000 : undefined));
}
