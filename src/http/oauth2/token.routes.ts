// POST /api/v1/oauth2/token: OAuth2's client-credentials grant (RFC 6749 §4.4), as Bandwidth offers
// it. The client is an API user: its username and password as HTTP Basic, or as the form fields
// client_id and client_secret (not both). The answer is {access_token, token_type: "Bearer",
// expires_in}; the token is then accepted by the messaging and media API wherever Basic Auth is,
// for the same accounts and with the same roles. Failures answer in OAuth2's own error shape
// (RFC 6749 §5.2), not Bandwidth's, as an OAuth2 client library expects.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseBasicAuth, type Authenticator } from '../../core/accounts/authenticator.js';
import type { Account, AccountDirectory } from '../../core/accounts/directory.js';
import type { FailedAttempts } from '../../core/accounts/failed-attempts.js';
import type { AccessTokens } from './access-tokens.js';

export interface TokenDeps {
  tokens: AccessTokens;
  authenticator: Authenticator;
  directory: AccountDirectory;
  signIns: FailedAttempts;
}

/**
 * At most this many checks are made up with decoys: accounts can be created through the API (one
 * per CI tenant, each with a user `api`), and a count that grew with them would put every token
 * request's checks past the authenticator's queue (always 429) and take the scrypt slots Basic Auth
 * shares. Past it, a username's time says only that more accounts than this have it.
 */
const MAX_DECOY_CHECKS = 4;

/**
 * How many password checks a token request makes: as many as the accounts that share the most
 * common username (up to MAX_DECOY_CHECKS), whoever asks. Checking only the accounts that have the
 * name (and one decoy for none) made the answer's time count them, revealing which usernames exist
 * and how widely.
 */
function checksPerRequest(accounts: readonly Account[]): number {
  const counts = new Map<string, number>();
  let most = 1;
  for (const account of accounts) {
    for (const username of account.users.keys()) {
      const n = (counts.get(username) ?? 0) + 1;
      counts.set(username, n);
      if (n > most) most = n;
    }
  }
  return Math.min(most, MAX_DECOY_CHECKS);
}

type OAuthError = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'temporarily_unavailable';

/** A form is a few short fields; more is not a token request. */
const FORM_LIMIT_BYTES = 4096;

function oauthError(reply: FastifyReply, status: number, error: OAuthError, description: string, headers: Record<string, string> = {}) {
  return reply
    .code(status)
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache', ...headers })
    .type('application/json; charset=utf-8')
    .send({ error, error_description: description });
}

class FormError extends Error {}

function parseForm(text: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    // RFC 6749 §3.2: request parameters must not be included more than once.
    if (Object.prototype.hasOwnProperty.call(form, name)) throw new FormError(`parameter ${name} is repeated`);
    form[name] = value;
  }
  return form;
}

export function tokenRoutes(app: FastifyInstance, deps: TokenDeps): void {
  // The form only (RFC 6749 §4.4.2): JSON or text is refused, not read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // Whatever goes wrong before the handler (a JSON body, an oversized or malformed form) is still
  // answered the OAuth2 way.
  app.setErrorHandler((err, _request, reply) => {
    const description =
      err instanceof FormError
        ? err.message
        : (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'the body must be application/x-www-form-urlencoded'
          : 'the request could not be read';
    return oauthError(reply, 400, 'invalid_request', description);
  });

  app.post('/token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>;
    const header = request.headers.authorization;
    const basic = parseBasicAuth(header);
    const challenge = { 'www-authenticate': 'Basic realm="pigeon"' };
    if (header !== undefined && !basic) return oauthError(reply, 401, 'invalid_client', 'client authentication must be HTTP Basic', challenge);
    const inForm = form.client_id !== undefined || form.client_secret !== undefined;
    if (basic && inForm) return oauthError(reply, 400, 'invalid_request', 'authenticate the client one way: HTTP Basic or the form, not both');
    const grant = form.grant_type;
    if (grant === undefined || grant === '') return oauthError(reply, 400, 'invalid_request', 'grant_type is required');
    if (grant !== 'client_credentials') {
      return oauthError(reply, 400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
    }
    const client = basic ?? (form.client_id && form.client_secret ? { username: form.client_id, password: form.client_secret } : undefined);
    if (!client) return oauthError(reply, 401, 'invalid_client', 'client credentials are required', challenge);

    const credential = `user:*/${client.username}`;
    const retryAfter = deps.signIns.retryAfter(credential, request.ip);
    if (retryAfter > 0) {
      return oauthError(reply, 429, 'temporarily_unavailable', 'too many failed attempts; retry later', { 'retry-after': String(retryAfter) });
    }
    // Every account with such a user is tried, and decoys (ids no account has: the authenticator's
    // throw-away hash) make up the same number of checks for every username.
    const accounts = [...deps.directory.allAccounts()];
    const candidates = accounts.filter((account) => account.users.has(client.username)).map((a) => a.id);
    const decoys = Array.from({ length: checksPerRequest(accounts) - candidates.length }, (_, i) => `\0decoy${i}`);
    const outcomes = await Promise.all(
      [...candidates, ...decoys].map(async (accountId) => ({
        accountId,
        outcome: await deps.authenticator.authenticate(accountId, client.username, client.password),
      })),
    );
    if (outcomes.some((o) => o.outcome === 'busy')) {
      return oauthError(reply, 429, 'temporarily_unavailable', 'too many credential checks at once; retry shortly', { 'retry-after': '1' });
    }
    // A user without the messaging role gets a token too: the API refuses it with 403, as it does Basic.
    const granted = outcomes
      .filter((o) => o.outcome === 'ok' || o.outcome === 'forbidden')
      .map((o) => ({ id: o.accountId, passwordHash: deps.directory.account(o.accountId)?.users.get(client.username)?.passwordHash }))
      .filter((a): a is { id: string; passwordHash: string } => a.passwordHash !== undefined);
    if (granted.length === 0) {
      deps.signIns.failed(credential, request.ip);
      return oauthError(reply, 401, 'invalid_client', 'client authentication failed', challenge);
    }
    deps.signIns.succeeded(credential, request.ip);

    const { token, expiresInSeconds } = deps.tokens.issue(client.username, granted);
    return reply
      .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
      .type('application/json; charset=utf-8')
      .send({ access_token: token, token_type: 'Bearer', expires_in: expiresInSeconds });
  });
}
