// POST and GET /users/{accountId}/messages (reference a, b, c, i).
import type { FastifyInstance } from 'fastify';
import { errors } from '../../core/errors.js';
import { listMessages } from '../../core/messages/list-messages.js';
import { sendMessage } from '../../core/messages/send-message.js';
import { refuseOtherMethods } from '../method-not-allowed.js';
import type { FixedWindowLimiter } from '../rate-limit.js';
import type { ApiDeps } from './api.js';
import { apiBase, localMediaResolver } from './base-url.js';

export function messagesRoutes(app: FastifyInstance, deps: ApiDeps, listLimiter: FixedWindowLimiter): void {
  const { config, store, now } = deps;

  app.post('/users/:accountId/messages', { bodyLimit: config.bodyLimitBytes }, async (request, reply) => {
    const message = await sendMessage(
      { store, now, throughput: deps.throughput },
      request.account,
      request.body,
      localMediaResolver(request, config.publicUrl),
    );
    deps.onAccepted?.();
    return reply.code(202).send(message);
  });

  app.get('/users/:accountId/messages', async (request) => {
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
