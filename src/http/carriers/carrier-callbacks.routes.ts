// POST /carriers/{name}/callbacks: where an upstream carrier (carriers/bandwidth) sends its event
// callbacks. Basic credentials are checked before the body is read; an unknown carrier name gets
// the same 401 as wrong credentials, so nothing tells which carriers exist. Events that name no
// message Pigeon sent, or are not message events, are refused (4xx) and change nothing.
import type { FastifyInstance } from 'fastify';
import type { FailedAttempts } from '../../core/accounts/failed-attempts.js';
import { ApiError, errors } from '../../core/errors.js';
import type { CarrierCallbackEndpoint } from '../../core/ports.js';
import { sendError } from '../errors.js';

/** Failed credentials count toward the shared sign-in limits, as on every other surface: guessing them is slow. */
export function carrierCallbackRoutes(app: FastifyInstance, handlers: ReadonlyMap<string, CarrierCallbackEndpoint>, signIns: FailedAttempts): void {
  app.post<{ Params: { name: string } }>(
    '/carriers/:name/callbacks',
    {
      onRequest: async (request, reply) => {
        const handler = handlers.get(request.params.name);
        const credential = `carrier:${request.params.name}`;
        const wait = signIns.retryAfter(credential, request.ip);
        if (wait > 0) {
          handler?.refusedCredentials();
          await sendError(reply, errors.rateLimited(wait));
          return;
        }
        if (!handler?.authorized(request.headers.authorization)) {
          handler?.refusedCredentials();
          signIns.failed(credential, request.ip);
          await sendError(reply.header('www-authenticate', 'Basic realm="pigeon carrier callbacks"'), new ApiError(401, 'unauthorized', 'Authentication failed'));
          return;
        }
        signIns.succeeded(credential, request.ip);
      },
    },
    async (request, reply) => {
      const handler = handlers.get(request.params.name);
      if (!handler) return sendError(reply, new ApiError(401, 'unauthorized', 'Authentication failed'));
      const outcome = await handler.handle(request.body);
      if (outcome.status === 503) return sendError(reply, new ApiError(503, 'service-unavailable', outcome.error, undefined, { 'retry-after': '5' }));
      if (outcome.status !== 200) {
        request.log.warn({ carrier: request.params.name, status: outcome.status, reason: outcome.error }, 'upstream event refused');
        return sendError(reply, new ApiError(outcome.status, outcome.status === 404 ? 'not-found' : 'bad-request', outcome.error));
      }
      return reply.code(200).send({});
    },
  );
}
