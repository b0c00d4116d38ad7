// What Pigeon runs with when no config file is given: one account, user, application and number,
// so that a newcomer can send a message with the curl command printed at start-up.
import type { AccountConfig } from './schema.js';

export const DEMO = {
  accountId: '9900000',
  username: 'api-user',
  password: 'api-pass',
  applicationId: '93de2206-9669-4e07-948d-329f4b722ee2',
  number: '+19195551212',
  recipient: '+19195550199',
} as const;

export function demoAccounts(): AccountConfig[] {
  return [
    {
      id: DEMO.accountId,
      users: [{ username: DEMO.username, password: DEMO.password }],
      applications: [{ id: DEMO.applicationId, name: 'Demo', numbers: [DEMO.number] }],
    },
  ];
}

export function demoCurl(baseUrl: string): string {
  const body = JSON.stringify({
    applicationId: DEMO.applicationId,
    from: DEMO.number,
    to: [DEMO.recipient],
    text: 'Hello from Pigeon',
  });
  return [
    `curl -u ${DEMO.username}:${DEMO.password} -H 'Content-Type: application/json' \\`,
    `  -d '${body}' \\`,
    `  ${baseUrl}/api/v2/users/${DEMO.accountId}/messages`,
  ].join('\n');
}
