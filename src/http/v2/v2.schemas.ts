// The Bandwidth Messaging v2 bodies as Pigeon sends and takes them, for the OpenAPI document
// (openapi/). Names and fields follow Bandwidth's bandwidth.yml; the checks themselves are the
// core's hand-written validation (core/messages/send-request.ts), which reports every bad field at once.
import { z } from 'zod';
import { LIMITS } from '../../core/messages/send-request.js';
import { MESSAGE_STATUSES, PRODUCTS } from '../../core/messages/message.js';

const isoTime = z.string().meta({ format: 'date-time' });
const priority = z.enum(['default', 'high']).meta({ title: 'PriorityEnum' });

export const accountParams = z.object({ accountId: z.string().describe('Your Bandwidth account id') });
export const mediaParams = z.object({
  accountId: z.string().describe('Your Bandwidth account id'),
  mediaId: z.string().describe('The media file name; may contain `/` (encoded as %2F or literal)'),
});

export const messageRequestSchema = z
  .object({
    applicationId: z.string().describe('An application of the account'),
    to: z
      .union([z.string(), z.array(z.string()).max(LIMITS.recipients)])
      .describe('E.164 number(s); a string or an array, up to 10, duplicates removed'),
    from: z.string().describe('A number of the application'),
    text: z.string().max(LIMITS.textCharacters).optional().describe('Required unless media is given; up to 2048 characters'),
    media: z.array(z.string().max(LIMITS.mediaUrlLength)).max(LIMITS.mediaUrls).optional().describe('http(s) URLs'),
    tag: z.string().max(LIMITS.tagCharacters).optional(),
    priority: priority.optional(),
    expiration: z.string().optional().describe('An RFC 3339 time in the future'),
  })
  .loose()
  .meta({ title: 'MessageRequest', description: 'Unknown properties are ignored' });

export const messageSchema = z
  .strictObject({
    id: z.string().regex(/^\d{13}[0-9a-z]{16}$/),
    owner: z.string(),
    applicationId: z.string(),
    time: isoTime,
    segmentCount: z.number().int().min(1),
    direction: z.enum(['in', 'out']),
    to: z.array(z.string()),
    from: z.string(),
    text: z.string().optional(),
    media: z.array(z.string()).optional(),
    tag: z.string().optional(),
    priority,
    expiration: z.string().optional(),
  })
  .meta({ title: 'Message' });

const nullableString = z.string().nullable();
const nullableInt = z.number().int().nullable();

export const listMessageItemSchema = z
  .strictObject({
    messageId: z.string(),
    accountId: z.string(),
    sourceTn: z.string(),
    destinationTn: z.string(),
    messageStatus: z.enum(MESSAGE_STATUSES as [string, ...string[]]),
    messageDirection: z.enum(['INBOUND', 'OUTBOUND']),
    messageType: z.enum(['sms', 'mms']),
    segmentCount: z.number().int(),
    errorCode: z.number().int(),
    receiveTime: isoTime,
    carrierName: nullableString,
    messageSize: nullableInt,
    messageLength: z.number().int(),
    attachmentCount: nullableInt,
    recipientCount: nullableInt,
    campaignClass: nullableString,
    campaignId: nullableString,
    bwLatency: nullableInt,
    carrierLatency: nullableInt,
    callingNumberCountryA3: nullableString,
    calledNumberCountryA3: nullableString,
    product: nullableString,
    location: nullableString,
  })
  .meta({ title: 'ListMessageItem' });

export const messagesListSchema = z
  .strictObject({
    totalCount: z.number().int().min(0),
    pageInfo: z
      .strictObject({
        prevPage: z.string().optional(),
        nextPage: z.string().optional(),
        prevPageToken: z.string().optional(),
        nextPageToken: z.string().optional(),
      })
      .meta({ title: 'PageInfo' }),
    messages: z.array(listMessageItemSchema),
  })
  .meta({ title: 'MessagesList' });

const boolString = z.enum(['true', 'false']);
const intString = z.string().regex(/^-?\d+$/);

export const listMessagesQuery = z.object({
  messageId: z.string().optional(),
  sourceTn: z.string().optional().describe('A number, up to 10 comma-separated numbers, or a prefix of at least 5 characters'),
  destinationTn: z.string().optional().describe('As sourceTn'),
  messageStatus: z.enum(MESSAGE_STATUSES as [string, ...string[]]).optional(),
  messageDirection: z.enum(['INBOUND', 'OUTBOUND']).optional(),
  carrierName: z.string().optional(),
  messageType: z.enum(['sms', 'mms', 'rcs']).optional(),
  errorCode: intString.optional(),
  fromDateTime: z.string().optional().describe('RFC 3339; without a date filter the last 14 days are searched'),
  toDateTime: z.string().optional(),
  campaignId: z.string().optional(),
  fromBwLatency: intString.optional(),
  bwQueued: boolString.optional(),
  product: z.enum(PRODUCTS as [string, ...string[]]).optional(),
  location: z.string().optional(),
  carrierQueued: boolString.optional(),
  fromCarrierLatency: intString.optional(),
  callingNumberCountryA3: z.string().optional(),
  calledNumberCountryA3: z.string().optional(),
  fromSegmentCount: intString.optional(),
  toSegmentCount: intString.optional(),
  fromMessageSize: intString.optional(),
  toMessageSize: intString.optional(),
  sort: z.string().optional().describe('field:asc or field:desc; newest first by default'),
  pageToken: z.string().optional(),
  limit: intString.optional().describe('1 to 10 000, default 100'),
  limitTotalCount: boolString.optional(),
});

export const mediaSchema = z
  .strictObject({ content: z.string(), contentLength: z.number().int().min(0), mediaName: z.string() })
  .meta({ title: 'Media' });

export const mediaListSchema = z.array(mediaSchema).meta({ title: 'MediaList' });

export const anyBytes = z.string().meta({ title: 'Binary', contentMediaType: 'application/octet-stream' });

export const continuationHeaders = z.object({
  'Continuation-Token': z.string().optional().describe('The token of the page to read, from the previous answer'),
});

export const uploadHeaders = z.object({
  'Content-Type': z.string().optional().describe('Stored and served back with the file'),
  'Cache-Control': z.string().optional().describe('Stored and served back with the file'),
});
