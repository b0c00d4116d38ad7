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

/** An answer waiting for its delay; `answer` is the phone's message as JSON (without its time). */
export interface PendingAnswer {
  id: string;
  dueAt: number;
  phone: string;
  answer: string;
}

export interface MatchTake {
  ruleId: string;
  phone: string;
  applicationNumber: string;
  atStep?: number | undefined;
  toStep?: number | undefined;
  now: number;
  answer: PendingAnswer;
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
   * conversation is no longer there (another message moved it first). Taken, `answer` is kept
   * with it, until claimed.
   */
  takeMatch(take: MatchTake): Promise<boolean>;
  /** Every answer still waiting, by due time. */
  pendingAnswers(): Promise<PendingAnswer[]>;
  /** Deletes the answer: true for the one caller that deleted it, which then sends it. */
  claimAnswer(id: string): Promise<boolean>;
  conversations(phone?: string): Promise<PhoneConversation[]>;
  /** Ends the matching conversations (back to step 0); every one without filters. Resolves with how many. */
  resetConversations(phone?: string, applicationNumber?: string): Promise<number>;
}
