// The fields of a delivery receipt deliver_sm as an SMSC writes them (smpp-3.4-notes §6): the
// Appendix B text and the receipted_message_id / message_state / network_error_code TLVs. Used by
// `pigeon smsc` and by Pigeon's own SMPP server (src/smpp-server), so both speak the same receipts.
import { RECEIPT_STATES, type ReceiptStat } from './error-map.js';
import { receiptDate } from './smpp-time.js';
import { encodeGsm7 } from './text-coding.js';

export interface ReceiptContent {
  /** The id as the receipt text spells it. */
  textId: string;
  stat: ReceiptStat;
  err: number;
  submittedAt: number;
  doneAt: number;
  /** The message's text; its first 20 characters are quoted. */
  text: string;
}

/** Appendix B: `id:… sub:001 dlvrd:… submit date:… done date:… stat:… err:… text:…`. */
export function receiptText(r: ReceiptContent): string {
  const delivered = r.stat === 'DELIVRD';
  return (
    `id:${r.textId} sub:001 dlvrd:${delivered ? '001' : '000'} submit date:${receiptDate(r.submittedAt)} ` +
    `done date:${receiptDate(r.doneAt)} stat:${r.stat} err:${String(r.err).padStart(3, '0')} text:${r.text.slice(0, 20)}`
  );
}

/** The receipt text as DCS 0 octets: ASCII only, and none of the characters GSM 03.38 escapes. */
export function receiptShortMessage(text: string): Buffer {
  return encodeGsm7(text.replace(/[^\x20-\x7e]/g, '?').replace(/[[\]{}\\^~|]/g, '?'));
}

/** The message_state TLV value of a receipt state. */
export function messageState(stat: ReceiptStat): number {
  return Number(Object.entries(RECEIPT_STATES).find(([, word]) => word === stat)?.[0] ?? 7);
}

/** receipted_message_id, message_state and, on failure, network_error_code (type 3 = GSM). */
export function receiptTlvs(id: string, stat: ReceiptStat, err: number): Record<string, unknown> {
  return {
    receipted_message_id: id,
    message_state: messageState(stat),
    ...(err !== 0 && { network_error_code: Buffer.from([3, err >> 8, err & 0xff]) }),
  };
}
