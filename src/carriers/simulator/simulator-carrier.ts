// The simulated carrier: a CarrierAdapter that behaves like an SMSC without one. People testing
// against Pigeon script it with rules (first match wins), ready-made test numbers, or a seeded random
// failure rate; everything else is delivered.
//
// Receipts are store-and-forward, as in a real SMSC: a receipt is written to the store before the
// submit is acknowledged and deleted only after Pigeon has recorded it, so a crash at any point delays
// a receipt but never loses it. One timer, re-armed to the earliest due receipt, drains them in batches.
// A receipt due at once (no latency) is not stored: it comes with the submit's answer, and the worker
// records both in one write (SubmitResult.receipt), so there is nothing to lose between them; storing
// it, leasing it and deleting it was three rows written per message for nothing.
import { randomBytes } from 'node:crypto';
import type { ReceiptOwner, SimulatorStore } from '../../core/ports.js';
import {
  CarrierError,
  type CarrierAdapter,
  type CarrierEvents,
  type CarrierInbound,
  type CarrierState,
  type CarrierSubmission,
  type DeliveryReceipt,
  type SubmitResult,
} from '../../core/delivery/carrier.js';
import { mulberry32 } from '../../shared/seeded-random.js';
import {
  DEFAULT_SIMULATOR_DEFAULTS,
  compileRules,
  firstMatch,
  parseDefaultsPatch,
  parseRules,
  SimulatorRuleError,
  type CompiledRule,
  type SimulatorDefaults,
  type SimulatorOutcome,
  type SimulatorRule,
} from './rules.js';
import { TEST_NUMBERS, testNumberOutcome, type TestNumber } from './test-numbers.js';

export const RULES_SETTING = 'simulator.rules';
export const DEFAULTS_SETTING = 'simulator.defaults';

/** Durable key/value settings shared by every Pigeon process on the same database. */
export interface SimulatorSettings {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string, time: number): Promise<void>;
}

export interface SimulatorCarrierOptions {
  store: SimulatorStore;
  settings: SimulatorSettings;
  now: () => number;
  /** From the config file; runtime changes stored in settings take precedence. */
  defaults: SimulatorDefaults;
  /** From the config file, already validated (parseRules); the initial value when no setting exists. */
  rules: SimulatorRule[];
  /** The config's `receiptLeaseSeconds`, in ms (ReceiptOwner.leaseMs). */
  receiptLeaseMs?: number;
  onError?: (err: unknown) => void;
}

// Other processes' rule changes become visible within this long; it also bounds settings reads to
// two per second however fast messages are submitted.
const SETTINGS_TTL_MS = 1000;
// Big enough that one drain commits many receipts together, small enough to keep each turn short.
const RECEIPT_BATCH = 500;
// Even with nothing scheduled locally the store is looked at this often, so receipts scheduled by a
// process that died (or by another live one) are still delivered.
const POLL_MS = 5000;
// A receipt due now waits this long so that the receipts of a burst of submits leave in one batch.
const COALESCE_MS = 10;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 60_000;
// About ten minutes of refusals (100 ms doubling to 60 s); then the receipt is dropped, as an
// SMSC drops an undeliverable receipt, and Pigeon's receipt timeout ends the message with 9902.
const MAX_TRIES = 20;
// How long the drain pauses when the store itself fails, so a broken database is not hammered.
const STORE_FAILURE_PAUSE_MS = 1000;
const TRANSIENT_DEFAULT_CODE = 5600;
// How overdue another process's receipt must be before this one delivers it (ReceiptOwner): far
// longer than a live simulator takes to deliver its own, short enough that a dead one's are late by little.
const OTHERS_AFTER_MS = 2000;
const DEFAULT_RECEIPT_LEASE_MS = 30_000;
const NOT_CONNECTED_CODE = 5111;

interface StoredReceipt {
  delivered: boolean;
  errorCode?: number;
  /** Deliveries to Pigeon that failed so far; drives the retry backoff and survives restarts. */
  tries?: number;
}

