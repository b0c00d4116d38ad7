// Accounts every behavioural test runs against: two accounts (to prove isolation), an API user
// without the messaging role (403), a toll-free number and two numbers on one application.
export const ACCOUNT_A = {
  id: '9900000',
  username: 'api-user',
  password: 'api-pass',
  applicationId: '93de2206-9669-4e07-948d-329f4b722ee2',
  number: '+19195551212',
  secondNumber: '+19195551213',
  otherApplicationId: '5a1c3e0b-7d4f-4c2a-9e8b-0f1d2c3b4a59',
  tollFreeNumber: '+18005550100',
  noRoleUser: 'reporting-user',
  noRolePassword: 'reporting-pass',
} as const;

export const ACCOUNT_B = {
  id: '9900001',
  username: 'other-user',
  password: 'other-pass',
  applicationId: 'b7e1c2d3-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
  number: '+19195559999',
} as const;

export const RECIPIENT = '+19195550199';
export const RECIPIENT_2 = '+19195550198';

export interface FixtureOptions {
  /** Callback URL of account A's main application (and its credentials). */
  callbackUrl?: string;
  callbackCredentials?: { username: string; password: string };
  /** Callback URL of account A's second application and account B's application. */
  otherCallbackUrl?: string;
  /** Extra top-level YAML (delivery, callbacks, simulator …). */
  extra?: string;
}

export function fixtureConfigYaml(options: FixtureOptions = {}): string {
  const callback = (url: string | undefined, creds?: { username: string; password: string }) =>
    [
      url ? `        callbackUrl: ${url}` : '',
      creds ? `        callbackUsername: ${creds.username}\n        callbackPassword: ${creds.password}` : '',
    ]
      .filter(Boolean)
      .join('\n');
  return `${options.extra ?? ''}
accounts:
  - id: "${ACCOUNT_A.id}"
    users:
      - { username: ${ACCOUNT_A.username}, password: ${ACCOUNT_A.password} }
      - { username: ${ACCOUNT_A.noRoleUser}, password: ${ACCOUNT_A.noRolePassword}, roles: [] }
    applications:
      - id: ${ACCOUNT_A.applicationId}
        name: Main
${callback(options.callbackUrl, options.callbackCredentials)}
        numbers: ["${ACCOUNT_A.number}", "${ACCOUNT_A.secondNumber}"]
      - id: ${ACCOUNT_A.otherApplicationId}
        name: Toll-free
${callback(options.otherCallbackUrl)}
        numbers: ["${ACCOUNT_A.tollFreeNumber}"]
  - id: "${ACCOUNT_B.id}"
    users:
      - { username: ${ACCOUNT_B.username}, password: ${ACCOUNT_B.password} }
    applications:
      - id: ${ACCOUNT_B.applicationId}
        name: Other
${callback(options.otherCallbackUrl)}
        numbers: ["${ACCOUNT_B.number}"]
`;
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export const AUTH_A = basic(ACCOUNT_A.username, ACCOUNT_A.password);
export const AUTH_B = basic(ACCOUNT_B.username, ACCOUNT_B.password);
