// The durable outbox towards bound applications: receipts of their submits and inbound messages
// for their numbers. Collection turns what the core stored into outbox rows (the store does it in
// SQL: terminal recipients of recorded submits, inbound messages since the last scan); sending
// offers each row to a receiver or transceiver bind of its SMPP user, in row order, within each
// bind's window, and marks it delivered only once the ESME answered every deliver_sm of it with
// ESME_ROK. A row whose answer was an error, never came, or whose bind closed, is offered again
// with backoff, so a receipt waits as long as no bind is up and is delivered at least once.
import type { AccountDirectory } from '../core/accounts/directory.js';
import { backoffMs } from '../core/delivery/backoff.js';
import type { DeliveryStore, EsmeOutboxItem, EsmeOutboxStore } from '../core/ports.js';
import { outboundParts } from '../carriers/smpp/concatenation.js';
import { receiptForErrorCode } from '../carriers/smpp/error-map.js';
import { receiptShortMessage, receiptText, receiptTlvs } from '../carriers/smpp/receipt-text.js';
import { PollLoop } from '../shared/poll-loop.js';
import type { Receiver } from './smpp-listener.js';

const POLL_MS = 250;
/** Inbound is scanned again over this much before the last scan, for messages committed late. */
const INBOUND_OVERLAP_MS = 60_000;
const INBOUND_MARK = 'esme.inbound.scannedTo';
const RETRY = { initialMs: 1000, maxMs: 60_000 };
const PURGE_EVERY_MS = 3_600_000;
/** Delivered rows are kept a day (to look at); submits a week, far past Pigeon's two-hour receipt timeout. */
const KEEP_DELIVERED_MS = 86_400_000;
const KEEP_SUBMITS_MS = 7 * 86_400_000;

export interface EsmeOutboxDeps {
  outbox: EsmeOutboxStore;
  settings: Pick<DeliveryStore, 'getSetting' | 'putSetting'>;
  directory: AccountDirectory;
  receivers(systemId: string): Receiver[];
  now: () => number;
  onError(err: unknown): void;
}

/** An SMPP address of a number: E.164 as TON 1 / NPI 1 without `+`, anything else as TON 0 / NPI 0. */
function smppAddress(prefix: 'source' | 'dest', number: string): Record<string, unknown> {
  const e164 = /^\+\d+$/.test(number);
  const key = prefix === 'source' ? 'source_addr' : 'destination_addr';
  return { [`${prefix}_addr_ton`]: e164 ? 1 : 0, [`${prefix}_addr_npi`]: e164 ? 1 : 0, [key]: e164 ? number.slice(1) : number };
}

/** The deliver_sm fields of an outbox row: one per receipted part id, or one per part of an inbound text. */
export function deliverPdus(item: EsmeOutboxItem, reference: number): Array<Record<string, unknown>> {
  if (item.kind === 'receipt') {
    const result = item.status === 'DELIVERED' ? { stat: 'DELIVRD' as const, err: 0 } : receiptForErrorCode(item.errorCode);
    return item.partIds.map((id) => ({
      // A receipt goes back from the recipient to the sender.
      ...smppAddress('source', item.destinationTn),
      ...smppAddress('dest', item.sourceTn),
      esm_class: 0x04,
      data_coding: 0,
      short_message: receiptShortMessage(
        receiptText({ textId: id, stat: result.stat, err: result.err, submittedAt: item.submittedAt, doneAt: item.doneAt, text: item.text }),
      ),
      ...receiptTlvs(id, result.stat, result.err),
    }));
  }
  return outboundParts(item.text, 'gsm7', 'udh', reference).map((part) => ({
    ...smppAddress('source', item.sourceTn),
    ...smppAddress('dest', item.destinationTn),
    esm_class: part.esm_class,
    data_coding: part.data_coding,
    short_message: part.short_message,
    ...part.tlvs,
  }));
}

