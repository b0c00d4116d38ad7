// The simulator's rules: what the simulated carrier does with one recipient of a message, decided by
// the first rule that matches it. Rules come from the `simulator` section of the config file and can be
// replaced at runtime (admin API, CLI); this module owns their format so both paths validate alike.
import { z } from 'zod';

/** What the simulated carrier does with a submit. */
export type SimulatorOutcome =
  /** Accepted; a "delivered" receipt after `delayMs` (default: the default latency). */
  | { outcome: 'deliver'; delayMs?: number }
  /** Accepted; a "failed" receipt with `errorCode` after `delayMs`. */
  | { outcome: 'fail'; errorCode: number; delayMs?: number }
  /** Accepted, but no receipt ever comes (Pigeon's receipt timeout then decides). */
  | { outcome: 'no-receipt' }
  /** The first `failures` attempts are refused as transient (retryable), then it behaves like `deliver`. */
  | { outcome: 'transient'; failures: number | 'always'; errorCode?: number; delayMs?: number }
  /** Refused at submit, permanently. */
  | { outcome: 'reject'; errorCode: number };

export type SimulatorRule = SimulatorOutcome & {
  id: string;
  description?: string;
  /** Destination: an exact number, or a prefix ending in `*` (`+1555*`; `*` alone matches every number). */
  to: string;
  /** Sender, same syntax as `to`; any sender when absent. */
  from?: string;
  /** A JavaScript regular expression source, searched for in the text (an absent text counts as ''). */
  text?: string;
};

export interface SimulatorDefaults {
  /** Delay of the receipt when neither a rule nor a test number sets one. */
  latencyMs: number;
  /** Share of otherwise unmatched messages that fail, 0..1, drawn from a PRNG seeded with `seed`. */
  failureProbability: number;
  failureErrorCode: number;
  seed: number;
}

/** Invalid simulator rules or defaults; `issues` name each bad field as `rules[2].errorCode`. */
export class SimulatorRuleError extends Error {
  constructor(readonly issues: ReadonlyArray<{ path: string; message: string }>) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.name = 'SimulatorRuleError';
  }
}

export const OUTCOMES = ['deliver', 'fail', 'no-receipt', 'transient', 'reject'] as const;

// Receipts older than this are useless to anyone: Bandwidth itself reports 9902 after two hours.
const MAX_DELAY_MS = 7 * 24 * 3_600_000;
const MAX_FAILURES = 1_000_000;

const ERROR_CODE_MESSAGE = 'must be a Bandwidth error code, an integer from 4000 to 9999';
const errorCodeSchema = z
  .int({ error: ERROR_CODE_MESSAGE })
  .min(4000, { error: ERROR_CODE_MESSAGE })
  .max(9999, { error: ERROR_CODE_MESSAGE });

const DELAY_MESSAGE = `must be an integer number of milliseconds from 0 to ${MAX_DELAY_MS}`;
const delaySchema = z.int({ error: DELAY_MESSAGE }).min(0, { error: DELAY_MESSAGE }).max(MAX_DELAY_MS, { error: DELAY_MESSAGE });

const E164_OR_PREFIX = /^(?:\+[1-9]\d{1,14}|(?:\+\d{0,15})?\*)$/;
// Senders are not only E.164: short codes and alphanumeric sender ids are valid `from` values.
const SENDER_OR_PREFIX = /^(?:[^*]{1,32}|[^*]{0,32}\*)$/;

