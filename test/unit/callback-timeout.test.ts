// The callback timeout counts the receiver's time, not time the answer spent waiting for Pigeon's
// own event loop (issue 21: a receiver that answered every request at once got terminal callbacks
// twice, when a loop blocked past the timeout recorded answered attempts as timed out). The
// receiver runs in a worker thread, so it answers while this thread's loop is blocked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { HttpCallbackTransport } from '../../src/callbacks/http-callback-transport.js';

const RECEIVER = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(204).end());
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => server.close(() => process.exit(0)));
`;

function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy: a slow synchronous statement, say.
  }
}

describe('callback timeout', () => {
  let worker: Worker;
  let url: string;
  const transport = new HttpCallbackTransport();

  before(async () => {
    worker = new Worker(RECEIVER, { eval: true });
    const port = await new Promise<number>((resolve) => worker.once('message', resolve));
    url = `http://127.0.0.1:${port}/callbacks`;
  });

  after(async () => {
    await transport.close();
    worker.postMessage('stop');
    await new Promise((resolve) => worker.once('exit', resolve));
  });

  const request = (timeoutMs: number) => ({ url, body: '[]', credentials: undefined, authMode: 'preemptive' as const, timeoutMs });

  it('does not time out an answer that arrived while the event loop was blocked past the timeout', async () => {
    await transport.post(request(200)); // a keep-alive connection, so the next request goes out at once
    const posted = transport.post(request(200));
    // By now the request is out and answered; the answer waits in the socket while the loop is blocked.
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        blockFor(600);
        resolve();
      }, 50),
    );
    assert.deepEqual(await posted, { statusCode: 204 });
  });

  it('still times out a receiver that does not answer', async () => {
    const silent = new HttpCallbackTransport();
    const { createServer } = await import('node:net');
    const server = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      await assert.rejects(silent.post({ ...request(150), url: `http://127.0.0.1:${port}/` }), /timed out after 150 ms/);
    } finally {
      await silent.close();
      server.close();
    }
  });
});
