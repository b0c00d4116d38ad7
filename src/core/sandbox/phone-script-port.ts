// Where scripted phones keep their rules, the rules' match counts and each conversation's step
// (core/sandbox/scripted-phones.ts); one implementation per engine under src/store.
import type { PhoneRule } from './phone-rule.js';

export interface StoredPhoneRule {
  id: string;
  rule: PhoneRule;
  /** How many messages the rule has answered so far (counted durably, for `maxMatches`). */
  matches: number;
  createdAt: number;
}

/** Where one phone stands in its conversation with one application number; step 0 when never moved. */
export interface PhoneConversation {
  phone: string;
  applicationNumber: string;
  step: number;
  updatedAt: number;
}

export interface PhoneScriptStore {
  /** Every rule, in firing order: priority, then creation, then id. */
  listRules(): Promise<StoredPhoneRule[]>;
  getRule(id: string): Promise<StoredPhoneRule | undefined>;
  /** Creates the rule, or replaces an existing one's definition (its match count stays). */
  putRule(rule: StoredPhoneRule): Promise<void>;
  deleteRule(id: string): Promise<boolean>;
  /**
   * Counts one match of the rule, in one transaction with the move of the conversation: false (and
   * nothing written) when the rule has used its `maxMatches`, or when `atStep` is given and the
   * conversation is no longer there (another message moved it first).
   */
  takeMatch(take: { ruleId: string; phone: string; applicationNumber: string; atStep?: number; toStep?: number; now: number }): Promise<boolean>;
  conversations(phone?: string): Promise<PhoneConversation[]>;
  /** Ends the matching conversations (back to step 0); every one without filters. Resolves with how many. */
  resetConversations(phone?: string, applicationNumber?: string): Promise<number>;
}
