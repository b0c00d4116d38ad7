// Absolute URLs that Pigeon hands out (page links, media `content`) and recognising its own media
// URLs inside a send request. The base is the configured public URL, or else what the request used.
import type { FastifyRequest } from 'fastify';
import type { LocalMediaResolver } from '../../core/messages/send-message.js';

/** The path prefix the client called through: '/api/v2', '/v2' or ''. */
export function routePrefix(request: FastifyRequest): string {
  const path = request.url.split('?', 1)[0] ?? '';
  const at = path.indexOf('/users/');
  return at > 0 ? path.slice(0, at) : '';
}

export function origin(request: FastifyRequest, publicUrl: string | undefined): string {
  return publicUrl ?? `${request.protocol}://${request.host}`;
}

export function apiBase(request: FastifyRequest, publicUrl: string | undefined): string {
  return `${origin(request, publicUrl)}${routePrefix(request)}`;
}

export function mediaUrl(base: string, accountId: string, name: string): string {
  return `${base}/users/${encodeURIComponent(accountId)}/media/${name.split('/').map(encodeURIComponent).join('/')}`;
}

// Anchored on the mount prefix and the account segment, so an account id that is itself `media`
// (or a media id containing `/media/`) cannot shift where the media id starts.
const MEDIA_PATH = /^(?:\/api\/v2|\/v2)?\/users\/([^/]+)\/media\/(.*)$/;

/** Splits a raw (still percent-encoded) media path into its account segment and media id. */
export function mediaPathParts(path: string): { account: string; media: string } | undefined {
  const m = MEDIA_PATH.exec(path);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { account: m[1], media: m[2] };
}

/** Recognises URLs on this server's own host(s) that point into the media store. */
export function localMediaResolver(request: FastifyRequest, publicUrl: string | undefined): LocalMediaResolver {
  const ownHosts = new Set([request.host.toLowerCase()]);
  if (publicUrl) ownHosts.add(new URL(publicUrl).host.toLowerCase());
  return (url) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (!ownHosts.has(parsed.host.toLowerCase())) return undefined;
    const parts = mediaPathParts(parsed.pathname);
    if (!parts?.media) return undefined;
    try {
      return { accountId: decodeURIComponent(parts.account), name: decodeURIComponent(parts.media) };
    } catch {
      return undefined;
    }
  };
}
