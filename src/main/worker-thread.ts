// The embedded default on every core: one process, one SQLite file, two threads. The main thread
// serves HTTP (and the SMPP server), accepts messages and sends the callbacks; a worker thread runs
// delivery and receipts (worker-thread-main.ts: `startServer` with role worker). Delivery with the
// simulator's receipts is the heavier half; the callbacks' HTTP work balances the HTTP server's. Each thread has its own
// connection: SQLite in WAL mode lets them read side by side, and their writes take turns on the
// file's write lock, each batched by its own group committer. They wake each other through the
// store's thread channels (store/sqlite/thread-channels.ts), as processes on PostgreSQL do through
// LISTEN/NOTIFY; what the admin status and /metrics show of the workers is asked of the thread.
//
// A worker thread that dies takes the process with it (`onFatal`): every accepted message is in the
// file, so the restart a supervisor makes loses nothing, and a process that answers 202 with no one
// delivering would look healthy while doing half its job.
import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config.js';
import type { MetricsSnapshot } from '../metrics/metrics.js';
import { parseSqliteUrl } from '../store/sqlite/sqlite-store.js';
import { startServer, type RunningServer, type WorkerStatus, type WorkerThreadLink } from './server.js';

/** Messages between the threads: requests carry an id their answer repeats. */
export type ToWorker = { kind: 'start' } | { id: number; kind: 'status' | 'metrics' | 'close' };
export type FromWorker =
  | { kind: 'started' }
  | { kind: 'failed'; message: string }
  | { id: number; kind: 'answer'; value: unknown }
  | { id: number; kind: 'error'; message: string };

/**
 * Whether `config` runs its workers in a thread: role all on a SQLite file, unless turned off. An
 * in-memory database is private to its connection, so the two threads could not share it.
 */
export function usesWorkerThread(config: Config): boolean {
  const url = config.databaseUrl;
  return config.role === 'all' && url.startsWith('sqlite:') && parseSqliteUrl(url).path !== ':memory:' && config.workerThread === true;
}

// The entry is a sibling module. Run from the sources (the tests, through tsx) it is TypeScript,
// and the thread must register tsx's loader itself: Node 20 does not apply the parent's --import
// hooks to worker threads. The built package (dist/) loads the compiled entry directly.
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const ENTRY = new URL(`./worker-thread-main${FROM_SOURCES ? '.ts' : '.js'}`, import.meta.url);

function spawnThread(workerData: unknown): Worker {
  if (!FROM_SOURCES) return new Worker(ENTRY, { workerData });
  const source = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}); })`;
  return new Worker(source, { eval: true, workerData });
}

class ThreadLink implements WorkerThreadLink {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();

  constructor(private readonly worker: Worker) {
    worker.on('message', (message: FromWorker) => {
      if (message.kind !== 'answer' && message.kind !== 'error') return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.kind === 'answer') waiter?.resolve(message.value);
      else waiter?.reject(new Error(message.message));
    });
  }

  status(): Promise<WorkerStatus> {
    return this.ask('status') as Promise<WorkerStatus>;
  }

  metrics(): Promise<MetricsSnapshot> {
    return this.ask('metrics') as Promise<MetricsSnapshot>;
  }

  close(): Promise<unknown> {
    return this.ask('close');
  }

  /** The thread is gone: nobody will answer, now or later. */
  abandon(reason: Error): void {
    this.gone = reason;
    for (const waiter of this.waiting.values()) waiter.reject(reason);
    this.waiting.clear();
  }

  private gone: Error | undefined;

  private ask(kind: 'status' | 'metrics' | 'close'): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.gone) {
        reject(this.gone);
        return;
      }
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, kind } satisfies ToWorker);
    });
  }
}

export interface ThreadedServer {
  server: RunningServer;
  /** The worker thread itself, for diagnostics (and the tests that end it). */
  thread: Worker;
  close(): Promise<void>;
}

/**
 * Starts the main thread's server (role api, which also runs the migrations) and then the worker
 * thread; resolves once both run. `onFatal` is called if the thread ends without being asked to.
 */
export async function startWithWorkerThread(
  config: Config,
  logger: FastifyBaseLogger,
  onFatal: (err: Error) => void,
): Promise<ThreadedServer> {
  const worker = spawnThread({ config: { ...config, role: 'worker' } });
  const link = new ThreadLink(worker);
  let closing = false;
  // Until the thread has started, its failure is the start's (rejected below), not a fatal one.
  let running = false;
  const started = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'started') resolve();
      if (message.kind === 'failed') reject(new Error(`worker thread failed to start: ${message.message}`));
    });
    const ended = (err: Error) => {
      reject(err);
      link.abandon(err);
      if (running && !closing) onFatal(err);
    };
    worker.on('error', ended);
    worker.on('exit', (code) => ended(new Error(`worker thread exited (code ${code})`)));
  });
  let server: RunningServer;
  try {
    // The thread is created first but opens the database only after being told the schema is
    // ready; both creating at once would run the migrations twice.
    server = await startServer({ ...config, role: 'api' }, logger, { workerThread: link });
  } catch (err) {
    closing = true;
    await worker.terminate();
    throw err;
  }
  worker.postMessage({ kind: 'start' } satisfies ToWorker);
  try {
    await started;
    running = true;
  } catch (err) {
    closing = true;
    await server.close();
    await worker.terminate();
    throw err;
  }
  return {
    server,
    thread: worker,
    close: async () => {
      closing = true;
      // HTTP stops first (in-flight requests finish, their 202s are durable); then the thread
      // finishes what it holds and closes its connection.
      await server.close();
      await link.close().catch(() => undefined);
      await worker.terminate();
    },
  };
}
