// /users/{accountId}/media[/{mediaId}] (reference j). Uploads accept any content type and chunked
// bodies, so this scope replaces the JSON parser with one that keeps the raw bytes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../../core/errors.js';
import { deleteMedia, getMedia, listMedia, putMedia } from '../../core/media/media-service.js';
import { refuseOtherMethods } from '../method-not-allowed.js';
import type { ApiDeps } from './api.js';
import { apiBase, mediaPathParts, mediaUrl } from './base-url.js';

/**
 * The media id is everything after `/users/{accountId}/media/` in the raw path, percent-decoded
 * once, so that both `a%2Fb` (what the SDKs send) and a literal `a/b` name the same file.
 */
function mediaName(request: FastifyRequest): string {
  // An absolute-form request target (`GET http://host/path`, RFC 9112 3.2.2) carries the origin first.
  const path = (request.raw.url ?? '').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split('?', 1)[0] ?? '';
  const encoded = mediaPathParts(path)?.media ?? '';
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw errors.badRequest('mediaId is not correctly percent-encoded');
  }
}

export function mediaRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { config, now } = deps;
  const store = deps.store.media;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.media.maxBytes }, (_request, body, done) =>
    done(null, body),
  );

  app.get('/users/:accountId/media', async (request, reply) => {
    const token = request.headers['continuation-token'];
    const base = apiBase(request, config.publicUrl);
    const page = await listMedia(store, request.account, typeof token === 'string' ? token : undefined, (name) =>
      mediaUrl(base, request.account.id, name),
    );
    if (page.continuationToken) reply.header('continuation-token', page.continuationToken);
    return page.items;
  });

  app.put('/users/:accountId/media/*', { bodyLimit: config.media.maxBytes }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const cacheControl = request.headers['cache-control'];
    await putMedia(store, request.account, mediaName(request), body, request.headers['content-type'], cacheControl, now());
    return reply.code(204).send();
  });

  app.get('/users/:accountId/media/*', async (request, reply) => {
    const media = await getMedia(store, request.account, mediaName(request));
    reply.header('content-type', media.contentType);
    if (media.cacheControl) reply.header('cache-control', media.cacheControl);
    return reply.send(media.data);
  });

  app.delete('/users/:accountId/media/*', async (request, reply) => {
    await deleteMedia(store, request.account, mediaName(request));
    return reply.code(204).send();
  });

  refuseOtherMethods(app, '/users/:accountId/media', ['GET']);
  refuseOtherMethods(app, '/users/:accountId/media/*', ['GET', 'PUT', 'DELETE']);
}