interface StoredDefaults extends SimulatorDefaults {
  /** Bumped on every explicit seed change, so setting the same seed again restarts the sequence everywhere. */
  seedEpoch?: number;
}

interface Snapshot {
  rulesRaw: string | undefined;
  defaultsRaw: string | undefined;
  rules: SimulatorRule[];
  compiled: CompiledRule[];
  defaults: StoredDefaults;
  fetchedAt: number;
}

type Decision = { outcome: SimulatorOutcome; source: string };

export class SimulatorCarrier implements CarrierAdapter {
  readonly name = 'simulator';
  /** The ready-made destination numbers and their outcomes, for docs and the admin API. */
  readonly testNumbers: readonly TestNumber[] = TEST_NUMBERS;

  private readonly store: SimulatorStore;
  private readonly settings: SimulatorSettings;
  /** Counts announced changes, so a read that started before one is not cached. */
  private generation = 0;
  private readonly now: () => number;
  private readonly configDefaults: SimulatorDefaults;
  private readonly configRules: SimulatorRule[];
  private readonly configCompiled: CompiledRule[];
  private readonly onError: (err: unknown) => void;

  private events: CarrierEvents | undefined;
  private handset: ((submission: CarrierSubmission, time: number) => void) | undefined;
  private current: CarrierState = 'disconnected';

  // Carrier ids must be unique across processes and restarts without coordination.
  private readonly idPrefix = `sim-${randomBytes(6).toString('hex')}-`;
  /** This simulator's receipts first: they answer submits this process records (ReceiptOwner). */
  private readonly owner: ReceiptOwner;
  private idCounter = 0;

  private snap: Snapshot | undefined;
  private refreshing: Promise<Snapshot> | undefined;
  private mutations: Promise<unknown> = Promise.resolve();
  private rng: () => number;
  private rngKey: string;

  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private draining: Promise<void> | undefined;
  /** Earliest due time announced while a drain was running; the drain re-arms for it when it ends. */
  private wakeDuringDrain = Number.POSITIVE_INFINITY;

  constructor(options: SimulatorCarrierOptions) {
    this.store = options.store;
    this.settings = options.settings;
    this.now = options.now;
    // The config section may be passed whole (it also holds `rules`); keep only the defaults.
    this.owner = { idPrefix: this.idPrefix, othersAfterMs: OTHERS_AFTER_MS, leaseMs: options.receiptLeaseMs ?? DEFAULT_RECEIPT_LEASE_MS };
    this.configDefaults = publicDefaults(options.defaults);
    this.configRules = options.rules;
    this.configCompiled = compileRules(options.rules);
    this.onError = options.onError ?? ((err) => console.error(err));
    this.rngKey = seedKey(this.configDefaults);
    this.rng = mulberry32(this.configDefaults.seed);
  }

  state(): CarrierState {
    return this.current;
  }

  async start(events: CarrierEvents): Promise<void> {
    if (this.current !== 'disconnected') throw new Error('simulator carrier already started');
    this.events = events;
    this.setState('connecting');
    // Surfaces a broken stored rule set at boot rather than on the first message.
    await this.snapshot();
    // stop() may have been called while the settings were read.
    if (this.state() !== 'connecting') return;
    this.setState('connected');
    // Receipts owed from before a restart go out first; start() does not wait for them.
    this.arm(this.now());
  }

  async stop(): Promise<void> {
    if (this.current === 'disconnected') return;
    this.setState('disconnected');
    this.clearTimer();
    await this.draining;
    this.events = undefined;
  }

  /**
   * Called with each submit the simulated handset takes (delivered or without a receipt, not a
   * refusal or a failure), once it is taken: scripted phones answer from here.
   */
  onHandset(listener: ((submission: CarrierSubmission, time: number) => void) | undefined): void {
    this.handset = listener;
  }

