// The one check of an API user's Basic credentials for an account, shared by the Bandwidth API, the
// sandbox's account-scoped admin routes and anything else that takes them: the failed sign-in limit
// first, then the password (unknown accounts get the same decoy check, so timing does not reveal
// them), then the limit's bookkeeping. Callers only choose how each outcome is answered.
import type { Account, AccountDirectory } from '../core/accounts/directory.js';
import type { Authenticator, BasicCredentials } from '../core/accounts/authenticator.js';
import type { FailedAttempts } from '../core/accounts/failed-attempts.js';

export type ApiUserCheck =
  | { kind: 'ok'; account: Account }
  | { kind: 'unauthorized' }
  /** Right password, but the user lacks the messaging role. */
  | { kind: 'forbidden' }
  /** Too many failures for these credentials or this address, or the password checks' queue is full. */
  | { kind: 'limited'; retryAfterSeconds: number; queueFull: boolean };

/** The limiter's name for an API user's credentials (console sign-in and Basic Auth share it). */
export const apiUserCredential = (accountId: string, username: string) => `user:${accountId}/${username}`;

export interface ApiUserCheckDeps {
  authenticator: Authenticator;
  directory: AccountDirectory;
  signIns: FailedAttempts;
}

export async function checkApiUser(deps: ApiUserCheckDeps, accountId: string, credentials: BasicCredentials, ip: string): Promise<ApiUserCheck> {
  const credential = apiUserCredential(accountId, credentials.username);
  const wait = deps.signIns.retryAfter(credential, ip);
  if (wait > 0) return { kind: 'limited', retryAfterSeconds: wait, queueFull: false };
  const outcome = await deps.authenticator.authenticate(accountId, credentials.username, credentials.password);
  const account = deps.directory.account(accountId);
  if (!account || outcome === 'unauthorized') {
    deps.signIns.failed(credential, ip);
    return { kind: 'unauthorized' };
  }
  // Only uncached checks queue, so a full queue is a flood of logins; a client that waits a moment gets in.
  if (outcome === 'busy') return { kind: 'limited', retryAfterSeconds: 1, queueFull: true };
  deps.signIns.succeeded(credential, ip);
  return outcome === 'forbidden' ? { kind: 'forbidden' } : { kind: 'ok', account };
}
