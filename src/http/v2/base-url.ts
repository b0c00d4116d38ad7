// Absolute URLs that Pigeon hands out (page links, media `content`) and recognising its own media
// URLs inside a send request. The base is the configured public URL, or else what the request used.
import type { FastifyRequest } from 'fastify';
import type { LocalMediaResolver } from '../../core/messages/send-message.js';
import { mediaPathParts, mediaRef } from '../../core/media/media-path.js';

export { mediaPathParts };

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

/** Recognises URLs on this server's own host(s) that point into the media store. */
export function localMediaResolver(request: FastifyRequest, publicUrl: string | undefined): LocalMediaResolver {
  const ownHosts = new Set([request.host.toLowerCase()]);
  if (publicUrl) ownHosts.add(new URL(publicUrl).host.toLowerCase());
  return (url) => {
    if (!URL.canParse(url) || !ownHosts.has(new URL(url).host.toLowerCase())) return undefined;
    return mediaRef(url);
  };
}