  async submit(submission: CarrierSubmission): Promise<SubmitResult> {
    const { reachedHandset, ...result } = await this.take(submission);
    if (reachedHandset) this.handset?.(submission, this.now());
    return result;
  }

  private async take(submission: CarrierSubmission): Promise<SubmitResult & { reachedHandset: boolean }> {
    if (this.current !== 'connected') {
      throw new CarrierError('simulator carrier is not connected', true, NOT_CONNECTED_CODE);
    }
    const snap = this.fresh() ?? (await this.snapshot());
    const { outcome, source } = this.decide(snap, submission);
    const latency = snap.defaults.latencyMs;
    switch (outcome.outcome) {
      case 'reject':
        throw new CarrierError(`simulator: refused at submit with ${outcome.errorCode} (${source})`, false, outcome.errorCode);
      case 'transient': {
        const failing = outcome.failures === 'always' || submission.attempt <= outcome.failures;
        if (failing) {
          const code = outcome.errorCode ?? TRANSIENT_DEFAULT_CODE;
          const of = outcome.failures === 'always' ? 'always' : `${submission.attempt}/${outcome.failures}`;
          throw new CarrierError(`simulator: transient refusal ${of} with ${code} (${source})`, true, code);
        }
        return { ...(await this.accept(outcome.delayMs ?? latency, { delivered: true })), reachedHandset: true };
      }
      case 'no-receipt':
        return { carrierMessageIds: [this.nextId()], reachedHandset: true };
      case 'deliver':
        return { ...(await this.accept(outcome.delayMs ?? latency, { delivered: true })), reachedHandset: true };
      case 'fail':
        return { ...(await this.accept(outcome.delayMs ?? latency, { delivered: false, errorCode: outcome.errorCode })), reachedHandset: false };
    }
  }

  /** Hands a simulated mobile-originated message to Pigeon, as if it had arrived from the network. */
  async inject(message: CarrierInbound): Promise<void> {
    if (this.current !== 'connected' || this.events === undefined) {
      throw new Error('simulator carrier is not connected');
    }
    await this.events.inbound(message);
  }

  // ---- Runtime configuration ------------------------------------------------------------------

  async getRules(): Promise<SimulatorRule[]> {
    return structuredClone((await this.reload()).rules);
  }

  /** Replaces every rule; throws SimulatorRuleError (naming `rules[i].field`) and changes nothing when any is invalid. */
  async setRules(input: unknown): Promise<SimulatorRule[]> {
    const rules = parseRules(input);
    return this.mutate(async () => {
      await this.settings.put(RULES_SETTING, JSON.stringify(rules), this.now());
      await this.reload();
      return structuredClone(rules);
    });
  }

  /** Adds one rule at `index` (default: last, i.e. lowest priority) and returns it with its id. */
  addRule(input: unknown, index?: number): Promise<SimulatorRule> {
    return this.mutate(async () => {
      const rules: unknown[] = [...(await this.reload()).rules];
      const at = index ?? rules.length;
      if (!Number.isInteger(at) || at < 0 || at > rules.length) {
        throw new SimulatorRuleError([{ path: 'index', message: `must be an integer from 0 to ${rules.length}` }]);
      }
      rules.splice(at, 0, input);
      const parsed = parseRules(rules);
      await this.settings.put(RULES_SETTING, JSON.stringify(parsed), this.now());
      await this.reload();
      return structuredClone(parsed[at] as SimulatorRule);
    });
  }

  /** Resolves false when no rule has that id. */
  removeRule(id: string): Promise<boolean> {
    return this.mutate(async () => {
      const rules = (await this.reload()).rules;
      const kept = rules.filter((r) => r.id !== id);
      if (kept.length === rules.length) return false;
      await this.settings.put(RULES_SETTING, JSON.stringify(kept), this.now());
      await this.reload();
      return true;
    });
  }

