// The Numbers (Dashboard) API, mounted under /api: /api/accounts/{accountId}/… (Basic Auth with an
// API user of that account, as the messaging API) and /api/tns/… (the account the credentials
// belong to). Bodies are XML (xml.ts); every error, the framework's included, is answered in
// Bandwidth's XML error shape; other accounts' resources answer as missing ones.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../core/accounts/authenticator.js';
import { parseBasicAuth } from '../../core/accounts/authenticator.js';
import type { AccountDirectory } from '../../core/accounts/directory.js';
import type { FailedAttempts } from '../../core/accounts/failed-attempts.js';
import { ApiError, errors } from '../../core/errors.js';
import { NumbersError } from '../../core/numbers/numbers-error.js';
import type { NumbersService } from '../../core/numbers/numbers-service.js';
import { basicAuth } from '../auth.js';
import { apiUserCredential } from '../api-user-check.js';
import { fromFramework } from '../errors.js';
import { accountRoutes } from './account.routes.js';
import { applicationRoutes } from './applications.routes.js';
import { callerOf, sendXmlError } from './numbers-reply.js';
import { orderRoutes } from './orders.routes.js';
import { sipPeerRoutes } from './sippeers.routes.js';
import { siteRoutes } from './sites.routes.js';
import { accountNumberRoutes, placeRoutes, tnRoutes } from './tns.routes.js';
import { parseXml, XML_BODY_LIMIT } from './xml.js';

export interface NumbersRouteDeps {
  numbers: NumbersService;
  publicUrl: string | undefined;
}

export interface NumbersApiDeps extends NumbersRouteDeps {
  authenticator: Authenticator;
  directory: AccountDirectory;
  signIns: FailedAttempts;
}

const sendApiError = (request: FastifyRequest) => (reply: FastifyReply, err: ApiError) => {
  if (err.headers) reply.headers(err.headers);
  return sendXmlError(reply, request, err.status, err.status, err.message);
};

/**
 * Basic Auth for /tns, whose path names no account: the API users of that name are tried, each with
 * the authenticator's constant-time check and the shared failed-attempt limiter; the first account
 * whose user the password fits is the caller's. An unknown name costs the same decoy check.
 */
function accountlessAuth(deps: NumbersApiDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const send = sendApiError(request);
    const credentials = parseBasicAuth(request.headers.authorization);
    if (!credentials) {
      await send(reply, errors.unauthorized());
      return;
    }
    const credential = apiUserCredential('*', credentials.username);
    const wait = deps.signIns.retryAfter(credential, request.ip);
    if (wait > 0) {
      await send(reply, errors.rateLimited(wait));
      return;
    }
    const candidates = [...deps.directory.allAccounts()].filter((account) => account.users.has(credentials.username));
    if (candidates.length === 0) await deps.authenticator.authenticate('', credentials.username, credentials.password);
    for (const account of candidates) {
      const outcome = await deps.authenticator.authenticate(account.id, credentials.username, credentials.password);
      if (outcome === 'unauthorized') continue;
      if (outcome === 'busy') {
        await send(reply, errors.rateLimited(1));
        return;
      }
      deps.signIns.succeeded(credential, request.ip);
      if (outcome === 'forbidden') {
        await send(reply, errors.forbidden());
        return;
      }
      request.account = account;
      return;
    }
    // Each password check made counts as a failure of its own (of that account's user, too): a
    // username many accounts share costs the client's failure budget as many checks as it made.
    deps.signIns.failed(credential, request.ip);
    for (const account of candidates) deps.signIns.failed(apiUserCredential(account.id, credentials.username), request.ip);
    await send(reply, errors.unauthorized());
  };
}

export async function numbersApi(app: FastifyInstance, deps: NumbersApiDeps): Promise<void> {
  app.decorateRequest('account', null as never);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string', bodyLimit: XML_BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, parseXml(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (err instanceof NumbersError) return sendXmlError(reply, request, err.status, err.code, err.message);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendXmlError(reply, request, 415, 415, `Content type '${request.headers['content-type'] ?? ''}' not supported. Please use 'application/xml'`);
    }
    const api = err instanceof ApiError ? err : fromFramework(err as Parameters<typeof fromFramework>[0], request);
    if (api) return sendApiError(request)(reply, api);
    // Store outages and the unexpected: the app's handler logs them and answers 503 or 500.
    throw err;
  });

  await app.register(
    async (scope) => {
      scope.addHook('onRequest', basicAuth(deps.authenticator, deps.directory, deps.signIns, undefined, (reply, err) => sendApiError(reply.request)(reply, err)));
      scope.setNotFoundHandler((request, reply) => sendXmlError(reply, request, 404, 404, `No resource at ${request.method} ${request.url.split('?')[0]}`));
      accountRoutes(scope, deps);
      siteRoutes(scope, deps);
      sipPeerRoutes(scope, deps);
      applicationRoutes(scope, deps);
      orderRoutes(scope, deps);
      accountNumberRoutes(scope, deps);
    },
    { prefix: '/accounts/:accountId' },
  );
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', accountlessAuth(deps));
      tnRoutes(scope, deps, callerOf);
      placeRoutes(scope, deps);
    },
    { prefix: '' },
  );
}
