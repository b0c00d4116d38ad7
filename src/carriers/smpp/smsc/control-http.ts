// `pigeon smsc --control-port`: a small HTTP API to drive the SMSC from a test or a shell.
//   POST /inject      {from, to, text, method?: udh|udh16|sar|payload}   a phone sends a message
//   POST /throttle    {count}        answer the next `count` submits with ESME_RTHROTTLED
//   POST /silent      {silent}       stop (or resume) answering anything, as a hung SMSC
//   POST /disconnect                 drop every bind without unbind
//   GET  /messages                   what the SMSC received, reassembled
//   GET  /status                     binds and counts
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SmscServer } from './smsc-server.js';

export async function startControl(smsc: SmscServer, port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      let body: Record<string, unknown> = {};
      try {
        if (chunks.length > 0) body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return reply(400, { error: 'body must be JSON' });
      }
      const route = `${req.method ?? 'GET'} ${(req.url ?? '/').split('?')[0]}`;
      switch (route) {
        case 'POST /inject': {
          const { from, to, text, method } = body;
          if (typeof from !== 'string' || typeof to !== 'string' || typeof text !== 'string') {
            return reply(400, { error: 'from, to and text are required strings' });
          }
          if (method !== undefined && !['udh', 'udh16', 'sar', 'payload'].includes(String(method))) {
            return reply(400, { error: 'method must be udh, udh16, sar or payload' });
          }
          const parts = smsc.inject({ from, to, text, ...(method !== undefined && { method: method as 'udh' }) });
          return reply(202, { parts });
        }
        case 'POST /throttle':
          smsc.throttleNext = Number(body.count ?? 1);
          return reply(200, { throttleNext: smsc.throttleNext });
        case 'POST /silent':
          smsc.silent = body.silent !== false;
          return reply(200, { silent: smsc.silent });
        case 'POST /disconnect':
          smsc.dropConnections();
          return reply(200, {});
        case 'GET /messages':
          return reply(200, smsc.received.map((m) => ({ ...m, parts: m.parts.map((p) => ({ ...p, shortMessage: p.shortMessage.toString('hex') })) })));
        case 'GET /status':
          return reply(200, { binds: smsc.bindCount, submits: smsc.submits.length, received: smsc.received.length });
        default:
          return reply(404, { error: `no route ${route}` });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
