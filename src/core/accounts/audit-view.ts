// An entry as the audit trail and the admin API show it: without its version stamps, and with
// secrets masked (a password hash is never shown, a callback password is shown as set or not).
export const MASK = '***';
const SECRETS = ['passwordHash', 'callbackPassword'];

/** The row's fields but `keys`. */
export function omit(row: object, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !keys.includes(key)));
}

export function auditView(row: object): Record<string, unknown> {
  const rest = omit(row, ['version']);
  for (const field of SECRETS) if (rest[field] !== undefined) rest[field] = MASK;
  return rest;
}
