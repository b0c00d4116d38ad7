// Small request helpers shared by the behavioural tests.
import { ACCOUNT_A, AUTH_A, RECIPIENT } from './fixtures.js';
import type { TestPigeon } from './pigeon.js';

export function smsBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { applicationId: ACCOUNT_A.applicationId, from: ACCOUNT_A.number, to: [RECIPIENT], text: 'hello', ...overrides };
}

export async function postMessage(
  pigeon: TestPigeon,
  body: unknown,
  options: { auth?: string; accountId?: string; prefix?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await pigeon.fetch(`${options.prefix ?? '/api/v2'}/users/${options.accountId ?? ACCOUNT_A.id}/messages`, {
    method: 'POST',
    headers: { authorization: options.auth ?? AUTH_A, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function getJson<T = Record<string, unknown>>(
  pigeon: TestPigeon,
  path: string,
  auth: string = AUTH_A,
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await pigeon.fetch(path, { headers: { authorization: auth } });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

/** Fails if any value anywhere in the JSON is null (the legacy SDK rejects nulls it does not expect). */
export function assertNoNulls(value: unknown, path = '$'): void {
  if (value === null) throw new Error(`null at ${path}`);
  if (Array.isArray(value)) value.forEach((v, i) => assertNoNulls(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertNoNulls(v, `${path}.${k}`);
  }
}

/** A call to the admin API of the Pigeon at `baseUrl` with bearer `token`; throws on a non-2xx answer. */
export async function adminRequest<T>(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /admin/v1${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
