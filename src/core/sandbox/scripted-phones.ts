// Scripted phones: when the simulated carrier takes an outbound message for a phone, the first
// rule (in priority order) that matches it answers, after its delay, through the normal inbound
// path (the carrier's inbound event, so the application gets `message-received` and opt-out
// keywords apply). A rule with a step answers only while the conversation between the phone and
// the sending number is at that step, and moves it on.
//
// The answers waiting for their delay are held in this process's memory: a restart within a
// delay loses them (the match count and the step are already recorded). Rules, counts and steps
// live in the database.
import type { CarrierInbound } from '../delivery/carrier.js';
import { ruleMatches, type HandsetMessage } from './phone-rule.js';
import type { PhoneScriptStore } from './phone-script-port.js';

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
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Answers of one phone leave one after the other, in the order they were matched. */
  private readonly chains = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly deps: ScriptedPhonesDeps) {}

  /** Finds the rule that answers `message` and schedules its answer; resolves with the rule's id, if any. */
  async offer(message: OfferedMessage): Promise<string | undefined> {
    const rules = await this.deps.store.listRules();
    if (rules.length === 0) return undefined;
    const step = (await this.deps.store.conversations(message.phone)).find((c) => c.applicationNumber === message.from)?.step ?? 0;
    for (const { id, rule, matches } of rules) {
      if (rule.maxMatches !== undefined && matches >= rule.maxMatches) continue;
      if (!ruleMatches(rule, message, step)) continue;
      const toStep = rule.step === undefined ? undefined : (rule.nextStep ?? rule.step + 1);
      const taken = await this.deps.store.takeMatch({
        ruleId: id,
        phone: message.phone,
        applicationNumber: message.from,
        atStep: rule.step,
        toStep,
        now: this.deps.now(),
      });
      if (!taken) continue;
      const others = message.recipients.filter((r) => r !== message.phone && r !== message.from);
      const answer: CarrierInbound = {
        from: message.phone,
        to: rule.answer.to === 'group' ? [message.from, ...others] : [message.from],
        text: rule.answer.text,
        media: (rule.answer.media ?? []).map((url) => ({ url })),
        time: 0,
      };
      this.schedule(message.phone, answer, message.time + rule.answer.delayMs);
      return id;
    }
    return undefined;
  }

  /** Drops the answers still waiting for their delay. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(phone: string, answer: CarrierInbound, dueAt: number): void {
    const fire = () => {
      const previous = this.chains.get(phone) ?? Promise.resolve();
      const next = previous.then(async () => {
        if (this.closed) return;
        await this.deps.answer({ ...answer, time: this.deps.now() });
      }).catch((err: unknown) => this.deps.onError(err));
      this.chains.set(phone, next);
      void next.finally(() => {
        if (this.chains.get(phone) === next) this.chains.delete(phone);
      });
    };
    const wait = Math.max(0, dueAt - this.deps.now());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fire();
    }, wait);
    this.timers.add(timer);
  }
}
