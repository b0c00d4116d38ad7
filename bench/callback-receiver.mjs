// The customer's callback endpoint in the end-to-end scenario of bench/run.ts. It runs as its own
// process so that answering Pigeon's callbacks never competes with the load generator's event loop,
// and it answers 204 as fast as Node can, so that the figure measured is Pigeon's, not the receiver's.
//
// It parses every body (a JSON array of events, as Bandwidth sends them) and counts the events by
// type. Delivery is at least once, so terminal events are also counted per (message id, recipient):
// the bench needs the number of distinct recipients that ended, and the time the last one did.
// GET /stats returns the counters as JSON; GET /latency the percentiles of the time from a message's
// acceptance to its terminal callback.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

const TERMINAL = new Set(['message-delivered', 'message-failed']);

const byType = { 'message-delivered': 0, 'message-failed': 0, 'message-sending': 0, other: 0 };
let requests = 0;
let badBodies = 0;
const ended = new Set();
let duplicates = 0;
// Epoch milliseconds with a fraction, comparable with the bench process's own clock.
let firstTerminalAt = null;
let lastTerminalAt = null;

const epochNow = () => performance.timeOrigin + performance.now();

function count(events) {
  for (const event of events) {
    const type = typeof event?.type === 'string' ? event.type : 'other';
    byType[Object.hasOwn(byType, type) ? type : 'other'] += 1;
    if (!TERMINAL.has(type)) continue;
    const key = `${event.message?.id}|${event.to}`;
    if (ended.has(key)) {
      duplicates += 1;
      continue;
    }
    ended.add(key);
    const now = epochNow();
    firstTerminalAt ??= now;
    lastTerminalAt = now;
    // From acceptance (the message's time, on the same machine's clock) to its terminal callback.
    const accepted = Date.parse(event.message?.time);
    if (Number.isFinite(accepted)) latencies.push(now - accepted);
  }
}

const latencies = [];

/** Percentiles of the terminal callbacks' latencies; on request only, as sorting them is not free. */
function latency() {
  const sorted = Float64Array.from(latencies).sort();
  const at = (p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
  return { count: sorted.length, p50Ms: at(50), p99Ms: at(99), maxMs: at(100) };
}

function stats() {
  return {
    requests,
    badBodies,
    byType,
    terminal: ended.size,
    duplicates,
    firstTerminalAt,
    lastTerminalAt,
    rssKb: Math.round(process.memoryUsage.rss() / 1024),
  };
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && (req.url === '/stats' || req.url === '/latency')) {
    const body = JSON.stringify(req.url === '/stats' ? stats() : latency());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    requests += 1;
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!Array.isArray(parsed)) throw new Error('not an array');
      count(parsed);
    } catch {
      // Still a 2xx: a 4xx would make Pigeon retry with backoff and stretch the run; the bench fails on badBodies instead.
      badBodies += 1;
    }
    res.writeHead(204).end();
  });
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Same shape as Pigeon's start-up log line, so that bench/lib/child.ts finds the URL the same way.
  process.stdout.write(`${JSON.stringify({ msg: 'callback receiver listening', url: `http://127.0.0.1:${port}` })}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  // Pigeon's keep-alive callback connections would otherwise hold close() open.
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
