// Starts a real Pigeon on 127.0.0.1, port 0, with a temp config file and a temp database, the same
// way `pigeon serve` does (config loading included). Tests talk to it over real HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/main/server.js';
import { startWithWorkerThread } from '../../src/main/worker-thread.js';
import type { MessageView } from '../../src/core/admin/message-view.js';
import { createLogger } from '../../src/shared/logger.js';
import { createTestDatabase, type Backend } from './databases.js';
import { fixtureConfigYaml } from './fixtures.js';
import { adminRequest } from './http.js';

export { BACKENDS, type Backend } from './databases.js';

export interface TestPigeon {
  url: string;
  config: Config;
  server: RunningServer;
  /** fetch relative to the server URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A JSON call to the admin API; throws on a non-2xx answer. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Waits (through the admin API, no sleeps) until a message is delivered/failed, or its callbacks are settled. */
  waitForMessage(id: string, until?: 'terminal' | 'callbacks', timeoutSeconds?: number): Promise<MessageView>;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface StartOptions {
  backend?: Backend;
  /** YAML for the config file; defaults to the shared fixtures. */
  configYaml?: string;
  /** Directory for the config file (and SQLite database), to restart on the same data; a temp dir by default. */
  dir?: string;
  /** An existing database to use (to restart on the same data); a fresh one of `backend` by default. */
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Where the server logs, at info level (silent when absent); see helpers/log-capture.ts. */
  log?: NodeJS.WritableStream;
  /** The level `log` gets; info by default. */
  logLevel?: string;
  /**
   * Delivery in a worker thread, as `pigeon serve` runs role all on SQLite
   * (main/worker-thread.ts); `server` is then the main thread's, which serves HTTP and sends the callbacks.
   */
  workerThread?: boolean;
  /**
   * Changes the loaded config before the server starts, for settings no config file offers: a test
   * that checks a timer mechanism sets the workers' idle poll (`idleMs` in `delivery` or `callbacks`)
   * beyond its own timeout, so that only the timer under test can make the work happen.
   */
  configure?: (config: Config) => Config;
}

/** `config` with the delivery and callback workers' idle poll set to `idleMs` (see StartOptions.configure). */
export function withIdlePoll(config: Config, idleMs: number): Config {
  // server.ts spreads these sections over its own idleMs of 250, so a value here replaces it.
  return { ...config, delivery: { ...config.delivery, idleMs } as Config['delivery'], callbacks: { ...config.callbacks, idleMs } as Config['callbacks'] };
}

export async function startPigeon(options: StartOptions = {}): Promise<TestPigeon> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'pigeon-test-'));
  const configPath = join(dir, 'pigeon.yaml');
  writeFileSync(configPath, options.configYaml ?? fixtureConfigYaml());
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => {} }
    : await createTestDatabase(options.backend ?? 'sqlite', dir);
  const loaded = loadConfig(
    {
      PIGEON_CONFIG: configPath,
      DATABASE_URL: database.url,
      PIGEON_LOG_LEVEL: 'silent',
      PIGEON_ADMIN_TOKEN: ADMIN_TOKEN,
      // A worker-only process's probe listener, on any free port.
      PIGEON_WORKER_PORT: '0',
      ...options.env,
    },
    { port: '0', host: '127.0.0.1' },
  );
  const config = options.configure ? options.configure(loaded) : loaded;
  const logger = createLogger(options.log ? (options.logLevel ?? 'info') : config.logLevel, options.log);
  const threaded = options.workerThread
    ? await startWithWorkerThread(config, logger, (err) => {
        throw new Error(`the worker thread died: ${err.message}`);
      })
    : undefined;
  const server = threaded?.server ?? (await startServer(config, logger));
  const admin = <T>(method: string, path: string, body?: unknown): Promise<T> => adminRequest<T>(server.url, ADMIN_TOKEN, method, path, body);
  return {
    url: server.url,
    config,
    server,
    fetch: (path, init) => fetch(`${server.url}${path}`, init),
    admin,
    waitForMessage: (id, until = 'terminal', timeoutSeconds = 60) =>
      admin<MessageView>('GET', `/messages/${id}/wait?until=${until}&timeout=${timeoutSeconds}`),
    async close() {
      await (threaded?.close ?? server.close)();
      if (!options.dir) {
        await database.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
