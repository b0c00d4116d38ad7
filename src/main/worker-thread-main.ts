// The worker thread of the embedded default (worker-thread.ts): delivery and receipts with a
// database connection of their own. Waits for the main thread's word that the schema is
// ready, starts, then answers the main thread's questions until it is told to close.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/config.js';
import { createLogger, defaultLogFormat } from '../shared/logger.js';
import { startServer, type RunningServer } from './server.js';
import type { FromWorker, ToWorker } from './worker-thread.js';

const port = parentPort;
if (!port) throw new Error('worker-thread-main runs as a worker thread only');
const { config } = workerData as { config: Config };
const logger = createLogger(config.logLevel, process.stdout, config.logFormat ?? defaultLogFormat(process.stdout)).child({ thread: 'worker' });
const send = (message: FromWorker) => port.postMessage(message);

let server: Promise<RunningServer> | undefined;
port.on('message', (message: ToWorker) => {
  if (message.kind === 'start') {
    server = startServer(config, logger, { inWorkerThread: true });
    server.then(
      () => send({ kind: 'started' }),
      (err: unknown) => send({ kind: 'failed', message: err instanceof Error ? err.message : String(err) }),
    );
    return;
  }
  const { id, kind } = message;
  const answer = async (): Promise<unknown> => {
    if (!server) throw new Error('the worker thread has not started');
    const running = await server;
    if (kind === 'status') return running.workerStatus();
    if (kind === 'metrics') return running.metricsSnapshot();
    return running.close();
  };
  answer().then(
    (value) => send({ id, kind: 'answer', value }),
    (err: unknown) => send({ id, kind: 'error', message: err instanceof Error ? err.message : String(err) }),
  ).finally(() => {
    // Closed: nothing keeps the thread's loop alive any more but this port.
    if (kind === 'close') port.close();
  });
});
