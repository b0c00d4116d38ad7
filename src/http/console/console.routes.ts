// The web console's server side: the page itself (static.ts), sign-in and sessions (session.ts),
// the live event stream (event-stream.ts) and JSON routes under /console/api. The routes reuse the
// core's views and commands (message view, list, send, inbound, media, opt-out list, simulator, endpoints) and
// scope each one to the session: the admin token sees every account, an API user only its own;
// another account's data answers 404 exactly like data that does not exist.
import { PhoneAdmin } from '../../core/sandbox/phone-admin.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Account } from '../../core/accounts/directory.js';
import { MAX_PAGE, views, type Actor, type DirectoryAdmin, type Page } from '../../core/accounts/directory-admin.js';
import { endpointsView } from '../../core/admin/endpoint-view.js';
import { messageView } from '../../core/admin/message-view.js';
import { ApiError, errors } from '../../core/errors.js';
import { ruleErrorsAsBadRequest } from '../rule-errors.js';
import { receiveInbound } from '../../core/inbound/receive-inbound.js';
import { getMedia, putMedia } from '../../core/media/media-service.js';
import { listMessages } from '../../core/messages/list-messages.js';
import type { Message } from '../../core/messages/message.js';
import { sendMessage } from '../../core/messages/send-message.js';
import type { OptOutService } from '../../core/opt-out/opt-out-service.js';
import { isE164 } from '../../core/phone/phone-number.js';
import type { ChangeSignal } from '../../shared/change-signal.js';
import type { SimulatorControl } from '../admin/admin.routes.js';
import { parseInbound } from '../admin/inbound-request.js';
import { phoneRoutes } from '../admin/phones.routes.js';
import { ADMIN_REALM } from '../admin/admin-auth.js';
import { apiUserCredential } from '../api-user-check.js';
import type { FailedAttempts } from '../../core/accounts/failed-attempts.js';
import { OptOutActions } from '../admin/opt-out.routes.js';
import { installJsonParser } from '../json-body.js';
import { sendMedia } from '../media-reply.js';
import { FixedWindowLimiter } from '../rate-limit.js';
import type { ApiDeps } from '../v2/api.js';
import { localMediaResolver, mediaUrl, origin } from '../v2/base-url.js';
import { eventStream } from './event-stream.js';
import { withPreviews } from './list-preview.js';
import { exportFilters, sendExport } from '../admin/export-stream.js';
import {
  clearSessionCookie,
  csrfMatches,
  CSRF_HEADER,
  isCrossSite,
  readSessionCookie,
  Sessions,
  setSessionCookie,
  type Session,
} from './session.js';
import { staticRoutes } from './static.js';

/** What the v2 API gets (the console sends and lists through the same core), and the console's own. */
export interface ConsoleDeps extends ApiDeps {
  optOut?: OptOutService;
  onInbound?: () => void;
  /** The admin token; absent, only API users can sign in. */
  adminToken: string | undefined;
  simulator: SimulatorControl | undefined;
  isRuleError: (err: unknown) => err is Error;
  status: () => unknown;
  changes: ChangeSignal;
  signIns: FailedAttempts;
  /** Managing the directory (core/accounts/directory-admin.ts); absent, its routes answer 404. */
  directoryAdmin?: DirectoryAdmin | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession: Session;
  }
}

const PHONE_SCAN = 1000;
const CONVERSATION_SIZE = 100;
/** Failed callback attempts shown per account on the status page. */
const RECENT_FAILURES = 20;

const digest = (value: string) => createHash('sha256').update(value).digest();

