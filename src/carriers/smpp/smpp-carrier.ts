// The SMPP 3.4 carrier: Pigeon as an ESME bound to a carrier's SMSC. It keeps `binds` connections
// (transceivers, or transmitter + receiver pairs) up for ever, reconnecting with capped backoff and
// jitter; spreads submits over them within each bind's window and the carrier's submits per second;
// sends one submit_sm per part, exactly the parts segmentCount counted; and turns deliver_sm into
// receipts or inbound messages, answering only once they are durable.
import { randomInt } from 'node:crypto';
import type { SmppCarrierConfig } from '../carrier-config.js';
import { backoffMs } from '../../core/delivery/backoff.js';
import {
  CarrierError,
  type CarrierAdapter,
  type CarrierEvents,
  type CarrierState,
  type CarrierSubmission,
} from '../../core/delivery/carrier.js';
import type { InboundPartStore } from '../../core/ports.js';
import { inboundAddress, outboundAddress, type AddressRules } from './addresses.js';
import { SmppBind, NoResponseError, type BindMode } from './bind.js';
import { outboundParts } from './concatenation.js';
import { submitStatus } from './error-map.js';
import { assemble, readInboundPart, type InboundSettings } from './inbound.js';
import { isFinal, isReceipt, parseReceipt, toDeliveryReceipt } from './receipt-parsing.js';
import type { Pdu } from './smpp-lib.js';
import { validityPeriod } from './smpp-time.js';

export interface CarrierLog {
  info(detail: Record<string, unknown>, message: string): void;
  warn(detail: Record<string, unknown>, message: string): void;
  debug(detail: Record<string, unknown>, message: string): void;
}

export interface SmppCarrierDeps {
  parts: InboundPartStore;
  now: () => number;
  log: CarrierLog;
}

/** What GET /admin/v1/status shows of an SMPP carrier. */
export interface SmppCarrierStatus {
  name: string;
  type: 'smpp';
  state: 'bound' | 'connecting' | 'down';
  binds: Array<{ mode: BindMode; state: 'bound' | 'connecting' | 'down'; inFlight: number; lastError?: string }>;
  bound: number;
  inFlight: number;
  submitsPerSecond: number;
  throttled: boolean;
  counters: { submitted: number; throttled: number; noResponse: number; receipts: number; inbound: number; reconnects: number };
}

const ESME_RX_T_APPN = 0x64;
const NOT_BOUND_CODE = 5111;
const QUEUE_FULL_CODE = 5600;
const ESM_STORE_AND_FORWARD = 0x00;
const REGISTERED_DELIVERY_FINAL = 0x01;
// Throttling pauses the whole carrier, doubling per refusal in a row up to this long.
const THROTTLE_FIRST_MS = 50;
const THROTTLE_MAX_MS = 5000;
const REFERENCE_MEMORY = 50_000;
/**
 * How long a receipt waits for the submit_sm_resp of its handset's submits before it is matched
 * anyway: an SMSC that sends the receipt first usually answers the submit within milliseconds, but
 * one that waits for the deliver_sm_resp before it answers the submit would otherwise deadlock both
 * until the submit's response timeout.
 */
const RECEIPT_HOLD_MS = 1000;

interface Slot {
  mode: BindMode;
  bind: SmppBind | undefined;
  failures: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  lastError: string | undefined;
}

interface Waiter {
  resolve: () => void;
}

export class SmppCarrier implements CarrierAdapter {
  readonly name: string;
  private readonly slots: Slot[] = [];
  private events: CarrierEvents | undefined;
  private current: CarrierState = 'disconnected';
  private stopping = false;
  private waiters: Waiter[] = [];
  private nextSendAt = 0;
  private pausedUntil = 0;
  private throttleMs = 0;
  private roundRobin = 0;
  private readonly references = new Map<string, number>();
  private readonly inboundSettings: InboundSettings;
  private readonly addressRules: AddressRules;
  private readonly counters = { submitted: 0, throttled: 0, noResponse: 0, receipts: 0, inbound: 0, reconnects: 0 };
  private rate = { windowStart: 0, count: 0, last: 0 };
  private sweep: ReturnType<typeof setInterval> | undefined;
  private assembling = new Map<string, Promise<unknown>>();
  /** Submits not answered yet, by handset (E.164): a receipt for the handset waits for them (delivered()). */
  private readonly submitting = new Map<string, Set<Promise<unknown>>>();

