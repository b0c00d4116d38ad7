// The admin API (/admin/v1): the directory (accounts, users, applications, numbers, SMPP users), simulator rules, inbound injection, a message's timeline and
// callback attempts, and the callback endpoints' circuits. Test code waits on messages through /wait
// instead of sleeping.
import type { FastifyInstance } from 'fastify';
import { endpointsView } from '../../core/admin/endpoint-view.js';
import { messageView, satisfies, type WaitCondition } from '../../core/admin/message-view.js';
import type { CarrierInbound } from '../../core/delivery/carrier.js';
import { ApiError, errors } from '../../core/errors.js';
import { ruleErrorsAsBadRequest } from '../rule-errors.js';
import { receiveInbound, type InboundDeps } from '../../core/inbound/receive-inbound.js';
import type { Config } from '../../config/config.js';
import type { Store } from '../../core/ports.js';
import { installJsonParser } from '../json-body.js';
import type { FailedAttempts } from '../../core/accounts/failed-attempts.js';
import { adminAuth } from './admin-auth.js';
import { parseInbound } from './inbound-request.js';
import { optOutRoutes } from './opt-out.routes.js';
import { PhoneAdmin } from '../../core/sandbox/phone-admin.js';
import { phoneRoutes } from './phones.routes.js';
import { directoryRoutes } from './directory.routes.js';
import type { DirectoryAdmin } from '../../core/accounts/directory-admin.js';
import { adminDocs as docs } from './admin.docs.js';
import type { OpenApiCatalog } from '../openapi/openapi-catalog.js';

/** What the admin API needs of the simulated carrier. */
export interface SimulatorControl {
  getRules(): Promise<unknown[]>;
  setRules(rules: unknown): Promise<unknown[]>;
  addRule(rule: unknown): Promise<unknown>;
  removeRule(id: string): Promise<boolean>;
  getDefaults(): Promise<unknown>;
  setDefaults(partial: unknown): Promise<unknown>;
  readonly testNumbers: readonly unknown[];
}

export interface AdminDeps {
  config: Config;
  /** Wrong tokens count as failed sign-ins (core/accounts/failed-attempts.ts). */
  signIns: FailedAttempts;
  store: Store;
  inboundDeps: Omit<InboundDeps, 'mediaBaseUrl'>;
  simulator: SimulatorControl | undefined;
  /** Called after an inbound message is stored, so its callbacks leave at once. */
  onInbound: () => void;
  status: () => unknown;
  now: () => number;
  /** The directory's management (directory.routes.ts); absent, not served. */
  directoryAdmin?: DirectoryAdmin | undefined;
  /** Turns errors of the simulator's rule validation into 400s. */
  isRuleError: (err: unknown) => err is Error;
}

const MAX_WAIT_MS = 60_000;

export async function adminApi(app: FastifyInstance, deps: AdminDeps, token: string, catalog: OpenApiCatalog): Promise<void> {
  catalog.collect(app);
  app.addHook('onRequest', adminAuth(token, deps.signIns));
  installJsonParser(app);
  const simulator = () => {
    if (!deps.simulator) throw errors.notFound('The simulated carrier is not in use');
    return deps.simulator;
  };
  const asBadRequest = ruleErrorsAsBadRequest(deps.isRuleError);

  app.get('/status', { config: { openapi: docs.status } }, async () => deps.status());
  const optOut = deps.inboundDeps.optOut;
  if (optOut) await app.register(async (scope) => optOutRoutes(scope, { service: optOut, store: deps.store.optOuts }));
  const directoryAdmin = deps.directoryAdmin;
  if (directoryAdmin) await app.register(async (scope) => directoryRoutes(scope, directoryAdmin));
  const phones = new PhoneAdmin({ store: deps.store.phones, now: deps.now });
  await app.register(async (scope) => phoneRoutes(scope, phones));
  // Every callback endpoint (URL) with its circuit and backlog: why an application's callbacks wait.
  app.get('/endpoints', { config: { openapi: docs.endpoints } }, async () => endpointsView(deps.store.delivery, deps.now()));

  app.get('/simulator/rules', { config: { openapi: docs.getRules } }, async () => simulator().getRules());
  app.put('/simulator/rules', { config: { openapi: docs.setRules } }, async (request) => asBadRequest(() => simulator().setRules(request.body)));
  app.post('/simulator/rules', { config: { openapi: docs.addRule } }, async (request, reply) =>
    reply.code(201).send(await asBadRequest(() => simulator().addRule(request.body))),
  );
  app.delete('/simulator/rules/:id', { config: { openapi: docs.removeRule } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await simulator().removeRule(id))) throw errors.notFound(`No simulator rule '${id}'`);
    return reply.code(204).send();
  });
  app.get('/simulator/defaults', { config: { openapi: docs.getDefaults } }, async () => simulator().getDefaults());
  app.patch('/simulator/defaults', { config: { openapi: docs.setDefaults } }, async (request) => asBadRequest(() => simulator().setDefaults(request.body)));
  app.get('/simulator/test-numbers', { config: { openapi: docs.testNumbers } }, async () => simulator().testNumbers);

  app.post('/inbound', { config: { openapi: docs.inbound } }, async (request, reply) => {
    const inbound: CarrierInbound = parseInbound(request.body, deps.now(), deps.config.media.maxBytes);
    const base = deps.config.publicUrl ?? `${request.protocol}://${request.host}`;
    const messages = await receiveInbound({ ...deps.inboundDeps, mediaBaseUrl: `${base}/api/v2` }, inbound);
    if (messages.length === 0) throw errors.badRequest('none of the addressed numbers belongs to an application');
    deps.onInbound();
    return reply.code(201).send({ messages: messages.map((m) => ({ id: m.id, owner: m.owner, accountId: m.accountId, applicationId: m.applicationId })) });
  });

  const view = async (id: string) => {
    const found = await messageView(deps.store, id, deps.now());
    if (!found) throw errors.notFound(`No message '${id}'`);
    return found;
  };
  app.get('/messages/:id', { config: { openapi: docs.message } }, async (request) => view((request.params as { id: string }).id));
  app.get('/messages/:id/events', { config: { openapi: docs.events } }, async (request) => (await view((request.params as { id: string }).id)).events);
  app.get('/messages/:id/callbacks', { config: { openapi: docs.callbacks } }, async (request) => (await view((request.params as { id: string }).id)).callbacks);

  app.get('/messages/:id/wait', { config: { openapi: docs.wait } }, async (request) => {
    const { id } = request.params as { id: string };
    const query = request.query as { until?: string; timeout?: string };
    const until = (query.until ?? 'terminal') as WaitCondition;
    if (until !== 'terminal' && until !== 'callbacks') throw errors.badRequest("'until' must be terminal or callbacks");
    const seconds = Number(query.timeout ?? 30);
    if (!Number.isFinite(seconds) || seconds < 0) throw errors.badRequest("'timeout' must be a number of seconds");
    const timeoutMs = Math.min(MAX_WAIT_MS, seconds * 1000);
    const deadline = Date.now() + timeoutMs;
    // Polling keeps this correct when another process does the delivery.
    for (;;) {
      const current = await view(id);
      if (satisfies(current, until)) return current;
      if (Date.now() >= deadline) {
        throw new ApiError(408, 'timeout', `message ${id} did not reach '${until}' within ${timeoutMs / 1000} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
}
