// GET /console/api/events: server-sent events telling the page that messages changed, so it re-reads
// what it shows. An event carries no data (the page's reads are scoped to its session); changes are
// coalesced to at most a few events a second, and a comment every 15 s keeps proxies from closing
// the stream. Streams end when the server closes (streams are ended in app.ts's preClose).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChangeSignal } from '../../shared/change-signal.js';

const COALESCE_MS = 250;
const HEARTBEAT_MS = 15_000;

const open = new Set<() => void>();

/** Ends every open stream (server shutdown: they would otherwise hold the close). */
export function endEventStreams(): void {
  for (const end of open) end();
}

export function eventStream(request: FastifyRequest, reply: FastifyReply, changes: ChangeSignal): void {
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
  const stop = changes.on(() => {
    pending ??= setTimeout(send, COALESCE_MS);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const end = () => {
    stop();
    clearInterval(heartbeat);
    if (pending) clearTimeout(pending);
    open.delete(end);
    if (!res.writableEnded) res.end();
  };
  open.add(end);
  request.raw.on('close', end);
}
