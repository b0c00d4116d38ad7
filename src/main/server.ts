// Starting and stopping a whole Pigeon process: the one place that opens the store, builds the
// app, starts the carrier and the background workers, listens, and tears everything down in order.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { HttpCallbackTransport } from '../callbacks/http-callback-transport.js';
import { isSimulatorRuleError, openCarrier } from '../carriers/open-carrier.js';
import type { SimulatorCarrier } from '../carriers/simulator/simulator-carrier.js';
import type { Config } from '../config/config.js';
import { Authenticator } from '../core/accounts/authenticator.js';
import { FailedAttempts } from '../core/accounts/failed-attempts.js';
import { DirectoryAdmin } from '../core/accounts/directory-admin.js';
import { Inventory } from '../core/numbers/inventory.js';
import { NumbersService } from '../core/numbers/numbers-service.js';
import type { AccountDirectory } from '../core/accounts/directory.js';
import { CallbackWorker } from '../core/callbacks/callback-worker.js';
import { DeliveryWorker } from '../core/delivery/delivery-worker.js';
import { throughputPolicy } from '../core/delivery/rate-policy.js';
import { applyParkedReceipts, applyReceipt, expireOverdueReceipts, receiptIds } from '../core/delivery/receipts.js';
import { receiveInbound } from '../core/inbound/receive-inbound.js';
import { PhoneAdmin } from '../core/sandbox/phone-admin.js';
import { ScriptedPhones } from '../core/sandbox/scripted-phones.js';
import { liveOptOutPolicy } from '../core/opt-out/live-policy.js';
import { OptOutService } from '../core/opt-out/opt-out-service.js';
import { startMediaRetention } from '../core/media/media-retention.js';
import type { Store } from '../core/ports.js';
import { StoreBusyError, StoreUnavailableError } from '../core/errors.js';
import { buildApp } from '../http/app.js';
import { buildProbeApp } from '../http/probe-app.js';
import { DEFAULT_WORKER_PORT } from '../config/config.js';
import { logEndpointChange } from '../shared/endpoint-log.js';
import { PollLoop } from '../shared/poll-loop.js';
import { openCore } from './open-core.js';
import { StoreHealth } from './store-health.js';
import { instrumentCarrier, instrumentStore } from '../metrics/instrument.js';
import { PigeonMetrics, type MetricsSnapshot } from '../metrics/metrics.js';
import { storeStats } from '../store/store-stats.js';
import { EsmeAuthenticator } from '../smpp-server/esme-auth.js';
import { EsmeOutboxWorker } from '../smpp-server/esme-outbox.js';
import { SmppListener } from '../smpp-server/smpp-listener.js';
import { ChangeSignal } from '../shared/change-signal.js';
import { observeChanges } from './observe-changes.js';
import { upstreamCallbackHandlers, type CarrierEventPaths } from './upstream-callbacks.js';

export interface RunningServer {
  /** Absent in a worker-only process. */
  app: FastifyInstance | undefined;
  store: Store;
  directory: AccountDirectory;
  /** The base URL the server listens on, e.g. http://127.0.0.1:8080 ('' in a worker-only process). */
  url: string;
  /** A worker-only process's listener for /healthz, /readyz and /metrics (server.workerHost/workerPort); '' in other roles. */
  probeUrl: string;
  /** Absent when no admin token is configured: the admin API is then not mounted. */
  adminToken: string | undefined;
  delivery: DeliveryWorker;
  callbacks: CallbackWorker;
  /** The simulated carrier, when it is the carrier in use; it delivers receipts and inbound messages only where workers run. */
  simulator: SimulatorCarrier | undefined;
  /** Pigeon's SMPP listener for applications, when smppServer is configured (and HTTP is served). */
  smpp: { port: number; listener: SmppListener; outbox: EsmeOutboxWorker } | undefined;
  /** What this process's workers are doing, as the admin API's status shows it. */
  workerStatus(): WorkerStatus;
  /** This process's metrics, for a main thread that renders them with its own (main/worker-thread.ts). */
  metricsSnapshot(): Promise<MetricsSnapshot>;
  close(): Promise<void>;
}

