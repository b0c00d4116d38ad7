// A body over the limit gets its 413 even while the client is still sending it. Node ends such a
// connection with socket.destroySoon(): it closes the socket as soon as the 413 is written, with the
// rest of the body unread, and the kernel answers the client's next bytes with a reset, which can
// discard the 413 before the client reads it (what Node clients saw under load: ECONNRESET or EPIPE
// instead of the answer). Like nginx's lingering close, the connection is instead half-closed after
// the answer and the rest of the body is read and dropped, until the client has sent it all or
// closes, for at most LINGER_MS and LINGER_BYTES; then the socket is closed.
//
// Slow clients are bounded too (server.ts's Fastify options): the headers must arrive within
// headersTimeout, the whole request within requestTimeout, else Node answers 408 and closes.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Longest a refused upload is read and dropped after its 413. */
export const LINGER_MS = 10_000;
/** Most bytes read and dropped after a 413; past them the client is cut off. */
export const LINGER_BYTES = 128 * 1024 * 1024;

const LINGERING = Symbol('lingering');

function linger(socket: Socket & { [LINGERING]?: boolean }, request: IncomingMessage): void {
  if (socket[LINGERING]) return;
  socket[LINGERING] = true;
  // Node calls destroySoon() once the answer is handed over; an own property takes its place.
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    let dropped = 0;
    const close = () => {
      clearTimeout(timer);
      this.destroy();
    };
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    this.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) close();
    });
    // The client is done sending: Node's parser, which never read the body, calls that a parse
    // error; the connection is being closed anyway.
    this.once('end', close);
    this.once('close', () => clearTimeout(timer));
    request.once('end', close);
    if (request.complete) close();
    // Node stopped reading the request when it answered; what comes is only counted and dropped.
    request.resume();
    this.resume();
    // Node's HTTP parser reads from the socket's handle itself and stopped it when it answered.
    const handle = (this as unknown as { _handle?: { reading?: boolean; readStart?: () => number } })._handle;
    if (handle?.readStart && !handle.reading) {
      // As net.Socket itself does, so that it does not start reading a second time.
      handle.reading = true;
      handle.readStart();
    }
  };
}

export function installLingeringClose(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode === 413 && !request.raw.complete) {
      reply.header('connection', 'close');
      linger(request.raw.socket, request.raw);
    }
    done(null, payload);
  });
}
