// Headers every answer carries, API and console alike: nothing Pigeon serves is to be framed, sniffed
// into a more active type or handed a Referer with ids in its URL, and no answer but the console's
// page may run script (that page sets its own Content-Security-Policy; media sets one of its own too).
import type { FastifyInstance } from 'fastify';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
};

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    done();
  });
}
