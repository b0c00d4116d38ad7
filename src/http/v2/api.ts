// The Bandwidth Messaging v2 API, mounted by app.ts under each supported prefix. Every route in
// this scope requires Basic Auth for the account named in its path.
import type { FastifyInstance } from 'fastify';
import type { AccountDirectory } from '../../core/accounts/directory.js';
import type { Authenticator } from '../../core/accounts/authenticator.js';
import { FailedAttempts } from '../../core/accounts/failed-attempts.js';
import type { ThroughputPolicy } from '../../core/delivery/rate-policy.js';
import type { Store } from '../../core/ports.js';
import type { Config } from '../../config/config.js';
import { basicAuth } from '../auth.js';
import type { AccessTokens } from '../oauth2/access-tokens.js';
import { installJsonParser } from '../json-body.js';
import type { FixedWindowLimiter } from '../rate-limit.js';
import { mediaRoutes } from './media.routes.js';
import { messagesRoutes } from './messages.routes.js';
import type { OpenApiCatalog } from '../openapi/openapi-catalog.js';

export interface ApiDeps {
  config: Config;
  store: Store;
  directory: AccountDirectory;
  authenticator: Authenticator;
  /** Failed sign-ins of every surface (one per process, core/accounts/failed-attempts.ts); absent, buildApp makes one from the config. */
  signIns?: FailedAttempts;
  now: () => number;
  throughput?: ThroughputPolicy;
  /** OAuth2 access tokens accepted as `Authorization: Bearer`; absent, Basic Auth only. */
  tokens?: AccessTokens;
  /** Called after messages were accepted, so delivery starts without waiting for a poll. */
  onAccepted?: () => void;
}

/** `listLimiter` is shared by every prefix the API is mounted under; `catalog` collects this mount's routes for its OpenAPI document. */
export async function bandwidthApi(app: FastifyInstance, deps: ApiDeps, listLimiter: FixedWindowLimiter, catalog: OpenApiCatalog): Promise<void> {
  catalog.collect(app);
  app.decorateRequest('account', null as never);
  app.addHook('onRequest', basicAuth(deps.authenticator, deps.directory, deps.signIns ?? new FailedAttempts(deps.config.limits.failedSignIns, deps.now), deps.tokens));
  installJsonParser(app);
  messagesRoutes(app, deps, listLimiter);
  await app.register(async (scope) => mediaRoutes(scope, deps));
}
