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
