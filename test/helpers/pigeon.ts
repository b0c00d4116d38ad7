// Starts a real Pigeon on 127.0.0.1, port 0, with a temp config file and a temp database, the same
// way `pigeon serve` does (config loading included). Tests talk to it over real HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/main/server.js';
import { createLogger } from '../../src/shared/logger.js';
import { fixtureConfigYaml } from './fixtures.js';

/** Storage engines the behavioural suite runs against. */
export const BACKENDS = ['sqlite'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface TestPigeon {
  url: string;
  config: Config;
  server: RunningServer;
  /** fetch relative to the server URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface StartOptions {
  backend?: Backend;
  /** YAML for the config file; defaults to the shared fixtures. */
  configYaml?: string;
  env?: Record<string, string>;
}

export async function startPigeon(options: StartOptions = {}): Promise<TestPigeon> {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-test-'));
  const configPath = join(dir, 'pigeon.yaml');
  writeFileSync(configPath, options.configYaml ?? fixtureConfigYaml());
  const config = loadConfig(
    { PIGEON_CONFIG: configPath, DATABASE_URL: `sqlite:${join(dir, 'pigeon.db')}`, PIGEON_LOG_LEVEL: 'silent', ...options.env },
    { port: '0', host: '127.0.0.1' },
  );
  const server = await startServer(config, createLogger(config.logLevel));
  return {
    url: server.url,
    config,
    server,
    fetch: (path, init) => fetch(`${server.url}${path}`, init),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
