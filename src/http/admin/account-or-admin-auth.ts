// The sandbox's admin routes (waiting for a message, export) are also open to an account's own API
// users, for their account only: the admin token sees every account, Basic credentials of a user
// with the messaging role see the account named by `accountId` in the query. The same 401 answers
// a wrong token, wrong credentials and an unknown account, as on the Bandwidth API.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseBasicAuth, type Authenticator } from '../../core/accounts/authenticator.js';
import type { AccountDirectory } from '../../core/accounts/directory.js';
import { ApiError, errors } from '../../core/errors.js';
import { sendError } from '../errors.js';
import { checkApiUser } from '../api-user-check.js';
import { bearerAuth } from '../bearer-auth.js';
import type { FailedAttempts } from '../../core/accounts/failed-attempts.js';
import { ADMIN_REALM } from './admin-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The account an API user is limited to; undefined for the admin token (every account). */
    scopeAccountId: string | undefined;
  }
}

const UNAUTHORIZED = 'Use Authorization: Bearer <admin token>, or Basic credentials of an API user of the account in ?accountId=';

/** Both credentials count toward the failed sign-in limits, under the names the admin API and Basic Auth use. */
export function accountOrAdminAuth(token: string, authenticator: Authenticator, directory: AccountDirectory, signIns: FailedAttempts) {
  const adminToken = bearerAuth(token, ADMIN_REALM, UNAUTHORIZED, signIns);
  const unauthorized = () =>
    new ApiError(401, 'unauthorized', UNAUTHORIZED, undefined, { 'www-authenticate': 'Bearer realm="pigeon-admin", Basic realm="pigeon"' });
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization ?? '';
    if (/^Bearer\s/i.test(header)) {
      request.scopeAccountId = undefined;
      return adminToken(request, reply);
    }
    const credentials = parseBasicAuth(header);
    const { accountId } = request.query as { accountId?: unknown };
    if (!credentials || typeof accountId !== 'string') {
      await sendError(reply, unauthorized());
      return;
    }
    const check = await checkApiUser({ authenticator, directory, signIns }, accountId, credentials, request.ip);
    if (check.kind === 'ok') {
      request.scopeAccountId = accountId;
      return;
    }
    if (check.kind === 'limited') await sendError(reply, errors.rateLimited(check.retryAfterSeconds));
    else await sendError(reply, check.kind === 'forbidden' ? errors.forbidden() : unauthorized());
  };
}
