// Console sessions: who signed in (the admin token: every account; an API user: that one account),
// kept in this process's memory under a random id that only the HttpOnly cookie carries. The page
// never sees the id; it gets a CSRF token instead, which it holds in memory and sends as a header
// with every state-changing call. Sessions end on sign-out, after an idle hour, at their absolute
// lifetime however busy, or when the process stops (signing in again is the remedy; nothing else is
// lost). Each user (the admin token counts as one) holds at most `perUser` sessions: signing in again
// ends that user's oldest, never another user's. Their event streams end with them. Over HTTPS the
// cookie is `__Host-`-prefixed, so no other origin (a sibling subdomain, plain HTTP) can set it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from '../../config/config.js';

export const COOKIE = 'pigeon_console';
/** The cookie's name over HTTPS: browsers take it only with Secure, Path=/ and no Domain. */
export const SECURE_COOKIE = `__Host-${COOKIE}`;
export const CSRF_HEADER = 'x-pigeon-csrf';
const IDLE_MS = 3_600_000;

/** An account's user carries the password hash it signed in under: a changed password ends the session. */
export type Principal = { kind: 'admin' } | { kind: 'account'; accountId: string; username: string; passwordHash: string };

export interface Session {
  principal: Principal;
  csrf: string;
  created: number;
  lastSeen: number;
  /** Ends each open event stream of the session, oldest first. */
  streams: Set<() => void>;
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex');
const userOf = (principal: Principal) => (principal.kind === 'admin' ? 'admin' : `${principal.accountId}/${principal.username}`);

export class Sessions {
  /** Keyed by a hash of the cookie value, so a heap dump does not hold usable cookies. */
  private readonly byId = new Map<string, Session>();
  /** Per user, the keys of their sessions in creation order. */
  private readonly byUser = new Map<string, string[]>();

  constructor(
    private readonly now: () => number = Date.now,
    readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  create(principal: Principal): { id: string; session: Session } {
    const user = userOf(principal);
    const keys = (this.byUser.get(user) ?? []).filter((key) => this.live(key));
    // Only this user's own oldest session makes room: others' sessions are never touched, and the
    // whole is bounded by the directory's users times perUser.
    while (keys.length >= this.limits.perUser) this.end(keys.shift() as string);
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const session: Session = { principal, csrf: randomBytes(24).toString('base64url'), created: now, lastSeen: now, streams: new Set() };
    const key = digest(id);
    this.byId.set(key, session);
    keys.push(key);
    this.byUser.set(user, keys);
    return { id, session };
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const key = digest(id);
    if (!this.live(key)) return undefined;
    const session = this.byId.get(key) as Session;
    session.lastSeen = this.now();
    return session;
  }

  /** When the session ends at the latest (its absolute lifetime). */
  expiresAt(session: Session): number {
    return session.created + this.limits.lifetimeMs;
  }

  delete(id: string | undefined): void {
    if (id) this.end(digest(id));
  }

  /** Whether the session under `key` exists and has not expired; an expired one is ended. */
  private live(key: string): boolean {
    const session = this.byId.get(key);
    if (!session) return false;
    const now = this.now();
    if (now - session.lastSeen > IDLE_MS || now >= this.expiresAt(session)) {
      this.end(key);
      return false;
    }
    return true;
  }

  private end(key: string): void {
    const session = this.byId.get(key);
    if (!session) return;
    this.byId.delete(key);
    const user = userOf(session.principal);
    const keys = (this.byUser.get(user) ?? []).filter((k) => k !== key);
    if (keys.length > 0) this.byUser.set(user, keys);
    else this.byUser.delete(user);
    for (const endStream of [...session.streams]) endStream();
  }
}

/** The session cookie of this request: over HTTPS only the `__Host-` one counts. */
export function readSessionCookie(request: FastifyRequest): string | undefined {
  return readCookie(request, secure(request) ? SECURE_COOKIE : COOKIE);
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
    secure(request) ? `${SECURE_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Secure` : `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict`,
  );
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header(
    'set-cookie',
    secure(request)
      ? `${SECURE_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure`
      : `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
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
