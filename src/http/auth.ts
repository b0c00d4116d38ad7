// Basic Auth for the Bandwidth API. It runs in onRequest, before the body is read, so an
// unauthenticated client cannot make Pigeon buffer an upload. Credentials that are valid for
// another account get the same 401 as wrong ones: nothing tells a caller which accounts exist.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account, AccountDirectory } from '../core/accounts/directory.js';
import { parseBasicAuth, type Authenticator } from '../core/accounts/authenticator.js';
import { errors } from '../core/errors.js';
import { sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    account: Account;
  }
}

export function basicAuth(authenticator: Authenticator, directory: AccountDirectory) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { accountId } = request.params as { accountId?: string };
    const credentials = parseBasicAuth(request.headers.authorization);
    if (!credentials || accountId === undefined) {
      await sendError(reply, errors.unauthorized());
      return;
    }
    // Unknown accounts go through the same (decoy) password check, so timing does not reveal them.
    const outcome = await authenticator.authenticate(accountId, credentials.username, credentials.password);
    const account = directory.account(accountId);
    if (!account) {
      await sendError(reply, errors.unauthorized());
      return;
    }
    if (outcome === 'unauthorized') {
      await sendError(reply, errors.unauthorized());
      return;
    }
    if (outcome === 'busy') {
      // Only uncached checks queue, so this is a flood of logins; a client that waits a moment gets in.
      request.log.warn('password checks queue full: answered 429');
      await sendError(reply, errors.rateLimited(1));
      return;
    }
    if (outcome === 'forbidden') {
      await sendError(reply, errors.forbidden());
      return;
    }
    request.account = account;
  };
}
