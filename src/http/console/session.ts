// Console sessions: who signed in (the admin token: every account; an API user: that one account),
// kept in this process's memory under a random id that only the HttpOnly cookie carries. The page
// never sees the id; it gets a CSRF token instead, which it holds in memory and sends as a header
// with every state-changing call. Sessions end on sign-out, after an idle hour, or when the process
// stops (signing in again is the remedy; nothing else is lost).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const COOKIE = 'pigeon_console';
export const CSRF_HEADER = 'x-pigeon-csrf';
const IDLE_MS = 3_600_000;
const MAX_SESSIONS = 10_000;

export type Principal = { kind: 'admin' } | { kind: 'account'; accountId: string; username: string };

export interface Session {
  principal: Principal;
  csrf: string;
  lastSeen: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

export class Sessions {
  /** Keyed by a hash of the cookie value, so a heap dump does not hold usable cookies. */
  private readonly byId = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  create(principal: Principal): { id: string; session: Session } {
    if (this.byId.size >= MAX_SESSIONS) this.sweep();
    // Still full of live sessions: the oldest goes (Map keeps insertion order).
    if (this.byId.size >= MAX_SESSIONS) this.byId.delete(this.byId.keys().next().value as string);
    const id = randomBytes(32).toString('base64url');
    const session = { principal, csrf: randomBytes(24).toString('base64url'), lastSeen: this.now() };
    this.byId.set(digest(id), session);
    return { id, session };
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const key = digest(id);
    const session = this.byId.get(key);
    if (!session) return undefined;
    if (this.now() - session.lastSeen > IDLE_MS) {
      this.byId.delete(key);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  delete(id: string | undefined): void {
    if (id) this.byId.delete(digest(id));
  }

  private sweep(): void {
    const cutoff = this.now() - IDLE_MS;
    for (const [key, session] of this.byId) if (session.lastSeen < cutoff) this.byId.delete(key);
  }
}

export function readCookie(request: FastifyRequest, name = COOKIE): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function secure(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string): void {
  reply.header(
    'set-cookie',
    `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict${secure(request) ? '; Secure' : ''}`,
  );
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header(
    'set-cookie',
    `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure(request) ? '; Secure' : ''}`,
  );
}

/**
 * A request from another site: the browser says so (Sec-Fetch-Site), or its Origin is not this
 * server. Browsers send at least one of the two on every state-changing fetch.
 */
export function isCrossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() !== request.host.toLowerCase();
  } catch {
    return true;
  }
}

export function csrfMatches(session: Session, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const a = Buffer.from(digest(header));
  const b = Buffer.from(digest(session.csrf));
  return timingSafeEqual(a, b);
}
