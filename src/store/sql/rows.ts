// Row shapes shared by every engine's schema (the column names are the same in each) and their
// mapping to domain objects. Integers go through Number() because drivers differ: better-sqlite3
// returns numbers, pg returns BIGINT as a string unless told otherwise.
import type { Message, MessageRecord } from '../../core/messages/message.js';
import type { CallbackFailure, CallbackRecord } from '../../core/ports.js';

type Int = number | string;

export interface RecordRow {
  message_id: string;
  account_id: string;
  source_tn: string;
  destination_tn: string;
  status: MessageRecord['messageStatus'];
  direction: MessageRecord['messageDirection'];
  message_type: MessageRecord['messageType'];
  segment_count: Int;
  error_code: Int;
  receive_time: Int;
  carrier_name: string | null;
  message_size: Int;
  message_length: Int;
  attachment_count: Int;
  recipient_count: Int;
  calling_a3: string | null;
  called_a3: string | null;
  product: string | null;
  campaign_class: string | null;
  campaign_id: string | null;
  location: string | null;
  bw_latency: Int | null;
  carrier_latency: Int | null;
}

export function recordFromRow(row: RecordRow): MessageRecord {
  return {
    messageId: row.message_id,
    accountId: row.account_id,
    sourceTn: row.source_tn,
    destinationTn: row.destination_tn,
    messageStatus: row.status,
    messageDirection: row.direction,
    messageType: row.message_type,
    segmentCount: Number(row.segment_count),
    errorCode: Number(row.error_code),
    receiveTime: Number(row.receive_time),
    carrierName: row.carrier_name,
    messageSize: Number(row.message_size),
    messageLength: Number(row.message_length),
    attachmentCount: Number(row.attachment_count),
    recipientCount: Number(row.recipient_count),
    callingNumberCountryA3: row.calling_a3,
    calledNumberCountryA3: row.called_a3,
    product: row.product,
    campaignClass: row.campaign_class,
    campaignId: row.campaign_id,
    location: row.location,
    bwLatency: row.bw_latency === null ? null : Number(row.bw_latency),
    carrierLatency: row.carrier_latency === null ? null : Number(row.carrier_latency),
  };
}

export interface MessageRow {
  id: string;
  account_id: string;
  application_id: string;
  direction: 'in' | 'out';
  owner: string;
  from_tn: string;
  to_json: string;
  text: string | null;
  media_json: string | null;
  tag: string | null;
  priority: 'default' | 'high';
  expiration: string | null;
  expires_at: Int | null;
  segment_count: Int;
  message_type: 'sms' | 'mms';
  created_at: Int;
  request_id: string | null;
}

export function messageFromRow(row: MessageRow): Message {
  return {
    id: row.id,
    accountId: row.account_id,
    applicationId: row.application_id,
    direction: row.direction,
    owner: row.owner,
    from: row.from_tn,
    to: JSON.parse(row.to_json) as string[],
    text: row.text ?? undefined,
    media: row.media_json ? (JSON.parse(row.media_json) as string[]) : undefined,
    tag: row.tag ?? undefined,
    priority: row.priority,
    expiration: row.expiration ?? undefined,
    expiresAt: row.expires_at === null ? undefined : Number(row.expires_at),
    segmentCount: Number(row.segment_count),
    type: row.message_type,
    time: Number(row.created_at),
    ...(row.request_id !== null && row.request_id !== undefined && { requestId: row.request_id }),
  };
}

export const MESSAGE_COLUMNS = `id, account_id, application_id, direction, owner, from_tn, to_json, text, media_json, tag,
  priority, expiration, expires_at, segment_count, message_type, created_at, request_id`;

// Parameters are bound by position, in the column order of MESSAGE_COLUMNS and RECORD_COLUMNS:
// binding by name costs a property lookup per parameter, about a third of these inserts.

/** Parameters in the column order of MESSAGE_COLUMNS. */
export function messageParams(m: Message): unknown[] {
  return [
    m.id,
    m.accountId,
    m.applicationId,
    m.direction,
    m.owner,
    m.from,
    JSON.stringify(m.to),
    m.text ?? null,
    m.media ? JSON.stringify(m.media) : null,
    m.tag ?? null,
    m.priority,
    m.expiration ?? null,
    m.expiresAt ?? null,
    m.segmentCount,
    m.type,
    m.time,
    m.requestId ?? null,
  ];
}

