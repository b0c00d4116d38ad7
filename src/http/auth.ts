// Basic Auth (or an OAuth2 bearer token) for the Bandwidth API. It runs in onRequest, before the body is read, so an
// unauthenticated client cannot make Pigeon buffer an upload. Credentials that are valid for
// another account get the same 401 as wrong ones: nothing tells a caller which accounts exist.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account, AccountDirectory } from '../core/accounts/directory.js';
import { parseBasicAuth, type Authenticator } from '../core/accounts/authenticator.js';
import type { FailedAttempts } from '../core/accounts/failed-attempts.js';
import { errors, type ApiError } from '../core/errors.js';
import { sendError as sendJsonError } from './errors.js';
import { checkApiUser } from './api-user-check.js';
import type { AccessTokens, TokenClaims } from './oauth2/access-tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    account: Account;
  }
}

/** Writes an authentication failure in the surface's own error shape (the v2 API's JSON by default). */
export type AuthFailure = (reply: FastifyReply, err: ApiError) => unknown;

/**
 * An OAuth2 access token (oauth2/access-tokens.ts) for the account in the path: valid, unexpired,
 * issued for this account, its user still in the account (looked up in the directory at each use)
 * with the password it had when the token was issued, and with the messaging role (else 403, as for
 * Basic Auth).
 */
async function bearerAccount(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  tokens: AccessTokens | undefined,
  directory: AccountDirectory,
  sendError: AuthFailure,
): Promise<void> {
  const { accountId } = request.params as { accountId?: string };
  const claims = tokens?.verify(token);
  const account = accountId === undefined ? undefined : directory.account(accountId);
  const user = claims && account && claims.accountIds.includes(account.id) ? account.users.get(claims.username) : undefined;
  if (!account || !user || !tokens?.samePassword(claims as TokenClaims, account.id, user.passwordHash)) {
    // The same 401 as bad Basic credentials: nothing tells which part of the token was wrong.
    await sendError(reply, errors.unauthorized());
    return;
  }
  if (!user.canMessage) {
    await sendError(reply, errors.forbidden());
    return;
  }
  request.account = account;
}

export function basicAuth(authenticator: Authenticator, directory: AccountDirectory, signIns: FailedAttempts, tokens?: AccessTokens, sendError: AuthFailure = sendJsonError) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (bearer?.[1]) return bearerAccount(request, reply, bearer[1], tokens, directory, sendError);
    const { accountId } = request.params as { accountId?: string };
    const credentials = parseBasicAuth(request.headers.authorization);
    if (!credentials || accountId === undefined) {
      await sendError(reply, errors.unauthorized());
      return;
    }
    const check = await checkApiUser({ authenticator, directory, signIns }, accountId, credentials, request.ip);
    if (check.kind === 'limited') {
      if (check.queueFull) request.log.warn('password checks queue full: answered 429');
      await sendError(reply, errors.rateLimited(check.retryAfterSeconds));
      return;
    }
    if (check.kind !== 'ok') {
      await sendError(reply, check.kind === 'forbidden' ? errors.forbidden() : errors.unauthorized());
      return;
    }
    request.account = check.account;
  };
}
