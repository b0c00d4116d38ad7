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

export class PrismUpstream {
  readonly exchanges: Exchange[] = [];
  /** Requests matching this get Prism's answer withheld (the connection is left hanging until Pigeon gives up). */
  withhold: ((method: string, path: string) => boolean) | undefined;
  private prism: ChildProcess | undefined;
  private proxy: Server | undefined;
  private prismPort = 0;
  url = '';

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
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
          const body = Buffer.concat(chunks);
          const upstream = await fetch(`http://127.0.0.1:${this.prismPort}${req.url}`, {
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
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
          res.end(answer);
        })().catch((err: unknown) => {
          res.writeHead(502).end(String(err));
        });
      });
    });
    this.proxy = proxy;
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.proxy?.closeAllConnections();
    await new Promise<void>((resolve) => (this.proxy ? this.proxy.close(() => resolve()) : resolve()));
    if (this.prism && this.prism.exitCode === null) {
      const exited = new Promise((resolve) => this.prism?.once('exit', resolve));
      this.prism.kill();
      await exited;
    }
  }
}
