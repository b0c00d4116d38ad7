// The list record of one (message, destination number), with the facts `GET …/messages` reports.
import { countryA3Of, numberKind } from '../phone/phone-number.js';
import type { Message, MessageRecord, MessageStatus, Product } from './message.js';
import { characterCount } from './send-request.js';

const PRODUCT_BY_KIND: Record<ReturnType<typeof numberKind>, Product> = {
  'toll-free': 'TOLL_FREE',
  'short-code': 'SHORT_CODE_REACH',
  alphanumeric: 'ALPHA_NUMERIC',
  local: 'P2P',
};

export function messageRecord(message: Message, destinationTn: string, status: MessageStatus): MessageRecord {
  const text = message.text ?? '';
  const outbound = message.direction === 'out';
  return {
    messageId: message.id,
    accountId: message.accountId,
    sourceTn: message.from,
    destinationTn,
    messageStatus: status,
    messageDirection: outbound ? 'OUTBOUND' : 'INBOUND',
    messageType: message.type,
    segmentCount: message.segmentCount,
    errorCode: 0,
    receiveTime: message.time,
    carrierName: null,
    messageSize: Buffer.byteLength(text, 'utf8'),
    messageLength: characterCount(text),
    attachmentCount: message.media?.length ?? 0,
    recipientCount: message.to.length,
    callingNumberCountryA3: countryA3Of(message.from) ?? null,
    calledNumberCountryA3: countryA3Of(destinationTn) ?? null,
    // The product follows the account's own number: the sender outbound, the receiving number inbound.
    product: PRODUCT_BY_KIND[numberKind(outbound ? message.from : destinationTn)],
    campaignClass: null,
    campaignId: null,
    location: null,
    bwLatency: null,
    carrierLatency: null,
  };
}
