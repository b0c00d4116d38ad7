// Bandwidth answers 405 for a known path called with the wrong method; the router alone would say 404.
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { errors } from '../core/errors.js';

const ALL: HTTPMethods[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

export function refuseOtherMethods(app: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  const others = ALL.filter((m) => !allowed.includes(m));
  app.route({
    method: others,
    url,
    handler: async (request) => {
      throw errors.methodNotAllowed(request.method, allowed);
    },
  });
}
