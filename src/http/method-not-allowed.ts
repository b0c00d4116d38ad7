// Bandwidth answers 405 for a known path called with the wrong method; the router alone would say 404.
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { errors } from '../core/errors.js';

const ALL: HTTPMethods[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

export function refuseOtherMethods(app: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  const others = ALL.filter((m) => !allowed.includes(m));
  app.route({
    method: others,
    url,
    // Not an operation of its own: it answers the methods the path's operations do not take.
    config: { openapi: false },
    handler: async (request) => {
      throw errors.methodNotAllowed(request.method, allowed);
    },
  });
}
