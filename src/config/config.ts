// Configuration is resolved once at start-up — defaults < config file < environment < flags —
// validated, frozen and passed in. Nothing else in Pigeon reads process.env.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { demoAccounts } from './demo.js';
import { configFileSchema, type AccountConfig, type ConfigFile } from './schema.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Base URL clients use to reach Pigeon (for page and media links); derived from each request when absent. */
  readonly publicUrl: string | undefined;
  readonly trustProxy: boolean;
  readonly bodyLimitBytes: number;
  readonly databaseUrl: string;
  readonly logLevel: LogLevel;
  readonly media: { readonly maxBytes: number; readonly retentionHours: number };
  readonly limits: {
    readonly listRequestsPerWindow: number;
    readonly listWindowSeconds: number;
    readonly listDefaultWindowDays: number;
  };
  readonly accounts: readonly AccountConfig[];
  /** True when Pigeon runs without a config file, on the demo account. */
  readonly demo: boolean;
  readonly configPath: string | undefined;
}

/** Options given on the command line; each overrides the environment and the file. */
export interface ConfigFlags {
  config?: string | undefined;
  host?: string | undefined;
  port?: string | undefined;
  databaseUrl?: string | undefined;
  publicUrl?: string | undefined;
  logLevel?: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/pigeon.db';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (where ? `${where}.${k}` : k));
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
  }
  return `${where || '(top level)'}: ${issue.message}`;
}

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true }) ?? {};
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`${path}: not valid YAML or JSON: ${detail}`);
  }
  const result = configFileSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`${path}: ${result.error.issues.map(describeIssue).join('; ')}`);
  }
  return result.data;
}

function parsePort(value: string, source: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new ConfigError(`${source}: '${value}' is not a port number (0-65535)`);
  }
  return Number(value);
}

function parseLogLevel(value: string, source: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`${source}: '${value}' is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as LogLevel;
}

function checkDatabaseUrl(value: string, source: string): string {
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(value)) {
    throw new ConfigError(`${source}: '${value}' must look like sqlite:PATH or postgres://…`);
  }
  return value;
}

function pick<T>(...candidates: Array<[T | undefined, string]>): [T, string] | undefined {
  for (const candidate of candidates) if (candidate[0] !== undefined && candidate[0] !== '') return candidate as [T, string];
  return undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv, flags: ConfigFlags = {}): Config {
  const configPath = flags.config ?? (env.PIGEON_CONFIG || undefined);
  const file: ConfigFile = configPath ? readConfigFile(configPath) : configFileSchema.parse({});

  const port = pick<string>([flags.port, '--port'], [env.PORT, 'PORT']);
  const logLevel = pick<string>([flags.logLevel, '--log-level'], [env.PIGEON_LOG_LEVEL, 'PIGEON_LOG_LEVEL']);
  const databaseUrl = pick<string>([flags.databaseUrl, '--database-url'], [env.DATABASE_URL, 'DATABASE_URL']);
  const publicUrl = flags.publicUrl ?? (env.PIGEON_PUBLIC_URL || file.server?.publicUrl);
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+(\/.*)?$/.test(publicUrl)) {
    throw new ConfigError(`public URL '${publicUrl}' must be an http(s) URL`);
  }

  const config: Config = {
    host: flags.host ?? (env.HOST || file.server?.host || '127.0.0.1'),
    port: port ? parsePort(...port) : (file.server?.port ?? 8080),
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    trustProxy: env.PIGEON_TRUST_PROXY ? env.PIGEON_TRUST_PROXY === 'true' : (file.server?.trustProxy ?? false),
    bodyLimitBytes: file.server?.bodyLimitBytes ?? 1024 * 1024,
    databaseUrl: databaseUrl ? checkDatabaseUrl(...databaseUrl) : (file.database?.url ?? DEFAULT_DATABASE_URL),
    logLevel: logLevel ? parseLogLevel(...logLevel) : (file.log?.level ?? 'info'),
    media: {
      // 3.75 MB: the Messaging v2 media upload limit (reference j.1), in decimal megabytes.
      maxBytes: file.media?.maxBytes ?? 3_750_000,
      retentionHours: file.media?.retentionHours ?? 48,
    },
    limits: {
      listRequestsPerWindow: file.limits?.listRequestsPerWindow ?? 3500,
      listWindowSeconds: file.limits?.listWindowSeconds ?? 300,
      listDefaultWindowDays: file.limits?.listDefaultWindowDays ?? 14,
    },
    accounts: configPath ? file.accounts : demoAccounts(),
    demo: !configPath,
    configPath,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
