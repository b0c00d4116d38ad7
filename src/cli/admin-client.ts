// The CLI's client of the admin API of a running Pigeon (PIGEON_URL, PIGEON_ADMIN_TOKEN).
import { CliError } from './cli-error.js';

export interface AdminTarget {
  url: string;
  token: string;
}

export function adminTarget(env: NodeJS.ProcessEnv, flags: { url?: string | undefined; adminToken?: string | undefined }): AdminTarget {
  return {
    url: (flags.url ?? env.PIGEON_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''),
    // The demo token works against `pigeon serve` without a config file.
    token: flags.adminToken ?? env.PIGEON_ADMIN_TOKEN ?? 'pigeon-demo-admin-token',
  };
}

/** A body that is a string with `contentType` other than JSON (a CSV) is sent as it is. */
export async function adminRequest(target: AdminTarget, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${target.url}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(body !== undefined && { 'content-type': contentType }),
      },
      body: body === undefined ? undefined : contentType !== 'application/json' && typeof body === 'string' ? body : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`cannot reach Pigeon at ${target.url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : String(err)}`);
  }
  const text = await response.text();
  // A successful answer that is not JSON (a CSV export) is returned as its text.
  const json = response.headers.get('content-type')?.includes('json') ?? false;
  const parsed: unknown = !text ? undefined : response.ok && !json ? text : JSON.parse(text);
  if (!response.ok) {
    const error = parsed as { description?: string; fieldErrors?: Array<{ fieldName: string; description: string }> } | undefined;
    const fields = error?.fieldErrors?.map((f) => `${f.fieldName}: ${f.description}`).join('; ');
    throw new CliError(`${method} ${path}: ${response.status} ${error?.description ?? text}${fields ? `: ${fields}` : ''}`);
  }
  return parsed;
}