  async getDefaults(): Promise<SimulatorDefaults> {
    return publicDefaults((await this.reload()).defaults);
  }

  /** Changes some defaults; giving `seed` (even the same one) restarts the random sequence. */
  async setDefaults(patch: unknown): Promise<SimulatorDefaults> {
    const changes = parseDefaultsPatch(patch);
    return this.mutate(async () => {
      const previous = (await this.reload()).defaults;
      const next: StoredDefaults = { ...publicDefaults(previous), ...changes };
      const epoch = (previous.seedEpoch ?? 0) + (changes.seed === undefined ? 0 : 1);
      if (epoch > 0) next.seedEpoch = epoch;
      await this.settings.put(DEFAULTS_SETTING, JSON.stringify(next), this.now());
      return publicDefaults((await this.reload()).defaults);
    });
  }

  /** Back to the config file's rules and defaults. */
  reset(): Promise<void> {
    return this.mutate(async () => {
      const previous = (await this.reload()).defaults;
      const defaults: StoredDefaults = { ...this.configDefaults, seedEpoch: (previous.seedEpoch ?? 0) + 1 };
      const time = this.now();
      await this.settings.put(RULES_SETTING, JSON.stringify(this.configRules), time);
      await this.settings.put(DEFAULTS_SETTING, JSON.stringify(defaults), time);
      await this.reload();
    });
  }

  // ---- Decisions ------------------------------------------------------------------------------

  private decide(snap: Snapshot, submission: CarrierSubmission): Decision {
    const rule = firstMatch(snap.compiled, submission);
    if (rule !== undefined) return { outcome: rule, source: `rule ${rule.id}` };
    const test = testNumberOutcome(submission.destination);
    if (test !== undefined) return { outcome: test, source: `test number ${submission.destination}` };
    const { failureProbability, failureErrorCode } = snap.defaults;
    // Drawn for every default-path submit, whatever the probability, so the sequence only depends on the seed.
    const failed = this.rng() < failureProbability;
    return failed
      ? { outcome: { outcome: 'fail', errorCode: failureErrorCode }, source: 'random failure' }
      : { outcome: { outcome: 'deliver' }, source: 'default' };
  }

  private nextId(): string {
    return this.idPrefix + (this.idCounter++).toString(36);
  }

  private async accept(delayMs: number, receipt: StoredReceipt): Promise<SubmitResult> {
    const carrierMessageId = this.nextId();
    if (delayMs <= 0) return { carrierMessageIds: [carrierMessageId], receipt: this.receiptOf(carrierMessageId, receipt) };
    const dueAt = this.now() + delayMs;
    // Durable before the submit is acknowledged: a crash right after still yields the receipt.
    await this.store.scheduleReceipt(carrierMessageId, dueAt, JSON.stringify(receipt));
    this.wake(dueAt);
    return { carrierMessageIds: [carrierMessageId] };
  }

  // ---- Settings -------------------------------------------------------------------------------

  /** Another process or thread changed the rules or defaults: the next submit reads them again. */
  settingsChanged(): void {
    this.generation++;
    this.snap = undefined;
    this.refreshing = undefined;
  }

  private fresh(): Snapshot | undefined {
    const snap = this.snap;
    return snap !== undefined && this.now() - snap.fetchedAt < SETTINGS_TTL_MS ? snap : undefined;
  }

  private snapshot(): Promise<Snapshot> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** A snapshot read after every earlier write of this process, for the admin calls. */
  private async reload(): Promise<Snapshot> {
    await this.refreshing;
    return this.snapshot();
  }

