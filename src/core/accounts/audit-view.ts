// An entry as the audit trail and the admin API show it: without its version stamps, and with
// secrets masked (a password hash is never shown, a callback password is shown as set or not).
export const MASK = '***';
const SECRETS = ['passwordHash', 'callbackPassword'];

export function auditView(row: object): Record<string, unknown> {
  const { version: _v, ...rest } = row as Record<string, unknown>;
  for (const field of SECRETS) if (rest[field] !== undefined) rest[field] = MASK;
  return rest;
}
