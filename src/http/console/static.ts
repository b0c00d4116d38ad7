// The console's page and assets, built by `npm run build` (scripts/build-console.mjs) into
// dist/console and read once at start-up: a handful of small files, served from memory with an
// ETag. A browser asking for / (Accept: text/html) gets the page; API clients get the usual 404.
// Every page path under /console/ serves the same document; the page routes itself.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../core/errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Scripts, styles, connections and images only from Pigeon itself: the page shows inline only media
 * of Pigeon's own store (through the console's media route, which serves only passive types
 * inline); media elsewhere is a link, so a message cannot make the administrator's browser fetch it.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** dist/console beside the compiled code; from the TypeScript sources (tests under tsx), the build's copy. */
export function consoleDir(): string | undefined {
  for (const relative of ['../../console/', '../../../dist/console/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return undefined;
}

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const dir = consoleDir();
  if (!dir) return assets;
  for (const name of readdirSync(dir)) {
    const ext = name.slice(name.lastIndexOf('.'));
    const type = TYPES[ext];
    if (!type) continue;
    const body = readFileSync(`${dir}${name}`);
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return assets;
}

export async function staticRoutes(app: FastifyInstance): Promise<void> {
  const assets = loadAssets();
  const send = (request: FastifyRequest, reply: FastifyReply, name: string) => {
    const asset = assets.get(name);
    if (!asset) throw errors.notFound(name === 'index.html' ? 'The console is not built: run npm run build' : `No asset '${name}'`);
    // nosniff, Referrer-Policy and X-Frame-Options come with every answer (security-headers.ts).
    reply.header('etag', asset.etag).header('cache-control', 'no-cache');
    if (name === 'index.html') reply.header('content-security-policy', CSP);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  };
  // Anything but a browser gets exactly the answer it got before the console existed.
  app.get('/', async (request, reply) => {
    if (!(request.headers.accept ?? '').includes('text/html')) return reply.callNotFound();
    return send(request, reply, 'index.html');
  });
  // Browsers ask for /favicon.ico by themselves wherever a page names no icon.
  app.get('/favicon.ico', async (request, reply) => send(request, reply, 'favicon.svg'));
  app.get('/console/assets/:name', async (request, reply) => send(request, reply, (request.params as { name: string }).name));
  app.get('/console', async (request, reply) => send(request, reply, 'index.html'));
  app.get('/console/*', async (request, reply) => {
    if (request.url.startsWith('/console/api/')) return reply.callNotFound();
    return send(request, reply, 'index.html');
  });
}
