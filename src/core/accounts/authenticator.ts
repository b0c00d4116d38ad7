// Basic-auth decisions for the Bandwidth API. scrypt is deliberately slow, so a successful check is
// remembered under an HMAC of the credentials with a per-process random key: the cache holds no
// password, cannot be probed from outside (the key is secret) and expires entries after a while.
// Failures are never remembered, so they always cost a full scrypt on libuv's thread pool (4 threads
// by default), which SQLite's off-thread WAL fdatasync also needs: a flood of bad credentials would
// take every thread and stall each 202 behind it. So only a few checks run at once and the rest queue;
// past a bound the queue refuses more ('busy', a 429), so a flood cannot hold memory or make every
// uncached login wait minutes behind it.
import { createHmac, randomBytes } from 'node:crypto';
import type { AccountDirectory } from './directory.js';
import { hashPassword, verifyPassword } from './passwords.js';

export type AuthOutcome = 'ok' | 'unauthorized' | 'forbidden' | 'busy';

const CACHE_LIMIT = 10_000;
const CACHE_TTL_MS = 5 * 60_000;
/** Half of libuv's default pool: the other threads stay free for fsync and other file work. */
export const DEFAULT_MAX_CONCURRENT_CHECKS = 2;
/** At a few milliseconds per check, about a second of queued work: more than legitimate bursts need. */
export const DEFAULT_MAX_QUEUED_CHECKS = 256;

export class SemaphoreFullError extends Error {
  constructor() {
    super('too many tasks waiting');
    this.name = 'SemaphoreFullError';
  }
}

/** Runs at most `limit` tasks at once; the others wait, in arrival order, at most `maxWaiting` of them. */
export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaiting = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, not ${limit}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A released slot is handed straight to the next waiter, so `running` never overshoots.
    if (this.running < this.limit) this.running++;
    else if (this.waiting.length >= this.maxWaiting) throw new SemaphoreFullError();
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

export interface AuthenticatorOptions {
  /** scrypt verifications allowed at once; further ones queue. */
  maxConcurrentChecks?: number;
  /** Verifications allowed to queue; beyond them authenticate() answers 'busy' at once. */
  maxQueuedChecks?: number;
  /** Told when a scrypt verification starts and ends (for tests and metrics; must not throw). */
  onCheck?: (event: 'start' | 'end') => void;
}

export class Authenticator {
  private readonly key = randomBytes(32);
  // Each success remembers the hash it was checked against: a user whose password changed, or who
  // was deleted or disabled since, no longer matches it, so the cache cannot outlive a change.
  private readonly verified = new Map<string, { hash: string; expires: number }>();
  // A burst of requests with the same credentials shares one scrypt check instead of running one each.
  private readonly checking = new Map<string, Promise<AuthOutcome>>();
  // Unknown usernames are checked against this throw-away hash so that they take as long as known ones.
  private readonly decoyHash: Promise<string> = hashPassword(randomBytes(16).toString('hex'));

  private readonly checks: Semaphore;
  private readonly onCheck: AuthenticatorOptions['onCheck'];

  constructor(
    private readonly directory: AccountDirectory,
    private readonly now: () => number = Date.now,
    options: AuthenticatorOptions = {},
  ) {
    this.checks = new Semaphore(
      options.maxConcurrentChecks ?? DEFAULT_MAX_CONCURRENT_CHECKS,
      options.maxQueuedChecks ?? DEFAULT_MAX_QUEUED_CHECKS,
    );
    this.onCheck = options.onCheck;
  }

  async authenticate(accountId: string, username: string, password: string): Promise<AuthOutcome> {
    const cacheKey = createHmac('sha256', this.key).update(`${accountId}\0${username}\0${password}`).digest('base64');
    const cached = this.verified.get(cacheKey);
    if (cached && cached.expires > this.now()) {
      const user = this.directory.account(accountId)?.users.get(username);
      if (user?.passwordHash === cached.hash) return user.canMessage ? 'ok' : 'forbidden';
      this.verified.delete(cacheKey);
    }
    let check = this.checking.get(cacheKey);
    if (!check) {
      check = this.verify(accountId, username, password, cacheKey).finally(() => this.checking.delete(cacheKey));
      this.checking.set(cacheKey, check);
    }
    return check;
  }

  private async verify(accountId: string, username: string, password: string, cacheKey: string): Promise<AuthOutcome> {
    const user = this.directory.account(accountId)?.users.get(username);
    const hash = user?.passwordHash ?? (await this.decoyHash);
    let matches: boolean;
    try {
      matches = await this.checks.run(async () => {
        this.onCheck?.('start');
        try {
          return await verifyPassword(password, hash);
        } finally {
          this.onCheck?.('end');
        }
      });
    } catch (err) {
      if (err instanceof SemaphoreFullError) return 'busy';
      throw err;
    }
    if (!user || !matches) return 'unauthorized';

    const outcome: AuthOutcome = user.canMessage ? 'ok' : 'forbidden';
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    // A change made while scrypt ran is not cached over: the next request checks against the new hash.
    if (this.directory.account(accountId)?.users.get(username)?.passwordHash === user.passwordHash) {
      this.verified.set(cacheKey, { hash: user.passwordHash, expires: this.now() + CACHE_TTL_MS });
    }
    return outcome;
  }
}

/** Splits an `Authorization: Basic …` header; anything else yields undefined. */
export interface BasicCredentials {
  username: string;
  password: string;
}

export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
