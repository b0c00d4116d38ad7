// Long messages: how the parts of one text travel (outbound) and how the parts of one message are
// recognised (inbound). The outbound parts are exactly the segments core/encoding/segments.ts counts
// (one splitter for both), so the parts billed are the parts sent; that is why outbound UDH uses the
// 8-bit reference IE (6 octets leave 153 septets / 67 UCS-2 units): the 16-bit IE's extra octet
// would leave 152 / 66 and move the split points. Inbound takes both, and SAR TLVs.
import { splitSegments } from '../../core/encoding/segments.js';
import { encodeDefaultAlphabet, encodeUcs2, fitsDefaultAlphabet, type DefaultAlphabet } from './text-coding.js';

export type LongMessageMethod = 'udh' | 'sar' | 'payload';

export const ESM_UDHI = 0x40;
export const DCS_DEFAULT = 0;
export const DCS_UCS2 = 8;

/** The coding fields of one submit_sm. */
export interface OutboundPart {
  data_coding: number;
  esm_class: number;
  short_message: Buffer;
  /** Optional TLVs by the smpp package's names (sar_*, message_payload). */
  tlvs: Record<string, number | Buffer>;
}

/**
 * The submit_sm coding of each part of `text`. `reference` is the concatenation reference of this
 * message (0..255 for UDH, 0..65535 for SAR); it must differ between consecutive long messages to
 * the same handset (lesson 27), which the caller's rotation ensures.
 */
export function outboundParts(text: string, alphabet: DefaultAlphabet, method: LongMessageMethod, reference: number): OutboundPart[] {
  const split = splitSegments(text);
  // GSM-7 text with characters outside what this SMSC calls DCS 0 (e.g. € where DCS 0 is Latin-1)
  // can only go as UCS-2; its parts are then cut by the UCS-2 rules.
  const gsm = split.encoding === 'GSM-7' && fitsDefaultAlphabet(text, alphabet);
  const { parts } = gsm || split.encoding === 'UCS-2' ? split : splitSegments(text, 'UCS-2');
  const dataCoding = gsm ? DCS_DEFAULT : DCS_UCS2;
  const encode = (part: string) => (gsm ? encodeDefaultAlphabet(part, alphabet) : encodeUcs2(part));
  if (method === 'payload' && parts.length > 1) {
    return [{ data_coding: dataCoding, esm_class: 0, short_message: Buffer.alloc(0), tlvs: { message_payload: encode(text) } }];
  }
  const total = parts.length;
  return parts.map((part, i): OutboundPart => {
    const body = encode(part);
    if (total === 1) return { data_coding: dataCoding, esm_class: 0, short_message: body, tlvs: {} };
    if (method === 'sar') {
      return {
        data_coding: dataCoding,
        esm_class: 0,
        short_message: body,
        tlvs: { sar_msg_ref_num: reference & 0xffff, sar_total_segments: total, sar_segment_seqnum: i + 1 },
      };
    }
    const udh = Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, i + 1]);
    return { data_coding: dataCoding, esm_class: ESM_UDHI, short_message: Buffer.concat([udh, body]), tlvs: {} };
  });
}

/** A part of a concatenated inbound message, wherever its numbering came from. */
export interface PartNumbering {
  reference: number;
  total: number;
  sequence: number;
}

/** Splits a short_message with UDHI set into its UDH concatenation info (8- or 16-bit IE) and body. */
export function readUdh(message: Buffer): { numbering: PartNumbering | undefined; body: Buffer } {
  const udhl = message[0] ?? 0;
  const end = 1 + udhl;
  if (message.length < end) return { numbering: undefined, body: message };
  let numbering: PartNumbering | undefined;
  for (let at = 1; at + 1 < end; ) {
    const iei = message[at] ?? 0;
    const len = message[at + 1] ?? 0;
    const data = message.subarray(at + 2, at + 2 + len);
    if (iei === 0x00 && len === 3) numbering = { reference: data[0] ?? 0, total: data[1] ?? 0, sequence: data[2] ?? 0 };
    if (iei === 0x08 && len === 4) numbering = { reference: data.readUInt16BE(0), total: data[2] ?? 0, sequence: data[3] ?? 0 };
    at += 2 + len;
  }
  return { numbering, body: message.subarray(end) };
}
