// submit_sm and data_sm from a bound application: the PDU read into a send request and accepted
// through the same core path as POST …/messages (core/messages/send-message.ts), as the user's
// application. Long messages come as several submits (UDH with an 8- or 16-bit reference, or SAR
// TLVs) or as one (message_payload); their parts are kept durably (the inbound-parts store) until
// the last one is in, and the whole text becomes one message whose segmentCount the core counts.
import type { SmppUser } from '../core/accounts/directory.js';
import type { Account } from '../core/accounts/directory.js';
import { errors } from '../core/errors.js';
import { newMessageId } from '../core/messages/message-id.js';
import { sendMessage, type SendDeps } from '../core/messages/send-message.js';
import { isE164 } from '../core/phone/phone-number.js';
import type { DeliveryStore, EsmeOutboxStore, InboundPartStore } from '../core/ports.js';
import { inboundAddress } from '../carriers/smpp/addresses.js';
import { ESM_UDHI, readUdh, type PartNumbering } from '../carriers/smpp/concatenation.js';
import { decodeText } from '../carriers/smpp/text-coding.js';
import { ESME, submitStatus } from './status-table.js';

/** SMPP 3.4 §5.2: address fields are C-Octet Strings of at most 21 octets with the NUL; sm_length at most 254. */
const MAX_ADDRESS = 20;
const MAX_SHORT_MESSAGE = 254;
/** A message_payload longer than this is not a text message anyone should send (SMPP allows 64K). */
const MAX_PAYLOAD = 16 * 1024;

/** A refusal with its command_status, raised before the core is asked. */
export class SubmitRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SubmitRefused';
  }
}

export interface ParsedSubmit {
  from: string;
  to: string;
  text: string;
  numbering: PartNumbering | undefined;
  /** registered_delivery bits 1-0: 0 none, 1 success or failure, 2 failure only (3 is reserved: taken as 1). */
  registeredDelivery: 0 | 1 | 2;
}

function address(pdu: Record<string, unknown>, prefix: 'source' | 'dest'): string {
  const raw = String((prefix === 'source' ? pdu.source_addr : pdu.destination_addr) ?? '');
  const ton = Number((prefix === 'source' ? pdu.source_addr_ton : pdu.dest_addr_ton) ?? 0);
  if (raw.length > MAX_ADDRESS) throw new SubmitRefused(prefix === 'source' ? ESME.RINVSRCADR : ESME.RINVDSTADR, `${prefix} address too long`);
  // TON/NPI normalised: international with or without `+`, `00` prefixes, TON 0 digits (addresses.ts).
  return inboundAddress(raw, ton, undefined);
}

/** Reads a submit_sm or data_sm; throws SubmitRefused for what SMPP itself forbids. */
export function parseSubmit(pdu: Record<string, unknown>): ParsedSubmit {
  const from = address(pdu, 'source');
  const to = address(pdu, 'dest');
  const payload = Buffer.isBuffer(pdu.message_payload) && pdu.message_payload.length > 0 ? pdu.message_payload : undefined;
  const short = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
  if (short.length > MAX_SHORT_MESSAGE) throw new SubmitRefused(ESME.RINVMSGLEN, 'short_message longer than 254 octets');
  if (payload && short.length > 0) throw new SubmitRefused(ESME.RINVMSGLEN, 'both short_message and message_payload');
  if (payload && payload.length > MAX_PAYLOAD) throw new SubmitRefused(ESME.RINVMSGLEN, 'message_payload too long');
  const dcs = Number(pdu.data_coding ?? 0);
  // Text only: 8-bit data (DCS 2, 4 and the 8-bit message-class groups) is not an SMS text Pigeon can send.
  if (dcs === 2 || dcs === 4 || (dcs & 0xf4) === 0xf4 || ((dcs & 0xc0) === 0 && dcs >= 0x10 && ((dcs >> 2) & 3) === 1)) {
    throw new SubmitRefused(ESME.RINVDCS, `data_coding ${dcs} is binary`);
  }
  let bytes = payload ?? short;
  let numbering: PartNumbering | undefined;
  if ((Number(pdu.esm_class ?? 0) & ESM_UDHI) !== 0) {
    const udh = readUdh(bytes);
    numbering = udh.numbering;
    bytes = udh.body;
  }
  if (numbering === undefined && typeof pdu.sar_msg_ref_num === 'number' && typeof pdu.sar_total_segments === 'number') {
    numbering = { reference: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, sequence: Number(pdu.sar_segment_seqnum ?? 0) };
  }
  if (numbering !== undefined && (numbering.sequence < 1 || numbering.sequence > numbering.total)) {
    throw new SubmitRefused(ESME.RINVESMCLASS, 'part number outside its total');
  }
  if (numbering !== undefined && numbering.total <= 1) numbering = undefined;
  const rd = Number(pdu.registered_delivery ?? 0) & 0x03;
  return {
    from,
    to,
    // DCS 0 is GSM 03.38 here, as almost every SMSC reads it (smpp-3.4-notes §4); 1 ASCII, 3 Latin-1, 8 UCS-2.
    text: decodeText(bytes, dcs, 'gsm7'),
    numbering,
    registeredDelivery: rd === 0 ? 0 : rd === 2 ? 2 : 1,
  };
}

export interface SubmitDeps {
  send: SendDeps;
  parts: InboundPartStore;
  outbox: EsmeOutboxStore;
  delivery: Pick<DeliveryStore, 'getMessage'>;
  now: () => number;
}

/** What submit_sm_resp says: the id of this submit (the message's, or of one of its parts) and whether a message was made. */
export interface SubmitAccepted {
  id: string;
  accepted: boolean;
}

