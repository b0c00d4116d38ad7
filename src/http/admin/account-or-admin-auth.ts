// The sandbox's admin routes (waiting for a message, export) are also open to an account's own API
// users, for their account only: the admin token sees every account, Basic credentials of a user
// with the messaging role see the account named by `accountId` in the query. The same 401 answers
// a wrong token, wrong credentials and an unknown account, as on the Bandwidth API.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseBasicAuth, type Authenticator } from '../../core/accounts/authenticator.js';
import type { AccountDirectory } from '../../core/accounts/directory.js';
import { ApiError, errors } from '../../core/errors.js';
import { sendError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The account an API user is limited to; undefined for the admin token (every account). */
    scopeAccountId: string | undefined;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export function accountOrAdminAuth(token: string, authenticator: Authenticator, directory: AccountDirectory) {
  const expected = digest(token);
  const unauthorized = () =>
    new ApiError(401, 'unauthorized', 'Use Authorization: Bearer <admin token>, or Basic credentials of an API user of the account in ?accountId=', undefined, {
      'www-authenticate': 'Bearer realm="pigeon-admin", Basic realm="pigeon"',
    });
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer?.[1]) {
      if (timingSafeEqual(digest(bearer[1]), expected)) {
        request.scopeAccountId = undefined;
        return;
      }
      await sendError(reply, unauthorized());
      return;
    }
    const credentials = parseBasicAuth(header);
    const { accountId } = request.query as { accountId?: unknown };
    if (!credentials || typeof accountId !== 'string') {
      await sendError(reply, unauthorized());
      return;
    }
    const outcome = await authenticator.authenticate(accountId, credentials.username, credentials.password);
    if (outcome === 'ok' && directory.account(accountId)) {
      request.scopeAccountId = accountId;
      return;
    }
    if (outcome === 'busy') await sendError(reply, errors.rateLimited(1));
    else if (outcome === 'forbidden') await sendError(reply, errors.forbidden());
    else await sendError(reply, unauthorized());
  };
}
