// OAuth2 access tokens, as Bandwidth issues them for its client-credentials grant: a JWT signed with
// HMAC-SHA256 under the configured key. A token names its API user and the accounts whose
// credentials it was issued for; it expires, it is checked against the account directory at each
// use (a user removed from the config loses its tokens at the next restart or reload, and its
// roles apply as they do to Basic Auth), and a token signed under another key or altered in any
// byte fails the signature check, which is done in constant time before anything in it is read.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  /** The API user (the OAuth2 client id). */
  username: string;
  /** Accounts whose credentials these were; the token is valid for these only. */
  accountIds: readonly string[];
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

  constructor(
    signingKey: string | undefined,
    readonly ttlMs: number,
    private readonly now: () => number,
  ) {
    this.key = signingKey === undefined ? randomBytes(32) : Buffer.from(signingKey, 'utf8');
  }

  issue(username: string, accountIds: readonly string[]): { token: string; expiresInSeconds: number } {
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresInSeconds = Math.floor(this.ttlMs / 1000);
    const payload = base64url(
      JSON.stringify({
        iss: ISSUER,
        sub: username,
        acc: accountIds,
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
    const { iss, sub, acc, exp } = (claims ?? {}) as Record<string, unknown>;
    if (iss !== ISSUER || typeof sub !== 'string' || typeof exp !== 'number') return undefined;
    if (!Array.isArray(acc) || !acc.every((a): a is string => typeof a === 'string')) return undefined;
    const expiresAt = exp * 1000;
    if (expiresAt <= this.now()) return undefined;
    return { username: sub, accountIds: acc, expiresAt };
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}
