// Routes outside the Bandwidth surface (the admin API, metrics) take a bearer token of their own,
// compared in constant time (both sides are hashed first so their lengths never differ). Wrong
// tokens count as failed sign-ins of the realm (core/accounts/failed-attempts.ts), per client.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FailedAttempts } from '../core/accounts/failed-attempts.js';
import { ApiError, errors } from '../core/errors.js';
import { sendError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** A preHandler that answers 401 (in Bandwidth's error shape) unless `Authorization: Bearer <token>`. */
export function bearerAuth(token: string, realm: string, description: string, signIns: FailedAttempts) {
  const expected = digest(token);
  const credential = `bearer:${realm}`;
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const wait = signIns.retryAfter(credential, request.ip);
    if (wait > 0) {
      await sendError(reply, errors.rateLimited(wait));
      return;
    }
    if (!m?.[1] || !timingSafeEqual(digest(m[1]), expected)) {
      // No header at all is a client that has not tried yet, not a guess.
      if (m?.[1]) signIns.failed(credential, request.ip);
      await sendError(
        reply,
        new ApiError(401, 'unauthorized', description, undefined, { 'www-authenticate': `Bearer realm="${realm}"` }),
      );
      return;
    }
    signIns.succeeded(credential, request.ip);
  };
}
