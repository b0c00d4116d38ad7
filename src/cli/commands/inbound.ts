// `pigeon inbound`: a message arrives from a phone, as if the carrier delivered it. Media given as a
// URL is passed on; media given as a file path is uploaded into Pigeon's media store.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { adminRequest, type AdminTarget } from '../admin-client.js';
import { CliError } from '../cli-error.js';

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
  '.mp3': 'audio/mpeg',
  '.txt': 'text/plain',
  '.vcf': 'text/vcard',
  '.pdf': 'application/pdf',
};

export async function inboundCommand(
  target: AdminTarget,
  options: { from?: string | undefined; to: string[]; text?: string | undefined; media: string[] },
  out: NodeJS.WritableStream,
): Promise<number> {
  if (!options.from || options.to.length === 0) throw new CliError('inbound: --from and at least one --to are required', 2);
  const media = await Promise.all(
    options.media.map(async (item) => {
      if (/^https?:\/\//i.test(item)) return item;
      const data = await readFile(item).catch((err: NodeJS.ErrnoException) => {
        throw new CliError(`inbound: cannot read ${item}: ${err.code ?? err.message}`);
      });
      return {
        fileName: basename(item),
        contentType: CONTENT_TYPES[extname(item).toLowerCase()] ?? 'application/octet-stream',
        base64: data.toString('base64'),
      };
    }),
  );
  const result = await adminRequest(target, 'POST', '/inbound', {
    from: options.from,
    to: options.to,
    text: options.text,
    media: media.length > 0 ? media : undefined,
  });
  out.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