export async function consoleRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const sessions = new Sessions(deps.now, deps.config.console);
  // Resends per account per minute: each is a request to the application's server that the console makes on demand.
  const resends = new FixedWindowLimiter(deps.config.limits.callbackResendsPerMinute, 60_000, deps.now);
  await staticRoutes(app);

  await app.register(async (api) => {
    api.decorateRequest('consoleSession', null as never);
    installJsonParser(api);
    // Media uploads come as the file's own bytes.
    api.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.config.media.maxBytes }, (_request, body, done) =>
      done(null, body),
    );
    api.addHook('onRequest', async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const path = request.url.split('?', 1)[0];
      const changing = request.method !== 'GET' && request.method !== 'HEAD';
      // Every state-changing call, sign-in included, must come from the console's own origin.
      if (changing && isCrossSite(request)) throw errors.forbidden();
      if (path === '/console/api/session' && request.method === 'POST') return;
      let session = sessions.get(readSessionCookie(request));
      // A user deleted, disabled or given another password since signing in is signed out: the directory is live.
      const principal = session?.principal;
      if (principal?.kind === 'account' && deps.directory.account(principal.accountId)?.users.get(principal.username)?.passwordHash !== principal.passwordHash) {
        sessions.delete(readSessionCookie(request));
        session = undefined;
      }
      if (!session) {
        if (path === '/console/api/session' && request.method === 'GET') return reply.code(204).send();
        throw new ApiError(401, 'unauthorized', 'Sign in to the console');
      }
      if (changing && !csrfMatches(session, request.headers[CSRF_HEADER])) throw errors.forbidden();
      request.consoleSession = session;
    });

    const accountsOf = (session: Session): Account[] =>
      session.principal.kind === 'admin'
        ? [...deps.directory.allAccounts()]
        : [deps.directory.account(session.principal.accountId)].filter((a): a is Account => a !== undefined);
    /** The account in the path, if the session may see it; else the same 404 as an unknown one. */
    const scopedAccount = (request: FastifyRequest): Account => {
      const { accountId } = request.params as { accountId: string };
      const principal = request.consoleSession.principal;
      const account = deps.directory.account(accountId);
      if (!account || (principal.kind === 'account' && principal.accountId !== account.id)) {
        throw errors.notFound(`No account '${accountId}'`);
      }
      return account;
    };
    const mayRead = (session: Session, accountId: string) =>
      session.principal.kind === 'admin' || session.principal.accountId === accountId;
    const adminOnly = (request: FastifyRequest) => {
      if (request.consoleSession.principal.kind !== 'admin') throw errors.forbidden();
    };

    api.post('/session', async (request, reply) => {
      // The same buckets as the admin API's token and Basic Auth (core/accounts/failed-attempts.ts).
      const client = request.ip;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const { token, accountId, username, password } = body;
      const user =
        typeof accountId === 'string' && typeof username === 'string' && typeof password === 'string'
          ? { accountId, username, password }
          : undefined;
      if (typeof token !== 'string' && !user) throw errors.badRequest('Sign in with the admin token, or an account id, username and password');
      const credential = typeof token === 'string' || !user ? `bearer:${ADMIN_REALM}` : apiUserCredential(user.accountId, user.username);
      const retryAfter = deps.signIns.retryAfter(credential, client);
      if (retryAfter > 0) throw errors.rateLimited(retryAfter);
      const refuse = () => {
        deps.signIns.failed(credential, client);
        return new ApiError(401, 'unauthorized', 'Those credentials were not accepted');
      };
      let principal: Session['principal'];
      if (typeof token === 'string' || !user) {
        if (typeof token !== 'string' || !deps.adminToken || !timingSafeEqual(digest(token), digest(deps.adminToken))) throw refuse();
        principal = { kind: 'admin' };
      } else {
        const outcome = await deps.authenticator.authenticate(user.accountId, user.username, user.password);
        if (outcome === 'busy') throw errors.rateLimited(1);
        const passwordHash = deps.directory.account(user.accountId)?.users.get(user.username)?.passwordHash;
        if (outcome !== 'ok' || passwordHash === undefined) throw refuse();
        principal = { kind: 'account', accountId: user.accountId, username: user.username, passwordHash };
      }
      deps.signIns.succeeded(credential, client);
      sessions.delete(readSessionCookie(request));
      const { id, session } = sessions.create(principal);
      setSessionCookie(request, reply, id);
      return reply.code(201).send(describe(session));
    });

    const describe = (session: Session) => ({
      principal: session.principal,
      csrf: session.csrf,
      simulator: session.principal.kind === 'admin' && deps.simulator !== undefined,
      accounts: accountsOf(session).map((a) => ({
        id: a.id,
        applications: [...a.applications.values()].map((app) => ({
          id: app.id,
          name: app.name,
          callbackUrl: app.callbackUrl ?? null,
          numbers: [...app.numbers],
          smartEncoding: app.smartEncoding === true,
        })),
      })),
    });

    api.get('/session', async (request) => describe(request.consoleSession));
    api.delete('/session', async (request, reply) => {
      sessions.delete(readSessionCookie(request));
      clearSessionCookie(request, reply);
      return reply.code(204).send();
    });

    api.get('/events', async (request, reply) =>
      eventStream(request, reply, deps.changes, request.consoleSession, {
        accounts: accountsOf(request.consoleSession).map((a) => a.id),
        admin: request.consoleSession.principal.kind === 'admin',
        endsAt: sessions.expiresAt(request.consoleSession),
        maxStreams: sessions.limits.streamsPerSession,
      }),
    );

    // ---- Messages ------------------------------------------------------------------------------

    api.get('/accounts/:accountId/messages', async (request) => {
      const account = scopedAccount(request);
      const query = { ...(request.query as Record<string, unknown>) };
      // The console shows everything stored unless a date is chosen; the list's own paging applies,
      // and the count stops where it tells whether a next page exists, so a refresh costs the same
      // on a million messages as on a thousand.
      const tag = typeof query.tag === 'string' && query.tag !== '' ? query.tag : undefined;
      const text = typeof query.text === 'string' && query.text !== '' ? query.text.slice(0, 200) : undefined;
      // A number matches exactly (an index lookup); ending in '*', it is the list API's prefix match.
      const exact = (name: 'sourceTn' | 'destinationTn') => {
        const value = query[name];
        if (typeof value !== 'string' || value.endsWith('*')) return undefined;
        if (!isE164(value)) throw errors.badRequest(`'${name}' must be an E.164 number, or the start of one followed by *`);
        return { exact: [value] };
      };
      for (const name of ['sourceTn', 'destinationTn'] as const) {
        const value = query[name];
        if (typeof value === 'string' && value.endsWith('*')) query[name] = value.slice(0, -1);
      }
      const numbers = { sourceTn: exact('sourceTn'), destinationTn: exact('destinationTn') };
      const list = await listMessages(deps.store.messages, account.id, query, {
        now: deps.now(),
        defaultWindowDays: 0,
        pageUrl: (token) => token,
        extra: {
          tag,
          text,
          ...(numbers.sourceTn && { sourceTn: numbers.sourceTn }),
          ...(numbers.destinationTn && { destinationTn: numbers.destinationTn }),
        },
        boundedCount: true,
        unboundedPaging: true,
      });
      return withPreviews(deps.store.delivery, list);
    });

    // The export of the list as filtered (core/sandbox/export.ts), streamed.
    api.get('/accounts/:accountId/messages/export', async (request, reply) => {
      const account = scopedAccount(request);
      const { format, filters } = exportFilters(request.query as Record<string, unknown>, deps.now());
      return sendExport(reply, deps.store, account.id, filters, format);
    });

    const scopedView = async (request: FastifyRequest) => {
      const { id } = request.params as { id: string };
      const view = await messageView(deps.store, id);
      if (!view || !mayRead(request.consoleSession, view.message.accountId)) throw errors.notFound(`No message '${id}'`);
      return view;
    };
    api.get('/messages/:id', async (request) => {
      const view = await scopedView(request);
      const application = deps.directory.application(view.message.accountId, view.message.applicationId);
      return { ...view, callbackUrl: application?.callbackUrl ?? null };
    });
    api.post('/messages/:id/callbacks/:callbackId/resend', async (request, reply) => {
      const view = await scopedView(request);
      const callbackId = Number((request.params as { callbackId: string }).callbackId);
      const wait = resends.take(view.message.accountId);
      if (wait > 0) throw errors.rateLimited(wait);
      // To the application's URL as it is now, which is where its current credentials belong.
      const application = deps.directory.application(view.message.accountId, view.message.applicationId);
      if (!application?.callbackUrl) throw errors.badRequest('The application has no callback URL to send to');
      const id = await deps.store.delivery.resendCallback(view.message.id, callbackId, application.callbackUrl, deps.now());
      if (id === undefined) throw errors.notFound(`No callback '${callbackId}'`);
      deps.onInbound?.();
      return reply.code(202).send({ id });
    });

    api.post('/accounts/:accountId/messages', async (request, reply) => {
      const account = scopedAccount(request);
      const message = await sendMessage(
        { store: deps.store, now: deps.now, throughput: deps.throughput },
        account,
        request.body,
        localMediaResolver(request, deps.config.publicUrl),
      );
      deps.onAccepted?.();
      return reply.code(202).send(message);
    });

    // ---- Media: uploads for compose, and the account's media shown inline ---------------------

    api.put('/accounts/:accountId/media/*', async (request, reply) => {
      const account = scopedAccount(request);
      const name = (request.params as { '*': string })['*'];
      if (!Buffer.isBuffer(request.body)) throw errors.badRequest('The body must be the file');
      await putMedia(deps.store.media, account, name, request.body, request.headers['content-type'], undefined, deps.now(), deps.config.media.accountQuotaBytes);
      const base = `${origin(request, deps.config.publicUrl)}/api/v2`;
      return reply.code(201).send({ url: mediaUrl(base, account.id, name) });
    });
    api.get('/accounts/:accountId/media/*', async (request, reply) => {
      const account = scopedAccount(request);
      const media = await getMedia(deps.store.media, account, (request.params as { '*': string })['*']);
      return sendMedia(reply, media);
    });

    // ---- Phones: the conversation as a handset sees it, and its replies ----------------------

    api.get('/accounts/:accountId/phones', async (request) => {
      const account = scopedAccount(request);
      const { records } = await deps.store.messages.listMessages(account.id, {
        messageDirection: 'OUTBOUND',
        sort: { field: 'receiveTime', direction: 'desc' },
        offset: 0,
        limit: PHONE_SCAN,
      });
      const phones = new Map<string, number>();
      for (const r of records) if (!phones.has(r.destinationTn)) phones.set(r.destinationTn, r.receiveTime);
      return [...phones].map(([number, last]) => ({ number, lastTime: new Date(last).toISOString() }));
    });

    api.get('/accounts/:accountId/phones/:phone', async (request) => {
      const account = scopedAccount(request);
      const { phone } = request.params as { phone: string };
      const query = (filter: 'sourceTn' | 'destinationTn', direction: 'INBOUND' | 'OUTBOUND') =>
        deps.store.messages.listMessages(account.id, {
          [filter]: { exact: [phone] },
          messageDirection: direction,
          sort: { field: 'receiveTime', direction: 'desc' },
          offset: 0,
          limit: CONVERSATION_SIZE,
        });
      const [received, sent] = await Promise.all([query('destinationTn', 'OUTBOUND'), query('sourceTn', 'INBOUND')]);
      // Inbound copies of one group reply (one per owned number) are one message to the phone.
      const seen = new Set<string>();
      const items: Array<{ message: Message; status: string; errorCode: number; direction: 'received' | 'sent' }> = [];
      for (const [records, direction] of [
        [received.records, 'received'],
        [sent.records, 'sent'],
      ] as const) {
        for (const r of records) {
          const message = await deps.store.delivery.getMessage(r.messageId);
          if (!message) continue;
          const key = direction === 'sent' ? `${message.time}|${message.text ?? ''}|${message.to.join(',')}` : message.id;
          if (seen.has(key)) continue;
          seen.add(key);
          items.push({ message, status: r.messageStatus, errorCode: r.errorCode, direction });
        }
      }
      items.sort((a, b) => a.message.time - b.message.time);
      return items.map((i) => ({
        id: i.message.id,
        direction: i.direction,
        from: i.message.from,
        to: i.message.to,
        text: i.message.text ?? '',
        media: i.message.media ?? [],
        status: i.status,
        errorCode: i.errorCode,
        time: new Date(i.message.time).toISOString(),
      }));
    });

    api.post('/accounts/:accountId/phones/:phone/reply', async (request, reply) => {
      const account = scopedAccount(request);
      const { phone } = request.params as { phone: string };
      const body = (request.body ?? {}) as Record<string, unknown>;
      const inbound = parseInbound({ ...body, from: phone }, deps.now(), deps.config.media.maxBytes);
      // A reply may go to other handsets of a group, but every number Pigeon owns must be this account's.
      const owners = inbound.to.map((n) => deps.directory.ownerOfNumber(n)).filter((a) => a !== undefined);
      if (owners.length === 0 || owners.some((a) => a.accountId !== account.id)) {
        throw errors.badRequest("a reply must go to at least one of this account's numbers and none of another's");
      }
      const base = `${origin(request, deps.config.publicUrl)}/api/v2`;
      const messages = await receiveInbound(
        // A reply's attachments are an upload by the session's user: the account's quota applies.
        { store: deps.store, directory: deps.directory, optOut: deps.optOut, mediaBaseUrl: base, mediaQuotaBytes: deps.config.media.accountQuotaBytes },
        inbound,
      );
      deps.onInbound?.();
      return reply.code(201).send({ messages: messages.map((m) => ({ id: m.id, owner: m.owner })) });
    });

    // ---- Opt-outs: the account's part of the list, with the admin API's operations ----------

    const optOuts = (request: FastifyRequest): OptOutActions => {
      const account = scopedAccount(request);
      if (!deps.optOut) throw errors.notFound('The opt-out list is not in use');
      return new OptOutActions({ service: deps.optOut, store: deps.store.optOuts }, account.id);
    };
    api.get('/accounts/:accountId/opt-outs', async (request) => optOuts(request).list(request.query));
    api.post('/accounts/:accountId/opt-outs', async (request, reply) => {
      const result = await optOuts(request).add(request.body);
      return reply.code(result.created ? 201 : 200).send(result);
    });
    api.delete('/accounts/:accountId/opt-outs/:scope/:scopeKey/:recipient', async (request, reply) => {
      const { scope, scopeKey, recipient } = request.params as Record<string, string>;
      await optOuts(request).remove({ scope, scopeKey, recipient });
      return reply.code(204).send();
    });
    api.get('/accounts/:accountId/opt-outs/export', async (request, reply) => {
      const csv = await optOuts(request).exportCsv(request.query);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="opt-outs.csv"')
        .send(csv);
    });
    api.post('/accounts/:accountId/opt-outs/import', async (request) => optOuts(request).importCsv(request.query, request.body));

    // ---- Directory: the admin manages everything; an account's user sees its own applications and
    // numbers and may change its applications' callback URLs and credentials (core/accounts/directory-admin.ts
    // scopes each call and refuses the rest with 403 or, for another account's entries, 404).
    const directory = () => {
      if (!deps.directoryAdmin) throw errors.notFound('The directory is not managed here');
      return deps.directoryAdmin;
    };
    const actor = (request: FastifyRequest): Actor => {
      const { principal } = request.consoleSession;
      return principal.kind === 'admin' ? { name: 'console:admin-token' } : { name: `user:${principal.accountId}/${principal.username}`, scope: principal.accountId };
    };
    const q = (request: FastifyRequest) => request.query as Record<string, string | undefined>;
    const pageLimit = (request: FastifyRequest) => Math.min(MAX_PAGE, Math.max(1, Number(q(request).limit ?? 100) || 100));
    const paged = <T, V>(page: Page<T>, view: (row: T) => V) => ({ items: page.items.map(view), ...(page.next !== undefined && { next: page.next }) });
    api.get('/directory/accounts', async (request) => paged(await directory().listAccounts(actor(request), q(request).after, pageLimit(request)), views.account));
    api.post('/directory/accounts', async (request, reply) => reply.code(201).send(views.account(await directory().createAccount(actor(request), request.body))));
    api.get('/directory/accounts/:accountId/users', async (request) =>
      paged(await directory().listUsers(actor(request), (request.params as { accountId: string }).accountId, q(request).after, pageLimit(request)), views.user),
    );
    api.patch('/directory/accounts/:accountId/users/:username', async (request) => {
      const { accountId, username } = request.params as { accountId: string; username: string };
      return views.user(await directory().updateUser(actor(request), accountId, username, request.body));
    });
    api.get('/directory/smpp-users', async (request) => paged(await directory().listSmppUsers(actor(request), q(request).accountId, q(request).after, pageLimit(request)), views.smppUser));
    api.post('/directory/smpp-users', async (request, reply) => reply.code(201).send(views.smppUser(await directory().createSmppUser(actor(request), request.body))));
    api.delete('/directory/smpp-users/:id', async (request, reply) => {
      await directory().deleteSmppUser(actor(request), (request.params as { id: string }).id);
      return reply.code(204).send();
    });
    api.get('/directory/applications', async (request) =>
      paged(await directory().listApplications(actor(request), q(request).accountId, q(request).after, pageLimit(request)), views.application),
    );
    api.post('/directory/applications', async (request, reply) => reply.code(201).send(views.application(await directory().createApplication(actor(request), request.body))));
    api.patch('/directory/applications/:id', async (request) =>
      views.application(await directory().updateApplication(actor(request), (request.params as { id: string }).id, request.body)),
    );
    api.delete('/directory/applications/:id', async (request, reply) => {
      await directory().deleteApplication(actor(request), (request.params as { id: string }).id);
      return reply.code(204).send();
    });
    api.get('/directory/numbers', async (request) => {
      const { accountId, applicationId, prefix, after } = q(request);
      return paged(await directory().listNumbers(actor(request), { accountId, applicationId, prefix, after }, pageLimit(request)), views.number);
    });
    api.post('/directory/numbers', async (request, reply) => {
      const { row, created } = await directory().addNumber(actor(request), request.body);
      return reply.code(created ? 201 : 200).send(views.number(row));
    });
    api.patch('/directory/numbers/:number', async (request) =>
      views.number(await directory().updateNumber(actor(request), (request.params as { number: string }).number, request.body)),
    );
    api.delete('/directory/numbers/:number', async (request, reply) => {
      await directory().releaseNumber(actor(request), (request.params as { number: string }).number);
      return reply.code(204).send();
    });
    api.get('/directory/audit', async (request) => ({
      items: (await directory().audit(actor(request), { accountId: q(request).accountId }, pageLimit(request))).map(views.audit),
    }));

    // ---- Scripted phones: rules for every account's handsets, so the admin's alone, as in the
    // admin API. The admin API's own routes (phones.routes.ts), mounted here behind the session, its
    // CSRF check and adminOnly: the same validation, errors and operations, under /console/api/phones.
    const phoneAdmin = new PhoneAdmin({ store: deps.store.phones, now: deps.now });
    await api.register(async (scope) => {
      scope.addHook('onRequest', async (request) => adminOnly(request));
      await phoneRoutes(scope, phoneAdmin);
    });

    // ---- Simulator: one carrier for all accounts, so the admin's alone -----------------------

    const simulator = (request: FastifyRequest) => {
      adminOnly(request);
      if (!deps.simulator) throw errors.notFound('The simulated carrier is not in use');
      return deps.simulator;
    };
    const asBadRequest = ruleErrorsAsBadRequest(deps.isRuleError);
    api.get('/simulator', async (request) => {
      const sim = simulator(request);
      return { rules: await sim.getRules(), defaults: await sim.getDefaults(), testNumbers: sim.testNumbers };
    });
    api.put('/simulator/rules', async (request) => asBadRequest(() => simulator(request).setRules(request.body)));
    api.patch('/simulator/defaults', async (request) => asBadRequest(() => simulator(request).setDefaults(request.body)));

    // ---- Status -------------------------------------------------------------------------------

    api.get('/status', async (request) => {
      const session = request.consoleSession;
      const accounts = accountsOf(session);
      const urls = new Map<string, Array<{ accountId: string; applicationId: string; name: string }>>();
      for (const a of accounts) {
        for (const application of a.applications.values()) {
          if (!application.callbackUrl) continue;
          const list = urls.get(application.callbackUrl) ?? [];
          list.push({ accountId: a.id, applicationId: application.id, name: application.name });
          urls.set(application.callbackUrl, list);
        }
      }
      // An endpoint is one URL's queue, whoever's callbacks are in it: where another account's
      // application uses the same URL, its numbers and last error would show that account's
      // callbacks, so an account's session sees only the URL and the circuit's state.
      const mine = new Set(accounts.map((a) => a.id));
      const shared = new Set<string>();
      if (session.principal.kind !== 'admin') {
        for (const other of deps.directory.allAccounts()) {
          if (mine.has(other.id)) continue;
          for (const application of other.applications.values()) if (application.callbackUrl) shared.add(application.callbackUrl);
        }
      }
      const endpoints = (await endpointsView(deps.store.delivery, deps.now()))
        .filter((e) => urls.has(e.endpoint))
        .map((e) =>
          shared.has(e.endpoint)
            ? { queue: e.queue, endpoint: e.endpoint, state: e.state, shared: true, applications: urls.get(e.endpoint) ?? [] }
            : { ...e, applications: urls.get(e.endpoint) ?? [] },
        );
      const queues = await Promise.all(
        accounts.map(async (a) => ({ accountId: a.id, queued: await deps.store.delivery.queuedCount(a.id) })),
      );
      const failures = (
        await Promise.all(
          accounts.map(async (a) =>
            (await deps.store.delivery.recentCallbackFailures(a.id, RECENT_FAILURES)).map((f) => ({
              ...f,
              accountId: a.id,
              application: a.applications.get(f.applicationId)?.name ?? f.applicationId,
              timeIso: new Date(f.time).toISOString(),
            })),
          ),
        )
      ).flat();
      return {
        server: session.principal.kind === 'admin' ? await deps.status() : undefined,
        queues,
        endpoints,
        failures,
      };
    });
  }, { prefix: '/console/api' });
}