  private async load(): Promise<Snapshot> {
    const previous = this.snap;
    const generation = this.generation;
    let rulesRaw: string | undefined;
    let defaultsRaw: string | undefined;
    try {
      [rulesRaw, defaultsRaw] = await Promise.all([this.settings.get(RULES_SETTING), this.settings.get(DEFAULTS_SETTING)]);
    } catch (err) {
      this.onError(err);
      // Keep simulating with what we had; the next read is due after the TTL again.
      const kept = previous ?? this.fromConfig(undefined, undefined);
      this.snap = { ...kept, fetchedAt: this.now() };
      return this.snap;
    }
    const rules =
      previous !== undefined && previous.rulesRaw === rulesRaw
        ? { rules: previous.rules, compiled: previous.compiled }
        : this.parseStoredRules(rulesRaw);
    const defaults =
      previous !== undefined && previous.defaultsRaw === defaultsRaw ? previous.defaults : this.parseStoredDefaults(defaultsRaw);
    const key = seedKey(defaults);
    if (key !== this.rngKey) {
      this.rngKey = key;
      this.rng = mulberry32(defaults.seed);
    }
    const snap = { rulesRaw, defaultsRaw, ...rules, defaults, fetchedAt: this.now() };
    // Read before a change another thread announced meanwhile: good for the submit that asked, not to keep.
    if (generation === this.generation) this.snap = snap;
    return snap;
  }

  private fromConfig(rulesRaw: string | undefined, defaultsRaw: string | undefined): Snapshot {
    return {
      rulesRaw,
      defaultsRaw,
      rules: this.configRules,
      compiled: this.configCompiled,
      defaults: this.configDefaults,
      fetchedAt: this.now(),
    };
  }

  // A stored value that no longer validates (edited by hand, written by another version) must not
  // stop message flow: report it once per distinct value and fall back to the config file.
  private parseStoredRules(raw: string | undefined): { rules: SimulatorRule[]; compiled: CompiledRule[] } {
    if (raw === undefined) return { rules: this.configRules, compiled: this.configCompiled };
    try {
      const rules = parseRules(JSON.parse(raw));
      return { rules, compiled: compileRules(rules) };
    } catch (err) {
      this.onError(new Error(`simulator: ignoring the stored ${RULES_SETTING}: ${(err as Error).message}`));
      return { rules: this.configRules, compiled: this.configCompiled };
    }
  }

  private parseStoredDefaults(raw: string | undefined): StoredDefaults {
    if (raw === undefined) return this.configDefaults;
    try {
      const { seedEpoch, ...rest } = (JSON.parse(raw) ?? {}) as Record<string, unknown>;
      const defaults: StoredDefaults = { ...this.configDefaults, ...parseDefaultsPatch(rest) };
      if (typeof seedEpoch === 'number' && Number.isSafeInteger(seedEpoch)) defaults.seedEpoch = seedEpoch;
      return defaults;
    } catch (err) {
      this.onError(new Error(`simulator: ignoring the stored ${DEFAULTS_SETTING}: ${(err as Error).message}`));
      return this.configDefaults;
    }
  }

  // Read-modify-write of the rule list, one at a time within this process.
  private mutate<T>(work: () => Promise<T>): Promise<T> {
    const run = this.mutations.then(work, work);
    this.mutations = run.catch(() => undefined);
    return run;
  }

  // ---- Receipts -------------------------------------------------------------------------------