/** The carrier and the workers' counters, as the admin API's status shows them. */
export interface WorkerStatus {
  carrier: { name: string; state: string };
  carriers: unknown;
  delivery: object;
  callbacks: object;
  /** The version of the newest directory change this thread's copy has applied (directory-sync.ts). */
  directoryVersion: number;
}

/** How a process whose delivery runs in a worker thread reaches that thread (main/worker-thread.ts). */
export interface WorkerThreadLink {
  status(): Promise<WorkerStatus>;
  metrics(): Promise<MetricsSnapshot>;
}

export interface StartOptions {
  /** This process serves HTTP and sends the callbacks; delivery runs in a worker thread, whose status and metrics come from there. */
  workerThread?: WorkerThreadLink;
  /** This is that worker thread: delivery only (no callbacks, no probe listener, no process-wide metrics: its main thread has them). */
  inWorkerThread?: boolean;
}

const PARKED_RECEIPT_POLL_MS = 1000;

/** The admin token of the demo setup (no config file), printed at start-up like the demo password. */
export const DEMO_ADMIN_TOKEN = 'pigeon-demo-admin-token';

/** How a client reaches a listener bound to `host`: IPv6 in brackets, the wildcard addresses as loopback. */
function listenHost(host: string): string {
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return bracketed === '0.0.0.0' || bracketed === '[::]' ? '127.0.0.1' : bracketed;
}