/**
 * Accepts one submit. Resolves once what it carried is durable (the whole message, or this part);
 * rejects with SubmitRefused or with the core's error, which status-table.ts maps.
 */
export async function acceptSubmit(deps: SubmitDeps, user: SmppUser, account: Account, submit: ParsedSubmit): Promise<SubmitAccepted> {
  const application = account.applications.get(user.applicationId);
  // Checked per part, so a long message from a wrong number is refused at its first part.
  if (!application || !application.numbers.has(submit.from)) {
    throw errors.validation([{ fieldName: 'from', description: `'${submit.from}' is not a number of application ${user.applicationId}` }]);
  }
  if (!isE164(submit.to)) throw new SubmitRefused(ESME.RINVDSTADR, `'${submit.to}' is not an E.164 number`);
  const now = deps.now();
  const body = (text: string) => ({ from: submit.from, to: [submit.to], text, applicationId: user.applicationId });
  const { numbering } = submit;
  if (numbering === undefined) {
    const messageId = newMessageId(now);
    await sendMessage(deps.send, account, body(submit.text), undefined, { messageId });
    if (submit.registeredDelivery !== 0) {
      await deps.outbox.recordSubmit({ messageId, systemId: user.systemId, registeredDelivery: submit.registeredDelivery, partIds: [messageId], submittedAt: now });
    }
    return { id: messageId, accepted: true };
  }
  // Parts of one message share (user, from, to, reference, total). Part 0 holds the message id,
  // chosen by whichever part came first, so each part's id (message id + part number) is known
  // when that part is answered, before the message exists.
  const carrier = `esme:${user.systemId}`;
  const messageKey = `${submit.from}|${submit.to}|${numbering.reference}|${numbering.total}`;
  return oneAtATime(`${carrier}|${messageKey}`, () => acceptPart(deps, user, account, submit, numbering, carrier, messageKey, now));
}

// Parts of one message are taken one after the other: on PostgreSQL two last parts committed at
// once would each miss the other and neither would complete the message. (Parts of one message
// reach one Pigeon process over one bind in practice; across processes the race remains.)
const queues = new Map<string, Promise<unknown>>();

/** Statuses ESMEs resend on (status-table.ts). */
const RETRIED = new Set<number>([ESME.RMSGQFUL, ESME.RTHROTTLED, ESME.RSYSERR]);

function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  queues.set(key, next);
  void next.catch(() => undefined).finally(() => {
    if (queues.get(key) === next) queues.delete(key);
  });
  return next;
}

async function acceptPart(
  deps: SubmitDeps,
  user: SmppUser,
  account: Account,
  submit: ParsedSubmit,
  numbering: PartNumbering,
  carrier: string,
  messageKey: string,
  now: number,
): Promise<SubmitAccepted> {
  const body = (text: string) => ({ from: submit.from, to: [submit.to], text, applicationId: user.applicationId });
  const addHead = () => deps.parts.addPart({ carrier, messageKey, sequence: 0, total: numbering.total, text: newMessageId(now), receivedAt: now });
  let head = await addHead();
  if (await sentAlready(deps, head, submit, numbering)) {
    // The parts of a message that was sent, left behind by a stop between the send and their
    // deletion: a new message under the same key starts afresh, with an id of its own, rather than
    // being answered with the old one's id and dropped as its duplicate.
    await deps.parts.deleteMessage(carrier, messageKey);
    head = await addHead();
  }
  const messageId = head.find((p) => p.sequence === 0)?.text as string;
  const partId = (n: number) => `${messageId}-${n}`;
  const parts = await deps.parts.addPart({ carrier, messageKey, sequence: numbering.sequence, total: numbering.total, text: submit.text, receivedAt: now });
  // The receipt is asked per part: Kannel, for one, asks on the first part only.
  if (submit.registeredDelivery !== 0) {
    await deps.outbox.recordSubmit({ messageId, systemId: user.systemId, registeredDelivery: submit.registeredDelivery, partIds: [partId(numbering.sequence)], submittedAt: now });
  }
  const texts = parts.filter((p) => p.sequence > 0);
  if (texts.length < numbering.total) return { id: partId(numbering.sequence), accepted: false };
  try {
    await sendMessage(deps.send, account, body(texts.map((p) => p.text).join('')), undefined, { messageId });
  } catch (err) {
    // The last part offered twice (an ESME that resent it, or two last parts at once): the
    // message is already there, and this part is answered like the first time.
    if (!(await deps.delivery.getMessage(messageId).catch(() => undefined))) {
      // Refused for good (the joined text, its sender …): resending cannot help, so the parts go.
      // A passing condition (full queue, rate, busy database) keeps them for the resent last part.
      if (!RETRIED.has(submitStatus(err))) await deps.parts.deleteMessage(carrier, messageKey);
      throw err;
    }
  }
  await deps.parts.deleteMessage(carrier, messageKey);
  return { id: partId(numbering.sequence), accepted: true };
}

/**
 * True when the stored parts under this part's key are those of a message already made, and this
 * part is not one of them offered again (an ESME that got no answer resends the same text). Only
 * a complete set is looked at, so the parts of a message being assembled cost no lookup.
 */
async function sentAlready(
  deps: SubmitDeps,
  stored: ReadonlyArray<{ sequence: number; text: string }>,
  submit: ParsedSubmit,
  numbering: PartNumbering,
): Promise<boolean> {
  const texts = stored.filter((p) => p.sequence > 0);
  if (texts.length < numbering.total) return false;
  const messageId = stored.find((p) => p.sequence === 0)?.text;
  if (messageId === undefined || !(await deps.delivery.getMessage(messageId).catch(() => undefined))) return false;
  return texts.find((p) => p.sequence === numbering.sequence)?.text !== submit.text;
}
