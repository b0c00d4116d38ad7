// The admin API is not part of the Bandwidth surface and has its own credential: a bearer token.
import { bearerAuth } from '../bearer-auth.js';

export function adminAuth(token: string) {
  return bearerAuth(token, 'pigeon-admin', 'The admin API needs Authorization: Bearer <admin token>');
}
