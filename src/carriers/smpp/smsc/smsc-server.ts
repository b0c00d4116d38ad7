// `pigeon smsc`: an SMSC of Pigeon's own, like SMPPSim. It accepts binds, answers submit_sm as the
// simulator's rules and test numbers say (deliver, fail with a code, no receipt, transient refusals,
// reject, latency), sends receipts with both the TLVs and the Appendix B text, injects inbound
// messages (single or multi-part) on request, and logs every PDU. Its state is in memory: a
// restart of the process forgets, a restart of the listener (restart()) does not, which is how the
// tests play an SMSC that goes away and comes back with its store intact.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mulberry32 } from '../../../shared/seeded-random.js';
import { compileRules, firstMatch, type CompiledRule, type SimulatorConfig, type SimulatorOutcome } from '../../simulator/rules.js';
import { testNumberOutcome } from '../../simulator/test-numbers.js';
import { ESM_UDHI, outboundParts, readUdh, type LongMessageMethod } from '../concatenation.js';
import { receiptForErrorCode, statusForErrorCode, type ReceiptStat } from '../error-map.js';
import { receiptShortMessage, receiptText, receiptTlvs } from '../receipt-text.js';
import { createSmppServer, newPdu, type Pdu, type SmppServerLike, type SmppSessionLike } from '../smpp-lib.js';
import { decodeText } from '../text-coding.js';
import { describePdu } from './pdu-log.js';

export interface SmscOptions {
  simulator: SimulatorConfig;
  /** When set, binds must present these. */
  systemId?: string | undefined;
  password?: string | undefined;
  /** Spelling of message ids in submit_sm_resp and in the receipt's TLV. */
  idFormat?: 'hex' | 'decimal';
  /**
   * The first message id (then counting up), as an SMSC whose counter starts again at each start:
   * two runs with the same value give the same ids. By default a random start per run.
   */
  firstId?: number | undefined;
  /** Spelling of the id in the receipt text (real SMSCs often use the other base, lesson 13). */
  receiptTextIdFormat?: 'hex' | 'decimal';
  /** What a receipt carries: the TLVs, the Appendix B text, or both (default). */
  receipts?: 'tlv' | 'text' | 'both';
  /** Send the receipt before the submit_sm_resp, which waits until the ESME has taken it (an SMSC faster than its own responses). */
  receiptBeforeResponse?: boolean;
  log?: (line: string) => void;
  /** Serve SMPP over TLS with this certificate and key (PEM). */
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

/** A complete message as the SMSC received it, after its own reassembly. */
export interface ReceivedMessage {
  from: string;
  to: string;
  text: string;
  parts: Array<{ dataCoding: number; esmClass: number; shortMessage: Buffer; priority: number; validity: string; ids: string }>;
}

interface Pending {
  to: string;
  from: string;
  pdu: Record<string, unknown>;
  tries: number;
  /** A receipt goes back on the bind that submitted, while it can receive (else on any receiver). */
  via?: SmppSessionLike;
  /** Called once the ESME has taken it (deliver_sm_resp 0). */
  taken?: () => void;
}

const ESME_RINVBNDSTS = 0x04;
const ESME_RINVPASWD = 0x0e;
const ESME_RINVSYSID = 0x0f;
const ESME_RTHROTTLED = 0x58;
const BIND_RESP: Record<string, { rx: boolean; tx: boolean }> = {
  bind_transceiver: { rx: true, tx: true },
  bind_transmitter: { rx: false, tx: true },
  bind_receiver: { rx: true, tx: false },
};

interface Peer {
  session: SmppSessionLike;
  name: string;
  rx: boolean;
  tx: boolean;
  /** deliver_sm sent and not yet answered, by sequence number. */
  unacked: Map<number, Pending>;
}

export class SmscServer {
  readonly received: ReceivedMessage[] = [];
  /** Every submit_sm taken (duplicates included), in order. */
  readonly submits: Array<{ id: string; from: string; to: string }> = [];
  /** Throttle (ESME_RTHROTTLED) this many of the next submits. */
  throttleNext = 0;
  /** Answer nothing at all (not even enquire_link), as a hung SMSC. */
  silent = false;
  /** deliver_sm (receipts, messages) offered again because their bind closed before the answer. */
  redelivered = 0;
  private server: SmppServerLike | undefined;
  private port = 0;
  private peers = new Set<Peer>();
  /** Every connection, bound or not: closing the listener waits for all of them. */
  private connections = new Set<SmppSessionLike>();
  private outbox: Pending[] = [];
  private nextId: number;
  private compiled: CompiledRule[];
  private rng: () => number;
  private refusals = new Map<string, number>();
  private assembling = new Map<string, Map<number, { text: string; part: ReceivedMessage['parts'][number] }>>();
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private ref = 0;

