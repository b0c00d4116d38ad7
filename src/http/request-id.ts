// Every request has an id: the one a proxy in front sent as X-Request-Id (when it is a short token
// of safe characters), else a new UUID. It is echoed in the response's X-Request-Id and named by
// every log line made while serving the request (shared/log-context.ts, read by the logger).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { runWithLogContext, type LogContext } from '../shared/log-context.js';

/** Safe in a header and a log line: no spaces, quotes or control characters. */
const ACCEPTED_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function requestId(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  return typeof given === 'string' && ACCEPTED_ID.test(given) ? given : randomUUID();
}

const CONTEXT = Symbol('logContext');

export function installRequestIds(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const context: LogContext = { reqId: request.id };
    (request as unknown as Record<symbol, LogContext>)[CONTEXT] = context;
    runWithLogContext(context, done);
  });
  // Reading the body leaves the request's asynchronous context; the handler gets it back here.
  app.addHook('preValidation', (request, _reply, done) => {
    const context = (request as unknown as Record<symbol, LogContext | undefined>)[CONTEXT];
    if (context) runWithLogContext(context, done);
    else done();
  });
}
