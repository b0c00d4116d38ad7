// The upstream client's OAuth2 client-credentials handling against a real HTTP server on loopback:
// one token shared by concurrent requests, a new one before the old expires, a fresh one (and the
// request made once more) after the upstream refuses a token; and how "not now" answers are told
// apart from final ones (429/5xx with Retry-After, timeouts, refused connections).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { bandwidthCarrierSchema } from '../../../src/carriers/bandwidth/config.js';
import { UpstreamClient, UpstreamUnavailable } from '../../../src/carriers/bandwidth/client.js';
import { freePort } from '../../helpers/free-port.js';

describe('upstream client', () => {
  let server: Server;
  let base = '';
  const tokens: string[] = [];
  let refuse = new Set<string>();
  type Answer = { status: number; headers?: Record<string, string> } | 'hang';
  let answer: Answer = { status: 202 };
  const seen: Array<string | undefined> = [];
  /** When each message request reached the server (real clock). */
  const arrivals: number[] = [];
  before(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/token') arrivals.push(performance.now());
      if (req.url === '/token') {
        assert.equal(req.headers.authorization, `Basic ${Buffer.from('cid:secret').toString('base64')}`);
        const token = `t${tokens.length + 1}`;
        tokens.push(token);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
        return;
      }
      seen.push(req.headers.authorization);
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      if (refuse.has(token)) return void res.writeHead(401).end('{}');
      if (answer === 'hang') return; // never answered
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end('{"id":"x"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  let clock = 1_000_000;
  const client = (extra: Record<string, unknown> = {}) =>
    new UpstreamClient(
      bandwidthCarrierSchema.parse({
        name: 'bw',
        type: 'bandwidth',
        baseUrl: base,
        accountId: '1',
        applicationId: 'a',
        clientId: 'cid',
        clientSecret: 'secret',
        tokenUrl: `${base}/token`,
        callbackUsername: 'cb',
        callbackPassword: 'cb-secret-1',
        timeoutSeconds: 0.5,
        ...extra,
      }),
      () => clock,
    );
  const post = (c: UpstreamClient) => c.request({ method: 'POST', path: '/users/1/messages', json: { a: 1 } });

  it('fetches one token for concurrent requests and refreshes it before it expires', async () => {
    const c = client();
    const before = tokens.length;
    await Promise.all([post(c), post(c), post(c)]);
    assert.equal(tokens.length, before + 1, 'one token for three requests');
    assert.deepEqual(seen.slice(-3), Array(3).fill(`Bearer ${tokens.at(-1)}`));
    clock += 3_550_000; // within the last minute of its hour
    await post(c);
    assert.equal(tokens.length, before + 2, 'a new token before the old one expired');
    assert.equal(seen.at(-1), `Bearer ${tokens.at(-1)}`);
  });

  it('fetches a fresh token and tries once more when the upstream refuses the token', async () => {
    const c = client();
    await post(c);
    refuse = new Set([tokens.at(-1) ?? '']);
    const res = await post(c);
    assert.equal(res.status, 202);
    assert.deepEqual(seen.slice(-2), [`Bearer ${[...refuse][0]}`, `Bearer ${tokens.at(-1)}`]);
    refuse = new Set();
  });

  const unavailable: Array<[string, Answer, string, number | undefined]> = [
    ['429 with Retry-After seconds', { status: 429, headers: { 'retry-after': '7' } }, 'throttled', 7000],
    ['503 with no Retry-After', { status: 503 }, 'server', undefined],
    ['500', { status: 500 }, 'server', undefined],
    ['no answer within the timeout', 'hang', 'timeout', undefined],
  ];
  for (const [what, given, kind, retryAfterMs] of unavailable) {
    it(`takes ${what} as "not now" (${kind})`, async () => {
      answer = given;
      await assert.rejects(post(client()), (err: unknown) => err instanceof UpstreamUnavailable && err.kind === kind && err.retryAfterMs === retryAfterMs);
      answer = { status: 202 };
    });
  }

  it('spaces its requests by requestsPerSecond: five at once to a 4/s carrier take at least a second', async () => {
    // The carrier's clock stands still here, so each request is paced a quarter second after the one
    // before it by the timer the limit sets; a slower machine only adds.
    const c = client({ requestsPerSecond: 4 });
    const from = arrivals.length;
    const started = performance.now();
    await Promise.all(Array.from({ length: 5 }, () => post(c)));
    const times = arrivals.slice(from);
    assert.equal(times.length, 5);
    // The fifth waits four quarter-second steps (a millisecond kept for timer rounding).
    const last = Math.max(...times) - started;
    assert.ok(last >= 999, `the fifth request at 4/s arrived ${last.toFixed(0)} ms after the first was made`);
    // Without the limit the same five go at once.
    const free = arrivals.length;
    await Promise.all(Array.from({ length: 5 }, () => post(client())));
    assert.equal(arrivals.length - free, 5);
  });

  it('answers a response over its byte limit as a 413, not as "not now" (asking again gets the same bytes)', async () => {
    const res = await client().request({ method: 'GET', path: '/media/big', maxBytes: 5 });
    assert.equal(res.status, 413);
  });

  it('takes a refused connection as "not now", and returns a 4xx for the caller to map', async () => {
    const closed = await freePort();
    await assert.rejects(
      new UpstreamClient(bandwidthCarrierSchema.parse({ name: 'bw', type: 'bandwidth', baseUrl: `http://127.0.0.1:${closed}`, accountId: '1', applicationId: 'a', username: 'u', password: 'p', callbackUsername: 'cb', callbackPassword: 'cb-secret-1' }), () => clock).request({ method: 'GET', path: '/x' }),
      (err: unknown) => err instanceof UpstreamUnavailable && err.kind === 'connection' && err.message === 'ECONNREFUSED',
    );
    answer = { status: 400 };
    assert.equal((await post(client())).status, 400);
    answer = { status: 202 };
  });
});
