// The admin API is not part of the Bandwidth surface and has its own credential: a bearer token,
// compared in constant time (both sides are hashed first so their lengths never differ).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../core/errors.js';
import { sendError } from '../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function adminAuth(token: string) {
  const expected = digest(token);
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!m?.[1] || !timingSafeEqual(digest(m[1]), expected)) {
      await sendError(
        reply,
        new ApiError(401, 'unauthorized', 'The admin API needs Authorization: Bearer <admin token>', undefined, {
          'www-authenticate': 'Bearer realm="pigeon-admin"',
        }),
      );
    }
  };
}
