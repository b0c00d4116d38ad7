// JSON request bodies: bytes are checked to be valid UTF-8 before parsing, because the default
// decoder would silently turn bad bytes into U+FFFD and store text the client never sent.
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { errors } from '../core/errors.js';

export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw errors.badRequest('The request body is empty');
  if (!isUtf8(body)) throw errors.badRequest('The request body is not valid UTF-8');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw errors.badRequest('The request body is not valid JSON');
  }
}

export function installJsonParser(app: FastifyInstance): void {
  // Only JSON is accepted here: Fastify's built-in text/plain parser would hand the validator a string
  // where Bandwidth answers 415 (reference d.1).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
