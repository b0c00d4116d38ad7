// GET …/messages: parses the list filters (reference i.1), pages with opaque tokens bound to the
// filters they were issued for (i.3), and renders `MessagesList` (c.2, c.3).
import { createHash } from 'node:crypto';
import { errors } from '../errors.js';
import { isE164 } from '../phone/phone-number.js';
import { SORT_FIELDS, type MessageQuery, type MessageStore, type PageCursor, type SortField, type TnFilter } from '../ports.js';
import { MESSAGE_STATUSES, PRODUCTS, type MessageRecord, type MessageStatus } from './message.js';
import { parseRfc3339 } from './rfc3339.js';

export const MAX_WINDOW = 10_000;
const DEFAULT_LIMIT = 100;
const DAY_MS = 86_400_000;
/** The sort fields whose values are numbers; the others are strings. */
const NUMERIC_SORT: ReadonlySet<SortField> = new Set<SortField>([
  'segmentCount',
  'errorCode',
  'receiveTime',
  'messageSize',
  'messageLength',
  'attachmentCount',
  'recipientCount',
  'bwLatency',
  'carrierLatency',
]);

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
  /** Query fields the caller sets itself (the console's tag filter and text search, its exact number filters). */
  extra?: Pick<MessageQuery, 'tag' | 'text' | 'sourceTn' | 'destinationTn'>;
  /**
   * Do not count (the console's paging): `totalCount` is then the records up to this page's end,
   * plus 1 when a page follows, and the cost of a page does not grow with the store. The Bandwidth
   * list API counts every match, as Bandwidth does (at most 10 000 with `limitTotalCount=true`).
   */
  boundedCount?: boolean;
  /**
   * Let page tokens reach past the first 10 000 records (the console). The Bandwidth API keeps
   * "limit plus offset may not exceed 10 000"; keyset paging makes a deep page cost what the first does.
   */
  unboundedPaging?: boolean;
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

/** A fingerprint of the filters and sort, so a token cannot be replayed on another query. */
function fingerprint(raw: RawQuery): string {
  const canonical = Object.keys(raw)
    .filter((k) => k !== 'pageToken' && k !== 'limit')
    .sort()
    .map((k) => `${k}=${String(raw[k])}`)
    .join('&');
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

/** Where a page starts: its position in the whole list (for the 10 000 window), and the row it follows. */
interface PagePosition {
  offset: number;
  cursor?: PageCursor;
}

/**
 * Page tokens (opaque base64url) carry the query's fingerprint, the page's position, and the sort key
 * of the row the page starts after (keyset paging), so a deep page costs what the first one does.
 */
function encodeToken(print: string, { offset, cursor }: PagePosition): string {
  const payload = cursor
    ? [print, offset, cursor.backwards ? 1 : 0, cursor.value, cursor.receiveTime, cursor.messageId, cursor.destinationTn]
    : [print, offset];
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

function decodeToken(token: string, print: string, window: number): PagePosition {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    payload = undefined;
  }
  const invalid = () => errors.badRequest("'pageToken' is not valid for this query");
  if (!Array.isArray(payload) || payload[0] !== print) throw invalid();
  const [, offset, backwards, value, receiveTime, messageId, destinationTn] = payload as unknown[];
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset >= window) throw invalid();
  if (payload.length === 2) return { offset };
  if (
    payload.length !== 7 ||
    (backwards !== 0 && backwards !== 1) ||
    !(value === null || typeof value === 'string' || typeof value === 'number') ||
    typeof receiveTime !== 'number' ||
    typeof messageId !== 'string' ||
    typeof destinationTn !== 'string'
  ) {
    throw invalid();
  }
  return { offset, cursor: { value, receiveTime, messageId, destinationTn, backwards: backwards === 1 } };
}

function cursorOf(record: MessageRecord, field: SortField, backwards: boolean): PageCursor {
  return {
    value: record[field],
    receiveTime: record.receiveTime,
    messageId: record.messageId,
    destinationTn: record.destinationTn,
    backwards,
  };
}

