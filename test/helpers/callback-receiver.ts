// A real HTTP server that receives Pigeon's callbacks, as a user's application would. It can demand
// Basic credentials (preemptively or by challenge), answer with a chosen status, and go down and
// come back on the same port. Tests wait on what it received with waitFor(), never with sleeps.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCallback {
  time: number;
  headers: IncomingMessage['headers'];
  /** The parsed JSON array. */
  body: Array<Record<string, unknown> & { type: string; to: string; message: Record<string, unknown> }>;
}

export interface ReceiverOptions {
  credentials?: { username: string; password: string };
  /** challenge: answer 401 + WWW-Authenticate to requests without credentials, as Bandwidth's 2022 docs describe. */
  authMode?: 'preemptive' | 'challenge';
  /** A fixed port, for URLs already stored in a database (the upgrade fixtures); a free one otherwise. */
  port?: number;
}

export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  /** Every request, including refused ones. */
  readonly requests: Array<{ time: number; authorized: boolean; status: number }> = [];
  status = 200;
  /** How long each answer takes: a slow but healthy endpoint. */
  delayMs = 0;
  /** Requests being answered now, and the most there were at once. */
  inFlight = 0;
  maxInFlight = 0;
  private held: Promise<void> | undefined;
  private server: Server | undefined;
  private port = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly options: ReceiverOptions = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/callbacks`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.on('close', () => this.inFlight--);
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const go = () => (this.delayMs > 0 ? setTimeout(answer, this.delayMs) : answer());
        if (this.held) void this.held.then(go);
        else go();
      });
      const answer = () => {
        const expected = this.options.credentials
          ? `Basic ${Buffer.from(`${this.options.credentials.username}:${this.options.credentials.password}`).toString('base64')}`
          : undefined;
        const authorized = expected === undefined || req.headers.authorization === expected;
        if (!authorized) {
          this.requests.push({ time: Date.now(), authorized, status: 401 });
          if (this.options.authMode === 'challenge') res.setHeader('www-authenticate', 'Basic realm="app"');
          res.writeHead(401).end();
          return;
        }
        this.requests.push({ time: Date.now(), authorized, status: this.status });
        if (this.status >= 200 && this.status < 300) {
          this.received.push({
            time: Date.now(),
            headers: req.headers,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedCallback['body'],
          });
          this.notify();
        }
        res.writeHead(this.status).end();
      };
    });
    await new Promise<void>((resolve) => server.listen(this.port || (this.options.port ?? 0), '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /**
   * Holds every answer (requests are read, nothing is sent back) until the returned function is
   * called: an endpoint that is slow for exactly as long as a test needs, not for a guessed time.
   */
  hold(): () => void {
    let release = () => {};
    this.held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.held = undefined;
      release();
    };
  }

  /** Stops listening (connections are refused) while keeping the port for a later start(). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Events (one per received array element) matching a filter. */
  events(filter: (event: ReceivedCallback['body'][number]) => boolean = () => true): Array<ReceivedCallback['body'][number]> {
    return this.received.flatMap((r) => r.body).filter(filter);
  }

  eventsFor(messageId: string): Array<ReceivedCallback['body'][number]> {
    return this.events((e) => e.message.id === messageId);
  }

  /** Resolves once `condition` holds, re-checked on every callback; rejects after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'callbacks'): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(this.events().map((e) => [e.type, e.to, e.message.id]))}`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
