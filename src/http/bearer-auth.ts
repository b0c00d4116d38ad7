// Routes outside the Bandwidth surface (the admin API, metrics) take a bearer token of their own,
// compared in constant time (both sides are hashed first so their lengths never differ).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';
import { sendError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** A preHandler that answers 401 (in Bandwidth's error shape) unless `Authorization: Bearer <token>`. */
export function bearerAuth(token: string, realm: string, description: string) {
  const expected = digest(token);
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!m?.[1] || !timingSafeEqual(digest(m[1]), expected)) {
      await sendError(
        reply,
        new ApiError(401, 'unauthorized', description, undefined, { 'www-authenticate': `Bearer realm="${realm}"` }),
      );
    }
  };
}
