// `pigeon export`: the account's messages that match the list filters (GET /admin/v1/messages/export)
// as NDJSON, JSON or CSV, streamed to a file or stdout as it arrives (bounded memory however many).
import { createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { adminRequest, type AdminTarget } from '../admin-client.js';
import { CliError } from '../cli-error.js';

export interface ExportOptions {
  account: string | undefined;
  format: string | undefined;
  file: string | undefined;
  /** List filters by their API names (sourceTn, messageDirection …), and tag/text. */
  filters: Record<string, string>;
}

export async function exportCommand(target: AdminTarget, options: ExportOptions, out: NodeJS.WritableStream): Promise<number> {
  if (!options.account) throw new CliError('export: give --account ID', 2);
  const query = new URLSearchParams({ accountId: options.account, format: options.format ?? 'ndjson', ...options.filters });
  const path = `/messages/export?${query.toString()}`;
  let response: Response;
  try {
    response = await fetch(`${target.url}/admin/v1${path}`, { headers: { authorization: `Bearer ${target.token}` } });
  } catch (err) {
    throw new CliError(`cannot reach Pigeon at ${target.url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : String(err)}`);
  }
  // Errors are JSON bodies: read again through the admin client, which words them.
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    await adminRequest(target, 'GET', path);
    throw new CliError(`GET ${path}: ${response.status}`);
  }
  const source = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
  const sink = options.file ? createWriteStream(options.file) : new Writable({ write: (chunk: Buffer, _enc, done) => (out.write(chunk) ? done() : out.once('drain', done)) });
  await pipeline(source, sink);
  return 0;
}