  private setState(state: CarrierState): void {
    this.current = state;
    this.events?.stateChanged(state);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private wake(dueAt: number): void {
    if (this.current !== 'connected') return;
    if (this.draining !== undefined) this.wakeDuringDrain = Math.min(this.wakeDuringDrain, dueAt);
    else this.arm(dueAt);
  }

  /** Sets the one timer to `at` unless it already fires earlier; never later than the poll interval. */
  private arm(at: number): void {
    if (this.current !== 'connected') return;
    const now = this.now();
    const fireAt = Math.min(Math.max(at, now + COALESCE_MS), now + POLL_MS);
    if (this.timer !== undefined && this.timerAt <= fireAt) return;
    this.clearTimer();
    this.timerAt = fireAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.drain();
    }, fireAt - now);
    // The server's sockets keep the process alive; a pending receipt alone should not.
    this.timer.unref();
  }

  private drain(): void {
    if (this.draining !== undefined || this.current !== 'connected') return;
    this.wakeDuringDrain = Number.POSITIVE_INFINITY;
    this.draining = this.drainDue()
      .catch((err: unknown) => {
        this.onError(err);
        return this.now() + STORE_FAILURE_PAUSE_MS;
      })
      .then((next) => {
        this.draining = undefined;
        this.arm(Math.min(next, this.wakeDuringDrain));
      });
  }

  /** Delivers every receipt due now, batch by batch; resolves with when to look again. */
  private async drainDue(): Promise<number> {
    while (this.current === 'connected') {
      const rows = await this.store.dueReceipts(this.now(), RECEIPT_BATCH, this.owner);
      // Delivered together so that Pigeon's group commit records the whole batch in one transaction.
      const settled = await Promise.all(rows.map((row) => this.fire(row.carrierMessageId, row.receipt)));
      // A row that could be neither deleted nor rescheduled is still due: going round again would spin on it.
      if (settled.includes(false)) return this.now() + STORE_FAILURE_PAUSE_MS;
      if (rows.length < RECEIPT_BATCH) break;
    }
    return (await this.store.nextReceiptDueAt(this.owner)) ?? Number.POSITIVE_INFINITY;
  }

  /** Resolves false when the store could not be updated afterwards. */
  private async fire(carrierMessageId: string, raw: string): Promise<boolean> {
    const events = this.events;
    if (events === undefined) return true;
    let receipt: StoredReceipt;
    try {
      receipt = JSON.parse(raw) as StoredReceipt;
      if (typeof receipt.delivered !== 'boolean') throw new Error('no "delivered" flag');
    } catch (err) {
      // Retrying cannot repair it, and keeping it would block the queue forever.
      this.onError(new Error(`simulator: dropping unreadable receipt ${carrierMessageId}: ${(err as Error).message}`));
      return this.forget(carrierMessageId);
    }
    try {
      await events.receipt(this.receiptOf(carrierMessageId, receipt));
    } catch (err) {
      // Pigeon takes every receipt it can store, matched or parked, so a refusal is a store failure.
      const tries = (receipt.tries ?? 0) + 1;
      this.onError(err);
      if (tries >= MAX_TRIES) this.onError(new Error(`simulator: giving up on receipt ${carrierMessageId} after ${tries} refusals`));
      if (tries >= MAX_TRIES) return this.forget(carrierMessageId);
      const retryAt = this.now() + Math.min(RETRY_FIRST_MS * 2 ** (tries - 1), RETRY_MAX_MS);
      try {
        await this.store.scheduleReceipt(carrierMessageId, retryAt, JSON.stringify({ ...receipt, tries }));
        return true;
      } catch (storeErr) {
        this.onError(storeErr);
        return false;
      }
    }
    return this.forget(carrierMessageId);
  }

  private receiptOf(carrierMessageId: string, receipt: StoredReceipt): DeliveryReceipt {
    return {
      carrierMessageId,
      delivered: receipt.delivered,
      ...(receipt.delivered ? {} : { errorCode: receipt.errorCode ?? DEFAULT_SIMULATOR_DEFAULTS.failureErrorCode }),
      time: this.now(),
    };
  }

  private async forget(carrierMessageId: string): Promise<boolean> {
    try {
      await this.store.deleteReceipt(carrierMessageId);
      return true;
    } catch (err) {
      // Left in place it is delivered again later; Pigeon ignores a second terminal receipt.
      this.onError(err);
      return false;
    }
  }
}

function seedKey(defaults: StoredDefaults): string {
  return `${defaults.seed}/${defaults.seedEpoch ?? 0}`;
}

function publicDefaults(defaults: StoredDefaults): SimulatorDefaults {
  const { latencyMs, failureProbability, failureErrorCode, seed } = defaults;
  return { latencyMs, failureProbability, failureErrorCode, seed };
}
