// Rows for store tests that write through a store directly: a message's recipient record as the
// accept path makes it (QUEUED outbound, RECEIVED inbound), with fields a test may override.
import type { Message, MessageRecord } from '../../src/core/messages/message.js';
import { reachedMarker } from '../../src/store/sql/event-log.js';

export function recordOf(message: Message, destinationTn: string, overrides: Partial<MessageRecord> = {}): MessageRecord {
  return {
    messageId: message.id,
    accountId: message.accountId,
    sourceTn: message.from,
    destinationTn,
    messageStatus: message.direction === 'out' ? 'QUEUED' : 'RECEIVED',
    messageDirection: message.direction === 'out' ? 'OUTBOUND' : 'INBOUND',
    messageType: message.type,
    segmentCount: message.segmentCount,
    errorCode: 0,
    receiveTime: message.time,
    carrierName: null,
    messageSize: 20,
    messageLength: 20,
    attachmentCount: 0,
    recipientCount: message.to.length,
    callingNumberCountryA3: 'USA',
    calledNumberCountryA3: 'USA',
    product: 'LOCAL_A2P',
    campaignClass: null,
    campaignId: null,
    location: null,
    bwLatency: null,
    carrierLatency: null,
    ...overrides,
  };
}

/**
 * SQL (both engines) for how many events of these statuses a recipient's row holds (its `events`
 * column, store/sql/event-log.ts): each event line starts with the status's marker.
 */
export function eventCountSql(statuses: readonly string[]): string {
  return statuses
    .map((status) => {
      const marker = reachedMarker(status).replaceAll("'", "''");
      return `((length(coalesce(events, '')) - length(replace(coalesce(events, ''), '${marker}', ''))) / length('${marker}'))`;
    })
    .join(' + ');
}
