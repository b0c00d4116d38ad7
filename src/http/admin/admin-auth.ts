// The admin API is not part of the Bandwidth surface and has its own credential: a bearer token.
import type { FailedAttempts } from '../../core/accounts/failed-attempts.js';
import { bearerAuth } from '../bearer-auth.js';

/** The limiter's name for the admin token, which the console's sign-in takes too. */
export const ADMIN_REALM = 'pigeon-admin';

export function adminAuth(token: string, signIns: FailedAttempts) {
  return bearerAuth(token, ADMIN_REALM, 'The admin API needs Authorization: Bearer <admin token>', signIns);
}
