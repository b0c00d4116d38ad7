// The `carriers` and `routes` sections of the config file (issue 8). With no carriers, Pigeon sends
// through the built-in simulator as before. Every SMPP setting but the address and credentials has a
// default here, so five keys are enough to bind to an SMSC; README "Connecting to a carrier" lists them.
import { z } from 'zod';
import { bandwidthCarrierSchema } from './bandwidth/config.js';

const tonNpi = z.strictObject({ ton: z.int().min(0).max(6), npi: z.int().min(0).max(18) });
const seconds = (fallback: number, min = 0.05) => z.number().min(min).default(fallback);

// C-Octet String maxima include the NUL (smpp-3.4-notes §1).
export const smppCarrierSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, { message: 'must contain only letters, digits, _ . and -' }),
  type: z.literal('smpp'),
  host: z.string().min(1),
  port: z.int().min(1).max(65535).default(2775),
  systemId: z.string().min(1).max(15),
  password: z.string().max(8).default(''),
  systemType: z.string().max(12).default(''),
  /** true, or the options of tls.connect that matter here. */
  tls: z
    .union([z.boolean(), z.strictObject({ rejectUnauthorized: z.boolean().default(true), servername: z.string().optional(), caFile: z.string().optional() })])
    .default(false),
  bindMode: z.enum(['transceiver', 'transmitter-receiver']).default('transceiver'),
  /** Binds (or transmitter+receiver pairs) kept open; submits are spread over them. */
  binds: z.int().min(1).max(64).default(1),
  /** Submits without a response per bind. */
  window: z.int().min(1).max(1000).default(10),
  /** Carrier-wide submit_sm per second (every bind together); 0: no limit but the window. */
  submitsPerSecond: z.number().min(0).default(0),
  enquireLinkSeconds: seconds(30),
  responseTimeoutSeconds: seconds(10),
  reconnect: z.strictObject({ initialSeconds: seconds(1, 0.01), maxSeconds: seconds(60, 0.01) }).prefault({}),
  /** How long a submit may wait for a bind, a window slot or the end of throttling before the recipient goes back to the queue (no attempt spent). */
  submitWaitSeconds: seconds(10),
  addresses: z
    .strictObject({
      international: tonNpi.default({ ton: 1, npi: 1 }),
      shortCode: tonNpi.default({ ton: 3, npi: 0 }),
      alphanumeric: tonNpi.default({ ton: 5, npi: 0 }),
      countryCode: z.string().regex(/^[1-9]\d{0,2}$/, { message: 'must be a calling code such as "1" or "44"' }).optional(),
    })
    .prefault({}),
  /** What DCS 0 means on this SMSC. */
  defaultAlphabet: z.enum(['gsm7', 'latin1', 'ascii']).default('gsm7'),
  longMessages: z.enum(['udh', 'sar', 'payload']).default('udh'),
  receiptIdFormat: z.enum(['auto', 'hex', 'decimal']).default('auto'),
  /** Inbound parts still missing after this long are dropped with the ones that came. */
  reassemblySeconds: seconds(600, 1),
});

export const simulatorCarrierSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, { message: 'must contain only letters, digits, _ . and -' }),
  type: z.literal('simulator'),
});

export const carrierSchema = z.discriminatedUnion('type', [smppCarrierSchema, simulatorCarrierSchema, bandwidthCarrierSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? "must have type 'smpp', 'bandwidth' or 'simulator'" : undefined),
});

/** What a route can match a message by: an SMS to one recipient, an MMS to one, or any message to several. */
export const MESSAGE_KINDS = ['sms', 'mms', 'group'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const routeSchema = z.strictObject({
  carrier: z.string().min(1),
  /** Destination prefix, e.g. "+44"; any destination when absent. */
  to: z.string().min(1).optional(),
  /** An explicit allowlist of destinations (exact E.164 numbers), e.g. the team's phones on a staging server. */
  numbers: z.array(z.string().regex(/^\+[1-9]\d{1,14}$/, { message: 'must be an E.164 number such as +19195551212' })).min(1).optional(),
  /** The kinds of message it carries; every kind when absent. A group is any message to several recipients. */
  kind: z
    .union([z.enum(MESSAGE_KINDS), z.array(z.enum(MESSAGE_KINDS)).min(1)])
    .optional()
    .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v])),
  /** Sending-number prefix (an exact number is its own prefix); any sender when absent. */
  from: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  /** Carriers tried in order while the first is not bound. */
  fallback: z.array(z.string().min(1)).default([]),
});

export type { BandwidthCarrierConfig } from './bandwidth/config.js';
export type SmppCarrierConfig = z.output<typeof smppCarrierSchema>;
export type CarrierConfig = z.output<typeof carrierSchema>;
export type RouteConfig = z.output<typeof routeSchema>;

/** Cross-checks of the two sections; adds issues naming `carriers[i].name` or `routes[i].carrier`. */
export function checkCarriersAndRoutes(
  carriers: readonly CarrierConfig[] | undefined,
  routes: readonly RouteConfig[] | undefined,
  ctx: { addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string }): void },
): void {
  const names = new Map<string, number>();
  let simulators = 0;
  (carriers ?? []).forEach((carrier, i) => {
    const first = names.get(carrier.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['carriers', i, 'name'], message: `duplicates the name of carriers[${first}]` });
    else names.set(carrier.name, i);
    if (carrier.type === 'simulator' && ++simulators > 1) {
      ctx.addIssue({ code: 'custom', path: ['carriers', i, 'type'], message: 'only one carrier can be the simulator' });
    }
  });
  if (carriers !== undefined && carriers.length > 0 && (routes ?? []).length === 0) {
    ctx.addIssue({ code: 'custom', path: ['routes'], message: 'is required when carriers are configured: e.g. [{ carrier: ' + (carriers[0]?.name ?? 'name') + ' }]' });
  }
  (routes ?? []).forEach((route, i) => {
    if (!names.has(route.carrier)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'carrier'], message: `names no carrier in carriers: '${route.carrier}'` });
    route.fallback.forEach((name, f) => {
      if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'fallback', f], message: `names no carrier in carriers: '${name}'` });
    });
  });
}