  constructor(private readonly options: SmscOptions) {
    this.compiled = compileRules(options.simulator.rules);
    // A random start keeps the ids of one run from meeting those of the run before.
    this.nextId = options.firstId ?? randomBytes(2).readUInt16BE(0) * 1_000_000 + 1;
    this.rng = mulberry32(options.simulator.seed);
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = createSmppServer(this.options.tls ?? {}, (session) => this.accept(session));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** Drops every connection and stops listening; what it owes (receipts) it keeps for restart(). */
  async stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const session of this.connections) session.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port, as an SMSC back from a restart. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.stopListening();
  }

  /** Closes every bind without unbinding, as a network failure would. */
  dropConnections(): void {
    for (const session of this.connections) session.destroy();
  }

  get bindCount(): number {
    return this.peers.size;
  }

  /** A mobile-originated message to an ESME bound as receiver: one deliver_sm, or one per part. */
  inject(message: { from: string; to: string; text: string; method?: LongMessageMethod | 'udh16'; onlyParts?: readonly number[] }): number {
    const method = message.method ?? 'udh';
    const reference = ++this.ref & 0xffff;
    const parts = outboundParts(message.text, 'gsm7', method === 'udh16' ? 'udh' : method, reference);
    // `onlyParts` (1-based): a phone whose other parts never arrive.
    for (const [index, part] of parts.entries()) {
      if (message.onlyParts && !message.onlyParts.includes(index + 1)) continue;
      let shortMessage = part.short_message;
      if (method === 'udh16' && part.esm_class & ESM_UDHI) {
        const { numbering, body } = readUdh(shortMessage);
        if (numbering) shortMessage = Buffer.concat([Buffer.from([0x06, 0x08, 0x04, reference >> 8, reference & 0xff, numbering.total, numbering.sequence]), body]);
      }
      this.queue({
        to: message.to,
        from: message.from,
        tries: 0,
        pdu: {
          ...address('source', message.from),
          ...address('dest', message.to),
          esm_class: part.esm_class,
          data_coding: part.data_coding,
          short_message: shortMessage,
          ...part.tlvs,
        },
      });
    }
    return parts.length;
  }

  /**
   * Sends a receipt of any state for a submit it took (`submits`), as an SMSC reporting progress
   * (ENROUTE, ACCEPTD) or an outcome of its own; false when it took no submit with that id.
   */
  sendReceipt(messageId: string, stat: ReceiptStat, err = 0): boolean {
    const submit = this.submits.find((s) => s.id === messageId);
    if (submit === undefined) return false;
    this.queue(this.receipt(submit.id, submit.from, submit.to, '', { stat, err }));
    return true;
  }

  // ---- Sessions --------------------------------------------------------------------------------

  private accept(session: SmppSessionLike): void {
    const remote = `${session.socket.remoteAddress ?? '?'}:${session.socket.remotePort ?? '?'}`;
    const peer: Peer = { session, name: remote, rx: false, tx: false, unacked: new Map() };
    this.connections.add(session);
    this.log(`-- ${remote} connected`);
    session.on('error', (err) => this.log(`-- ${remote} error: ${err.message}`));
    // Described only when someone reads it: the description costs more than the PDU (--quiet, the bench).
    const log = this.options.log;
    if (log) session.on('send', (pdu) => log(describePdu(pdu, 'out', remote)));
    session.on('close', () => {
      this.log(`-- ${remote} closed`);
      this.connections.delete(session);
      this.peers.delete(peer);
      // Receipts and messages nobody acknowledged are offered again on the next bind.
      for (const pending of peer.unacked.values()) this.outbox.push(pending);
      this.redelivered += peer.unacked.size;
      peer.unacked.clear();
    });
    session.on('pdu', (pdu) => {
      if (log) log(describePdu(pdu, 'in', remote));
      if (this.silent) return;
      this.handle(peer, pdu);
    });
  }

