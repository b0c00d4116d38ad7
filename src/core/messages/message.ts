// The message as Pigeon stores it, and the per-recipient record that the list API returns.

export type Priority = 'default' | 'high';
export type Direction = 'in' | 'out';
export type MessageType = 'sms' | 'mms';
export type MessageStatus = 'RECEIVED' | 'QUEUED' | 'SENDING' | 'SENT' | 'DELIVERED' | 'FAILED' | 'ACCEPTED' | 'UNDELIVERED';
export type Product = 'LOCAL_A2P' | 'P2P' | 'SHORT_CODE_REACH' | 'TOLL_FREE' | 'HOSTED_SHORT_CODE' | 'ALPHA_NUMERIC';

export const MESSAGE_STATUSES: readonly MessageStatus[] = [
  'RECEIVED',
  'QUEUED',
  'SENDING',
  'SENT',
  'DELIVERED',
  'FAILED',
  'ACCEPTED',
  'UNDELIVERED',
];
export const PRODUCTS: readonly string[] = [
  'LOCAL_A2P',
  'P2P',
  'SHORT_CODE_REACH',
  'TOLL_FREE',
  'HOSTED_SHORT_CODE',
  'ALPHA_NUMERIC',
  'RBM_MEDIA',
  'RBM_RICH',
  'RBM_CONVERSATIONAL',
];

export interface Message {
  id: string;
  accountId: string;
  applicationId: string;
  direction: Direction;
  owner: string;
  from: string;
  to: string[];
  /** Absent when the request had no text (an MMS with media only). */
  text: string | undefined;
  media: string[] | undefined;
  tag: string | undefined;
  priority: Priority;
  /** As the client wrote it, echoed verbatim; `expiresAt` is the same instant in epoch ms. */
  expiration: string | undefined;
  expiresAt: number | undefined;
  segmentCount: number;
  type: MessageType;
  /** Acceptance (outbound) or receipt (inbound) time, epoch ms. */
  time: number;
  /** The id of the request that sent it (X-Request-Id), named by the log lines of its delivery and callbacks. */
  requestId?: string;
}

/** One row per (message, destination number), as `GET …/messages` lists them (reference c.3, i.2). */
export interface MessageRecord {
  messageId: string;
  accountId: string;
  sourceTn: string;
  destinationTn: string;
  messageStatus: MessageStatus;
  messageDirection: 'INBOUND' | 'OUTBOUND';
  messageType: MessageType;
  segmentCount: number;
  errorCode: number;
  receiveTime: number;
  carrierName: string | null;
  messageSize: number;
  messageLength: number;
  attachmentCount: number;
  recipientCount: number;
  callingNumberCountryA3: string | null;
  calledNumberCountryA3: string | null;
  product: string | null;
  campaignClass: string | null;
  campaignId: string | null;
  location: string | null;
  bwLatency: number | null;
  carrierLatency: number | null;
}
