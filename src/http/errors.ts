// Every error leaves in Bandwidth's shape. Anything a client sent gets a 4xx; a database locked by
// another process, or one that cannot be reached (restarting, failing over), is a 503; only our own
// faults are 500s, and those are logged without the request body or credentials.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errors, StoreBusyError, StoreUnavailableError } from '../core/errors.js';

/** A writer that holds the lock past the busy timeout is usually done within a second or so. */
const STORE_BUSY_RETRY_SECONDS = 1;
/** A database restart or failover takes a few seconds; asking sooner would mostly fail again. */
const STORE_UNAVAILABLE_RETRY_SECONDS = 5;

export function fromFramework(err: FastifyError, request: FastifyRequest): ApiError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(request.routeOptions.bodyLimit ?? 0);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedContentType(request.headers['content-type'] ?? '');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.badRequest('The request body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.badRequest('Content-Length does not match the body');
    case 'FST_ERR_BAD_URL':
      return errors.badRequest('The request URL is not valid');
    default:
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return new ApiError(err.statusCode, 'request-validation', err.message);
      }
      return undefined;
  }
}

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.headers) reply.headers(err.headers);
  return reply.code(err.status).type('application/json; charset=utf-8').send(err.toBody());
}

/** Router failures (bad percent-encoding, over-long path parameters) bypass setErrorHandler. */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(reply, fromFramework(err, request) ?? errors.badRequest('The request URL is not valid'));
}

/** Takes a database outage a request met; true when it logged it (once per change), so the request logs nothing. */
export interface StoreOutageReporter {
  report(err: unknown): boolean;
}

export function installErrorHandling(app: FastifyInstance, outages?: StoreOutageReporter): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const apiError = err instanceof ApiError ? err : fromFramework(err, request);
    if (apiError) return sendError(reply, apiError);
    if (err instanceof StoreBusyError) {
      // Expected while another process holds the write lock; worth a line, not a stack trace.
      request.log.warn('database busy: answered 503');
      return sendError(reply, errors.storeBusy(STORE_BUSY_RETRY_SECONDS));
    }
    if (err instanceof StoreUnavailableError) {
      // Logged once when the outage starts and once when it ends; without a reporter, every
      // request says so: the cause, not a stack trace each time.
      if (!outages?.report(err)) {
        request.log.warn({ cause: (err.cause as Error | undefined)?.message }, 'database unavailable: answered 503');
      }
      return sendError(reply, errors.storeUnavailable(STORE_UNAVAILABLE_RETRY_SECONDS));
    }
    request.log.error({ err }, 'unhandled error');
    return sendError(reply, errors.internal());
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, errors.notFound(`No resource at ${request.method} ${request.url.split('?')[0]}`)),
  );
}
