// POST and GET /users/{accountId}/messages (reference a, b, c, i).
import type { FastifyInstance } from 'fastify';
import { errors } from '../../core/errors.js';
import { listMessages } from '../../core/messages/list-messages.js';
import { sendMessage } from '../../core/messages/send-message.js';
import { refuseOtherMethods } from '../method-not-allowed.js';
import type { FixedWindowLimiter } from '../rate-limit.js';
import type { ApiDeps } from './api.js';
import { apiBase, localMediaResolver } from './base-url.js';
import { errorResponses } from '../openapi/error-docs.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { accountParams, listMessagesQuery, messageRequestSchema, messageSchema, messagesListSchema } from './v2.schemas.js';

const createMessageDoc: RouteDoc = {
  operationId: 'createMessage',
  summary: 'Create Message',
  description: 'Sends an SMS, MMS or group MMS. The 202 is answered once the message is stored.',
  tags: ['Messages'],
  params: accountParams,
  body: { required: true, content: { 'application/json': messageRequestSchema } },
  responses: {
    202: { description: 'Accepted: stored and queued for delivery', content: { 'application/json': messageSchema } },
    ...errorResponses([400, 401, 403, 413, 415, 429, 503], { fieldErrors400: true }),
  },
};

const listMessagesDoc: RouteDoc = {
  operationId: 'listMessages',
  summary: 'List Messages',
  description: 'One record per recipient, newest first. Limited to 3 500 requests per 5 minutes per client address (429 with Retry-After).',
  tags: ['Messages'],
  params: accountParams,
  query: listMessagesQuery,
  responses: {
    200: { description: 'The page of message records', content: { 'application/json': messagesListSchema } },
    ...errorResponses([400, 401, 403, 429, 503]),
  },
};

export function messagesRoutes(app: FastifyInstance, deps: ApiDeps, listLimiter: FixedWindowLimiter): void {
  const { config, store, now } = deps;

  app.post('/users/:accountId/messages', { bodyLimit: config.bodyLimitBytes, config: { openapi: createMessageDoc } }, async (request, reply) => {
    const message = await sendMessage(
      { store, now, throughput: deps.throughput },
      request.account,
      request.body,
      localMediaResolver(request, config.publicUrl),
      { requestId: request.id },
    );
    deps.onAccepted?.();
    return reply.code(202).send(message);
  });

  app.get('/users/:accountId/messages', { config: { openapi: listMessagesDoc } }, async (request) => {
    const retryAfter = listLimiter.take(request.ip);
    if (retryAfter > 0) throw errors.rateLimited(retryAfter);
    const path = `${apiBase(request, config.publicUrl)}/users/${encodeURIComponent(request.account.id)}/messages`;
    const query = request.query as Record<string, unknown>;
    return listMessages(store.messages, request.account.id, query, {
      now: now(),
      defaultWindowDays: config.limits.listDefaultWindowDays,
      pageUrl: (token) => {
        const params = new URLSearchParams();
        for (const [key, value] of Object.entries(query)) {
          if (key !== 'pageToken' && typeof value === 'string') params.append(key, value);
        }
        params.append('pageToken', token);
        return `${path}?${params.toString()}`;
      },
    });
  });

  refuseOtherMethods(app, '/users/:accountId/messages', ['GET', 'POST']);
}
