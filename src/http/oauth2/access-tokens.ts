// OAuth2 access tokens, as Bandwidth issues them for its client-credentials grant: a JWT signed with
// HMAC-SHA256 under the configured key. A token names its API user and the accounts whose
// credentials it was issued for; it expires, it is checked against the account directory at each
// use (a user removed from the live directory loses its tokens at its next use, and its roles
// apply as they do to Basic Auth), and a token signed under another key or altered in any
// byte fails the signature check, which is done in constant time before anything in it is read.
// Each token also carries, per account, a fingerprint of its user's password hash there (an HMAC
// under a key derived from the signing key, so the token reveals nothing of the hash): a changed
// password ends the user's tokens at their next use, however the directory learnt of it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  /** The API user (the OAuth2 client id). */
  username: string;
  /** Accounts whose credentials these were; the token is valid for these only. */
  accountIds: readonly string[];
  /** Per account id: the fingerprint of the user's password hash when the token was issued. */
  fingerprints: Readonly<Record<string, string>>;
  expiresAt: number;
}

/** The only header Pigeon issues; a token with any other (alg none, RS256 …) is refused unread. */
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const ISSUER = 'pigeon';
/** Tokens are short; anything longer is refused before any work. */
const MAX_TOKEN_LENGTH = 8192;

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export class AccessTokens {
  private readonly key: Buffer;
  private readonly fingerprintKey: Buffer;

  constructor(
    signingKey: string | undefined,
    readonly ttlMs: number,
    private readonly now: () => number,
  ) {
    this.key = signingKey === undefined ? randomBytes(32) : Buffer.from(signingKey, 'utf8');
    this.fingerprintKey = createHmac('sha256', this.key).update('pigeon password fingerprint').digest();
  }

  /** What a token holds of a password hash: 128 bits of an HMAC, enough to tell a change, useless to a reader. */
  fingerprint(passwordHash: string): string {
    return createHmac('sha256', this.fingerprintKey).update(passwordHash).digest().subarray(0, 16).toString('base64url');
  }

  /** Whether `passwordHash` is still the one the token was issued under for `accountId`; constant time. */
  samePassword(claims: TokenClaims, accountId: string, passwordHash: string): boolean {
    const held = Buffer.from(claims.fingerprints[accountId] ?? '', 'base64url');
    const now = Buffer.from(this.fingerprint(passwordHash), 'base64url');
    return held.length === now.length && timingSafeEqual(held, now);
  }

  /** `accounts`: each account the credentials were valid for, with the user's password hash there. */
  issue(username: string, accounts: ReadonlyArray<{ id: string; passwordHash: string }>): { token: string; expiresInSeconds: number } {
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresInSeconds = Math.floor(this.ttlMs / 1000);
    const payload = base64url(
      JSON.stringify({
        iss: ISSUER,
        sub: username,
        acc: accounts.map((a) => a.id),
        pwf: accounts.map((a) => this.fingerprint(a.passwordHash)),
        iat: issuedAt,
        exp: issuedAt + expiresInSeconds,
        jti: randomBytes(12).toString('base64url'),
      }),
    );
    return { token: `${HEADER}.${payload}.${this.sign(`${HEADER}.${payload}`)}`, expiresInSeconds };
  }

  /** The claims of a valid, unexpired token of ours; undefined for anything else. */
  verify(token: string): TokenClaims | undefined {
    if (token.length > MAX_TOKEN_LENGTH) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${header}.${payload}`), 'base64url');
    const given = Buffer.from(signature, 'base64url');
    // Compared over equal lengths only; a signature of another length is wrong anyway.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    if (header !== HEADER) return undefined;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const { iss, sub, acc, pwf, exp } = (claims ?? {}) as Record<string, unknown>;
    if (iss !== ISSUER || typeof sub !== 'string' || typeof exp !== 'number') return undefined;
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((a) => typeof a === 'string');
    // A token without fingerprints (issued before they existed) cannot be tied to a password: refused.
    if (!strings(acc) || !strings(pwf) || pwf.length !== acc.length) return undefined;
    const expiresAt = exp * 1000;
    if (expiresAt <= this.now()) return undefined;
    return { username: sub, accountIds: acc, fingerprints: Object.fromEntries(acc.map((a, i) => [a, pwf[i] as string])), expiresAt };
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}
