// The HTTP listener of a worker-only process (--role worker): liveness, readiness and the process's
// own metrics, nothing of the API. A worker's counters (submits, callback attempts, receipts) exist
// only in the process that did the work, so each worker must be scraped itself.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installErrorHandling, type StoreOutageReporter } from './errors.js';
import { healthRoutes, type HealthDeps } from './health.routes.js';
import { FailedAttempts } from '../core/accounts/failed-attempts.js';
import { metricsRoutes, type MetricsDeps } from './metrics.routes.js';
import { installRequestIds, requestId } from './request-id.js';
import { installSecurityHeaders } from './security-headers.js';

export interface ProbeDeps {
  logger: FastifyBaseLogger;
  health: StoreOutageReporter & HealthDeps;
  metrics: MetricsDeps;
}

export function buildProbeApp(deps: ProbeDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
    genReqId: requestId,
  });
  // Probes are tiny GETs: a client that has not sent its headers in 15 s is not a prober.
  app.server.headersTimeout = 15_000;
  app.server.requestTimeout = 30_000;
  installRequestIds(app);
  installSecurityHeaders(app);
  installErrorHandling(app, deps.health);
  healthRoutes(app, { readiness: deps.health.readiness });
  // A worker-only process's own limiter: only its metrics token is checked here.
  metricsRoutes(app, deps.metrics, new FailedAttempts());
  return app;
}
