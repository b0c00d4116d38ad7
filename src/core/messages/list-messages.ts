// GET …/messages: parses the list filters (reference i.1), pages with opaque tokens bound to the
// filters they were issued for (i.3), and renders `MessagesList` (c.2, c.3).
import { createHash } from 'node:crypto';
import { errors } from '../errors.js';
import { isE164 } from '../phone/phone-number.js';
import { SORT_FIELDS, type MessageQuery, type MessageStore, type SortField, type TnFilter } from '../ports.js';
import { MESSAGE_STATUSES, PRODUCTS, type MessageRecord, type MessageStatus } from './message.js';
import { parseRfc3339 } from './rfc3339.js';

export const MAX_WINDOW = 10_000;
const DEFAULT_LIMIT = 100;
const DAY_MS = 86_400_000;

export interface ListMessageItem {
  messageId: string;
  accountId: string;
  sourceTn: string;
  destinationTn: string;
  messageStatus: MessageStatus;
  messageDirection: 'INBOUND' | 'OUTBOUND';
  messageType: string;
  segmentCount: number;
  errorCode: number;
  receiveTime: string;
  carrierName: string | null;
  messageSize: number | null;
  messageLength: number;
  attachmentCount: number | null;
  recipientCount: number | null;
  campaignClass: string | null;
  campaignId: string | null;
  bwLatency: number | null;
  carrierLatency: number | null;
  callingNumberCountryA3: string | null;
  calledNumberCountryA3: string | null;
  product: string | null;
  location: string | null;
}

export interface PageInfo {
  prevPage?: string;
  nextPage?: string;
  prevPageToken?: string;
  nextPageToken?: string;
}

export interface MessagesList {
  totalCount: number;
  pageInfo: PageInfo;
  messages: ListMessageItem[];
}

export interface ListOptions {
  now: number;
  /** When no date is given, only this many days back are searched (Bandwidth's 14-day window); 0 = no limit. */
  defaultWindowDays: number;
  /** Builds the absolute URL of a page from its token (the original query with `pageToken` replaced). */
  pageUrl: (token: string) => string;
  /** Query fields the caller sets itself (the console's tag filter, its exact number filters). */
  extra?: Pick<MessageQuery, 'tag' | 'sourceTn' | 'destinationTn'>;
  /**
   * Count matches only as far as telling whether a page follows this one (the console's paging):
   * `totalCount` is then at most offset + limit + 1, and the cost of a page does not grow with the
   * store. The Bandwidth list API counts everything, as Bandwidth does.
   */
  boundedCount?: boolean;
}

type RawQuery = Record<string, unknown>;

function single(raw: RawQuery, name: string): string | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw errors.badRequest(`'${name}' must be given once`);
  return value;
}

function integer(raw: RawQuery, name: string, min = 0): number | undefined {
  const value = single(raw, name);
  if (value === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(value) || Number(value) < min) {
    throw errors.badRequest(`'${name}' must be an integer${min > 0 ? ` of at least ${min}` : ''}, not '${value}'`);
  }
  return Number(value);
}

