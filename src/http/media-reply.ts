// How stored media leaves Pigeon. Media is whatever its uploader sent, served on the console's own
// origin: an HTML or SVG file rendered there could read the console's session and act as the
// administrator. So no media answer may run script (a sandboxing Content-Security-Policy, and
// nosniff so a browser never guesses a more active type), and only passive types are shown in the
// browser at all; everything else (HTML, SVG, XML, scripts, unknown types) is a download.
import type { FastifyReply } from 'fastify';
import type { MediaObject } from '../core/ports.js';

/**
 * `sandbox` gives the document a unique origin and no script; `default-src 'none'` blocks what it
 * would load, except the file itself where a browser's image or media viewer fetches it again.
 */
export const MEDIA_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'none'";

/** Types a browser shows without running anything the file says: images (not SVG), audio, video, PDF, plain text. */
const PASSIVE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/bmp',
  'image/avif',
  'image/heic',
  'image/heif',
  'image/tiff',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/ogg',
  'audio/wav',
  'audio/webm',
  'audio/flac',
  'audio/amr',
  'audio/3gpp',
  'video/mp4',
  'video/mpeg',
  'video/ogg',
  'video/webm',
  'video/quicktime',
  'video/3gpp',
  'application/pdf',
  'text/plain',
]);

/** The type without parameters, lowercased: `Image/PNG; x=y` is `image/png`. */
function essence(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

export function isPassiveMediaType(contentType: string): boolean {
  return PASSIVE_TYPES.has(essence(contentType));
}

/** Sends a stored file with its own content type and the headers that keep it from running in Pigeon's origin. */
export function sendMedia(reply: FastifyReply, media: MediaObject): FastifyReply {
  return reply
    .header('content-type', media.contentType)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', MEDIA_CSP)
    .header('content-disposition', isPassiveMediaType(media.contentType) ? 'inline' : 'attachment')
    .send(media.data);
}
