// Configuration is resolved once at start-up — defaults < config file < environment < flags —
// validated, frozen and passed in. Nothing else in Pigeon reads process.env.
import { DEFAULT_INVENTORY, type InventoryConfig } from '../core/numbers/inventory.js';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import type { CarrierConfig, RouteConfig } from '../carriers/carrier-config.js';
import { phoneRuleProblems } from '../core/sandbox/phone-admin.js';
import { parseSimulatorConfig, SimulatorRuleError } from '../carriers/simulator/rules.js';
import { demoAccounts } from './demo.js';
import { OptOutConfigError, resolveOptOutConfig, type OptOutConfig } from './opt-out-config.js';
import { DEFAULT_FAILED_ATTEMPT_LIMITS, type FailedAttemptLimits } from '../core/accounts/failed-attempts.js';
import {
  configFileSchema,
  DATABASE_URL_HINT,
  DATABASE_URL_PATTERN,
  SECRET_MIN_LENGTH,
  secretTooShort,
  isTrustedProxy,
  PROXY_RANGE_NAMES,
  type AccountConfig,
  type ConfigFile,
} from './schema.js';

/** The console's sessions (http/console/session.ts). */
export interface SessionLimits {
  /** A session ends this long after sign-in, however active. */
  readonly lifetimeMs: number;
  /** Sessions one user may hold; signing in again ends the user's oldest. */
  readonly perUser: number;
  /** Event streams one session may hold open; a new one ends the oldest. */
  readonly streamsPerSession: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { lifetimeMs: 12 * 3_600_000, perUser: 10, streamsPerSession: 4 };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type Role = 'all' | 'api' | 'worker';

export interface Config {
  /** api: serves HTTP only; worker: delivers and sends callbacks only; all: both (the default). */
  readonly role: Role;
  readonly host: string;
  readonly port: number;
  /**
   * Role all on SQLite: HTTP and callbacks on the main thread, delivery and receipts in a worker thread with a
   * connection of their own (main/worker-thread.ts), so the process uses two cores. By default on
   * when the machine has more than one; never on PostgreSQL, where processes are the unit of scale.
   */
  readonly workerThread?: boolean;
  /** Where a worker-only process serves /healthz, /readyz and /metrics (absent: server.host, port 9464). */
  readonly workerListen?: { readonly host: string; readonly port: number };
  /** Base URL clients use to reach Pigeon (for page and media links); derived from each request when absent. */
  readonly publicUrl: string | undefined;
  /** Proxies whose X-Forwarded-For is believed (Fastify's trustProxy): false, or addresses, CIDRs and range names. */
  readonly trustProxy: false | readonly string[];
  readonly bodyLimitBytes: number;
  /** A client must send its headers within the first, its whole request within the second (else 408). */
  readonly timeouts?: { readonly headersMs: number; readonly requestMs: number };
  readonly databaseUrl: string;
  readonly logLevel: LogLevel;
  /** pretty: coloured lines for a person; json: one JSON object a line. Absent: pretty on a terminal, else json. */
  readonly logFormat?: 'pretty' | 'json' | undefined;
  /** `accountQuotaBytes`: what one account's uploads may bring its stored files to; undefined: no limit. */
  readonly media: { readonly maxBytes: number; readonly retentionHours: number; readonly accountQuotaBytes: number | undefined };
  readonly limits: {
    readonly listRequestsPerWindow: number;
    readonly listWindowSeconds: number;
    readonly listDefaultWindowDays: number;
    /** core/accounts/failed-attempts.ts */
    readonly failedSignIns: FailedAttemptLimits;
    /** Callbacks the console may resend per account per minute. */
    readonly callbackResendsPerMinute: number;
  };
  /** The console's sessions (http/console/session.ts). */
  readonly console: SessionLimits;
  /** Bearer token of the admin API; absent: a random one is made at start-up and printed. */
  readonly adminToken: string | undefined;
  /** Bearer token GET /metrics asks for; absent: the metrics are open. */
  readonly metricsToken?: string | undefined;
  /**
   * OAuth2 access tokens (POST /api/v1/oauth2/token): the key they are signed with (absent: a random
   * one per process, so tokens die with it and are not shared with other processes) and how long one lasts.
   */
  readonly oauth2?: { readonly signingKey: string | undefined; readonly tokenTtlMs: number };
  readonly delivery: DeliveryConfig;
  readonly callbacks: CallbacksConfig;
  /** The simulator section as written; the simulated carrier validates it. */
  readonly simulator: unknown;
  /** Scripted phones' rules, created or replaced at start by id (README: Testing two-way flows). */
  readonly phones?: readonly unknown[];
  /** The Numbers API's simulated inventory (README: Provisioning with the Numbers API). */
  readonly numbers: { readonly inventory: InventoryConfig };
  /** Empty: the built-in simulator carries everything (routes are then empty too). */
  readonly carriers: readonly CarrierConfig[];
  readonly routes: readonly RouteConfig[];
  readonly accounts: readonly AccountConfig[];
  /** How the config's accounts are applied at start: `prune` deletes directory entries the file does not name. */
  readonly tenants?: { readonly prune: boolean };
  /** Opt-out, opt-in and help keywords, resolved per application. */
  readonly optOut: OptOutConfig;
  /** Pigeon as an SMSC for applications (src/smpp-server); absent: no SMPP listener. */
  readonly smppServer?: SmppServerConfig | undefined;
  /** True when Pigeon runs without a config file, on the demo account. */
  readonly demo: boolean;
  readonly configPath: string | undefined;
}

export interface SmppServerConfig {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly idleMs: number;
  readonly bindTimeoutMs: number;
  readonly maxConnectionsPerAddress: number;
  readonly reassemblyMs: number;
  readonly window: number;
  readonly responseTimeoutMs: number;
}

export interface RateLimitsConfig {
  readonly unit: 'messages' | 'segments';
  /** Bucket size above the rate: Bandwidth's burst rule is the dequeue rate + 10. */
  readonly burstExtra: number;
  /** Per-second limits; 0 means unlimited. */
  readonly account: number;
  readonly numberTypes: { readonly local: number; readonly tollFree: number; readonly shortCode: number; readonly alphanumeric: number };
  /** An account's queue holds this many minutes of its rate before POST answers 429. */
  readonly queueMinutes: number;
}

export interface DeliveryConfig {
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly receiptTimeoutMs: number;
  readonly rateLimits: RateLimitsConfig;
}

export interface CallbacksConfig {
  readonly timeoutMs: number;
  readonly retryWindowMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly authMode: 'preemptive' | 'challenge';
  readonly concurrency: number;
  /** Per endpoint (callback URL), over all worker processes; see README, "How callbacks are scheduled". */
  readonly perEndpointConcurrency: number;
  readonly circuitFailureThreshold: number;
  readonly probeInitialMs: number;
  readonly probeMaxMs: number;
}

/** Options given on the command line; each overrides the environment and the file. */
export interface ConfigFlags {
  config?: string | undefined;
  host?: string | undefined;
  port?: string | undefined;
  databaseUrl?: string | undefined;
  publicUrl?: string | undefined;
  logLevel?: string | undefined;
  logFormat?: string | undefined;
  role?: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The database URL without its password and options, fit for logs and messages. A password may hold
 * '@', '/', '?' or '#' unencoded, which URL parsers read as the end of the user info or of the
 * authority; everything up to the last '@' is therefore taken as user info, and the password masked
 * before the options are cut. An '@' in the options then hides the host too: a less useful line, but
 * never a piece of the password.
 */
export function describeDatabaseUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  let masked = url;
  if (scheme) {
    const rest = url.slice(scheme.length);
    const at = rest.lastIndexOf('@');
    const colon = rest.indexOf(':');
    if (at >= 0 && colon >= 0 && colon < at) masked = `${scheme}${rest.slice(0, colon)}:***${rest.slice(at)}`;
  }
  return masked.split(/[?#]/, 1)[0] ?? masked;
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/pigeon.db';
export const DEFAULT_MEDIA_QUOTA_BYTES = 1_000_000_000;
/** The port a worker-only process serves its probes and metrics on: the one commonly used by Prometheus exporters. */
export const DEFAULT_WORKER_PORT = 9464;

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
  try {
    parseSimulatorConfig(result.data.simulator ?? {});
  } catch (err) {
    if (err instanceof SimulatorRuleError) {
      throw new ConfigError(`${path}: ${err.issues.map((i) => `simulator.${i.path}: ${i.message}`).join('; ')}`);
    }
    throw err;
  }
  const phoneProblems = (result.data.phones ?? []).flatMap((rule, i) => phoneRuleProblems(rule).map((p) => `phones.${i}.${p}`));
  if (phoneProblems.length > 0) throw new ConfigError(`${path}: ${phoneProblems.join('; ')}`);
  try {
    resolveOptOutConfig(result.data.optOut, result.data.accounts);
  } catch (err) {
    if (err instanceof OptOutConfigError) throw new ConfigError(`${path}: ${err.message}`);
    throw err;
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
  if (!DATABASE_URL_PATTERN.test(value)) throw new ConfigError(`${source}: '${value}' ${DATABASE_URL_HINT}`);
  return value;
}

/**
 * PIGEON_TRUST_PROXY: true, false, 1, 0, or a comma-separated list of addresses, CIDRs and range names.
 */
function parseTrustProxy(value: string): boolean | string[] {
  if (/^(true|false|1|0)$/.test(value)) return parseBoolean(value, 'PIGEON_TRUST_PROXY');
  const list = value.split(',').map((v) => v.trim());
  const bad = list.find((v) => !isTrustedProxy(v));
  if (bad !== undefined) {
    throw new ConfigError(
      `PIGEON_TRUST_PROXY: '${bad}' must be true, false, 1 or 0, or a list of IP addresses, CIDRs and ${PROXY_RANGE_NAMES.join(', ')}`,
    );
  }
  return list;
}

/**
 * `true` trusts a proxy on this host only (loopback), not Fastify's "any address": with that, any
 * client reaching Pigeon directly could name its own address in X-Forwarded-For and slip past the
 * per-client limits.
 */
function trustedProxies(value: boolean | readonly string[]): false | readonly string[] {
  if (value === false) return false;
  return value === true ? ['loopback'] : value;
}

// An unrecognised value used to mean false, which silently ignored X-Forwarded-For behind a proxy.
function parseBoolean(value: string, source: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(`${source}: '${value}' must be true, false, 1 or 0`);
}

/** A secret from the environment, held to the file's minimum length; empty means unset, as for the other variables. */
function envSecret(env: NodeJS.ProcessEnv, name: string, min: number): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  if (value.length < min) throw new ConfigError(`${name}: ${secretTooShort(min)}`);
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
  const logFormat = pick<string>([flags.logFormat, '--log-format'], [env.PIGEON_LOG_FORMAT, 'PIGEON_LOG_FORMAT']);
  if (logFormat && logFormat[0] !== 'pretty' && logFormat[0] !== 'json') {
    throw new ConfigError(`${logFormat[1]}: '${logFormat[0]}' is not one of pretty, json`);
  }
  const databaseUrl = pick<string>([flags.databaseUrl, '--database-url'], [env.DATABASE_URL, 'DATABASE_URL']);
  const publicUrl = flags.publicUrl ?? (env.PIGEON_PUBLIC_URL || file.server?.publicUrl);
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+(\/.*)?$/.test(publicUrl)) {
    throw new ConfigError(`public URL '${publicUrl}' must be an http(s) URL`);
  }

  const role = pick<string>([flags.role, '--role'], [env.PIGEON_ROLE, 'PIGEON_ROLE']);
  if (role && !['all', 'api', 'worker'].includes(role[0])) {
    throw new ConfigError(`${role[1]}: '${role[0]}' is not one of all, api, worker`);
  }
  const workerThread = env.PIGEON_WORKER_THREAD
    ? parseBoolean(env.PIGEON_WORKER_THREAD, 'PIGEON_WORKER_THREAD')
    : (file.server?.workerThread ?? availableParallelism() > 1);
  const config: Config = {
    role: (role?.[0] ?? 'all') as Role,
    workerThread,
    host: flags.host ?? (env.HOST || file.server?.host || '127.0.0.1'),
    port: port ? parsePort(...port) : (file.server?.port ?? 8080),
    workerListen: {
      host: env.PIGEON_WORKER_HOST || file.server?.workerHost || flags.host || env.HOST || file.server?.host || '127.0.0.1',
      port: env.PIGEON_WORKER_PORT ? parsePort(env.PIGEON_WORKER_PORT, 'PIGEON_WORKER_PORT') : (file.server?.workerPort ?? DEFAULT_WORKER_PORT),
    },
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    trustProxy: trustedProxies(env.PIGEON_TRUST_PROXY ? parseTrustProxy(env.PIGEON_TRUST_PROXY) : (file.server?.trustProxy ?? false)),
    bodyLimitBytes: file.server?.bodyLimitBytes ?? 1024 * 1024,
    timeouts: {
      headersMs: (file.server?.headersTimeoutSeconds ?? 15) * 1000,
      requestMs: (file.server?.requestTimeoutSeconds ?? 120) * 1000,
    },
    databaseUrl: databaseUrl ? checkDatabaseUrl(...databaseUrl) : (file.database?.url ?? DEFAULT_DATABASE_URL),
    logLevel: logLevel ? parseLogLevel(...logLevel) : (file.log?.level ?? 'info'),
    logFormat: (logFormat?.[0] as 'pretty' | 'json' | undefined) ?? file.log?.format,
    media: {
      // 3.75 MB: the Messaging v2 media upload limit (reference j.1), in decimal megabytes.
      maxBytes: file.media?.maxBytes ?? 3_750_000,
      retentionHours: file.media?.retentionHours ?? 48,
      // 1 GB: a few hundred files of the largest size, so that no account's uploads can fill the disk.
      accountQuotaBytes: (file.media?.accountQuotaBytes ?? DEFAULT_MEDIA_QUOTA_BYTES) || undefined,
    },
    limits: {
      listRequestsPerWindow: file.limits?.listRequestsPerWindow ?? 3500,
      listWindowSeconds: file.limits?.listWindowSeconds ?? 300,
      listDefaultWindowDays: file.limits?.listDefaultWindowDays ?? 14,
      failedSignIns: {
        perCredentialAndClient: file.limits?.failedSignInsPerCredentialAndClient ?? DEFAULT_FAILED_ATTEMPT_LIMITS.perCredentialAndClient,
        perClient: file.limits?.failedSignInsPerClient ?? DEFAULT_FAILED_ATTEMPT_LIMITS.perClient,
        perCredential: file.limits?.failedSignInsPerCredential ?? DEFAULT_FAILED_ATTEMPT_LIMITS.perCredential,
        windowMs: seconds(file.limits?.signInWindowSeconds, DEFAULT_FAILED_ATTEMPT_LIMITS.windowMs / 1000),
      },
      callbackResendsPerMinute: file.limits?.callbackResendsPerMinute ?? 30,
    },
    console: {
      lifetimeMs: seconds(file.console?.sessionLifetimeHours === undefined ? undefined : file.console.sessionLifetimeHours * 3600, DEFAULT_SESSION_LIMITS.lifetimeMs / 1000),
      perUser: file.console?.sessionsPerUser ?? DEFAULT_SESSION_LIMITS.perUser,
      streamsPerSession: file.console?.streamsPerSession ?? DEFAULT_SESSION_LIMITS.streamsPerSession,
    },
    adminToken: envSecret(env, 'PIGEON_ADMIN_TOKEN', SECRET_MIN_LENGTH.adminToken) ?? file.admin?.token,
    metricsToken: envSecret(env, 'PIGEON_METRICS_TOKEN', SECRET_MIN_LENGTH.metricsToken) ?? file.metrics?.token,
    oauth2: {
      signingKey: envSecret(env, 'PIGEON_OAUTH2_SIGNING_KEY', SECRET_MIN_LENGTH.oauth2SigningKey) ?? file.oauth2?.signingKey,
      tokenTtlMs: (file.oauth2?.tokenTtlSeconds ?? 3600) * 1000,
    },
    delivery: deliveryConfig(file),
    callbacks: callbacksConfig(file),
    simulator: file.simulator,
    phones: file.phones ?? [],
    numbers: { inventory: { ...DEFAULT_INVENTORY, ...file.numbers?.inventory } },
    carriers: file.carriers ?? [],
    routes: file.routes ?? [],
    accounts: configPath ? file.accounts : demoAccounts(),
    tenants: { prune: file.tenants?.prune ?? false },
    optOut: resolveOptOutConfig(file.optOut, configPath ? file.accounts : []),
    smppServer: smppServerConfig(file, env),
    demo: !configPath,
    configPath,
  };
  return deepFreeze(config);
}

const seconds = (value: number | undefined, fallback: number) => Math.round((value ?? fallback) * 1000);

function deliveryConfig(file: ConfigFile): DeliveryConfig {
  const d = file.delivery;
  const r = d?.rateLimits;
  return {
    concurrency: d?.concurrency ?? 64,
    leaseMs: seconds(d?.leaseSeconds, 30),
    maxAttempts: d?.maxAttempts ?? 10,
    retryInitialMs: seconds(d?.retryInitialSeconds, 1),
    retryMaxMs: seconds(d?.retryMaxSeconds, 300),
    // Bandwidth reports 9902 delivery-receipt-expired when no receipt came within two hours.
    receiptTimeoutMs: seconds(d?.receiptTimeoutSeconds, 7200),
    rateLimits: {
      unit: r?.unit ?? 'segments',
      burstExtra: r?.burstExtra ?? 10,
      account: r?.account ?? 0,
      numberTypes: {
        local: r?.numberTypes?.local ?? 0,
        tollFree: r?.numberTypes?.tollFree ?? 0,
        shortCode: r?.numberTypes?.shortCode ?? 0,
        alphanumeric: r?.numberTypes?.alphanumeric ?? 0,
      },
      queueMinutes: r?.queueMinutes ?? 15,
    },
  };
}

function smppServerConfig(file: ConfigFile, env: NodeJS.ProcessEnv): SmppServerConfig | undefined {
  const s = file.smppServer;
  const port = env.PIGEON_SMPP_PORT ? parsePort(env.PIGEON_SMPP_PORT, 'PIGEON_SMPP_PORT') : s?.port;
  if (s === undefined && port === undefined) return undefined;
  return {
    host: s?.host ?? '127.0.0.1',
    // 2775: the conventional SMPP port (smpp-3.4-notes §1).
    port: port ?? 2775,
    tls: s?.tlsCertFile && s.tlsKeyFile ? { certFile: s.tlsCertFile, keyFile: s.tlsKeyFile } : undefined,
    idleMs: seconds(s?.idleSeconds, 300),
    bindTimeoutMs: seconds(s?.bindTimeoutSeconds, 30),
    maxConnectionsPerAddress: s?.maxConnectionsPerAddress ?? 16,
    reassemblyMs: seconds(s?.reassemblySeconds, 600),
    window: s?.window ?? 100,
    responseTimeoutMs: seconds(s?.responseTimeoutSeconds, 30),
  };
}

function callbacksConfig(file: ConfigFile): CallbacksConfig {
  const c = file.callbacks;
  return {
    timeoutMs: seconds(c?.timeoutSeconds, 10),
    retryWindowMs: seconds(c?.retryWindowHours === undefined ? undefined : c.retryWindowHours * 3600, 24 * 3600),
    retryInitialMs: seconds(c?.retryInitialSeconds, 10),
    retryMaxMs: seconds(c?.retryMaxSeconds, 3600),
    authMode: c?.authMode ?? 'preemptive',
    concurrency: c?.concurrency ?? 64,
    // Half the slots: one endpoint keeps the 32 it could use when 32 were all a process had, and
    // one that hangs holds at most those until its circuit opens; the other half serves the rest.
    perEndpointConcurrency: c?.perEndpointConcurrency ?? 32,
    circuitFailureThreshold: c?.circuitFailureThreshold ?? 5,
    probeInitialMs: seconds(c?.probeInitialSeconds, 5),
    probeMaxMs: seconds(c?.probeMaxSeconds, 60),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
