// The Authorization header of upstream requests: Basic, or an OAuth2 bearer token from the client
// credentials grant. A token is fetched on first use, shared by concurrent requests, refreshed a
// minute before it expires, and dropped when the upstream answers 401 (it was revoked or the
// upstream restarted with another signing key), so the next request fetches a new one.
import type { BandwidthCarrierConfig } from './config.js';

export class UpstreamAuthError extends Error {
  constructor(
    message: string,
    /** The token endpoint could not be reached or answered 5xx/429: worth trying again later. */
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'UpstreamAuthError';
  }
}

const REFRESH_BEFORE_MS = 60_000;

export class UpstreamAuth {
  private token: { value: string; expiresAt: number } | undefined;
  private fetching: Promise<string> | undefined;
  /** Tokens fetched so far (the status page shows it). */
  tokensFetched = 0;

  constructor(
    private readonly config: BandwidthCarrierConfig,
    private readonly now: () => number,
  ) {}

  async header(): Promise<string> {
    const { username, password } = this.config;
    if (username !== undefined && password !== undefined) return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    if (this.token && this.token.expiresAt - REFRESH_BEFORE_MS > this.now()) return `Bearer ${this.token.value}`;
    this.fetching ??= this.fetchToken().finally(() => {
      this.fetching = undefined;
    });
    return `Bearer ${await this.fetching}`;
  }

  /** The upstream refused the credentials: a bearer token is fetched again next time. */
  rejected(): void {
    this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { clientId = '', clientSecret = '', tokenUrl, timeoutSeconds } = this.config;
    let res: Response;
    try {
      res = await fetch(tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'grant_type=client_credentials',
        signal: AbortSignal.timeout(timeoutSeconds * 1000),
      });
    } catch (err) {
      throw new UpstreamAuthError(`token endpoint unreachable: ${(err as Error).message}`, true);
    }
    const body = (await res.json().catch(() => undefined)) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (!res.ok || typeof body?.access_token !== 'string') {
      throw new UpstreamAuthError(`token endpoint answered ${res.status}`, res.status === 429 || res.status >= 500);
    }
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
    this.token = { value: body.access_token, expiresAt: this.now() + seconds * 1000 };
    this.tokensFetched++;
    return body.access_token;
  }
}