const baseShape = {
  id: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(64, { error: 'must be at most 64 characters' })
    .optional(),
  description: z.string({ error: 'must be a string' }).max(1000, { error: 'must be at most 1000 characters' }).optional(),
  to: z
    .string({ error: 'is required: an E.164 number (+15551234567) or a prefix ending in * (+1555*, *)' })
    .regex(E164_OR_PREFIX, { error: 'must be an E.164 number (+15551234567) or a prefix ending in * (+1555*, *)' }),
  from: z
    .string({ error: 'must be a string' })
    .regex(SENDER_OR_PREFIX, { error: 'must be a sender (number, short code or sender id) or a prefix ending in *' })
    .optional(),
  text: z
    .string({ error: 'must be a regular expression source string' })
    .max(1000, { error: 'must be at most 1000 characters' })
    .superRefine((source, ctx) => {
      try {
        new RegExp(source);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${(err as Error).message}` });
      }
    })
    .optional(),
};

const ruleInputSchema = z.discriminatedUnion(
  'outcome',
  [
    z.strictObject({ ...baseShape, outcome: z.literal('deliver'), delayMs: delaySchema.optional() }),
    z.strictObject({ ...baseShape, outcome: z.literal('fail'), errorCode: errorCodeSchema, delayMs: delaySchema.optional() }),
    z.strictObject({ ...baseShape, outcome: z.literal('no-receipt') }),
    z.strictObject({
      ...baseShape,
      outcome: z.literal('transient'),
      failures: z.union([z.int().min(0).max(MAX_FAILURES), z.literal('always')], {
        error: `must be an integer from 0 to ${MAX_FAILURES}, or 'always'`,
      }),
      errorCode: errorCodeSchema.optional(),
      delayMs: delaySchema.optional(),
    }),
    z.strictObject({ ...baseShape, outcome: z.literal('reject'), errorCode: errorCodeSchema }),
  ],
  {
    error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${OUTCOMES.join(', ')}` : undefined),
  },
);

type RuleInput = z.output<typeof ruleInputSchema>;

// Ids left out are derived from the position rather than drawn at random, so every process that reads
// the same config file gives the same rule the same id, and `removeRule(id)` means the same thing everywhere.
function assignIds(rules: RuleInput[]): SimulatorRule[] {
  const taken = new Set(rules.flatMap((r) => (r.id === undefined ? [] : [r.id])));
  return rules.map((rule, i) => {
    if (rule.id !== undefined) return rule as SimulatorRule;
    let n = i + 1;
    while (taken.has(`rule-${n}`)) n++;
    const id = `rule-${n}`;
    taken.add(id);
    return { ...rule, id } as SimulatorRule;
  });
}

export const rulesSchema = z
  .array(ruleInputSchema, { error: 'must be a list of rules' })
  .superRefine((rules, ctx) => {
    const seen = new Map<string, number>();
    rules.forEach((rule, i) => {
      if (rule.id === undefined) return;
      const first = seen.get(rule.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicates the id of rules[${first}]` });
      } else seen.set(rule.id, i);
    });
  })
  .transform(assignIds);

const probabilitySchema = z
  .number({ error: 'must be a number from 0 to 1' })
  .min(0, { error: 'must be a number from 0 to 1' })
  .max(1, { error: 'must be a number from 0 to 1' });
const SEED_MESSAGE = 'must be an integer from 0 to 4294967295';
const seedSchema = z.int({ error: SEED_MESSAGE }).min(0, { error: SEED_MESSAGE }).max(0xffff_ffff, { error: SEED_MESSAGE });

/** A change to some of the defaults (no defaults filled in, so absent keys stay as they were). */
export const defaultsPatchSchema = z.strictObject({
  latencyMs: delaySchema.optional(),
  failureProbability: probabilitySchema.optional(),
  failureErrorCode: errorCodeSchema.optional(),
  seed: seedSchema.optional(),
});

export const DEFAULT_SIMULATOR_DEFAULTS: Readonly<SimulatorDefaults> = Object.freeze({
  latencyMs: 0,
  failureProbability: 0,
  failureErrorCode: 4720,
  seed: 1,
});

// With several processes on one PostgreSQL database, how long a due receipt that one process took is
// left to it before another may deliver it (the first died between taking and recording it).
const RECEIPT_LEASE_MESSAGE = 'must be a number of seconds from 1 to 3600';

/** The `simulator` section of the config file. */
export const simulatorConfigSchema = z.strictObject({
  latencyMs: delaySchema.default(DEFAULT_SIMULATOR_DEFAULTS.latencyMs),
  failureProbability: probabilitySchema.default(DEFAULT_SIMULATOR_DEFAULTS.failureProbability),
  failureErrorCode: errorCodeSchema.default(DEFAULT_SIMULATOR_DEFAULTS.failureErrorCode),
  seed: seedSchema.default(DEFAULT_SIMULATOR_DEFAULTS.seed),
  rules: rulesSchema.default([]),
  receiptLeaseSeconds: z
    .number({ error: RECEIPT_LEASE_MESSAGE })
    .min(1, { error: RECEIPT_LEASE_MESSAGE })
    .max(3600, { error: RECEIPT_LEASE_MESSAGE })
    .default(30),
});

export type SimulatorConfig = z.output<typeof simulatorConfigSchema>;

function toRuleError(error: z.ZodError, prefix: string, indexed: boolean): SimulatorRuleError {
  return new SimulatorRuleError(
    error.issues.map((issue) => {
      const [head, ...rest] = issue.path;
      let path = prefix;
      if (indexed && typeof head === 'number') path += `[${head}]`;
      else if (head !== undefined) rest.unshift(head);
      for (const key of rest) path += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
      return { path, message: issue.message };
    }),
  );
}

/** Validates a list of rules and fills in missing ids; throws SimulatorRuleError naming `rules[i].field`. */
export function parseRules(input: unknown): SimulatorRule[] {
  const result = rulesSchema.safeParse(input);
  if (!result.success) throw toRuleError(result.error, 'rules', true);
  return result.data;
}

/** Validates a partial change of the defaults; throws SimulatorRuleError naming `defaults.field`. */
export function parseDefaultsPatch(input: unknown): Partial<SimulatorDefaults> {
  const result = defaultsPatchSchema.safeParse(input);
  if (!result.success) throw toRuleError(result.error, 'defaults', false);
  return result.data;
}

/** Validates the config file's `simulator` section (absent = all defaults, no rules). */
export function parseSimulatorConfig(input: unknown): SimulatorConfig {
  const result = simulatorConfigSchema.safeParse(input ?? {});
  if (!result.success) throw toRuleError(result.error, 'simulator', false);
  return result.data;
}

// ---- Evaluation -------------------------------------------------------------------------------

export interface RuleSubject {
  destination: string;
  from: string;
  text: string | undefined;
}

export interface CompiledRule {
  rule: SimulatorRule;
  matches(subject: RuleSubject): boolean;
}

function addressMatcher(pattern: string): (value: string) => boolean {
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (value) => value.startsWith(prefix);
  }
  return (value) => value === pattern;
}

/** Compiles matchers once per rule set, because rules are evaluated on every submit. */
export function compileRules(rules: readonly SimulatorRule[]): CompiledRule[] {
  return rules.map((rule) => {
    const to = addressMatcher(rule.to);
    const from = rule.from === undefined ? undefined : addressMatcher(rule.from);
    const text = rule.text === undefined ? undefined : new RegExp(rule.text);
    return {
      rule,
      matches: (s) => to(s.destination) && (from === undefined || from(s.from)) && (text === undefined || text.test(s.text ?? '')),
    };
  });
}

/** The first rule that matches, or undefined. */
export function firstMatch(rules: readonly CompiledRule[], subject: RuleSubject): SimulatorRule | undefined {
  for (const compiled of rules) if (compiled.matches(subject)) return compiled.rule;
  return undefined;
}
