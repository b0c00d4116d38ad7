// What every scenario sends and as whom: one account, one application, one sending number, and the
// same typical SMS, so that the scenarios' figures can be set side by side.

export const ACCOUNT_ID = '9900000';
export const USERNAME = 'bench-user';
export const PASSWORD = 'bench-pass-0123456789';
export const APPLICATION_ID = '93de2206-9669-4e07-948d-329f4b722ee2';
export const FROM = '+19195551212';
export const TO = '+19195550199';

// A typical one-segment SMS: GSM-7 text of about 60 characters, one recipient, a tag.
export const REQUEST_BODY = JSON.stringify({
  applicationId: APPLICATION_ID,
  from: FROM,
  to: [TO],
  text: 'Your Pigeon verification code is 482913. It expires in 10 min',
  tag: 'bench-otp',
});
export const REQUEST_HEADERS = {
  'content-type': 'application/json',
  authorization: `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`,
};
export const MESSAGES_PATH = `/api/v2/users/${ACCOUNT_ID}/messages`;

/** The account section of pigeon.yaml; `callbackUrl` makes the application receive status callbacks. */
export function accountsYaml(callbackUrl?: string): string {
  return `
accounts:
  - id: "${ACCOUNT_ID}"
    users:
      - { username: ${USERNAME}, password: ${PASSWORD} }
    applications:
      - id: ${APPLICATION_ID}
        name: Bench
${callbackUrl === undefined ? '' : `        callbackUrl: ${callbackUrl}\n`}        numbers: ["${FROM}"]
`;
}

export function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not '${raw}'`);
  return value;
}

/**
 * A second customer whose webhook hangs (the isolation scenario): its own account, application and
 * sending number, so that its callbacks go to their own endpoint.
 */
export const HANGING = {
  accountId: '9900002',
  username: 'hanging-user',
  password: 'hanging-pass-0123456789',
  applicationId: '0c7d7b4e-3f0a-4a55-9d3e-6b1f2a9c8e71',
  from: '+19195551313',
} as const;
export const HANGING_REQUEST_BODY = JSON.stringify({ applicationId: HANGING.applicationId, from: HANGING.from, to: [TO], text: 'hanging', tag: 'bench-hanging' });
export const HANGING_REQUEST_HEADERS = {
  'content-type': 'application/json',
  authorization: `Basic ${Buffer.from(`${HANGING.username}:${HANGING.password}`).toString('base64')}`,
};
export const HANGING_MESSAGES_PATH = `/api/v2/users/${HANGING.accountId}/messages`;

/** The hanging customer's account, to append to accountsYaml's list. */
export function hangingAccountYaml(callbackUrl: string): string {
  return `  - id: "${HANGING.accountId}"
    users:
      - { username: ${HANGING.username}, password: ${HANGING.password} }
    applications:
      - id: ${HANGING.applicationId}
        name: Hanging
        callbackUrl: ${callbackUrl}
        numbers: ["${HANGING.from}"]
`;
}
