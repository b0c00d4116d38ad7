// Calls to /console/api. The session is the HttpOnly cookie, which this code never sees; the CSRF
// token lives in this module's memory only and goes with every state-changing call.
let csrf = '';

export function setCsrf(token: string): void {
  csrf = token;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-pigeon-csrf'] = csrf;
  let payload: BodyInit | undefined;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    payload = body;
    headers['content-type'] = contentType || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`/console/api${path}`, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const b = parsed as { description?: string; fieldErrors?: Array<{ fieldName: string; description: string }> } | undefined;
    const details = b?.fieldErrors?.map((f) => `${f.fieldName}: ${f.description}`).join('; ');
    throw new ApiFailure(res.status, details || b?.description || `${res.status} ${res.statusText}`, parsed);
  }
  return parsed as T;
}
