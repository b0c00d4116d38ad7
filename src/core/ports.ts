// The interfaces the core needs from the outside world. Storage engines implement `Store`;
// the core never imports an implementation.
import type { Message, MessageRecord, MessageStatus, MessageType } from './messages/message.js';

/** A phone-number filter of the list API: exact numbers, or one partial number matched as a prefix. */
export type TnFilter = { exact: string[] } | { prefix: string };

export const SORT_FIELDS = [
  'messageId',
  'accountId',
  'sourceTn',
  'destinationTn',
  'messageStatus',
  'messageDirection',
  'messageType',
  'segmentCount',
  'errorCode',
  'receiveTime',
  'carrierName',
  'messageSize',
  'messageLength',
  'attachmentCount',
  'recipientCount',
  'campaignClass',
  'campaignId',
  'bwLatency',
  'carrierLatency',
  'callingNumberCountryA3',
  'calledNumberCountryA3',
  'product',
  'location',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface MessageQuery {
  messageId?: string;
  sourceTn?: TnFilter;
  destinationTn?: TnFilter;
  messageStatus?: MessageStatus;
  messageDirection?: 'INBOUND' | 'OUTBOUND';
  carrierName?: string;
  messageType?: MessageType | 'rcs';
  errorCode?: number;
  campaignId?: string;
  product?: string;
  location?: string;
  callingNumberCountryA3?: string;
  calledNumberCountryA3?: string;
  fromTime?: number;
  toTime?: number;
  fromBwLatency?: number;
  fromCarrierLatency?: number;
  bwQueued?: boolean;
  carrierQueued?: boolean;
  fromSegmentCount?: number;
  toSegmentCount?: number;
  fromMessageSize?: number;
  toMessageSize?: number;
  sort: { field: SortField; direction: 'asc' | 'desc' };
  offset: number;
  limit: number;
}

export interface MediaObject {
  accountId: string;
  name: string;
  contentType: string;
  cacheControl: string | undefined;
  data: Buffer;
  createdAt: number;
}

export interface MediaInfo {
  name: string;
  size: number;
}

export interface MessageStore {
  /**
   * Stores an accepted outbound message, its per-recipient records and one delivery-queue entry per
   * recipient, all in one transaction. The promise resolves only once that transaction is durable.
   */
  acceptOutbound(message: Message, records: readonly MessageRecord[]): Promise<void>;
  listMessages(accountId: string, query: MessageQuery): Promise<{ totalCount: number; records: MessageRecord[] }>;
}

export interface MediaStore {
  putMedia(media: MediaObject): Promise<void>;
  getMedia(accountId: string, name: string): Promise<MediaObject | undefined>;
  hasMedia(accountId: string, name: string): Promise<boolean>;
  /** Resolves false when there was nothing to delete. */
  deleteMedia(accountId: string, name: string): Promise<boolean>;
  /** Names in ascending order, strictly after `after` when given. */
  listMedia(accountId: string, after: string | undefined, limit: number): Promise<MediaInfo[]>;
  deleteMediaCreatedBefore(time: number): Promise<number>;
}

export interface Store extends MessageStore, MediaStore {
  close(): Promise<void>;
}
