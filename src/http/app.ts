// buildApp wires the HTTP front end from its dependencies and returns it without listening:
// the entry point listens, tests listen on port 0.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { frameworkErrors, installErrorHandling } from './errors.js';
import { adminApi, type AdminDeps } from './admin/admin.routes.js';
import { FixedWindowLimiter } from './rate-limit.js';
import { bandwidthApi, type ApiDeps } from './v2/api.js';

export interface AppDeps extends ApiDeps {
  logger: FastifyBaseLogger;
  /** The admin API; absent, it is not mounted. */
  admin?: Omit<AdminDeps, 'config' | 'store' | 'inboundDeps' | 'now'> & { token: string };
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
    trustProxy: deps.config.trustProxy,
    bodyLimit: deps.config.bodyLimitBytes,
    return503OnClosing: true,
    // Ids may contain encoded slashes; routing must not decode them into path separators.
    routerOptions: { ignoreDuplicateSlashes: false, maxParamLength: 2048 },
    frameworkErrors,
  });
  installErrorHandling(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  // One list limiter for all prefixes: the limit is per client address, however the path is spelt.
  const listLimiter = new FixedWindowLimiter(
    deps.config.limits.listRequestsPerWindow,
    deps.config.limits.listWindowSeconds * 1000,
    deps.now,
  );
  for (const prefix of API_PREFIXES) {
    await app.register(async (scope) => bandwidthApi(scope, deps, listLimiter), { prefix });
  }
  const admin = deps.admin;
  if (admin) {
    const adminDeps: AdminDeps = {
      ...admin,
      config: deps.config,
      store: deps.store,
      now: deps.now,
      inboundDeps: { store: deps.store, directory: deps.directory },
    };
    await app.register(async (scope) => adminApi(scope, adminDeps, admin.token), { prefix: '/admin/v1' });
  }
  return app;
}