export const RECORD_COLUMNS = `message_id, destination_tn, account_id, source_tn, direction, message_type, status,
  error_code, carrier_name, segment_count, message_size, message_length, attachment_count, recipient_count,
  calling_a3, called_a3, product, campaign_class, campaign_id, location, bw_latency, carrier_latency,
  receive_time, updated_at`;

/** An outbound recipient's queue state as accepted (migration 0022): due now, never tried. */
export const QUEUE_COLUMNS = 'priority, run_at, queue_seq';

/** Parameters in the column order of QUEUE_COLUMNS; `seq` undefined where the engine draws it. */
export function queueParams(message: Message, seq?: number): unknown[] {
  const queue = [message.priority === 'high' ? 0 : 1, message.time];
  return seq === undefined ? queue : [...queue, seq];
}

/** Parameters in the column order of RECORD_COLUMNS. */
export function recordParams(r: MessageRecord): unknown[] {
  return [
    r.messageId,
    r.destinationTn,
    r.accountId,
    r.sourceTn,
    r.messageDirection,
    r.messageType,
    r.messageStatus,
    r.errorCode,
    r.carrierName,
    r.segmentCount,
    r.messageSize,
    r.messageLength,
    r.attachmentCount,
    r.recipientCount,
    r.callingNumberCountryA3,
    r.calledNumberCountryA3,
    r.product,
    r.campaignClass,
    r.campaignId,
    r.location,
    r.bwLatency,
    r.carrierLatency,
    r.receiveTime,
    r.receiveTime,
  ];
}


/** A row of the recent callback failures query (both engines). */
export interface FailureRow {
  application_id: string;
  message_id: string;
  event_type: string;
  url: string;
  time: number | string;
  status_code: number | null;
  error: string | null;
}

export function failureFromRow(r: FailureRow): CallbackFailure {
  return {
    applicationId: r.application_id,
    messageId: r.message_id,
    eventType: r.event_type,
    url: r.url,
    time: Number(r.time),
    statusCode: r.status_code ?? undefined,
    error: r.error ?? undefined,
  };
}

/** A row of callback_outbox as a message's callbacks are read. */
export interface CallbackRow {
  id: number | string;
  event_type: string;
  url: string;
  state: CallbackRecord['state'];
  body: string;
  created_at: number | string;
  attempts: number | string;
  /** The attempt that delivered it, when it was recorded in the row (migration 0021). */
  delivered_at: number | string | null;
  delivered_status: number | null;
  delivered_latency_ms: number | string | null;
}

/** A row of callback_attempts. */
export interface AttemptRow {
  outbox_id: number | string;
  attempt: number;
  time: number | string;
  status_code: number | null;
  latency_ms: number | string;
  error: string | null;
}

/** Outbox rows with their attempts (any order of attempts by outbox, each one's in attempt order). */
export function callbacksFromRows(outbox: readonly CallbackRow[], attempts: readonly AttemptRow[]): CallbackRecord[] {
  const byOutbox = new Map<number, CallbackRecord['attempts']>();
  for (const a of attempts) {
    const list = byOutbox.get(Number(a.outbox_id)) ?? [];
    list.push({ attempt: a.attempt, time: Number(a.time), statusCode: a.status_code ?? undefined, latencyMs: Number(a.latency_ms), error: a.error ?? undefined });
    byOutbox.set(Number(a.outbox_id), list);
  }
  return outbox.map((o) => {
    const list = byOutbox.get(Number(o.id)) ?? [];
    if (o.delivered_at !== null && o.delivered_at !== undefined) {
      const latencyMs = Number(o.delivered_latency_ms);
      list.push({ attempt: Number(o.attempts), time: Number(o.delivered_at), statusCode: o.delivered_status ?? undefined, latencyMs, error: undefined });
    }
    return { id: Number(o.id), eventType: o.event_type, url: o.url, state: o.state, body: o.body, createdAt: Number(o.created_at), attempts: list };
  });
}

/** Groups rows by their message_id, keeping their order within each message. */
export function byMessage<R extends { message_id: string }>(rows: readonly R[]): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const row of rows) {
    const list = groups.get(row.message_id) ?? [];
    list.push(row);
    groups.set(row.message_id, list);
  }
  return groups;
}
