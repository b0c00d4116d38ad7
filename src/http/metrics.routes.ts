// GET /metrics: the Prometheus exposition of this process (src/metrics/), behind a bearer token when
// `metrics.token` is set. Every request is observed by its route pattern (never its path, which
// carries account ids and message ids), method and status; one with no route counts as 'unmatched'.
import type { FastifyInstance } from 'fastify';
import type { FailedAttempts } from '../core/accounts/failed-attempts.js';
import { bearerAuth } from './bearer-auth.js';

export interface MetricsDeps {
  render(): Promise<{ contentType: string; body: string }>;
  observeRequest(labels: { route: string; method: string; status: string }, seconds: number): void;
  /** Absent: /metrics is open (bind Pigeon to a private interface, or set one). */
  token?: string;
}

export function metricsRoutes(app: FastifyInstance, deps: MetricsDeps, signIns: FailedAttempts): void {
  app.addHook('onResponse', (request, reply, done) => {
    deps.observeRequest(
      { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  const preHandler = deps.token
    ? bearerAuth(deps.token, 'pigeon-metrics', 'The metrics need Authorization: Bearer <metrics token>', signIns)
    : undefined;
  app.get('/metrics', { preHandler }, async (_request, reply) => {
    const { contentType, body } = await deps.render();
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });
}