  private handle(peer: Peer, pdu: Pdu): void {
    const { session } = peer;
    const bindKind = BIND_RESP[pdu.command];
    if (bindKind !== undefined) {
      const status =
        this.options.systemId !== undefined && pdu.system_id !== this.options.systemId
          ? ESME_RINVSYSID
          : this.options.password !== undefined && pdu.password !== this.options.password
            ? ESME_RINVPASWD
            : 0;
      session.send(pdu.response({ system_id: 'pigeon-smsc', ...(status !== 0 && { command_status: status }) }));
      if (status !== 0) return;
      peer.rx = bindKind.rx;
      peer.tx = bindKind.tx;
      this.peers.add(peer);
      this.flush();
      return;
    }
    switch (pdu.command) {
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        session.send(pdu.response(), () => session.close());
        return;
      case 'submit_sm':
        if (!peer.tx) session.send(pdu.response({ command_status: ESME_RINVBNDSTS }));
        else this.submitted(peer, pdu);
        return;
      case 'deliver_sm_resp':
      case 'data_sm_resp': {
        const pending = peer.unacked.get(pdu.sequence_number);
        if (pending === undefined) return;
        peer.unacked.delete(pdu.sequence_number);
        if (pdu.command_status !== 0) this.retryLater(pending);
        else pending.taken?.();
        return;
      }
      default:
        if (!pdu.isResponse()) session.send(newPdu('generic_nack', { sequence_number: pdu.sequence_number, command_status: 0x03 }));
    }
  }