  constructor(
    private readonly config: SmppCarrierConfig,
    private readonly deps: SmppCarrierDeps,
  ) {
    this.name = config.name;
    const modes: BindMode[] = config.bindMode === 'transceiver' ? ['transceiver'] : ['transmitter', 'receiver'];
    for (let i = 0; i < config.binds; i++) {
      for (const mode of modes) this.slots.push({ mode, bind: undefined, failures: 0, timer: undefined, lastError: undefined });
    }
    this.inboundSettings = { carrier: config.name, alphabet: config.defaultAlphabet, countryCode: config.addresses.countryCode };
    this.addressRules = { ...config.addresses, countryCode: config.addresses.countryCode };
  }

  state(): CarrierState {
    return this.current;
  }

  /** Starts binding; resolves at once (the first bind may take a while, and submits wait for it). */
  async start(events: CarrierEvents): Promise<void> {
    this.events = events;
    this.stopping = false;
    this.updateState();
    for (const slot of this.slots) this.open(slot);
    const reassemblyMs = this.config.reassemblySeconds * 1000;
    this.sweep = setInterval(() => {
      this.deps.parts.dropBefore(this.deps.now() - reassemblyMs, false).then(
        (dropped) => dropped > 0 && this.deps.log.warn({ carrier: this.name, dropped }, 'incomplete inbound messages dropped after the reassembly timeout'),
        (err: unknown) => this.deps.log.warn({ carrier: this.name, err }, 'inbound part sweep failed'),
      );
    }, Math.min(60_000, reassemblyMs));
    this.sweep.unref();
  }

