// Callbacks over HTTP(S) with keep-alive connections, the headers Bandwidth sends, a hard timeout,
// and both Basic-auth modes: preemptive, or the challenge flow Bandwidth documented in 2022 (POST
// without credentials, and again with them only after a 401 that carries WWW-Authenticate: Basic).
//
// The timeout measures the receiver, not Pigeon's own event loop. It starts when the request has a
// socket (time spent queued in the agent for one is Pigeon's), and when it runs out the request is
// aborted only after the event loop has read what arrived meanwhile (the check is deferred with
// setImmediate, which runs after the loop's I/O phase). A loop blocked past the timeout (a slow
// statement, a long GC) used to fire the timer before reading a response that had been waiting in
// the socket: the attempt was recorded as timed out and the callback sent again, a duplicate to a
// receiver that had answered at once (issue 21).
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { CallbackRequest, CallbackTransport } from '../core/callbacks/callback-transport.js';

export class HttpCallbackTransport implements CallbackTransport {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  private readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

  async post(request: CallbackRequest): Promise<{ statusCode: number }> {
    const preemptive = request.authMode === 'preemptive' && request.credentials !== undefined;
    const first = await this.once(request, preemptive);
    if (
      first.statusCode === 401 &&
      !preemptive &&
      request.credentials &&
      /^\s*basic\b/i.test(first.wwwAuthenticate ?? '')
    ) {
      return { statusCode: (await this.once(request, true)).statusCode };
    }
    return { statusCode: first.statusCode };
  }

  private once(request: CallbackRequest, withCredentials: boolean): Promise<{ statusCode: number; wwwAuthenticate?: string }> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(request.body, 'utf8'),
      'user-agent': 'BandwidthAPI/v2',
    };
    if (withCredentials && request.credentials) {
      const { username, password } = request.credentials;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    return new Promise((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        done = true;
        clearTimeout(timer);
      };
      const timedOut = new Error(`timed out after ${request.timeoutMs} ms`);
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        { method: 'POST', headers, agent: secure ? this.https : this.http },
        (res) => {
          // The body is not needed, but must be read so the connection can be reused.
          res.resume();
          res.on('end', () => {
            settle();
            const challenge = res.headers['www-authenticate'];
            resolve({ statusCode: res.statusCode ?? 0, wwwAuthenticate: Array.isArray(challenge) ? challenge[0] : challenge });
          });
          res.on('error', (err) => {
            settle();
            reject(err);
          });
        },
      );
      req.once('socket', () => {
        timer = setTimeout(() => setImmediate(() => done || req.destroy(timedOut)), request.timeoutMs);
      });
      req.on('error', (err) => {
        settle();
        reject(err);
      });
      // A string body goes out in one write with the headers; a Buffer would take a second (writev).
      req.end(request.body, 'utf8');
    });
  }

  async close(): Promise<void> {
    this.http.destroy();
    this.https.destroy();
  }
}