function boolean(raw: RawQuery, name: string): boolean | undefined {
  const value = single(raw, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw errors.badRequest(`'${name}' must be true or false, not '${value}'`);
  return value === 'true';
}

function oneOf<T extends string>(raw: RawQuery, name: string, allowed: readonly T[]): T | undefined {
  const value = single(raw, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw errors.badRequest(`'${name}' must be one of ${allowed.join(', ')}, not '${value}'`);
  }
  return value as T;
}

function dateTime(raw: RawQuery, name: string): number | undefined {
  const value = single(raw, name);
  if (value === undefined) return undefined;
  const ms = parseRfc3339(value);
  if (ms === undefined) throw errors.badRequest(`'${name}' must be an ISO 8601 date-time, not '${value}'`);
  return ms;
}

function telephoneFilter(raw: RawQuery, name: string): TnFilter | undefined {
  let value = single(raw, name);
  if (value === undefined) return undefined;
  // A client that forgot to encode '+' sends a space; the intent is unambiguous.
  if (value.startsWith(' ')) value = `+${value.slice(1)}`;
  if (value.includes(',')) {
    const numbers = value.split(',').map((n) => n.trim());
    if (numbers.length > 10 || !numbers.every(isE164)) {
      throw errors.badRequest(`'${name}' must be up to 10 comma-separated E.164 numbers`);
    }
    return { exact: numbers };
  }
  // One number is matched as a prefix: '+1919' (a partial number) and '+19195551212' (a full one)
  // are both syntactically E.164, and a full number's prefix matches that number.
  // "A partial number of at least 5 characters", such as '+1919' (reference i.1).
  if (/^(?=.{5,16}$)\+?\d+$/.test(value)) return { prefix: value };
  throw errors.badRequest(`'${name}' must be an E.164 number, a list of them, or a partial number of at least 5 characters`);
}

function sortOrder(raw: RawQuery): MessageQuery['sort'] {
  const value = single(raw, 'sort');
  if (value === undefined) return { field: 'receiveTime', direction: 'desc' };
  const [field = '', direction = 'asc', extra] = value.split(':');
  if (extra !== undefined || !(SORT_FIELDS as readonly string[]).includes(field) || !['asc', 'desc'].includes(direction)) {
    throw errors.badRequest(`'sort' must be field:asc or field:desc with a message field, not '${value}'`);
  }
  return { field: field as SortField, direction: direction as 'asc' | 'desc' };
}

/** Page tokens carry the offset and a fingerprint of the filters, so a token cannot be replayed on another query. */
function fingerprint(raw: RawQuery): string {
  const canonical = Object.keys(raw)
    .filter((k) => k !== 'pageToken' && k !== 'limit')
    .sort()
    .map((k) => `${k}=${String(raw[k])}`)
    .join('&');
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

function encodeToken(offset: number, print: string): string {
  return Buffer.from(`${offset}.${print}`).toString('base64url');
}

function decodeToken(token: string, print: string): number {
  const m = /^(\d{1,5})\.([A-Za-z0-9_-]{12})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m || m[2] !== print || Number(m[1]) >= MAX_WINDOW) throw errors.badRequest("'pageToken' is not valid for this query");
  return Number(m[1]);
}

export function parseListQuery(raw: RawQuery, now: number, defaultWindowDays: number): MessageQuery {
  const offsetToken = single(raw, 'pageToken');
  const offset = offsetToken === undefined ? 0 : decodeToken(offsetToken, fingerprint(raw));
  const limit = integer(raw, 'limit', 1) ?? DEFAULT_LIMIT;
  if (limit > MAX_WINDOW) throw errors.badRequest(`'limit' must be at most ${MAX_WINDOW}`);

  let fromTime = dateTime(raw, 'fromDateTime');
  const toTime = dateTime(raw, 'toDateTime');
  if (fromTime === undefined && toTime === undefined && defaultWindowDays > 0) {
    fromTime = now - defaultWindowDays * DAY_MS;
  }
  if (fromTime !== undefined && toTime !== undefined && fromTime > toTime) {
    throw errors.badRequest("'fromDateTime' must not be after 'toDateTime'");
  }
  const query: MessageQuery = {
    messageId: single(raw, 'messageId'),
    sourceTn: telephoneFilter(raw, 'sourceTn'),
    destinationTn: telephoneFilter(raw, 'destinationTn'),
    messageStatus: oneOf(raw, 'messageStatus', MESSAGE_STATUSES),
    messageDirection: oneOf(raw, 'messageDirection', ['INBOUND', 'OUTBOUND'] as const),
    carrierName: single(raw, 'carrierName'),
    messageType: oneOf(raw, 'messageType', ['sms', 'mms', 'rcs'] as const),
    errorCode: integer(raw, 'errorCode'),
    campaignId: single(raw, 'campaignId'),
    product: oneOf(raw, 'product', PRODUCTS),
    location: single(raw, 'location'),
    callingNumberCountryA3: single(raw, 'callingNumberCountryA3'),
    calledNumberCountryA3: single(raw, 'calledNumberCountryA3'),
    fromTime,
    toTime,
    fromBwLatency: integer(raw, 'fromBwLatency'),
    fromCarrierLatency: integer(raw, 'fromCarrierLatency'),
    bwQueued: boolean(raw, 'bwQueued'),
    carrierQueued: boolean(raw, 'carrierQueued'),
    fromSegmentCount: integer(raw, 'fromSegmentCount'),
    toSegmentCount: integer(raw, 'toSegmentCount'),
    fromMessageSize: integer(raw, 'fromMessageSize'),
    toMessageSize: integer(raw, 'toMessageSize'),
    sort: sortOrder(raw),
    offset,
    // "limit plus offset may not exceed 10 000": the last reachable page is shortened, not refused.
    limit: Math.min(limit, MAX_WINDOW - offset),
  };
  boolean(raw, 'limitTotalCount');
  return query;
}

export function toListItem(r: MessageRecord): ListMessageItem {
  return {
    messageId: r.messageId,
    accountId: r.accountId,
    sourceTn: r.sourceTn,
    destinationTn: r.destinationTn,
    messageStatus: r.messageStatus,
    messageDirection: r.messageDirection,
    messageType: r.messageType,
    segmentCount: r.segmentCount,
    errorCode: r.errorCode,
    receiveTime: new Date(r.receiveTime).toISOString(),
    carrierName: r.carrierName,
    messageSize: r.messageSize,
    messageLength: r.messageLength,
    attachmentCount: r.attachmentCount,
    recipientCount: r.recipientCount,
    campaignClass: r.campaignClass,
    campaignId: r.campaignId,
    bwLatency: r.bwLatency,
    carrierLatency: r.carrierLatency,
    callingNumberCountryA3: r.callingNumberCountryA3,
    calledNumberCountryA3: r.calledNumberCountryA3,
    product: r.product,
    location: r.location,
  };
}

export async function listMessages(
  store: MessageStore,
  accountId: string,
  raw: RawQuery,
  options: ListOptions,
): Promise<MessagesList> {
  const parsed = { ...parseListQuery(raw, options.now, options.defaultWindowDays), ...options.extra };
  const query = options.boundedCount ? { ...parsed, countLimit: parsed.offset + parsed.limit + 1 } : parsed;
  const { totalCount, records } = await store.listMessages(accountId, query);
  const print = fingerprint(raw);
  const pageInfo: PageInfo = {};
  const nextOffset = query.offset + query.limit;
  if (nextOffset < Math.min(totalCount, MAX_WINDOW)) {
    pageInfo.nextPageToken = encodeToken(nextOffset, print);
    pageInfo.nextPage = options.pageUrl(pageInfo.nextPageToken);
  }
  if (query.offset > 0) {
    const requested = integer(raw, 'limit', 1) ?? DEFAULT_LIMIT;
    pageInfo.prevPageToken = encodeToken(Math.max(0, query.offset - requested), print);
    pageInfo.prevPage = options.pageUrl(pageInfo.prevPageToken);
  }
  const capped = raw.limitTotalCount === 'true' ? Math.min(totalCount, MAX_WINDOW) : totalCount;
  return { totalCount: capped, pageInfo: orderPageInfo(pageInfo), messages: records.map(toListItem) };
}

function orderPageInfo(p: PageInfo): PageInfo {
  const out: PageInfo = {};
  if (p.prevPage) out.prevPage = p.prevPage;
  if (p.nextPage) out.nextPage = p.nextPage;
  if (p.prevPageToken) out.prevPageToken = p.prevPageToken;
  if (p.nextPageToken) out.nextPageToken = p.nextPageToken;
  return out;
}
