// The media store of the Bandwidth API (reference j): per-account files named by the client,
// listed in name order 1 000 at a time with an opaque continuation token.
import type { Account } from '../accounts/directory.js';
import { errors } from '../errors.js';
import type { MediaObject, MediaStore } from '../ports.js';

export const MEDIA_PAGE_SIZE = 1000;
const MAX_NAME_BYTES = 1024;

export interface MediaListEntry {
  content: string;
  contentLength: number;
  mediaName: string;
}

/** Media ids may contain '/', but never empty or dot segments, a leading '/', or control characters. */
export function checkMediaName(name: string): string {
  const segments = name.split('/');
  const bad =
    name.length === 0 ||
    Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(name) ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad) {
    throw errors.badRequest(
      'mediaId must be 1 to 1024 bytes without control characters, empty segments, or . and .. segments',
    );
  }
  return name;
}

/** `quotaBytes`: what the account's stored files may add up to with this one (undefined: no limit); past it, a 413. */
export async function putMedia(
  store: MediaStore,
  account: Account,
  name: string,
  data: Buffer,
  contentType: string | undefined,
  cacheControl: string | undefined,
  now: number,
  quotaBytes: number | undefined,
): Promise<void> {
  const stored = await store.putMedia(
    {
      accountId: account.id,
      name: checkMediaName(name),
      contentType: contentType || 'application/octet-stream',
      cacheControl: cacheControl || undefined,
      data,
      createdAt: now,
    },
    quotaBytes,
  );
  if (!stored && quotaBytes !== undefined) throw errors.mediaQuotaExceeded(data.length, quotaBytes);
}

export async function getMedia(store: MediaStore, account: Account, name: string): Promise<MediaObject> {
  const media = await store.getMedia(account.id, checkMediaName(name));
  if (!media) throw errors.notFound(`Media '${name}' not found`);
  return media;
}

export async function deleteMedia(store: MediaStore, account: Account, name: string): Promise<void> {
  if (!(await store.deleteMedia(account.id, checkMediaName(name)))) throw errors.notFound(`Media '${name}' not found`);
}

export async function listMedia(
  store: MediaStore,
  account: Account,
  continuationToken: string | undefined,
  contentUrl: (name: string) => string,
): Promise<{ items: MediaListEntry[]; continuationToken: string | undefined }> {
  let after: string | undefined;
  if (continuationToken !== undefined) {
    after = Buffer.from(continuationToken, 'base64').toString('utf8');
    if (after.length === 0 || Buffer.from(after, 'utf8').toString('base64') !== continuationToken) {
      throw errors.badRequest('Continuation-Token is not valid');
    }
  }
  // One more than a page tells whether another page exists without a count query.
  const rows = await store.listMedia(account.id, after, MEDIA_PAGE_SIZE + 1);
  const page = rows.slice(0, MEDIA_PAGE_SIZE);
  const last = page.at(-1);
  return {
    items: page.map((m) => ({ content: contentUrl(m.name), contentLength: m.size, mediaName: m.name })),
    continuationToken: rows.length > MEDIA_PAGE_SIZE && last ? Buffer.from(last.name, 'utf8').toString('base64') : undefined,
  };
}