  /** SIGTERM: stop submitting, let outstanding responses come (bounded), unbind every bind, close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweep !== undefined) clearInterval(this.sweep);
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
    const deadline = Date.now() + this.config.responseTimeoutSeconds * 1000;
    while (this.slots.some((s) => (s.bind?.inFlight ?? 0) > 0) && Date.now() < deadline) await sleep(20);
    for (const slot of this.slots) if (slot.timer !== undefined) clearTimeout(slot.timer);
    await Promise.all(this.slots.map((slot) => slot.bind?.unbind()));
    this.updateState();
    this.deps.log.info({ carrier: this.name }, 'SMPP carrier unbound');
  }

  async submit(submission: CarrierSubmission): Promise<{ carrierMessageIds: readonly string[] }> {
    // A group message is MMS to Bandwidth but only text to an SMSC: one submit per recipient, as
    // the delivery worker hands them over. Media cannot travel over SMPP.
    if ((submission.media?.length ?? 0) > 0) {
      throw new CarrierError(`${this.name}: SMPP carries text only, not media`, false, 4001);
    }
    const work = this.submitParts(submission);
    const pending = this.submitting.get(submission.destination) ?? new Set();
    this.submitting.set(submission.destination, pending.add(work));
    try {
      return await work;
    } finally {
      pending.delete(work);
      if (pending.size === 0 && this.submitting.get(submission.destination) === pending) this.submitting.delete(submission.destination);
    }
  }

  private async submitParts(submission: CarrierSubmission): Promise<{ carrierMessageIds: readonly string[] }> {
    const deadline = Date.now() + this.config.submitWaitSeconds * 1000;
    const source = outboundAddress(submission.from, this.addressRules);
    const destination = outboundAddress(submission.destination, this.addressRules);
    const parts = outboundParts(submission.text ?? '', this.config.defaultAlphabet, this.config.longMessages, this.reference(submission.destination));
    const common = {
      source_addr_ton: source.ton,
      source_addr_npi: source.npi,
      source_addr: source.addr,
      dest_addr_ton: destination.ton,
      dest_addr_npi: destination.npi,
      destination_addr: destination.addr,
      service_type: '',
      protocol_id: 0,
      priority_flag: submission.priority === 'high' ? 1 : 0,
      schedule_delivery_time: '',
      validity_period: submission.expiresAt === undefined ? '' : validityPeriod(submission.expiresAt),
      registered_delivery: REGISTERED_DELIVERY_FINAL,
      replace_if_present_flag: 0,
      sm_default_msg_id: 0,
    };
    const ids = await Promise.all(
      parts.map((part) =>
        this.submitPart(
          { ...common, esm_class: ESM_STORE_AND_FORWARD | part.esm_class, data_coding: part.data_coding, short_message: part.short_message, ...part.tlvs },
          deadline,
        ),
      ),
    );
    return { carrierMessageIds: ids };
  }

  status(): SmppCarrierStatus {
    const binds = this.slots.map((slot) => ({
      mode: slot.mode,
      state: slot.bind?.state === 'bound' ? ('bound' as const) : slot.bind?.state === 'connecting' ? ('connecting' as const) : ('down' as const),
      inFlight: slot.bind?.inFlight ?? 0,
      ...(slot.lastError !== undefined && { lastError: slot.lastError }),
    }));
    const bound = binds.filter((b) => b.state === 'bound').length;
    return {
      name: this.name,
      type: 'smpp',
      state: this.current === 'connected' ? 'bound' : this.current === 'connecting' ? 'connecting' : 'down',
      binds,
      bound,
      inFlight: binds.reduce((n, b) => n + b.inFlight, 0),
      submitsPerSecond: this.measuredRate(),
      throttled: Date.now() < this.pausedUntil,
      counters: { ...this.counters },
    };
  }

  // ---- Submitting ------------------------------------------------------------------------------

  /** One part: offered until the SMSC takes or refuses it; throttling and lost responses do not count as attempts. */
  private async submitPart(params: Record<string, unknown>, deadline: number): Promise<string> {
    for (;;) {
      const bind = await this.acquire(deadline);
      let resp: Pdu;
      try {
        resp = await bind.request('submit_sm', params);
      } catch (err) {
        if (!(err instanceof NoResponseError)) throw err;
        // Unknown outcome: offer it again (a duplicate at most, bounded by the window).
        this.counters.noResponse++;
        // A macrotask between offers, so a bind that fails at once cannot starve the event loop.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const row = submitStatus(resp.command_status);
      switch (row.action) {
        case 'ok':
          this.counted();
          this.throttleMs = 0;
          return String(resp.message_id ?? '');
        case 'slow-down':
          this.counters.throttled++;
          this.slowDown(row.name);
          if (Date.now() >= deadline) {
            throw this.notTaken(`still ${row.name} after ${this.config.submitWaitSeconds} s`, row.code);
          }
          continue;
        case 'rebind':
          bind.destroy(`${row.name} on submit`);
          continue;
        case 'transient':
          throw new CarrierError(`${this.name}: submit_sm refused with ${row.name} (0x${row.status.toString(16)})`, true, row.code);
        case 'permanent':
          throw new CarrierError(`${this.name}: submit_sm refused with ${row.name} (0x${row.status.toString(16)})`, false, row.code);
      }
    }
  }

  /** A bound bind with a free window slot, after the carrier's pacing; waits until the deadline. */
  private async acquire(deadline: number): Promise<SmppBind> {
    for (;;) {
      if (this.stopping) throw this.notTaken('shutting down', NOT_BOUND_CODE);
      const now = Date.now();
      const paceAt = Math.max(this.pausedUntil, this.nextSendAt);
      if (paceAt > now) {
        if (paceAt > deadline) throw this.waitedTooLong();
        await sleep(paceAt - now);
        continue;
      }
      const bind = this.freeBind();
      if (bind !== undefined) {
        const perSecond = this.config.submitsPerSecond;
        if (perSecond > 0) this.nextSendAt = Math.max(this.nextSendAt, now - 1000 / perSecond) + 1000 / perSecond;
        return bind;
      }
      if (now >= deadline) throw this.waitedTooLong();
      await new Promise<void>((resolve) => {
        const waiter = { resolve };
        this.waiters.push(waiter);
        setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        }, deadline - now).unref();
      });
    }
  }

  private waitedTooLong(): CarrierError {
    const bound = this.slots.some((s) => s.bind?.canSubmit);
    return bound
      ? this.notTaken(`carrier kept throttling or its windows stayed full for ${this.config.submitWaitSeconds} s`, QUEUE_FULL_CODE)
      : this.notTaken(`no bound SMPP connection within ${this.config.submitWaitSeconds} s`, NOT_BOUND_CODE);
  }

  /**
   * The SMSC never took the part for reasons of the link (throttled, full, not bound, stopping):
   * the recipient goes back to the queue without spending an attempt (issue 8: throttling "retries
   * without spending the recipient's attempts"), due when the pause ends or a bind may be back.
   */
  private notTaken(reason: string, code: number): CarrierError {
    const pauseLeft = this.pausedUntil - Date.now();
    const retryAfterMs = pauseLeft > 0 ? pauseLeft : this.config.reconnect.initialSeconds * 1000;
    return new CarrierError(`${this.name}: ${reason}`, true, code, { spendsAttempt: false, retryAfterMs });
  }

  private freeBind(): SmppBind | undefined {
    const n = this.slots.length;
    for (let i = 0; i < n; i++) {
      const slot = this.slots[(this.roundRobin + i) % n];
      if (slot?.bind?.hasSlot) {
        this.roundRobin = (this.roundRobin + i + 1) % n;
        return slot.bind;
      }
    }
    return undefined;
  }

  private wakeOne(): void {
    this.waiters.shift()?.resolve();
  }

  private slowDown(reason: string): void {
    this.throttleMs = Math.min(THROTTLE_MAX_MS, Math.max(THROTTLE_FIRST_MS, this.throttleMs * 2));
    const until = Date.now() + backoffMs(1, this.throttleMs, this.throttleMs);
    if (until > this.pausedUntil) {
      if (Date.now() >= this.pausedUntil) this.deps.log.info({ carrier: this.name, reason, pauseMs: until - Date.now() }, 'SMSC asks to slow down');
      this.pausedUntil = until;
    }
  }

  /** Rotating concatenation reference per destination, so consecutive long messages to one handset differ (lesson 27). */
  private reference(destination: string): number {
    if (this.references.size >= REFERENCE_MEMORY) this.references.clear();
    const next = ((this.references.get(destination) ?? randomInt(0, 256)) + 1) & 0xff;
    this.references.set(destination, next);
    return this.config.longMessages === 'sar' ? (next << 8) | randomInt(0, 256) : next;
  }

  private counted(): void {
    this.counters.submitted++;
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.rate.windowStart) {
      this.rate.last = second === this.rate.windowStart + 1 ? this.rate.count : 0;
      this.rate = { windowStart: second, count: 0, last: this.rate.last };
    }
    this.rate.count++;
  }

  private measuredRate(): number {
    const second = Math.floor(Date.now() / 1000);
    if (second === this.rate.windowStart) return this.rate.last;
    return second === this.rate.windowStart + 1 ? this.rate.count : 0;
  }

  // ---- Binds -----------------------------------------------------------------------------------

  private open(slot: Slot): void {
    if (this.stopping) return;
    slot.timer = undefined;
    const bind = new SmppBind(
      {
        host: this.config.host,
        port: this.config.port,
        tls: this.config.tls,
        systemId: this.config.systemId,
        password: this.config.password,
        systemType: this.config.systemType,
        mode: slot.mode,
        window: this.config.window,
        enquireLinkMs: this.config.enquireLinkSeconds * 1000,
        responseTimeoutMs: this.config.responseTimeoutSeconds * 1000,
      },
      {
        onDeliver: (pdu) => this.delivered(pdu),
        onClose: (reason) => this.bindClosed(slot, bind, reason),
        onSlot: () => this.wakeOne(),
        log: (level, detail, message) => this.deps.log[level]({ carrier: this.name, mode: slot.mode, ...detail }, message),
      },
    );
    slot.bind = bind;
    this.updateState();
    bind.open().then(
      () => {
        slot.failures = 0;
        slot.lastError = undefined;
        this.deps.log.info({ carrier: this.name, mode: slot.mode, host: this.config.host, port: this.config.port }, 'SMPP bound');
        this.updateState();
        for (let i = 0; i < this.config.window; i++) this.wakeOne();
      },
      (err: Error) => {
        slot.lastError = err.message;
        // Refused credentials are logged louder: they will not fix themselves.
        const level = bind.bindError !== undefined ? 'warn' : 'info';
        this.deps.log[level]({ carrier: this.name, mode: slot.mode, err: err.message }, 'SMPP bind failed');
        this.bindClosed(slot, bind, err.message);
      },
    );
  }

  private bindClosed(slot: Slot, bind: SmppBind, reason: string): void {
    if (slot.bind !== bind) return;
    slot.bind = undefined;
    slot.lastError = reason;
    this.updateState();
    if (this.stopping || slot.timer !== undefined) return;
    slot.failures++;
    this.counters.reconnects++;
    // Never gives up: a carrier that is configured is reconnected for as long as Pigeon runs.
    const delay = backoffMs(slot.failures, this.config.reconnect.initialSeconds * 1000, this.config.reconnect.maxSeconds * 1000);
    this.deps.log.info({ carrier: this.name, mode: slot.mode, reason, retryInMs: delay }, 'SMPP bind down');
    slot.timer = setTimeout(() => this.open(slot), delay);
    slot.timer.unref();
  }

  private updateState(): void {
    const next: CarrierState = this.slots.some((s) => s.bind?.canSubmit)
      ? 'connected'
      : !this.stopping && this.slots.some((s) => s.bind !== undefined || s.timer !== undefined)
        ? 'connecting'
        : 'disconnected';
    if (next === this.current) return;
    this.current = next;
    this.events?.stateChanged(next);
  }

  // ---- What the SMSC sends -----------------------------------------------------------------------

  /**
   * The handset a receipt is about: its source_addr (smpp-3.4-notes §6), in the form Pigeon stores
   * destinations in, so that submits the SMSC gave the same id are told apart. None when empty.
   */
  private handset(pdu: Pdu): { destination?: string } {
    const raw = String(pdu.source_addr ?? '').trim();
    return raw === '' ? {} : { destination: inboundAddress(raw, Number(pdu.source_addr_ton ?? 0), this.addressRules.countryCode) };
  }

  /** Resolves with the deliver_sm_resp status: 0 once durable, ESME_RX_T_APPN when not taken (the SMSC offers it again). */
  private async delivered(pdu: Pdu): Promise<number> {
    const events = this.events;
    if (events === undefined) return ESME_RX_T_APPN;
    try {
      if (isReceipt(Number(pdu.esm_class ?? 0))) {
        const parsed = parseReceipt(pdu);
        if (parsed === undefined) {
          this.deps.log.warn({ carrier: this.name }, 'receipt without a message id: acknowledged and ignored');
          return 0;
        }
        if (!isFinal(parsed.stat)) return 0;
        const receipt = { ...toDeliveryReceipt(parsed, this.config.receiptIdFormat, this.deps.now()), ...this.handset(pdu) };
        // An SMSC may send a receipt before the submit_sm_resp of its submit. When it reuses ids,
        // the id alone could then find an older submit that ended (a late duplicate to the store),
        // so a receipt for a handset with submits awaiting their answer waits for those answers
        // (at most RECEIPT_HOLD_MS); the worker then records the submit in the same turn, and the
        // receipt waits for that record (CarrierEvents.receipt) and matches it.
        const submits = receipt.destination === undefined ? undefined : this.submitting.get(receipt.destination);
        if (submits) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const held = new Promise<void>((resolve) => (timer = setTimeout(resolve, RECEIPT_HOLD_MS)));
          await Promise.race([Promise.allSettled([...submits]), held]);
          clearTimeout(timer);
        }
        await events.receipt(receipt);
        this.counters.receipts++;
        return 0;
      }
      const part = readInboundPart(pdu, this.inboundSettings);
      const key = part.numbering === undefined ? undefined : `${part.from}|${part.to}|${part.numbering.reference}|${part.numbering.total}`;
      // Parts of one message that arrive together (over several binds) are assembled one at a time,
      // so the message is handed over once.
      const run = async () => {
        const whole = await assemble(part, this.deps.parts, this.inboundSettings, this.deps.now());
        if (whole === undefined) return;
        await events.inbound(whole.message);
        await whole.done();
        this.counters.inbound++;
      };
      if (key === undefined) await run();
      else {
        const previous = this.assembling.get(key) ?? Promise.resolve();
        const mine = previous.then(run, run);
        this.assembling.set(key, mine);
        try {
          await mine;
        } finally {
          if (this.assembling.get(key) === mine) this.assembling.delete(key);
        }
      }
      return 0;
    } catch (err) {
      this.deps.log.warn({ carrier: this.name, err: err instanceof Error ? err.message : String(err) }, 'deliver_sm not taken; the SMSC will offer it again');
      return ESME_RX_T_APPN;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
