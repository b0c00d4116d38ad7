// Delivery receipts in a deliver_sm (smpp-3.4-notes §6). The TLVs (receipted_message_id,
// message_state, network_error_code) are trusted first; otherwise the Appendix B text, read
// tolerantly because every SMSC varies it (key case, missing `text:`, dates with seconds).
import type { DeliveryReceipt } from '../../core/delivery/carrier.js';
import { RECEIPT_STATES, receiptErrorCode, type ReceiptStat } from './error-map.js';
import { decodeUcs2 } from './text-coding.js';

export type ReceiptIdFormat = 'auto' | 'hex' | 'decimal';

const ESM_TYPE_MASK = 0x3c;
const ESM_DELIVERY_RECEIPT = 0x04;
const ESM_INTERMEDIATE = 0x20;

/** A deliver_sm that reports on an earlier submit rather than carrying a message from a phone. */
export function isReceipt(esmClass: number): boolean {
  const type = esmClass & ESM_TYPE_MASK;
  return type === ESM_DELIVERY_RECEIPT || type === ESM_INTERMEDIATE;
}

export interface ParsedReceipt {
  id: string;
  stat: ReceiptStat | undefined;
  err: number | undefined;
  /** What the SMSC said, for the recipient's event. */
  detail: string;
}

const STATE_WORDS: Record<string, ReceiptStat> = {
  DELIVRD: 'DELIVRD', DELIVERED: 'DELIVRD', EXPIRED: 'EXPIRED', DELETED: 'DELETED', UNDELIV: 'UNDELIV',
  UNDELIVERABLE: 'UNDELIV', ACCEPTD: 'ACCEPTD', ACCEPTED: 'ACCEPTD', UNKNOWN: 'UNKNOWN', REJECTD: 'REJECTD',
  REJECTED: 'REJECTD', ENROUTE: 'ENROUTE',
};

/** Reads the receipt's fields from the deliver_sm's parameters (the smpp package's names). */
export function parseReceipt(pdu: Record<string, unknown>): ParsedReceipt | undefined {
  const text = receiptText(pdu);
  const field = (key: string) => new RegExp(`(?:^|\\s)${key}:\\s*(\\S*)`, 'i').exec(text)?.[1];
  const tlvId = typeof pdu.receipted_message_id === 'string' && pdu.receipted_message_id !== '' ? pdu.receipted_message_id : undefined;
  const id = tlvId ?? field('id');
  if (id === undefined || id === '') return undefined;
  const tlvState = typeof pdu.message_state === 'number' ? (RECEIPT_STATES as Record<number, ReceiptStat>)[pdu.message_state] : undefined;
  const textStat = field('stat');
  const stat = tlvState ?? (textStat === undefined ? undefined : STATE_WORDS[textStat.toUpperCase()]);
  const network = Buffer.isBuffer(pdu.network_error_code) && pdu.network_error_code.length >= 3 ? pdu.network_error_code : undefined;
  const textErr = field('err');
  const err = network ? network.readUInt16BE(1) : parseErr(textErr);
  const parts = [`stat=${stat ?? textStat ?? '?'}`];
  if (textErr !== undefined) parts.push(`err=${textErr}`);
  if (network) parts.push(`network_error_code=${network.subarray(0, 3).toString('hex')}`);
  return { id, stat, err, detail: parts.join(' ') };
}

function parseErr(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  return /^[0-9a-f]+$/i.test(value) ? Number.parseInt(value, 16) : undefined;
}

function receiptText(pdu: Record<string, unknown>): string {
  const bytes = Buffer.isBuffer(pdu.message_payload) && pdu.message_payload.length > 0 ? pdu.message_payload : pdu.short_message;
  if (!Buffer.isBuffer(bytes)) return '';
  // The Appendix B keys and ids are ASCII in every alphabet but UCS-2.
  return pdu.data_coding === 8 ? decodeUcs2(bytes) : bytes.toString('latin1');
}

/** True for states after which nothing more will be reported. */
export function isFinal(stat: ReceiptStat | undefined): stat is Exclude<ReceiptStat, 'ENROUTE' | 'ACCEPTD'> {
  return stat !== undefined && stat !== 'ENROUTE' && stat !== 'ACCEPTD';
}

/**
 * Other spellings of a receipt id under which the submit response may have given it (lesson 13):
 * `auto` tries hex->decimal and decimal->hex, `hex` only the decimal of a hex id, `decimal` only
 * the hex of a decimal id; leading zeros stripped and both letter cases in each.
 */
export function alternateIds(id: string, format: ReceiptIdFormat): string[] {
  const out = new Set<string>();
  const add = (value: string) => {
    for (const v of [value, value.toLowerCase(), value.toUpperCase(), value.replace(/^0+(?=.)/, '')]) out.add(v);
  };
  add(id);
  if ((format === 'auto' || format === 'hex') && /^[0-9a-f]{1,30}$/i.test(id)) add(BigInt(`0x${id}`).toString(10));
  if ((format === 'auto' || format === 'decimal') && /^\d{1,36}$/.test(id)) add(BigInt(id).toString(16));
  out.delete(id);
  return [...out];
}

/** The DeliveryReceipt Pigeon's core takes, from a final parsed receipt. */
export function toDeliveryReceipt(parsed: ParsedReceipt, format: ReceiptIdFormat, time: number): DeliveryReceipt {
  const delivered = parsed.stat === 'DELIVRD';
  return {
    carrierMessageId: parsed.id,
    alternateIds: alternateIds(parsed.id, format),
    delivered,
    ...(delivered ? {} : { errorCode: receiptErrorCode(parsed.stat ?? 'UNKNOWN', parsed.err) }),
    carrierDetail: parsed.detail,
    time,
  };
}
