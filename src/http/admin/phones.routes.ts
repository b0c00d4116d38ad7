// Scripted phones in the admin API (/admin/v1/phones): their rules, and each conversation's step.
import type { FastifyInstance } from 'fastify';
import { errors } from '../../core/errors.js';
import type { PhoneAdmin } from '../../core/sandbox/phone-admin.js';
import { queryParams } from './opt-out.routes.js';
import { phonesDocs as docs } from './phones.docs.js';

export async function phoneRoutes(app: FastifyInstance, phones: PhoneAdmin): Promise<void> {
  app.get('/phones/rules', { config: { openapi: docs.list } }, async () => ({ rules: await phones.list() }));
  app.post('/phones/rules', { config: { openapi: docs.create } }, async (request, reply) => reply.code(201).send(await phones.create(request.body)));
  app.get('/phones/rules/:id', { config: { openapi: docs.get } }, async (request) => phones.get((request.params as { id: string }).id));
  app.patch('/phones/rules/:id', { config: { openapi: docs.update } }, async (request) => phones.update((request.params as { id: string }).id, request.body));
  app.delete('/phones/rules/:id', { config: { openapi: docs.remove } }, async (request, reply) => {
    await phones.remove((request.params as { id: string }).id);
    return reply.code(204).send();
  });
  app.get('/phones/conversations', { config: { openapi: docs.conversations } }, async (request) => {
    const q = queryParams(request.query, ['phone']);
    return { conversations: await phones.conversations(q.phone) };
  });
  app.delete('/phones/conversations', { config: { openapi: docs.reset } }, async (request) => {
    const q = queryParams(request.query, ['phone', 'applicationNumber']);
    if (q.applicationNumber !== undefined && q.phone === undefined) throw errors.validation([{ fieldName: 'applicationNumber', description: "needs 'phone'" }]);
    return { reset: await phones.reset(q.phone, q.applicationNumber) };
  });
}
