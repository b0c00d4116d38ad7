// Prism (@stoplight/prism-cli) serving the bandwidth.yml that ships inside bandwidth-sdk, with
// request validation on, behind a small recording proxy: every request Pigeon makes upstream is
// kept with Prism's verdict (its status and the sl-violations header it adds to a request that
// does not match the spec), and the proxy can withhold the answer to a request (the upstream took
// it, Pigeon never hears back) to exercise the check for a lost send.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from '../../helpers/free-port.js';

export interface Exchange {
  method: string;
  path: string;
  status: number;
  violations: string | undefined;
  body: string;
}

/**
 * Forwards every request to `target` and records it with the answer. `withhold` leaves the answer
 * to one matching request unsent (the target took it; the client hears nothing); `down()` makes the
 * proxy refuse connections until `up()`, on the same port.
 */
export class RecordingProxy {
  readonly exchanges: Exchange[] = [];
  withhold: ((method: string, path: string) => boolean) | undefined;
  private proxy: Server | undefined;
  private port = 0;
  url = '';

  constructor(private readonly target: string) {}

  async up(): Promise<this> {
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
          const body = Buffer.concat(chunks);
          const upstream = await fetch(`${this.target}${req.url}`, {
            method: req.method,
            headers,
            body: body.length > 0 ? body : undefined,
          });
          const answer = Buffer.from(await upstream.arrayBuffer());
          const path = (req.url ?? '').split('?', 1)[0] ?? '';
          this.exchanges.push({
            method: req.method ?? '',
            path: req.url ?? '',
            status: upstream.status,
            violations: upstream.headers.get('sl-violations') ?? undefined,
            body: answer.toString('utf8').slice(0, 500),
          });
          if (this.withhold?.(req.method ?? '', path)) {
            this.withhold = undefined;
            return; // never answered: the client's timeout ends it
          }
          const contentType = upstream.headers.get('content-type');
          res.writeHead(upstream.status, contentType ? { 'content-type': contentType } : {});
          res.end(answer);
        })().catch((err: unknown) => {
          res.writeHead(502).end(String(err));
        });
      });
    });
    this.proxy = proxy;
    await new Promise<void>((resolve) => proxy.listen(this.port, '127.0.0.1', resolve));
    this.port = (proxy.address() as { port: number }).port;
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  async down(): Promise<void> {
    const proxy = this.proxy;
    this.proxy = undefined;
    if (!proxy) return;
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }
}

export class PrismUpstream {
  private prism: ChildProcess | undefined;
  private proxy: RecordingProxy | undefined;
  private prismPort = 0;

  get url(): string {
    return this.proxy?.url ?? '';
  }

  get exchanges(): Exchange[] {
    return this.proxy?.exchanges ?? [];
  }

  set withhold(match: RecordingProxy['withhold']) {
    if (this.proxy) this.proxy.withhold = match;
  }

  async start(): Promise<this> {
    const require = createRequire(import.meta.url);
    const spec = join(dirname(require.resolve('bandwidth-sdk/package.json')), 'bandwidth.yml');
    const cli = join(dirname(require.resolve('@stoplight/prism-cli/package.json')), 'dist', 'index.js');
    this.prismPort = await freePort();
    const prism = spawn(process.execPath, [cli, 'mock', '-h', '127.0.0.1', '-p', String(this.prismPort), spec], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.prism = prism;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`prism did not start: ${output.slice(-2000)}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Prism is listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      prism.stdout?.on('data', onData);
      prism.stderr?.on('data', onData);
      prism.once('exit', (code) => reject(new Error(`prism exited (${code}): ${output.slice(-2000)}`)));
    });
    // Keep draining its log so it never blocks on a full pipe.
    prism.stdout?.resume();
    prism.stderr?.resume();
    this.proxy = await new RecordingProxy(`http://127.0.0.1:${this.prismPort}`).up();
    return this;
  }

  async stop(): Promise<void> {
    await this.proxy?.down();
    if (this.prism && this.prism.exitCode === null) {
      const exited = new Promise((resolve) => this.prism?.once('exit', resolve));
      this.prism.kill();
      await exited;
    }
  }
}
