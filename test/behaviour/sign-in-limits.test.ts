// Failed sign-ins are limited on every surface that takes a credential (Basic Auth, the OAuth2 token
// endpoint, the admin API's token, the console's sign-in; SMPP binds in test/smpp-server), per
// credential and client, with the client's address taken from X-Forwarded-For only when the
// request came from a trusted proxy. A flood of bad credentials must not refuse good ones: after a
// flood for user X from client C, (a) C's further attempts for X get 429, (b) X signs in from
// another client, (c) other users sign in from C. Every storage engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, ACCOUNT_B, basic, fixtureConfigYaml } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const FLOOD = 4;
const limits = `limits: { failedSignInsPerCredentialAndClient: ${FLOOD}, failedSignInsPerClient: ${FLOOD * 3} }\n`;

/** One way of signing in: `attempt` answers the status of a try with `secret` (the right one or not) as `who`. */
interface Surface {
  name: string;
  attempt(pigeon: TestPigeon, who: 'x' | 'y', right: boolean, client: string): Promise<number>;
  /** The status of a success. */
  ok: number;
}

const xff = (client: string) => ({ 'x-forwarded-for': client });

/** The status of a request, its body read so that the connection is free again. */
async function statusOf(response: Promise<Response>): Promise<number> {
  const res = await response;
  await res.arrayBuffer();
  return res.status;
}

const credentials = (who: 'x' | 'y') =>
  who === 'x'
    ? { accountId: ACCOUNT_A.id, username: ACCOUNT_A.username, password: ACCOUNT_A.password }
    : { accountId: ACCOUNT_B.id, username: ACCOUNT_B.username, password: ACCOUNT_B.password };

const SURFACES: Surface[] = [
  {
    name: 'Basic Auth',
    ok: 200,
    attempt: (pigeon, who, right, client) => {
      const { accountId, username, password } = credentials(who);
      return statusOf(pigeon.fetch(`/api/v2/users/${accountId}/messages`, { headers: { authorization: basic(username, right ? password : 'wrong'), ...xff(client) } }));
    },
  },
  {
    name: 'the OAuth2 token endpoint',
    ok: 200,
    attempt: (pigeon, who, right, client) => {
      const { username, password } = credentials(who);
      const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(username, right ? password : 'wrong'), ...xff(client) };
      return statusOf(pigeon.fetch('/api/v1/oauth2/token', { method: 'POST', headers, body: 'grant_type=client_credentials' }));
    },
  },
  {
    name: "the console's sign-in",
    ok: 201,
    attempt: (pigeon, who, right, client) => {
      const { accountId, username, password } = credentials(who);
      const body = JSON.stringify({ accountId, username, password: right ? password : 'wrong' });
      return statusOf(pigeon.fetch('/console/api/session', { method: 'POST', headers: { 'content-type': 'application/json', ...xff(client) }, body }));
    },
  },
  {
    // The admin token has no second user: y is another credential from the same client (B's Basic Auth).
    name: "the admin API's token",
    ok: 200,
    attempt: (pigeon, who, right, client) => {
      const token = right ? ADMIN_TOKEN : 'wrong-token-0123456789';
      return who === 'x'
        ? statusOf(pigeon.fetch('/admin/v1/status', { headers: { authorization: `Bearer ${token}`, ...xff(client) } }))
        : SURFACES[0]!.attempt(pigeon, 'y', true, client);
    },
  },
  {
    // Waiting for a message takes an account's API user too; `timeout=0` answers at once (408: nothing came).
    name: "the sandbox's Basic Auth (messages/next)",
    ok: 408,
    attempt: (pigeon, who, right, client) => {
      const { accountId, username, password } = credentials(who);
      const path = `/admin/v1/messages/next?accountId=${accountId}&timeout=0`;
      return statusOf(pigeon.fetch(path, { headers: { authorization: basic(username, right ? password : 'wrong'), ...xff(client) } }));
    },
  },
  {
    name: "the sandbox's admin token (messages/next)",
    ok: 408,
    attempt: (pigeon, who, right, client) => {
      const token = right ? ADMIN_TOKEN : 'wrong-token-0123456789';
      return who === 'x'
        ? statusOf(pigeon.fetch('/admin/v1/messages/next?timeout=0', { headers: { authorization: `Bearer ${token}`, ...xff(client) } }))
        : SURFACES.find((s) => s.name.startsWith("the sandbox's Basic"))!.attempt(pigeon, 'y', true, client);
    },
  },
];

for (const backend of BACKENDS) {
  describe(`failed sign-in limits (${backend})`, () => {
    let behindProxy: TestPigeon;
    let direct: TestPigeon;

    before(async () => {
      // Behind a trusted proxy (this host): X-Forwarded-For names the client.
      behindProxy = await startPigeon({ backend, configYaml: fixtureConfigYaml({ extra: limits }), env: { PIGEON_TRUST_PROXY: '127.0.0.1' } });
      // Reached directly, with a proxy elsewhere trusted: X-Forwarded-For is anyone's to write.
      direct = await startPigeon({ backend, configYaml: fixtureConfigYaml({ extra: limits }), env: { PIGEON_TRUST_PROXY: '10.0.0.0/8' } });
    });
    after(async () => {
      await behindProxy?.close();
      await direct?.close();
    });

    for (const [i, surface] of SURFACES.entries()) {
      it(`${surface.name}: refuses a flood of bad credentials from one client, and no one else`, async () => {
        const flooder = `203.0.113.${10 * i + 1}`;
        const other = `203.0.113.${10 * i + 2}`;
        for (let n = 0; n < FLOOD; n++) assert.equal(await surface.attempt(behindProxy, 'x', false, flooder), 401, `bad attempt ${n + 1}`);
        // (a) further attempts from the flooding client are refused unchecked, even the right one.
        assert.equal(await surface.attempt(behindProxy, 'x', false, flooder), 429);
        assert.equal(await surface.attempt(behindProxy, 'x', true, flooder), 429);
        // (b) the same credential from another client still gets in, (c) and other users from the flooding one.
        assert.equal(await surface.attempt(behindProxy, 'x', true, other), surface.ok);
        assert.equal(await surface.attempt(behindProxy, 'y', true, flooder), surface.ok);
      });

      it(`${surface.name}: a rotating X-Forwarded-For from an untrusted address is one client`, async () => {
        const statuses: number[] = [];
        for (let n = 0; n <= FLOOD; n++) statuses.push(await surface.attempt(direct, 'x', false, `198.51.100.${10 * i + n}`));
        // All of them count for 127.0.0.1 (and the console's sign-in shares Basic Auth's bucket
        // for the same user, so it may start refused): never more than FLOOD checks, then 429.
        assert.ok(statuses.filter((s) => s === 401).length <= FLOOD, String(statuses));
        assert.ok(statuses.every((s) => s === 401 || s === 429), String(statuses));
        assert.equal(statuses.at(-1), 429, String(statuses));
      });
    }

    it('sends Retry-After with the 429', async () => {
      const client = '203.0.113.200';
      for (let n = 0; n < FLOOD; n++) await SURFACES[0]?.attempt(behindProxy, 'y', false, client);
      const res = await behindProxy.fetch(`/api/v2/users/${ACCOUNT_B.id}/messages`, {
        headers: { authorization: basic(ACCOUNT_B.username, 'wrong'), ...xff(client) },
      });
      assert.equal(res.status, 429);
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
    });
  });
}
