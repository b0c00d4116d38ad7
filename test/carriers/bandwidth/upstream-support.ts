// Shared pieces of the upstream-carrier tests: another Pigeon as the upstream provider (its own
// account, application and numbers; its application's callbacks aimed at the local Pigeon's
// /carriers/{name}/callbacks), the local `bandwidth` carrier entry that points at it, and readers of
// what the upstream holds.
import assert from 'node:assert/strict';
import { basic } from '../../helpers/fixtures.js';
import { startPigeon, type Backend, type TestPigeon } from '../../helpers/pigeon.js';
import type { MessageView } from '../../../src/core/admin/message-view.js';

export const UP = {
  accountId: '5550001',
  username: 'up-user',
  password: 'up-pass',
  applicationId: '6f1d9a2e-3b4c-4d5e-8f70-112233445566',
  /** The upstream number the local ACCOUNT_A.number sends as (and receives on). */
  mappedNumber: '+19195557001',
  callbackUsername: 'pigeon-events',
  callbackPassword: 'events-secret-123',
} as const;
export const UP_AUTH = basic(UP.username, UP.password);

/** Fails on the upstream's simulator (a rule there), with a code no test number uses. */
export const FAILS_UPSTREAM = '+19195550177';
export const FAILS_UPSTREAM_CODE = 4770;

/** Starts the upstream Pigeon; its application posts its events to `callbackUrl`. */
export async function startUpstream(backend: Backend, callbackUrl: string, numbers: readonly string[], extra = ''): Promise<TestPigeon> {
  return startPigeon({
    backend,
    configYaml: `${extra}
simulator:
  rules:
    - { to: "${FAILS_UPSTREAM}", outcome: fail, errorCode: ${FAILS_UPSTREAM_CODE} }
accounts:
  - id: "${UP.accountId}"
    users:
      - { username: ${UP.username}, password: ${UP.password} }
    applications:
      - id: ${UP.applicationId}
        name: Upstream
        callbackUrl: ${callbackUrl}
        callbackUsername: ${UP.callbackUsername}
        callbackPassword: ${UP.callbackPassword}
        numbers: ${JSON.stringify(numbers)}
`,
  });
}

/** The `carriers` entry (JSON, which YAML reads) of a bandwidth carrier pointing at `baseUrl`. */
export function upstreamCarrier(name: string, baseUrl: string, extra: Record<string, unknown> = {}): string {
  return `  - ${JSON.stringify({
    name,
    type: 'bandwidth',
    baseUrl,
    accountId: UP.accountId,
    applicationId: UP.applicationId,
    username: UP.username,
    password: UP.password,
    callbackUsername: UP.callbackUsername,
    callbackPassword: UP.callbackPassword,
    timeoutSeconds: 5,
    downSeconds: 0.3,
    ...extra,
  })}`;
}

/** The upstream's outbound messages to `destination`, newest first, as its admin API shows them. */
export async function upstreamMessagesTo(up: TestPigeon, destination: string): Promise<MessageView[]> {
  const res = await up.fetch(`/api/v2/users/${UP.accountId}/messages?destinationTn=${encodeURIComponent(destination)}&messageDirection=OUTBOUND`, {
    headers: { authorization: UP_AUTH },
  });
  assert.equal(res.status, 200);
  const list = (await res.json()) as { messages: Array<{ messageId: string }> };
  const ids = [...new Set(list.messages.map((m) => m.messageId))];
  return Promise.all(ids.map((id) => up.admin<MessageView>('GET', `/messages/${id}`)));
}
