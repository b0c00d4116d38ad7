// buildApp wires the HTTP front end from its dependencies and returns it without listening:
// the entry point listens, tests listen on port 0.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { frameworkErrors, installErrorHandling, type StoreOutageReporter } from './errors.js';
import { healthRoutes, type HealthDeps } from './health.routes.js';
import { metricsRoutes, type MetricsDeps } from './metrics.routes.js';
import { FailedAttempts } from '../core/accounts/failed-attempts.js';
import { AccessTokens } from './oauth2/access-tokens.js';
import { tokenRoutes } from './oauth2/token.routes.js';
import { installLingeringClose } from './lingering-close.js';
import { installRequestIds, requestId } from './request-id.js';
import { installSecurityHeaders } from './security-headers.js';
import { installDemoHostCheck } from './demo-host-check.js';
import { adminApi, type AdminDeps } from './admin/admin.routes.js';
import { sandboxApi } from './admin/sandbox.routes.js';
import type { OptOutService } from '../core/opt-out/opt-out-service.js';
import type { DirectoryAdmin } from '../core/accounts/directory-admin.js';
import { FixedWindowLimiter } from './rate-limit.js';
import { bandwidthApi, type ApiDeps } from './v2/api.js';
import { OpenApiCatalog } from './openapi/openapi-catalog.js';
import { adminOpenApi, bandwidthOpenApi } from './openapi/openapi.routes.js';
import { consoleRoutes } from './console/console.routes.js';
import { endEventStreams } from './console/event-stream.js';
import type { ChangeSignal } from '../shared/change-signal.js';
import type { NumbersService } from '../core/numbers/numbers-service.js';
import type { CarrierCallbackEndpoint } from '../core/ports.js';
import { numbersApi } from './numbers/numbers-api.js';
import { carrierCallbackRoutes } from './carriers/carrier-callbacks.routes.js';

export interface AppDeps extends ApiDeps {
  logger: FastifyBaseLogger;
  /** The admin API; absent, it is not mounted. */
  admin?: Omit<AdminDeps, 'config' | 'store' | 'inboundDeps' | 'now' | 'signIns' | 'directoryAdmin'> & { token: string };
  /** Readiness for GET /readyz, and where database outages met by requests are reported (logged once per change). */
  health?: StoreOutageReporter & HealthDeps;
  /** GET /metrics and the request metrics; absent, neither. */
  metrics?: MetricsDeps;
  /** Keywords of inbound messages injected through the admin API, and the admin API's opt-out list. */
  optOut?: OptOutService;
  /** Managing accounts, users, applications, numbers and SMPP users (admin API, console); absent, not served. */
  directoryAdmin?: DirectoryAdmin;
  /** The Numbers (Dashboard) API under /api/accounts and /api/tns; absent, it is not mounted. */
  numbers?: NumbersService;
  /** The web console (GET /, /console/…); absent, it is not mounted. */
  console?: { changes: ChangeSignal };
  /** The event endpoints of upstream carriers, by carrier name (POST /carriers/{name}/callbacks). */
  carrierCallbacks?: ReadonlyMap<string, CarrierCallbackEndpoint>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The mounted APIs' routes and OpenAPI documents (openapi/), one per prefix. */
    openApiCatalogs: readonly OpenApiCatalog[];
  }
}

