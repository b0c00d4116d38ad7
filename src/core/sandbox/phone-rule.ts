// One rule of a scripted phone: which outbound messages it answers (the phone, the sending
// number, the text, the conversation's step) and what the phone answers. Validated here so the
// admin API and the config file refuse the same things.
import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { isE164 } from '../phone/phone-number.js';
import { compilePattern, PatternError } from './safe-pattern.js';

export const MAX_ANSWER_DELAY_MS = 3_600_000;

const e164 = z.string().refine(isE164, { message: 'must be an E.164 number' });
/** An E.164 number, a prefix of one ending in * ("+1919*"), or * for any phone. */
const phonePattern = z
  .string()
  .max(32)
  .refine((v) => v === '*' || isE164(v) || /^\+\d{1,14}\*$/.test(v), { message: "must be an E.164 number, a prefix ending in * ('+1919*'), or *" });

const textMatch = z.union([
  z.strictObject({ exact: z.string().min(1).max(2048) }),
  z.strictObject({ contains: z.string().min(1).max(2048) }),
  z.strictObject({ regex: z.string().min(1) }),
  z.strictObject({ keywords: z.array(z.string().min(1).max(64)).min(1).max(50) }),
]);

export const phoneRuleSchema = z
  .strictObject({
    name: z.string().max(128).optional(),
    priority: z.number().int().min(0).max(1_000_000).default(100),
    phone: phonePattern.default('*'),
    from: e164.optional().describe('The application number that sent the message; any when absent'),
    text: textMatch.optional(),
    step: z.number().int().min(0).max(10_000).optional(),
    nextStep: z.number().int().min(0).max(10_000).optional(),
    maxMatches: z.number().int().min(1).max(1_000_000).optional(),
    answer: z.strictObject({
      text: z.string().min(1).max(2048).optional(),
      media: z.array(z.url({ protocol: /^https?$/ })).min(1).max(10).optional(),
      delayMs: z.number().int().min(0).max(MAX_ANSWER_DELAY_MS).default(0),
      to: z.enum(['sender', 'group']).default('sender'),
    }),
  })
  .superRefine((rule, ctx) => {
    if (rule.answer.text === undefined && rule.answer.media === undefined) {
      ctx.addIssue({ code: 'custom', path: ['answer'], message: 'an answer needs text, media or both' });
    }
    if (rule.text && 'regex' in rule.text) {
      try {
        compilePattern(rule.text.regex);
      } catch (err) {
        if (!(err instanceof PatternError)) throw err;
        ctx.addIssue({ code: 'custom', path: ['text', 'regex'], message: err.message });
      }
    }
    if (rule.nextStep !== undefined && rule.step === undefined) {
      ctx.addIssue({ code: 'custom', path: ['nextStep'], message: "'nextStep' needs 'step'" });
    }
  });

export type PhoneRule = z.output<typeof phoneRuleSchema>;

/** The rule, or the problems with it named by field. */
export function parsePhoneRule(input: unknown): { rule: PhoneRule } | { problems: FieldError[] } {
  const parsed = phoneRuleSchema.safeParse(input);
  if (parsed.success) return { rule: parsed.data };
  return { problems: parsed.error.issues.map((i) => ({ fieldName: i.path.map(String).join('.') || 'body', description: i.message })) };
}

/** The outbound message a phone is offered, as the simulated carrier took it. */
export interface HandsetMessage {
  phone: string;
  from: string;
  text: string | undefined;
}

function phoneMatches(pattern: string, phone: string): boolean {
  if (pattern === '*') return true;
  return pattern.endsWith('*') ? phone.startsWith(pattern.slice(0, -1)) : phone === pattern;
}

function textMatches(match: PhoneRule['text'], text: string): boolean {
  if (!match) return true;
  if ('exact' in match) return text === match.exact;
  if ('contains' in match) return text.toLowerCase().includes(match.contains.toLowerCase());
  // A pattern that runs too long does not match (and cannot hold the server: safe-pattern.ts).
  if ('regex' in match) {
    try {
      return compilePattern(match.regex).test(text);
    } catch (err) {
      if (err instanceof PatternError) return false;
      throw err;
    }
  }
  // Keywords as the opt-out ones are: the whole text, trimmed, ignoring case.
  const word = text.trim().toLowerCase();
  return match.keywords.some((k) => k.trim().toLowerCase() === word);
}

/** Whether the rule answers this message, with the phone's conversation at `step`. */
export function ruleMatches(rule: PhoneRule, message: HandsetMessage, step: number): boolean {
  if (rule.step !== undefined && rule.step !== step) return false;
  if (rule.from !== undefined && rule.from !== message.from) return false;
  return phoneMatches(rule.phone, message.phone) && textMatches(rule.text, message.text ?? '');
}
