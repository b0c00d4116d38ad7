// Scripted phones: when the simulated carrier takes an outbound message for a phone, the first
// rule (in priority order) that matches it answers, after its delay, through the normal inbound
// path (the carrier's inbound event, so the application gets `message-received` and opt-out
// keywords apply). A rule with a step answers only while the conversation between the phone and
// the sending number is at that step, and moves it on.
//
// An answer is written with its match (phone_answers) and timed in this process's memory; the
// process that sends it deletes it first, so it is sent once even when several hold it. At start
// the answers left by a stopped process are timed again (recover), so a restart within a delay
// delays them but does not lose them.
import type { CarrierInbound } from '../delivery/carrier.js';
import { newMessageId } from '../messages/message-id.js';
import { ruleMatches, type HandsetMessage } from './phone-rule.js';
import type { PendingAnswer, PhoneScriptStore } from './phone-script-port.js';

export interface ScriptedPhonesDeps {
  store: PhoneScriptStore;
  now: () => number;
  /** Hands the phone's answer to Pigeon as if it came from the network. */
  answer(message: CarrierInbound): Promise<void>;
  onError(err: unknown): void;
}

export interface OfferedMessage extends HandsetMessage {
  /** Every recipient of the message (the group of a group MMS). */
  recipients: readonly string[];
  /** When the carrier took it: the answer's delay counts from here. */
  time: number;
}

export class ScriptedPhones {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Answers of one phone leave one after the other, in the order they fell due. */
  private readonly chains = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly deps: ScriptedPhonesDeps) {}

  /** Times again the answers that are waiting in the database (left by a process that stopped). */
  async recover(): Promise<number> {
    const pending = await this.deps.store.pendingAnswers();
    for (const answer of pending) this.schedule(answer);
    return pending.length;
  }

  /** Finds the rule that answers `message` and schedules its answer; resolves with the rule's id, if any. */
  async offer(message: OfferedMessage): Promise<string | undefined> {
    const rules = await this.deps.store.listRules();
    if (rules.length === 0) return undefined;
    const step = (await this.deps.store.conversations(message.phone)).find((c) => c.applicationNumber === message.from)?.step ?? 0;
    for (const { id, rule, matches } of rules) {
      if (rule.maxMatches !== undefined && matches >= rule.maxMatches) continue;
      if (!ruleMatches(rule, message, step)) continue;
      const others = message.recipients.filter((r) => r !== message.phone && r !== message.from);
      const inbound: Omit<CarrierInbound, 'time'> = {
        from: message.phone,
        to: rule.answer.to === 'group' ? [message.from, ...others] : [message.from],
        text: rule.answer.text,
        media: (rule.answer.media ?? []).map((url) => ({ url })),
      };
      const now = this.deps.now();
      const answer: PendingAnswer = { id: newMessageId(now), dueAt: message.time + rule.answer.delayMs, phone: message.phone, answer: JSON.stringify(inbound) };
      const toStep = rule.step === undefined ? undefined : (rule.nextStep ?? rule.step + 1);
      const taken = await this.deps.store.takeMatch({ ruleId: id, phone: message.phone, applicationNumber: message.from, atStep: rule.step, toStep, now, answer });
      if (!taken) continue;
      this.schedule(answer);
      return id;
    }
    return undefined;
  }

  /** Stops timing; the answers still waiting stay in the database for the next start. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(pending: PendingAnswer): void {
    if (this.closed || this.timers.has(pending.id)) return;
    const fire = () => {
      const previous = this.chains.get(pending.phone) ?? Promise.resolve();
      const next = previous
        .then(async () => {
          if (this.closed || !(await this.deps.store.claimAnswer(pending.id))) return;
          const inbound = JSON.parse(pending.answer) as Omit<CarrierInbound, 'time'>;
          await this.deps.answer({ ...inbound, time: this.deps.now() });
        })
        .catch((err: unknown) => this.deps.onError(err));
      this.chains.set(pending.phone, next);
      void next.finally(() => {
        if (this.chains.get(pending.phone) === next) this.chains.delete(pending.phone);
      });
    };
    const timer = setTimeout(() => {
      this.timers.delete(pending.id);
      fire();
    }, Math.max(0, pending.dueAt - this.deps.now()));
    this.timers.set(pending.id, timer);
  }
}
