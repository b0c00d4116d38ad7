// Basic-auth decisions for the Bandwidth API. scrypt is deliberately slow, so a successful check is
// remembered under an HMAC of the credentials with a per-process random key: the cache holds no
// password, cannot be probed from outside (the key is secret) and expires entries after a while.
import { createHmac, randomBytes } from 'node:crypto';
import type { AccountDirectory } from './directory.js';
import { hashPassword, verifyPassword } from './passwords.js';

export type AuthOutcome = 'ok' | 'unauthorized' | 'forbidden';

const CACHE_LIMIT = 10_000;
const CACHE_TTL_MS = 5 * 60_000;

export class Authenticator {
  private readonly key = randomBytes(32);
  private readonly verified = new Map<string, { outcome: AuthOutcome; expires: number }>();
  // A burst of requests with the same credentials shares one scrypt check instead of running one each.
  private readonly checking = new Map<string, Promise<AuthOutcome>>();
  // Unknown usernames are checked against this throw-away hash so that they take as long as known ones.
  private readonly decoyHash: Promise<string> = hashPassword(randomBytes(16).toString('hex'));

  constructor(
    private readonly directory: AccountDirectory,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(accountId: string, username: string, password: string): Promise<AuthOutcome> {
    const cacheKey = createHmac('sha256', this.key).update(`${accountId}\0${username}\0${password}`).digest('base64');
    const cached = this.verified.get(cacheKey);
    if (cached && cached.expires > this.now()) return cached.outcome;
    let check = this.checking.get(cacheKey);
    if (!check) {
      check = this.verify(accountId, username, password, cacheKey).finally(() => this.checking.delete(cacheKey));
      this.checking.set(cacheKey, check);
    }
    return check;
  }

  private async verify(accountId: string, username: string, password: string, cacheKey: string): Promise<AuthOutcome> {
    const user = this.directory.account(accountId)?.users.get(username);
    const matches = await verifyPassword(password, user?.passwordHash ?? (await this.decoyHash));
    if (!user || !matches) return 'unauthorized';

    const outcome: AuthOutcome = user.canMessage ? 'ok' : 'forbidden';
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    this.verified.set(cacheKey, { outcome, expires: this.now() + CACHE_TTL_MS });
    return outcome;
  }
}

/** Splits an `Authorization: Basic …` header; anything else yields undefined. */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
