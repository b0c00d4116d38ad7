// Managing scripted phones' rules and conversations: what the admin API, the config file and
// `pigeon phones` share. Rule ids are given (the config file's, to apply the same rule again at each
// start) or made here, ordered by creation like message ids.
import { ApiError, errors } from '../errors.js';
import { isE164 } from '../phone/phone-number.js';
import { newMessageId } from '../messages/message-id.js';
import { parsePhoneRule, type PhoneRule } from './phone-rule.js';
import type { PhoneConversation, PhoneScriptStore, StoredPhoneRule } from './phone-script-port.js';

const RULE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export type PhoneRuleView = PhoneRule & { id: string; matches: number; createdAt: string };

export const ruleView = (s: StoredPhoneRule): PhoneRuleView => ({ id: s.id, ...s.rule, matches: s.matches, createdAt: new Date(s.createdAt).toISOString() });

export const conversationView = (c: PhoneConversation) => ({ ...c, updatedAt: new Date(c.updatedAt).toISOString() });

function parse(input: unknown): PhoneRule {
  const parsed = parsePhoneRule(input);
  if ('problems' in parsed) throw errors.validation(parsed.problems);
  return parsed.rule;
}

function splitId(body: unknown): { id: string | undefined; rest: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.validation([{ fieldName: 'body', description: 'must be a JSON object' }]);
  const { id, ...rest } = body as Record<string, unknown>;
  if (id !== undefined && (typeof id !== 'string' || !RULE_ID.test(id))) {
    throw errors.validation([{ fieldName: 'id', description: 'must be 1 to 64 letters, digits, dots, dashes or underscores' }]);
  }
  return { id: id as string | undefined, rest };
}

/** What is wrong with a rule of the config file ('field: reason' each); none when it is good. */
export function phoneRuleProblems(body: unknown): string[] {
  try {
    parse(splitId(body).rest);
    return [];
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return (err.fieldErrors ?? []).map((e) => `${e.fieldName}: ${e.description}`);
  }
}

export class PhoneAdmin {
  constructor(private readonly deps: { store: PhoneScriptStore; now: () => number }) {}

  async list(): Promise<PhoneRuleView[]> {
    return (await this.deps.store.listRules()).map(ruleView);
  }

  async get(id: string): Promise<PhoneRuleView> {
    const stored = await this.deps.store.getRule(id);
    if (!stored) throw errors.notFound(`No phone rule '${id}'`);
    return ruleView(stored);
  }

  /** A new rule; 409 when its given id is taken. */
  async create(body: unknown): Promise<PhoneRuleView> {
    const { id: given, rest } = splitId(body);
    const rule = parse(rest);
    const now = this.deps.now();
    const id = given ?? `ph-${newMessageId(now)}`;
    if (given !== undefined && (await this.deps.store.getRule(given))) throw errors.conflict(`A phone rule '${given}' exists already`);
    const stored = { id, rule, matches: 0, createdAt: now };
    await this.deps.store.putRule(stored);
    return ruleView(stored);
  }

  /** The config file's rules: created, or their definition replaced (their match count kept). */
  async apply(bodies: readonly unknown[]): Promise<void> {
    for (const [index, body] of bodies.entries()) {
      const { id: given, rest } = splitId(body);
      const id = given ?? `config-${index + 1}`;
      const existing = await this.deps.store.getRule(id);
      await this.deps.store.putRule({ id, rule: parse(rest), matches: existing?.matches ?? 0, createdAt: existing?.createdAt ?? this.deps.now() + index });
    }
  }

  /** Changes the fields given (`answer` field by field); null removes an optional one. */
  async update(id: string, patch: unknown): Promise<PhoneRuleView> {
    const stored = await this.deps.store.getRule(id);
    if (!stored) throw errors.notFound(`No phone rule '${id}'`);
    const { id: newId, rest } = splitId(patch);
    if (newId !== undefined && newId !== id) throw errors.validation([{ fieldName: 'id', description: 'cannot be changed' }]);
    const changes = rest as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...stored.rule, ...changes };
    if (typeof changes.answer === 'object' && changes.answer !== null && !Array.isArray(changes.answer)) {
      const answer: Record<string, unknown> = { ...stored.rule.answer, ...changes.answer };
      // The answer's optional fields too: { answer: { media: null } } leaves the text alone.
      for (const [key, value] of Object.entries(answer)) if (value === null) delete answer[key];
      merged.answer = answer;
    }
    for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
    const rule = parse(merged);
    const updated = { ...stored, rule };
    await this.deps.store.putRule(updated);
    return ruleView(updated);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.deps.store.deleteRule(id))) throw errors.notFound(`No phone rule '${id}'`);
  }

  async conversations(phone?: string): Promise<Array<ReturnType<typeof conversationView>>> {
    if (phone !== undefined && !isE164(phone)) throw errors.validation([{ fieldName: 'phone', description: 'must be an E.164 number' }]);
    return (await this.deps.store.conversations(phone)).map(conversationView);
  }

  /** Back to step 0: every conversation, a phone's, or one phone's with one application number. */
  async reset(phone?: string, applicationNumber?: string): Promise<number> {
    if (phone !== undefined && !isE164(phone)) throw errors.validation([{ fieldName: 'phone', description: 'must be an E.164 number' }]);
    if (applicationNumber !== undefined && !isE164(applicationNumber)) {
      throw errors.validation([{ fieldName: 'applicationNumber', description: 'must be an E.164 number' }]);
    }
    return this.deps.store.resetConversations(phone, applicationNumber);
  }
}