  private submitted(peer: Peer, pdu: Pdu): void {
    if (this.throttleNext > 0) {
      this.throttleNext--;
      peer.session.send(pdu.response({ command_status: ESME_RTHROTTLED }));
      return;
    }
    const from = e164(String(pdu.source_addr), Number(pdu.source_addr_ton));
    const to = e164(String(pdu.destination_addr), Number(pdu.dest_addr_ton));
    const shortMessage = Buffer.isBuffer(pdu.message_payload) && pdu.message_payload.length > 0 ? pdu.message_payload : (pdu.short_message as Buffer);
    const udh = (Number(pdu.esm_class) & ESM_UDHI) !== 0 ? readUdh(shortMessage) : { numbering: undefined, body: shortMessage };
    const numbering =
      udh.numbering ??
      (typeof pdu.sar_msg_ref_num === 'number'
        ? { reference: pdu.sar_msg_ref_num, total: Number(pdu.sar_total_segments), sequence: Number(pdu.sar_segment_seqnum) }
        : undefined);
    const text = decodeText(udh.body, Number(pdu.data_coding), 'gsm7');
    const id = this.newId();
    const part = {
      dataCoding: Number(pdu.data_coding),
      esmClass: Number(pdu.esm_class),
      shortMessage: Buffer.from(shortMessage),
      priority: Number(pdu.priority_flag),
      validity: String(pdu.validity_period ?? ''),
      ids: id,
    };
    const whole = this.assemble(from, to, text, numbering, part);
    // The rules see the whole text once it is in; earlier parts are taken (as an SMSC would).
    const decision = this.decide(from, to, whole?.text ?? text);
    if (decision.outcome === 'reject') {
      peer.session.send(pdu.response({ command_status: statusForErrorCode(decision.errorCode, false) }));
      return;
    }
    if (decision.outcome === 'transient') {
      const key = `${to}|${from}|${text}`;
      const refused = this.refusals.get(key) ?? 0;
      if (decision.failures === 'always' || refused < decision.failures) {
        this.refusals.set(key, refused + 1);
        peer.session.send(pdu.response({ command_status: statusForErrorCode(decision.errorCode ?? 5600, true) }));
        return;
      }
      this.refusals.delete(key);
    }
    this.submits.push({ id, from, to });
    if (whole) this.received.push(whole);
    const respond = () => peer.session.send(pdu.response({ message_id: id }));
    if (decision.outcome === 'no-receipt') return void respond();
    const delivered = decision.outcome !== 'fail';
    const delay = ('delayMs' in decision ? decision.delayMs : undefined) ?? this.options.simulator.latencyMs;
    const receipt = this.receipt(id, from, to, text, delivered ? { stat: 'DELIVRD', err: 0 } : receiptForErrorCode(decision.errorCode));
    receipt.via = peer.session;
    if (this.options.receiptBeforeResponse) {
      // The response waits until the ESME has taken the receipt: it cannot have known the id first.
      receipt.taken = respond;
      this.queue(receipt);
      return;
    }
    respond();
    if (delay <= 0) setImmediate(() => this.queue(receipt));
    else {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.queue(receipt);
      }, delay);
      this.timers.add(timer);
    }
  }

  private decide(from: string, to: string, text: string): SimulatorOutcome {
    const rule = firstMatch(this.compiled, { destination: to, from, text });
    if (rule !== undefined) return rule;
    const test = testNumberOutcome(to);
    if (test !== undefined) return test;
    const { failureProbability, failureErrorCode } = this.options.simulator;
    return this.rng() < failureProbability ? { outcome: 'fail', errorCode: failureErrorCode } : { outcome: 'deliver' };
  }

  private assemble(
    from: string,
    to: string,
    text: string,
    numbering: { reference: number; total: number; sequence: number } | undefined,
    part: ReceivedMessage['parts'][number],
  ): ReceivedMessage | undefined {
    if (numbering === undefined || numbering.total <= 1) return { from, to, text, parts: [part] };
    const key = `${from}|${to}|${numbering.reference}|${numbering.total}`;
    const parts = this.assembling.get(key) ?? new Map();
    this.assembling.set(key, parts);
    parts.set(numbering.sequence, { text, part });
    if (parts.size < numbering.total) return undefined;
    this.assembling.delete(key);
    const ordered = [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    return { from, to, text: ordered.map((p) => p.text).join(''), parts: ordered.map((p) => p.part) };
  }

  private newId(): string {
    const n = this.nextId++;
    return this.options.idFormat === 'decimal' ? String(n) : n.toString(16);
  }

  private receipt(id: string, from: string, to: string, text: string, result: { stat: ReceiptStat; err: number }): Pending {
    const style = this.options.receipts ?? 'both';
    const numeric = this.options.idFormat === 'decimal' ? BigInt(id) : BigInt(`0x${id}`);
    const textId = (this.options.receiptTextIdFormat ?? this.options.idFormat ?? 'hex') === 'decimal' ? numeric.toString(10) : numeric.toString(16);
    const now = Date.now();
    const body = receiptText({ textId, stat: result.stat, err: result.err, submittedAt: now, doneAt: now, text });
    return {
      to,
      from,
      tries: 0,
      pdu: {
        // A receipt goes back from the recipient to the sender.
        ...address('source', to),
        ...address('dest', from),
        esm_class: 0x04,
        data_coding: 0,
        short_message: style === 'tlv' ? Buffer.alloc(0) : receiptShortMessage(body),
        ...(style !== 'text' && receiptTlvs(id, result.stat, result.err)),
      },
    };
  }

  // ---- Sending to the ESME -----------------------------------------------------------------------

  private queue(pending: Pending): void {
    this.outbox.push(pending);
    this.flush();
  }

  private retryLater(pending: Pending): void {
    pending.tries++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.queue(pending);
    }, Math.min(5000, 100 * 2 ** Math.min(pending.tries, 6)));
    this.timers.add(timer);
  }

  private flush(): void {
    const receivers = [...this.peers].filter((p) => p.rx);
    if (receivers.length === 0) return;
    let i = 0;
    for (const pending of this.outbox.splice(0)) {
      const peer = (pending.via && receivers.find((p) => p.session === pending.via)) || (receivers[i++ % receivers.length] as Peer);
      const pdu = newPdu('deliver_sm', pending.pdu);
      if (peer.session.send(pdu)) peer.unacked.set(pdu.sequence_number, pending);
      else this.outbox.push(pending);
    }
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

function address(prefix: 'source' | 'dest', number: string): Record<string, unknown> {
  const e164 = /^\+\d+$/.test(number);
  const alpha = /[A-Za-z]/.test(number);
  const ton = e164 ? 1 : alpha ? 5 : 3;
  const npi = e164 ? 1 : 0;
  const key = prefix === 'source' ? 'source_addr' : 'destination_addr';
  return { [`${prefix}_addr_ton`]: ton, [`${prefix}_addr_npi`]: npi, [key]: e164 ? number.slice(1) : number };
}

function e164(addr: string, ton: number): string {
  return ton === 1 && /^\d+$/.test(addr) ? `+${addr}` : addr;
}
