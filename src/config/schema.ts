// The shape of pigeon.yaml. Unknown keys are rejected so that a typo fails at boot instead of being ignored.
import { AREA_CODES } from '../core/numbers/area-codes.js';
import { isIP } from 'node:net';
import { z } from 'zod';
import { isE164 } from '../core/phone/phone-number.js';
import { isPasswordHash } from '../core/accounts/passwords.js';
import { carrierSchema, checkCarriersAndRoutes, routeSchema } from '../carriers/carrier-config.js';
import { optOutSchema } from './opt-out-config.js';

/** proxy-addr's names for address ranges, which Fastify's trustProxy accepts beside addresses and CIDRs. */
export const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const;

export function isTrustedProxy(value: string): boolean {
  if ((PROXY_RANGE_NAMES as readonly string[]).includes(value)) return true;
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const trustedProxy = z.string().refine(isTrustedProxy, {
  message: `must be an IP address, a CIDR such as 10.0.0.0/8, or one of ${PROXY_RANGE_NAMES.join(', ')}`,
});

const e164 = z.string().refine(isE164, { message: 'must be an E.164 number such as +19195551212' });

const httpUrl = z
  .string()
  .refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), { message: 'must be an http(s) URL' });

/** The engines `store/open-store.ts` can open; checked here so that a bad URL fails at load, naming its key. */
export const DATABASE_URL_PATTERN = /^(sqlite:.+|postgres(ql)?:\/\/.+)$/;
export const DATABASE_URL_HINT = 'must look like sqlite:PATH or postgres://…';

/**
 * The shortest secrets accepted, from the file or the environment alike: a short OAuth2 signing key
 * lets anyone holding one token brute-force the HMAC and forge tokens for any account.
 */
export const SECRET_MIN_LENGTH = { adminToken: 16, metricsToken: 16, oauth2SigningKey: 32 } as const;
export const secretTooShort = (min: number) => `must be at least ${min} characters`;
const secret = (min: number) => z.string().min(min, { message: secretTooShort(min) });

const userSchema = z
  .strictObject({
    username: z.string().min(1).max(256).refine((v) => !v.includes(':'), { message: "must not contain ':'" }),
    password: z.string().min(1).max(1024).optional(),
    passwordHash: z
      .string()
      .refine(isPasswordHash, { message: 'is not a hash produced by `pigeon hash-password`' })
      .optional(),
    roles: z.array(z.enum(['messaging'])).optional(),
  })
  .superRefine((user, ctx) => {
    if ((user.password === undefined) === (user.passwordHash === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of password and passwordHash is required' });
    }
  });

const applicationSchema = z
  .strictObject({
    id: z.string().min(1).max(128),
    name: z.string().min(1).max(256),
    callbackUrl: httpUrl.optional(),
    callbackUsername: z.string().min(1).optional(),
    callbackPassword: z.string().min(1).optional(),
    numbers: z.array(e164).default([]),
    /** Over the top-level optOut settings for this application (config/opt-out-config.ts). */
    optOut: optOutSchema.optional(),
    /** Replace look-alikes of GSM-7 characters in outbound SMS text (core/encoding/smart-encoding.ts). */
    smartEncoding: z.boolean().optional(),
  })
  .superRefine((app, ctx) => {
    if ((app.callbackUsername === undefined) !== (app.callbackPassword === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'callbackUsername and callbackPassword go together' });
    }
  });

// SMPP 3.4 §5.2.1: system_id is a C-Octet String of at most 16 octets with its NUL, password 9.
const smppUserSchema = z
  .strictObject({
    systemId: z.string().min(1).max(15).regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' }),
    password: z.string().min(1).max(8).optional(),
    passwordHash: z
      .string()
      .refine(isPasswordHash, { message: 'is not a hash produced by `pigeon hash-password`' })
      .optional(),
    applicationId: z.string().min(1).max(128),
    /** Binds this user may hold at once (all modes together). */
    maxBinds: z.number().int().min(1).max(100).optional(),
  })
  .superRefine((user, ctx) => {
    if ((user.password === undefined) === (user.passwordHash === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of password and passwordHash is required' });
    }
  });

const smppServerSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  /** PEM files; both or neither. With them the listener speaks TLS only. */
  tlsCertFile: z.string().min(1).optional(),
  tlsKeyFile: z.string().min(1).optional(),
  /** A bind with no PDU from its ESME for this long is unbound and closed. */
  idleSeconds: z.number().min(1).max(86_400).optional(),
  /** A connection that has not bound this long after it opened is closed. */
  bindTimeoutSeconds: z.number().min(1).max(3600).optional(),
  /** Connections (bound or not) one client address may hold at once; more are closed as they open. */
  maxConnectionsPerAddress: z.number().int().min(1).max(10_000).optional(),
  /** Parts of a long submit whose message is not complete this long after its first part are dropped. */
  reassemblySeconds: z.number().min(1).max(86_400).optional(),
  /** Requests one bind may have unanswered, each way. */
  window: z.number().int().min(1).max(10_000).optional(),
  /** Seconds the ESME has to answer a deliver_sm before it is offered again. */
  responseTimeoutSeconds: z.number().min(1).max(600).optional(),
});

const accountSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'must contain only letters, digits, _ and -' }),
  users: z.array(userSchema).min(1),
  applications: z.array(applicationSchema).default([]),
  /** Credentials of applications that bind to Pigeon over SMPP (src/smpp-server). */
  smppUsers: z.array(smppUserSchema).optional(),
  /** Overrides of the default throughput limits, per account and per sending number (per second). */
  throughput: z
    .strictObject({
      perSecond: z.number().min(0).optional(),
      numbers: z.record(e164, z.number().min(0)).optional(),
      maxQueueSize: z.number().int().min(0).optional(),
    })
    .optional(),
});

const perSecond = z.number().min(0);

const deliverySchema = z.strictObject({
  concurrency: z.number().int().min(1).max(10_000).optional(),
  leaseSeconds: z.number().min(1).optional(),
  maxAttempts: z.number().int().min(1).optional(),
  retryInitialSeconds: z.number().min(0).optional(),
  retryMaxSeconds: z.number().min(0).optional(),
  receiptTimeoutSeconds: z.number().min(1).optional(),
  rateLimits: z
    .strictObject({
      unit: z.enum(['messages', 'segments']).optional(),
      burstExtra: z.number().min(0).optional(),
      account: perSecond.optional(),
      numberTypes: z
        .strictObject({
          local: perSecond.optional(),
          tollFree: perSecond.optional(),
          shortCode: perSecond.optional(),
          alphanumeric: perSecond.optional(),
        })
        .optional(),
      queueMinutes: z.number().min(0).optional(),
    })
    .optional(),
});

const callbacksSchema = z.strictObject({
  timeoutSeconds: z.number().min(0.1).max(300).optional(),
  retryWindowHours: z.number().min(0).optional(),
  retryInitialSeconds: z.number().min(0).optional(),
  retryMaxSeconds: z.number().min(0).optional(),
  authMode: z.enum(['preemptive', 'challenge']).optional(),
  concurrency: z.number().int().min(1).max(1000).optional(),
  /** Callbacks one endpoint (callback URL) may have in flight, over all worker processes. */
  perEndpointConcurrency: z.number().int().min(1).max(1000).optional(),
  /** Consecutive timeouts or errors after which an endpoint gets only probes. */
  circuitFailureThreshold: z.number().int().min(1).max(1000).optional(),
  probeInitialSeconds: z.number().min(0).optional(),
  probeMaxSeconds: z.number().min(0).optional(),
});

