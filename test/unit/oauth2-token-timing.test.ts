// The token endpoint's work does not depend on the username: every request makes as many password
// checks as the most widely shared username has accounts, so the answer's time does not tell whether
// a username exists or in how many accounts. Counted through the authenticator's check hook.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import type { AccountConfig } from '../../src/config/schema.js';
import { Authenticator } from '../../src/core/accounts/authenticator.js';
import { AccountDirectory } from '../../src/core/accounts/directory.js';
import { FailedAttempts } from '../../src/core/accounts/failed-attempts.js';
import { AccessTokens } from '../../src/http/oauth2/access-tokens.js';
import { tokenRoutes } from '../../src/http/oauth2/token.routes.js';

const account = (id: string, usernames: string[]) =>
  ({ id, users: usernames.map((username) => ({ username, password: `${username}-pass` })), applications: [] }) as unknown as AccountConfig;

describe('OAuth2 token endpoint timing', () => {
  it('checks as many passwords for an unknown user, a user of one account and one of three', async () => {
    const directory = await AccountDirectory.fromConfig([
      account('1', ['shared', 'solo']),
      account('2', ['shared']),
      account('3', ['shared']),
    ]);
    let checks = 0;
    const authenticator = new Authenticator(directory, Date.now, { onCheck: (event) => void (event === 'start' && checks++) });
    const app = Fastify();
    await app.register(async (scope) =>
      tokenRoutes(scope, { tokens: new AccessTokens(undefined, 3_600_000, Date.now), authenticator, directory, signIns: new FailedAttempts() }),
    );
    const attempt = async (username: string, password: string) => {
      checks = 0;
      const res = await app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: username, client_secret: password }).toString(),
      });
      return { status: res.statusCode, checks };
    };
    assert.deepEqual(await attempt('nobody', 'x'), { status: 401, checks: 3 });
    assert.deepEqual(await attempt('solo', 'wrong'), { status: 401, checks: 3 });
    assert.deepEqual(await attempt('shared', 'wrong'), { status: 401, checks: 3 });
    assert.deepEqual(await attempt('solo', 'solo-pass'), { status: 200, checks: 3 });
    await app.close();
  });
});