export async function startServer(config: Config, logger: FastifyBaseLogger, options: StartOptions = {}): Promise<RunningServer> {
  const core = await openCore(
    config,
    (err) => {
      // An idle pooled connection that broke: a line without the connection's insides; an outage
      // behind it is logged once, by the requests and workers that meet it.
      if (err instanceof StoreUnavailableError) logger.warn({ cause: (err.cause as Error | undefined)?.message }, 'idle database connection lost');
      else logger.error({ err }, 'database error');
    },
    // The worker thread starts once its main thread has applied the config's accounts.
    { provision: !options.inWorkerThread, live: true },
  );
  const { directory, now } = core;
  // Metrics observe the core at its ports: the store and the carrier are wrapped (metrics/instrument.ts).
  const stats = storeStats(core.store);
  // With a worker thread, each gauge comes from one thread: the carrier's from the thread that
  // runs it, the database-wide ones from the main thread.
  const { workerThread, inWorkerThread = false } = options;
  const metrics = new PigeonMetrics(
    {
      now,
      queues: inWorkerThread ? undefined : stats?.queues,
      pool: inWorkerThread ? undefined : stats?.pool,
      carrier: workerThread ? undefined : () => ({ name: carrier.name, state: carrier.state() }),
      upstreams: workerThread ? undefined : () => upstreamFigures(),
      outage: inWorkerThread ? undefined : () => health.current(),
    },
    { processMetrics: !inWorkerThread },
  );
  stats?.onCommit?.((batch) => {
    metrics.dbCommitBatch.observe(batch.size);
    metrics.dbCommitDuration.observe({ phase: 'commit' }, batch.commitSeconds);
    if (batch.syncSeconds !== undefined) metrics.dbCommitDuration.observe({ phase: 'sync' }, batch.syncSeconds);
  });
  // The console's live view hears of every change this process writes (observe-changes.ts).
  const changes = new ChangeSignal();
  const store = observeChanges(instrumentStore(core.store, metrics), changes);
  const workerId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  // Database outages (full disk, read-only, unreachable) are logged once when they start and once
  // when they end; the workers pause meanwhile (store-health.ts).
  const health = new StoreHealth({
    store,
    logger,
    now,
    onChange: (outage) => {
      if (outage) {
        if (runsWorkers) void delivery.stop();
        if (runsCallbacks) void callbacks.stop();
      } else {
        if (runsWorkers) delivery.start();
        if (runsCallbacks) callbacks.start();
      }
    },
  });
  const onError = (err: unknown, context = 'background') => {
    if (health.report(err)) return;
    if (err instanceof StoreBusyError) logger.warn({ context }, 'database busy; will retry');
    else logger.error({ err }, `${context} failed`);
  };
  const throughput = throughputPolicy(config.delivery.rateLimits, directory);
  // Keywords on every inbound path, and the block checked before each submit (core/opt-out).
  const optOut = new OptOutService({
    store,
    directory,
    policy: liveOptOutPolicy(config.optOut.global, directory),
    now,
    throughput,
    onReplyQueued: () => delivery.wake(),
    onReplyRefused: (err, reply) => logger.warn({ ...reply, error: err.message }, 'keyword reply not sent'),
  });
  const carrierLog = logger.child({ component: 'carrier' });
  const { carrier: bareCarrier, simulator, status: carrierStatus, upstreams: upstreamFigures } = openCarrier(config, store, now, onError, {
    info: (detail, message) => carrierLog.info(detail, message),
    warn: (detail, message) => carrierLog.warn(detail, message),
    debug: (detail, message) => carrierLog.debug(detail, message),
    onState: (name, state) => carrierLog.info({ carrier: name, state }, 'carrier state changed'),
  });
  const carrier = instrumentCarrier(bareCarrier, metrics, now);
  const transport = new HttpCallbackTransport();

  const callbacks = new CallbackWorker(
    { store: store.delivery, transport, directory, now, onError, onEndpointChange: (change) => logEndpointChange(logger, change), log: logger.child({ component: 'callbacks' }) },
    { workerId, idleMs: 250, leaseMs: config.callbacks.timeoutMs * 3, ...config.callbacks },
  );
  const receiptDeps = { store: store.delivery, directory, now };
  // Receipts that overtook their submit wait parked until it is recorded; the recording worker
  // wakes this loop, and its poll covers a park and a record that raced on a shared database.
  const parkedReceipts = new PollLoop(async () => {
    if ((await applyParkedReceipts(receiptDeps)) > 0) callbacks.wake();
    return PARKED_RECEIPT_POLL_MS;
  }, (err) => onError(err, 'parked receipts'));
  const delivery = new DeliveryWorker(
    {
      store: store.delivery,
      carrier,
      directory,
      rates: throughput,
      now,
      onError,
      onChange: () => callbacks.wake(),
      onReceiptsWaiting: () => parkedReceipts.wake(),
      optedOut: (job) => optOut.isBlocked(job),
      log: logger.child({ component: 'delivery' }),
    },
    { workerId, idleMs: 250, ...config.delivery },
  );
  const runsWorkers = config.role !== 'api';
  // With a worker thread, the callbacks leave from the main thread: the HTTP server leaves it half
  // idle, while delivery and receipts keep the worker thread busy (main/worker-thread.ts).
  const runsCallbacks = workerThread !== undefined || (runsWorkers && !inWorkerThread);
  const servesHttp = config.role !== 'worker';
  // Links to inbound media need the address clients use; it is known once the server listens.
  let publicBase = config.publicUrl ?? `http://${config.host}:${config.port}`;
  // What carriers report, from their own connections or (upstream carriers) through HTTP callbacks.
  const carrierEvents: CarrierEventPaths = {
    receipt: async (receipt) => {
      // One that overtook the recording of its own submit in this process waits for it rather than being parked.
      await delivery.recorded(receiptIds(receipt));
      if ((await applyReceipt(receiptDeps, carrier.name, receipt)) === 'applied') callbacks.wake();
    },
    inbound: async (message) => {
      const copies = await receiveInbound({ store, directory, optOut, mediaBaseUrl: `${publicBase}/api/v2` }, message);
      if (copies.length === 0) {
        // As Bandwidth does: a message to a number nobody owns (never assigned, or released) goes nowhere.
        logger.warn({ carrier: carrier.name, to: message.to }, 'inbound message for numbers no application owns: dropped');
        metrics.inboundDropped.inc({ carrier: carrier.name });
      } else callbacks.wake();
      return copies.length;
    },
  };
  const upstreamCallbacks = upstreamCallbackHandlers(config.carriers, { store: store.delivery, paths: carrierEvents, now });
  if (runsWorkers) await carrier.start({
    receipt: carrierEvents.receipt,
    inbound: async (message) => {
      await carrierEvents.inbound(message);
    },
    stateChanged: (state) => logger.info({ carrier: carrier.name, state }, 'carrier state changed'),
  });
  // The config file's phone rules, once per start, by the process that applies its accounts.
  if (!inWorkerThread && config.phones && config.phones.length > 0) await new PhoneAdmin({ store: store.phones, now }).apply(config.phones);
  // Scripted phones answer what the simulated handsets take, where the simulator runs (core/sandbox/scripted-phones.ts).
  const phones = runsWorkers && simulator ? new ScriptedPhones({ store: store.phones, now, answer: (m) => simulator.inject(m), onError: (err) => onError(err, 'scripted phone') }) : undefined;
  if (phones && simulator) {
    await phones.recover();
    simulator.onHandset((submission, time) => {
      const offered = { phone: submission.destination, from: submission.from, text: submission.text, recipients: submission.recipients, time };
      phones.offer(offered).catch((err: unknown) => onError(err, 'scripted phone'));
    });
  }
  const receiptSweeper = new PollLoop(async () => {
    const { ended, droppedParked } = await expireOverdueReceipts(receiptDeps, config.delivery.receiptTimeoutMs);
    if (ended > 0) callbacks.wake();
    // Receipts of submits acknowledged to a worker that died before recording them: their
    // recipients were submitted again, so nothing is lost with them.
    if (droppedParked > 0) logger.warn({ count: droppedParked }, 'dropped receipts whose submit was never recorded');
    return Math.min(60_000, Math.max(1000, config.delivery.receiptTimeoutMs / 10));
  }, (err) => onError(err, 'receipt sweep'));

  const workerStatus = (): WorkerStatus => ({
    carrier: { name: carrier.name, state: carrier.state() },
    carriers: carrierStatus(),
    delivery: delivery.counters,
    callbacks: callbacks.counters,
    directoryVersion: directory.version,
  });
  const adminToken = config.adminToken ?? (config.demo ? DEMO_ADMIN_TOKEN : undefined);
  if (!adminToken) logger.warn('admin API disabled: set admin.token in the config file or PIGEON_ADMIN_TOKEN');
  const healthDeps = { report: (err: unknown) => health.report(err), readiness: () => health.readiness() };
  const metricsDeps = {
    render: async () => metrics.render(workerThread ? [await workerThread.metrics()] : []),
    observeRequest: (labels: { route: string; method: string; status: string }, seconds: number) => {
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
    },
    token: config.metricsToken,
  };
  const probes = servesHttp || inWorkerThread ? undefined : buildProbeApp({ logger, health: healthDeps, metrics: metricsDeps });
  // Failed sign-ins of every surface of this process (HTTP and SMPP binds) fill the same buckets.
  const signIns = new FailedAttempts(config.limits.failedSignIns, now);
  const refreshDirectory = () => core.sync?.refresh() ?? Promise.resolve();
  const directoryAdmin = new DirectoryAdmin({ store: store.directory, refresh: refreshDirectory, now, optOutDefaults: config.optOut.global });
  const app = servesHttp ? await buildApp({
    signIns,
    config,
    store,
    directory,
    authenticator: new Authenticator(directory, now),
    now,
    logger,
    throughput,
    health: healthDeps,
    metrics: metricsDeps,
    onAccepted: () => delivery.wake(),
    optOut,
    directoryAdmin,
    numbers: new NumbersService(
      { store: store.numbers, directory: store.directory, refresh: refreshDirectory, inventory: new Inventory(config.numbers.inventory), now },
      directoryAdmin,
    ),
    console: { changes },
    carrierCallbacks: upstreamCallbacks,
    admin: adminToken === undefined ? undefined : {
      token: adminToken,
      simulator,
      isRuleError: isSimulatorRuleError,
      onInbound: () => callbacks.wake(),
      status: async () => ({
        ...(workerThread ? { ...(await workerThread.status()), callbacks: callbacks.counters } : workerStatus()),
        ...(smpp && { smppServer: { port: smpp.port, sessions: smpp.listener.status(), outboxBacklog: smpp.outbox.backlog } }),
        // What upstream carriers reported to this process's /carriers/{name}/callbacks (taken and refused).
        ...(upstreamCallbacks.size > 0 && { upstreamEvents: Object.fromEntries([...upstreamCallbacks].map(([name, handler]) => [name, { ...handler.counters }])) }),
      }),
    },
  }) : undefined;
  // Applications binding over SMPP (src/smpp-server): where HTTP is served, as both take submits.
  let smpp: RunningServer['smpp'];
  if (config.smppServer && servesHttp) {
    const smppLog = logger.child({ component: 'smpp-server' });
    const listener: SmppListener = new SmppListener(config.smppServer, {
      directory,
      auth: new EsmeAuthenticator(directory),
      signIns,
      submit: { send: { store, now, throughput }, parts: store.inboundParts, outbox: store.esmeOutbox, delivery: store.delivery, now },
      log: { info: (detail, message) => smppLog.info(detail, message), warn: (detail, message) => smppLog.warn(detail, message) },
      onAccepted: () => delivery.wake(),
      onReceiverBound: () => outbox.wake(),
    });
    const outbox: EsmeOutboxWorker = new EsmeOutboxWorker({
      outbox: store.esmeOutbox,
      settings: store.delivery,
      directory,
      receivers: (systemId) => listener.receivers(systemId),
      now,
      onError: (err) => onError(err, 'smpp outbox'),
    });
    smpp = { port: await listener.listen(), listener, outbox };
    outbox.start();
    logger.info({ host: config.smppServer.host, port: smpp.port, tls: config.smppServer.tls !== undefined }, 'smpp server listening');
  }
  const stopRetention = startMediaRetention(store.media, config.media.retentionHours, now, (err) => onError(err, 'media retention'));
  const unlisten: Array<() => Promise<void>> = [];
  // Changes written by other processes sharing the database (PostgreSQL) reach the console's
  // streams here (observe-changes.ts announces this process's own).
  if (servesHttp && store.listen) unlisten.push(await store.listen('changes', (payload) => changes.emit(payload === '' ? [] : payload.split(','))));
  if (runsWorkers) {
    if (store.listen) {
      unlisten.push(await store.listen('delivery', () => delivery.wake()));
      if (simulator) unlisten.push(await store.listen('simulator', () => simulator.settingsChanged()));
    }
    delivery.start();
    parkedReceipts.start();
    receiptSweeper.start();
  }
  if (runsCallbacks) {
    if (store.listen) unlisten.push(await store.listen('callbacks', () => callbacks.wake()));
    callbacks.start();
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    // In-flight requests finish first (their 202s are already durable); then the workers finish
    // what they hold, the carrier keeps what it owes, and the store closes last.
    closing ??= (async () => {
      await health.close();
      // Bound applications are unbound first (they reconnect to the next Pigeon); their pending
      // receipts and messages stay in the outbox.
      await smpp?.listener.close();
      await smpp?.outbox.stop();
      stopRetention();
      await app?.close();
      await probes?.close();
      await Promise.all(unlisten.map((stop) => stop()));
      await delivery.stop();
      phones?.close();
      await receiptSweeper.stop();
      await parkedReceipts.stop();
      await carrier.stop();
      await callbacks.stop();
      await transport.close();
      await core.sync?.close();
      await store.close();
    })();
    return closing;
  };
  try {
    await app?.listen({ host: config.host, port: config.port });
    const probeListen = { host: config.workerListen?.host ?? config.host, port: config.workerListen?.port ?? DEFAULT_WORKER_PORT };
    await probes?.listen(probeListen).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
      throw new Error(
        `server.workerPort: ${probeListen.host}:${probeListen.port} is in use; give each worker process on a host its own port (PIGEON_WORKER_PORT, 0 = any free port)`,
        { cause: err },
      );
    });
  } catch (err) {
    await close();
    throw err;
  }
  core.sync?.indexInBackground();
  const address = app?.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = app ? `http://${listenHost(config.host)}:${port}` : '';
  publicBase = config.publicUrl ?? url;
  const probeAddress = probes?.server.address();
  const probeUrl = typeof probeAddress === 'object' && probeAddress ? `http://${listenHost(config.workerListen?.host ?? config.host)}:${probeAddress.port}` : '';
  health.started();
  return {
    app,
    store,
    directory,
    url,
    probeUrl,
    adminToken,
    delivery,
    callbacks,
    simulator,
    smpp,
    workerStatus,
    metricsSnapshot: () => metrics.snapshot(),
    close,
  };
}