/** The v2 API is served where each client looks for it: production's /api/v2, the SDKs' test root, and Catapult's /v2. */
export const API_PREFIXES = ['/api/v2', '', '/v2'] as const;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    // Per-request access logs cost a third of the throughput; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // A child logger per request (with its redaction set-up) costs more than the request's own work;
    // requests log through the shared logger.
    childLoggerFactory: (logger) => logger,
    trustProxy: deps.config.trustProxy === false ? false : [...deps.config.trustProxy],
    bodyLimit: deps.config.bodyLimitBytes,
    // Slow clients: the whole request within requestTimeout (Node answers 408 and closes); the
    // headers within headersTimeout, set on the server below (lingering-close.ts).
    requestTimeout: deps.config.timeouts?.requestMs ?? 120_000,
    // Node enforces both timeouts at this interval (30 s by default, coarser than they are).
    http: { connectionsCheckingInterval: 1000 },
    return503OnClosing: true,
    // Ids may contain encoded slashes; routing must not decode them into path separators.
    routerOptions: { ignoreDuplicateSlashes: false, maxParamLength: 2048 },
    frameworkErrors,
    genReqId: requestId,
  });
  app.server.headersTimeout = Math.min(deps.config.timeouts?.headersMs ?? 15_000, deps.config.timeouts?.requestMs ?? 120_000);
  installRequestIds(app);
  installSecurityHeaders(app);
  if (deps.config.demo) installDemoHostCheck(app, { host: deps.config.host, publicUrl: deps.config.publicUrl });
  installLingeringClose(app);
  installErrorHandling(app, deps.health);
  healthRoutes(app, { readiness: deps.health?.readiness });
  // Before the APIs are registered, so that its request hook sees all of them.
  // One limiter of failed sign-ins for every surface of this process, so a client guessing through several fills one bucket.
  const signIns = deps.signIns ?? new FailedAttempts(deps.config.limits.failedSignIns, deps.now);
  if (deps.metrics) metricsRoutes(app, deps.metrics, signIns);
  // One list limiter for all prefixes: the limit is per client address, however the path is spelt.
  const listLimiter = new FixedWindowLimiter(
    deps.config.limits.listRequestsPerWindow,
    deps.config.limits.listWindowSeconds * 1000,
    deps.now,
  );
  // OAuth2 tokens are signed with the configured key, or a random one that dies with the process.
  const tokens = new AccessTokens(deps.config.oauth2?.signingKey, deps.config.oauth2?.tokenTtlMs ?? 3_600_000, deps.now);
  await app.register(async (scope) => tokenRoutes(scope, { tokens, authenticator: deps.authenticator, directory: deps.directory, signIns }), {
    prefix: '/api/v1/oauth2',
  });
  const catalogs: OpenApiCatalog[] = [];
  for (const prefix of API_PREFIXES) {
    const catalog = new OpenApiCatalog(prefix);
    catalogs.push(catalog);
    await app.register(async (scope) => bandwidthApi(scope, { ...deps, tokens, signIns }, listLimiter, catalog), { prefix });
    bandwidthOpenApi(app, catalog);
  }
  if (deps.numbers) {
    const numbersDeps = { numbers: deps.numbers, publicUrl: deps.config.publicUrl, authenticator: deps.authenticator, directory: deps.directory, signIns };
    await app.register(async (scope) => numbersApi(scope, numbersDeps), { prefix: '/api' });
  }
  const admin = deps.admin;
  if (admin) {
    const adminDeps: AdminDeps = {
      ...admin,
      config: deps.config,
      signIns,
      store: deps.store,
      now: deps.now,
      directoryAdmin: deps.directoryAdmin,
      inboundDeps: { store: deps.store, directory: deps.directory, optOut: deps.optOut },
    };
    const catalog = new OpenApiCatalog('/admin/v1');
    catalogs.push(catalog);
    await app.register(async (scope) => adminApi(scope, adminDeps, admin.token, catalog), { prefix: '/admin/v1' });
    // Beside the admin API, under its prefix and in its document, but also open to API users (their account).
    const sandboxDeps = { store: deps.store, directory: deps.directory, authenticator: deps.authenticator, signIns, changes: deps.console?.changes, now: deps.now };
    await app.register(async (scope) => sandboxApi(scope, sandboxDeps, admin.token, catalog), { prefix: '/admin/v1' });
    adminOpenApi(app, catalog);
  }
  if (deps.carrierCallbacks && deps.carrierCallbacks.size > 0) carrierCallbackRoutes(app, deps.carrierCallbacks, signIns);
  app.decorate('openApiCatalogs', catalogs);
  if (deps.console) {
    const changes = deps.console.changes;
    // Open event streams would hold the server's close until their clients leave.
    app.addHook('preClose', async () => endEventStreams());
    await app.register(async (scope) =>
      consoleRoutes(scope, {
        ...deps,
        signIns,
        adminToken: admin?.token,
        simulator: admin?.simulator,
        isRuleError: admin?.isRuleError ?? ((_err: unknown): _err is Error => false),
        status: admin?.status ?? (() => undefined),
        onInbound: admin?.onInbound,
        changes,
      }),
    );
  }
  return app;
}