export const configFileSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().min(1).optional(),
        port: z.number().int().min(0).max(65535).optional(),
        publicUrl: httpUrl.optional(),
        /** Proxies whose X-Forwarded-* headers are believed: false, true (loopback: a proxy on this host), or addresses and CIDRs. */
        trustProxy: z.union([z.boolean(), z.array(trustedProxy).min(1)]).optional(),
        bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).optional(),
        headersTimeoutSeconds: z.number().min(1).max(600).optional(),
        requestTimeoutSeconds: z.number().min(1).max(3600).optional(),
        /** Where a worker-only process (--role worker) serves /healthz, /readyz and /metrics. */
        workerHost: z.string().min(1).optional(),
        workerPort: z.number().int().min(0).max(65535).optional(),
        /** Role all on SQLite: delivery and receipts in a worker thread (the default on a machine with more than one core). */
        workerThread: z.boolean().optional(),
      })
      .optional(),
    database: z
      .strictObject({ url: z.string().regex(DATABASE_URL_PATTERN, { message: DATABASE_URL_HINT }).optional() })
      .optional(),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
        format: z.enum(['pretty', 'json']).optional(),
      })
      .optional(),
    media: z
      .strictObject({
        maxBytes: z.number().int().min(1).max(64 * 1024 * 1024).optional(),
        retentionHours: z.number().min(0).optional(),
        /** What one account's stored files may add up to; 0: no limit. */
        accountQuotaBytes: z.number().int().min(0).optional(),
      })
      .optional(),
    limits: z
      .strictObject({
        listRequestsPerWindow: z.number().int().min(0).optional(),
        listWindowSeconds: z.number().int().min(1).optional(),
        listDefaultWindowDays: z.number().min(0).optional(),
        /** Failed sign-ins (every surface) within signInWindowSeconds: per credential and client, per client, per credential. */
        failedSignInsPerCredentialAndClient: z.number().int().min(1).optional(),
        failedSignInsPerClient: z.number().int().min(1).optional(),
        failedSignInsPerCredential: z.number().int().min(1).optional(),
        signInWindowSeconds: z.number().int().min(1).max(86_400).optional(),
        /** Callbacks the console may resend per account per minute (0: no limit). */
        callbackResendsPerMinute: z.number().int().min(0).optional(),
      })
      .optional(),
    admin: z.strictObject({ token: secret(SECRET_MIN_LENGTH.adminToken).optional() }).optional(),
    metrics: z.strictObject({ token: secret(SECRET_MIN_LENGTH.metricsToken).optional() }).optional(),
    oauth2: z
      .strictObject({
        signingKey: secret(SECRET_MIN_LENGTH.oauth2SigningKey).optional(),
        tokenTtlSeconds: z.number().int().min(60).max(86_400).optional(),
      })
      .optional(),
    /** The web console's sessions. */
    console: z
      .strictObject({
        /** A session ends this long after sign-in, however active. */
        sessionLifetimeHours: z.number().min(0.001).max(500).optional(),
        sessionsPerUser: z.number().int().min(1).max(1000).optional(),
        streamsPerSession: z.number().int().min(1).max(100).optional(),
      })
      .optional(),
    delivery: deliverySchema.optional(),
    callbacks: callbacksSchema.optional(),
    // Validated by the simulator itself (carriers/simulator), which owns its rule format.
    simulator: z.unknown().optional(),
    /** Scripted phones' rules, applied at start (core/sandbox/phone-admin.ts validates them). */
    phones: z.array(z.unknown()).max(10_000).optional(),
    // Owned by carriers/carrier-config.ts; absent: the built-in simulator is the only carrier.
    carriers: z.array(carrierSchema).optional(),
    routes: z.array(routeSchema).optional(),
    /** Opt-out, opt-in and help keywords (config/opt-out-config.ts). */
    optOut: optOutSchema.optional(),
    /** Pigeon as an SMSC for applications (ESMEs); off when absent. */
    smppServer: smppServerSchema.optional(),
    /** The Numbers API's simulated inventory of available numbers (core/numbers/inventory.ts). */
    numbers: z
      .strictObject({
        inventory: z
          .strictObject({
            areaCodes: z
              .array(z.string().refine((code) => code in AREA_CODES, { message: `must be one of the area codes Pigeon knows: ${Object.keys(AREA_CODES).join(', ')}` }))
              .min(1)
              .optional(),
            perAreaCode: z.number().int().min(1).max(10_000).optional(),
            tollFreePerPrefix: z.number().int().min(0).max(10_000).optional(),
            seed: z.number().int().min(0).max(2 ** 31).optional(),
          })
          .optional(),
      })
      .optional(),
    accounts: z.array(accountSchema).default([]),
    /** How `accounts` is applied to the directory in the database at start (README: Managing tenants). */
    tenants: z.strictObject({ prune: z.boolean().optional() }).optional(),
  })
  .superRefine((file, ctx) => {
    checkCarriersAndRoutes(file.carriers, file.routes, ctx);
    const accountIds = new Map<string, number>();
    const appIds = new Map<string, string>();
    const numbers = new Map<string, string>();
    const systemIds = new Set<string>();
    if ((file.smppServer?.tlsCertFile === undefined) !== (file.smppServer?.tlsKeyFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['smppServer'], message: 'tlsCertFile and tlsKeyFile go together' });
    }
    file.accounts.forEach((account, a) => {
      (account.smppUsers ?? []).forEach((user, u) => {
        // A bind names no account, so a system_id is unique across all of them.
        if (systemIds.has(user.systemId)) {
          ctx.addIssue({ code: 'custom', path: ['accounts', a, 'smppUsers', u, 'systemId'], message: `duplicate SMPP systemId '${user.systemId}'` });
        }
        systemIds.add(user.systemId);
        if (!account.applications.some((app) => app.id === user.applicationId)) {
          ctx.addIssue({
            code: 'custom',
            path: ['accounts', a, 'smppUsers', u, 'applicationId'],
            message: `application '${user.applicationId}' is not an application of account '${account.id}'`,
          });
        }
      });
      if (accountIds.has(account.id)) {
        ctx.addIssue({ code: 'custom', path: ['accounts', a, 'id'], message: `duplicate account id '${account.id}'` });
      }
      accountIds.set(account.id, a);
      const usernames = new Set<string>();
      account.users.forEach((user, u) => {
        if (usernames.has(user.username)) {
          ctx.addIssue({
            code: 'custom',
            path: ['accounts', a, 'users', u, 'username'],
            message: `duplicate username '${user.username}' in account '${account.id}'`,
          });
        }
        usernames.add(user.username);
      });
      account.applications.forEach((app, p) => {
        const where = `accounts[${a}].applications[${p}]`;
        const previous = appIds.get(app.id);
        if (previous) {
          ctx.addIssue({
            code: 'custom',
            path: ['accounts', a, 'applications', p, 'id'],
            message: `application id '${app.id}' is already used by ${previous}`,
          });
        }
        appIds.set(app.id, where);
        app.numbers.forEach((number, n) => {
          const owner = numbers.get(number);
          if (owner) {
            ctx.addIssue({
              code: 'custom',
              path: ['accounts', a, 'applications', p, 'numbers', n],
              message: `number ${number} is already assigned to ${owner}`,
            });
          }
          numbers.set(number, where);
        });
      });
    });
  });

export type ConfigFile = z.infer<typeof configFileSchema>;
export type AccountConfig = ConfigFile['accounts'][number];
export type SmppServerFileConfig = NonNullable<ConfigFile['smppServer']>;
