// /users/{accountId}/media[/{mediaId}] (reference j). Uploads accept any content type and chunked
// bodies, so this scope replaces the JSON parser with one that keeps the raw bytes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errors } from '../../core/errors.js';
import { deleteMedia, getMedia, listMedia, putMedia } from '../../core/media/media-service.js';
import { sendMedia } from '../media-reply.js';
import { refuseOtherMethods } from '../method-not-allowed.js';
import type { ApiDeps } from './api.js';
import { apiBase, mediaPathParts, mediaUrl } from './base-url.js';
import { errorResponses } from '../openapi/error-docs.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { accountParams, anyBytes, continuationHeaders, mediaListSchema, mediaParams, uploadHeaders } from './v2.schemas.js';

const listMediaDoc: RouteDoc = {
  operationId: 'listMedia',
  summary: 'List Media',
  description: "The account's files, 1 000 per page; a Continuation-Token header when there are more.",
  tags: ['Media'],
  params: accountParams,
  headers: continuationHeaders,
  responses: {
    200: {
      description: 'A page of files',
      content: { 'application/json': mediaListSchema },
      headers: { 'Continuation-Token': { description: 'Present when there is another page', schema: z.string() } },
    },
    ...errorResponses([400, 401, 403, 503]),
  },
};

const getMediaDoc: RouteDoc = {
  operationId: 'getMedia',
  summary: 'Get Media',
  description:
    "The bytes of a file, with the content type it was stored with, a Content-Security-Policy that forbids script and nosniff; types other than passive images, audio, video, PDF and plain text come as Content-Disposition: attachment.",
  tags: ['Media'],
  params: mediaParams,
  wildcard: 'mediaId',
  responses: {
    200: { description: 'The file', content: { '*/*': anyBytes } },
    ...errorResponses([400, 401, 403, 404, 503]),
  },
};

const uploadMediaDoc: RouteDoc = {
  operationId: 'uploadMedia',
  summary: 'Upload Media',
  description:
    "Stores a file of any content type (replacing one of the same name); kept 48 hours by default. 413 when the file is over media.maxBytes, or would take the account's files past media.accountQuotaBytes.",
  tags: ['Media'],
  params: mediaParams,
  wildcard: 'mediaId',
  headers: uploadHeaders,
  body: { required: true, content: { '*/*': anyBytes } },
  responses: { 204: { description: 'Stored' }, ...errorResponses([400, 401, 403, 413, 503]) },
};

const deleteMediaDoc: RouteDoc = {
  operationId: 'deleteMedia',
  summary: 'Delete Media',
  tags: ['Media'],
  params: mediaParams,
  wildcard: 'mediaId',
  responses: { 204: { description: 'Deleted' }, ...errorResponses([400, 401, 403, 404, 503]) },
};

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

  app.get('/users/:accountId/media', { config: { openapi: listMediaDoc } }, async (request, reply) => {
    const token = request.headers['continuation-token'];
    const base = apiBase(request, config.publicUrl);
    const page = await listMedia(store, request.account, typeof token === 'string' ? token : undefined, (name) =>
      mediaUrl(base, request.account.id, name),
    );
    if (page.continuationToken) reply.header('continuation-token', page.continuationToken);
    return page.items;
  });

  app.put('/users/:accountId/media/*', { bodyLimit: config.media.maxBytes, config: { openapi: uploadMediaDoc } }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const cacheControl = request.headers['cache-control'];
    await putMedia(store, request.account, mediaName(request), body, request.headers['content-type'], cacheControl, now(), config.media.accountQuotaBytes);
    return reply.code(204).send();
  });

  app.get('/users/:accountId/media/*', { config: { openapi: getMediaDoc } }, async (request, reply) => {
    const media = await getMedia(store, request.account, mediaName(request));
    if (media.cacheControl) reply.header('cache-control', media.cacheControl);
    return sendMedia(reply, media);
  });

  app.delete('/users/:accountId/media/*', { config: { openapi: deleteMediaDoc } }, async (request, reply) => {
    await deleteMedia(store, request.account, mediaName(request));
    return reply.code(204).send();
  });

  refuseOtherMethods(app, '/users/:accountId/media', ['GET']);
  refuseOtherMethods(app, '/users/:accountId/media/*', ['GET', 'PUT', 'DELETE']);
}
