// The demo (no config file) runs with published credentials: the demo API user and admin token. A web
// page its user visits could still reach it by DNS rebinding: the page's own name, re-resolved to
// 127.0.0.1, makes its scripts same-origin with the demo, free to drive it with those credentials.
// Such requests name the attacker's host in Host, so the demo answers only names that cannot be
// rebound: localhost, the loopback addresses, the address the request came in on, the configured
// host and public URL. The port is not compared: a container's mapped port differs from the one
// Pigeon listens on, and a rebinding page has the port it wants anyway.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../core/errors.js';

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

/** An address as it appears in a Host header: IPv6 in brackets, lowercase. */
function asHostName(address: string): string {
  const lower = address.toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

/** The name part of a Host header (`name`, `name:port`, `[v6]:port`), lowercase. */
export function hostName(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon >= 0 ? lower.slice(0, colon) : lower;
}

export function installDemoHostCheck(app: FastifyInstance, options: { host: string; publicUrl: string | undefined }): void {
  const served = new Set(LOOPBACK);
  if (!WILDCARDS.has(options.host)) served.add(asHostName(options.host));
  if (options.publicUrl) served.add(new URL(options.publicUrl).hostname.toLowerCase());
  const local = (request: FastifyRequest): string[] => {
    const address = request.socket.localAddress;
    if (!address) return [];
    // An IPv4 client of a dual-stack socket: ::ffff:192.0.2.1 is 192.0.2.1 in its Host.
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    return v4 ? [v4] : [asHostName(address)];
  };
  app.addHook('onRequest', (request, _reply, done) => {
    const host = request.headers.host;
    // Without a Host header (HTTP/1.0) no name was used, so none could have been rebound.
    if (host === undefined) return done();
    const name = hostName(host);
    if (served.has(name) || local(request).includes(name)) return done();
    done(errors.misdirected(host));
  });
}
