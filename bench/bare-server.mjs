// The baseline bench/run.ts compares Pigeon against: the least an HTTP JSON endpoint on Node can do
// (read the body, JSON.parse it, answer 202). Its throughput is the ceiling for this machine and
// this load generator, so Pigeon's figure is read as a fraction of it rather than in absolute terms.
import { createServer } from 'node:http';

let accepted = 0;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let parsed;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
      return;
    }
    accepted += 1;
    // Echo something derived from the request so that the parse cannot be optimised away.
    const body = JSON.stringify({ id: String(accepted), to: parsed?.to ?? null, status: 'accepted' });
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Same shape as Pigeon's start-up log line, so run.ts finds both URLs the same way.
  process.stdout.write(`${JSON.stringify({ msg: 'bare listening', url: `http://127.0.0.1:${port}` })}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  // Keep-alive sockets left by the load generator would otherwise hold close() open.
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