export class EsmeOutboxWorker {
  private readonly loop: PollLoop;
  private readonly inFlight = new Set<number>();
  private reference = Math.floor(Math.random() * 256);
  private scannedTo: number | undefined;
  private collectedAt = 0;
  private purgedAt = 0;
  /** Unacknowledged rows per SMPP user, as of the last pass (for the admin status). */
  backlog: Record<string, number> = {};

  constructor(private readonly deps: EsmeOutboxDeps) {
    this.loop = new PollLoop(async () => {
      await this.pass();
      return POLL_MS;
    }, deps.onError);
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async pass(): Promise<void> {
    const { outbox, directory, now } = this.deps;
    // Collection scans; it runs on the poll's beat, while sending also runs whenever an answer
    // freed a slot of a window (wake), so a busy bind is not held to one window per poll.
    if (now() - this.collectedAt >= POLL_MS) {
      this.collectedAt = now();
      await outbox.collectReceipts(now());
      await this.collectInbound();
      this.backlog = await outbox.backlog();
      if (now() - this.purgedAt >= PURGE_EVERY_MS) {
        this.purgedAt = now();
        await outbox.purge(now() - KEEP_DELIVERED_MS, now() - KEEP_SUBMITS_MS);
      }
    }
    for (const user of directory.allSmppUsers()) await this.send(user.systemId);
  }

  private async collectInbound(): Promise<void> {
    const { outbox, directory, settings, now } = this.deps;
    const byApplication = new Map<string, { accountId: string; applicationId: string; systemIds: string[] }>();
    for (const user of directory.allSmppUsers()) {
      const key = `${user.accountId}\0${user.applicationId}`;
      const entry = byApplication.get(key) ?? { accountId: user.accountId, applicationId: user.applicationId, systemIds: [] };
      entry.systemIds.push(user.systemId);
      byApplication.set(key, entry);
    }
    if (byApplication.size === 0) return;
    const scanAt = now();
    // The first scan of a database starts now: inbound from before SMPP users existed is not replayed.
    this.scannedTo ??= Number((await settings.getSetting(INBOUND_MARK)) ?? scanAt);
    const since = this.scannedTo - INBOUND_OVERLAP_MS;
    for (const app of byApplication.values()) await outbox.collectInbound(app.accountId, app.applicationId, app.systemIds, since, scanAt);
    // The mark is written now and then, not on every pass: it only bounds the first scan after a restart.
    if (scanAt - this.scannedTo >= 10_000 || this.scannedTo === scanAt) await settings.putSetting(INBOUND_MARK, String(scanAt), scanAt);
    this.scannedTo = scanAt;
  }

  private async send(systemId: string): Promise<void> {
    const receivers = this.deps.receivers(systemId);
    const free = receivers.reduce((n, r) => n + r.free(), 0);
    if (free === 0) return;
    const items = await this.deps.outbox.pending(systemId, this.deps.now(), free, this.inFlight);
    for (const item of items) {
      if (this.inFlight.has(item.id)) continue;
      const pdus = deliverPdus(item, (this.reference = (this.reference + 1) & 0xff));
      // Every part of a row goes over one bind, in order.
      const receiver = receivers.filter((r) => r.free() >= Math.min(pdus.length, 1)).sort((a, b) => b.free() - a.free())[0];
      if (!receiver) break;
      this.inFlight.add(item.id);
      let remaining = pdus.length;
      let failed = false;
      const settle = (status: number | undefined) => {
        if (status !== 0) failed = true;
        if (--remaining > 0) return;
        const now = this.deps.now();
        const done = failed
          ? this.deps.outbox.markRetry(item.id, now + backoffMs(item.attempts + 1, RETRY.initialMs, RETRY.maxMs))
          : this.deps.outbox.markDelivered(item.id, now);
        done.catch(this.deps.onError).finally(() => {
          this.inFlight.delete(item.id);
          this.wake();
        });
      };
      for (const fields of pdus) if (!receiver.deliver(fields, settle)) settle(undefined);
    }
  }
}
