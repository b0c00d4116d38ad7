// deliver_sm that carries a message from a phone: its text decoded by its data_coding, its numbers
// normalised to E.164, and, when it is one part of a long message, kept durably until every part
// is in (parts arrive in any order, interleaved with other messages, over any bind), then handed to
// Pigeon's inbound path as one message.
import type { CarrierInbound } from '../../core/delivery/carrier.js';
import type { InboundPartStore } from '../../core/ports.js';
import { inboundAddress } from './addresses.js';
import { ESM_UDHI, readUdh, type PartNumbering } from './concatenation.js';
import { decodeText, type DefaultAlphabet } from './text-coding.js';

export interface InboundSettings {
  carrier: string;
  alphabet: DefaultAlphabet;
  countryCode: string | undefined;
}

/** One deliver_sm's message part: its addresses, decoded text and numbering, if it is a part. */
export interface InboundPart {
  from: string;
  to: string;
  text: string;
  numbering: PartNumbering | undefined;
}

export function readInboundPart(pdu: Record<string, unknown>, settings: InboundSettings): InboundPart {
  const payload = Buffer.isBuffer(pdu.message_payload) && pdu.message_payload.length > 0 ? pdu.message_payload : undefined;
  let bytes = payload ?? (Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0));
  let numbering: PartNumbering | undefined;
  if ((Number(pdu.esm_class) & ESM_UDHI) !== 0) {
    const udh = readUdh(bytes);
    numbering = udh.numbering;
    bytes = udh.body;
  }
  if (numbering === undefined && typeof pdu.sar_msg_ref_num === 'number' && typeof pdu.sar_total_segments === 'number') {
    numbering = { reference: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, sequence: Number(pdu.sar_segment_seqnum ?? 0) };
  }
  if (numbering !== undefined && (numbering.total <= 1 || numbering.sequence < 1 || numbering.sequence > numbering.total)) numbering = undefined;
  return {
    from: inboundAddress(String(pdu.source_addr ?? ''), Number(pdu.source_addr_ton ?? 0), settings.countryCode),
    to: inboundAddress(String(pdu.destination_addr ?? ''), Number(pdu.dest_addr_ton ?? 0), settings.countryCode),
    text: decodeText(bytes, Number(pdu.data_coding ?? 0), settings.alphabet),
    numbering,
  };
}

/**
 * Resolves with the whole message once it is complete, undefined while parts are still owed.
 * A part is durable when this resolves, so the SMSC may be told it was taken.
 */
export async function assemble(
  part: InboundPart,
  store: InboundPartStore,
  settings: InboundSettings,
  now: number,
): Promise<{ message: CarrierInbound; done: () => Promise<void> } | undefined> {
  const whole = (text: string): CarrierInbound => ({ from: part.from, to: [part.to], text, media: [], time: now });
  const { numbering } = part;
  if (numbering === undefined) return { message: whole(part.text), done: async () => undefined };
  // The reference alone repeats (8 bits); with both numbers and the total it names one message.
  const messageKey = `${part.from}|${part.to}|${numbering.reference}|${numbering.total}`;
  const parts = await store.addPart({
    carrier: settings.carrier,
    messageKey,
    sequence: numbering.sequence,
    total: numbering.total,
    text: part.text,
    receivedAt: now,
  });
  if (parts.length < numbering.total) return undefined;
  return {
    message: whole(parts.map((p) => p.text).join('')),
    // Deleted only after the message is stored: a crash in between hands it over again when the
    // SMSC redelivers the last part (at least once, never lost).
    done: () => store.deleteMessage(settings.carrier, messageKey),
  };
}
