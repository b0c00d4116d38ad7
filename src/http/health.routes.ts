// Probes for orchestrators and load balancers. GET /healthz is liveness: the process answers HTTP
// (restart it if not). GET /readyz is readiness: 200 only when the database answers, its schema is
// current, no database outage (full disk, read-only, unreachable) is in progress and the process's
// role is running; 503 with the reason otherwise, so a load balancer stops sending to this process.
import type { FastifyInstance } from 'fastify';

export interface ReadinessReport {
  ready: boolean;
  reason?: string;
  description?: string;
}

export interface HealthDeps {
  /** Absent: ready whenever the process answers. */
  readiness?: () => Promise<ReadinessReport>;
}

/** What a load balancer is told to wait before asking again while not ready. */
const NOT_READY_RETRY_SECONDS = 5;

export function healthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = deps.readiness ? await deps.readiness() : { ready: true };
    reply.header('cache-control', 'no-store');
    if (report.ready) return { status: 'ready' };
    return reply
      .code(503)
      .header('retry-after', String(NOT_READY_RETRY_SECONDS))
      .send({ status: 'not-ready', reason: report.reason, description: report.description });
  });
}
