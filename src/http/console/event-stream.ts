// GET /console/api/events: server-sent events telling the page that messages of its accounts
// changed, so it re-reads what it shows. A change carries the accounts it touched
// (shared/change-signal.ts) and a stream hears only those of its session's accounts (every one for
// the admin), so one account's activity is not observable from another's session; the event itself
// carries no data (the page's reads are scoped to its session). Changes are coalesced to at most a
// few events a second, and a comment every 15 s keeps proxies from closing the stream. A session
// holds at most `maxStreams` streams (a new one ends its oldest); they end at sign-out, at the
// session's absolute lifetime, and when the server closes (app.ts's preClose).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChangeSignal } from '../../shared/change-signal.js';
import type { Session } from './session.js';

const COALESCE_MS = 250;
const HEARTBEAT_MS = 15_000;

const open = new Set<() => void>();

/** Ends every open stream (server shutdown: they would otherwise hold the close). */
export function endEventStreams(): void {
  for (const end of open) end();
}

export interface StreamScope {
  /** The session's accounts; an admin session hears every account. */
  accounts: readonly string[];
  admin: boolean;
  /** The session's absolute end. */
  endsAt: number;
  maxStreams: number;
}

export function eventStream(request: FastifyRequest, reply: FastifyReply, changes: ChangeSignal, session: Session, scope: StreamScope): void {
  // The session's oldest streams make room (Set keeps insertion order).
  while (session.streams.size >= scope.maxStreams) [...session.streams][0]?.();
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let pending: NodeJS.Timeout | undefined;
  const send = () => {
    pending = undefined;
    res.write('event: change\ndata: {}\n\n');
  };
  const mine = new Set(scope.accounts);
  const stop = changes.on((accountIds) => {
    if (!scope.admin && !accountIds.some((id) => mine.has(id))) return;
    pending ??= setTimeout(send, COALESCE_MS);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const expiry = setTimeout(() => end(), Math.max(0, scope.endsAt - Date.now()));
  const end = () => {
    stop();
    clearInterval(heartbeat);
    clearTimeout(expiry);
    if (pending) clearTimeout(pending);
    open.delete(end);
    session.streams.delete(end);
    if (!res.writableEnded) res.end();
  };
  open.add(end);
  session.streams.add(end);
  request.raw.on('close', end);
}