export interface ParsedListQuery {
  /** What the store runs: the filters, the sort, the position to start after, the page size. */
  query: MessageQuery;
  /** The page's position in the whole list. */
  offset: number;
  /** The page size asked for (the query's limit may be shorter at the end of the window). */
  requestedLimit: number;
}

/** `window`: how far tokens may page ("limit plus offset may not exceed 10 000" for the API). */
export function parseListQuery(raw: RawQuery, now: number, defaultWindowDays: number, window = MAX_WINDOW): ParsedListQuery {
  const token = single(raw, 'pageToken');
  const position = token === undefined ? { offset: 0 } : decodeToken(token, fingerprint(raw), window);
  const limit = integer(raw, 'limit', 1) ?? DEFAULT_LIMIT;
  if (limit > MAX_WINDOW) throw errors.badRequest(`'limit' must be at most ${MAX_WINDOW}`);
  const sort = sortOrder(raw);
  // A token's sort value has the column's type (a forged one must not reach the database as a string
  // compared with a number column).
  const value = position.cursor?.value;
  if (value !== undefined && value !== null && (typeof value === 'number') !== NUMERIC_SORT.has(sort.field)) {
    throw errors.badRequest("'pageToken' is not valid for this query");
  }
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
    sort,
    after: position.cursor,
    offset: 0,
    // "limit plus offset may not exceed 10 000": the last reachable page is shortened, not refused.
    limit: Math.min(limit, window - position.offset),
  };
  boolean(raw, 'limitTotalCount');
  return { query, offset: position.offset, requestedLimit: limit };
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
  const window = options.unboundedPaging ? Number.MAX_SAFE_INTEGER : MAX_WINDOW;
  const parsed = parseListQuery(raw, options.now, options.defaultWindowDays, window);
  const { offset, requestedLimit } = parsed;
  const query = { ...parsed.query, ...options.extra };
  const backwards = query.after?.backwards === true;
  // One row more than the page tells whether another follows, without counting. The count is
  // exact for the API (Bandwidth counts every match), bounded by 10 000 with limitTotalCount, and
  // not run at all for the console, which shows only whether a next page exists.
  const limitTotalCount = raw.limitTotalCount === 'true';
  const countLimit = options.boundedCount ? 0 : limitTotalCount ? MAX_WINDOW : undefined;
  const { totalCount, records: fetched } = await store.listMessages(accountId, {
    ...query,
    limit: backwards ? query.limit : query.limit + 1,
    countLimit,
  });
  const records = backwards ? fetched.reverse() : fetched.slice(0, query.limit);
  const more = backwards || fetched.length > query.limit;
  const print = fingerprint(raw);
  const pageInfo: PageInfo = {};
  const nextOffset = offset + records.length;
  const last = records.at(-1);
  if (more && last && nextOffset < window) {
    pageInfo.nextPageToken = encodeToken(print, { offset: nextOffset, cursor: cursorOf(last, query.sort.field, false) });
    pageInfo.nextPage = options.pageUrl(pageInfo.nextPageToken);
  }
  const first = records[0];
  if (offset > 0) {
    // Back to the first page by its own query; otherwise the rows before this page's first one.
    const prevOffset = offset - requestedLimit;
    const prev: PagePosition =
      prevOffset <= 0 || !first ? { offset: 0 } : { offset: prevOffset, cursor: cursorOf(first, query.sort.field, true) };
    pageInfo.prevPageToken = encodeToken(print, prev);
    pageInfo.prevPage = options.pageUrl(pageInfo.prevPageToken);
  }
  const total = options.boundedCount ? nextOffset + (pageInfo.nextPageToken ? 1 : 0) : totalCount;
  return { totalCount: total, pageInfo: orderPageInfo(pageInfo), messages: records.map(toListItem) };
}

function orderPageInfo(p: PageInfo): PageInfo {
  const out: PageInfo = {};
  if (p.prevPage) out.prevPage = p.prevPage;
  if (p.nextPage) out.nextPage = p.nextPage;
  if (p.prevPageToken) out.prevPageToken = p.prevPageToken;
  if (p.nextPageToken) out.nextPageToken = p.nextPageToken;
  return out;
}
