// The OpenAPI descriptions of the sandbox's admin routes (sandbox.routes.ts).
import { z } from 'zod';
import type { RouteDoc } from '../openapi/route-doc.js';
import { errorResponses, messageViewSchema } from './admin.docs.js';

const accountId = z.string().optional().describe('The account; required with Basic credentials (an API user sees only its own account)');

export const nextQuery = z.object({
  accountId,
  direction: z.enum(['in', 'out']).optional().describe('in: received from a phone; out: sent by an application'),
  from: z.string().optional().describe('The sender, exactly (E.164)'),
  to: z.string().optional().describe('A recipient, exactly (E.164)'),
  text: z
    .string()
    .optional()
    .describe('A regular expression the text must match (JavaScript syntax, or /pattern/flags with flags i, m, s, u); at most 256 characters, each match stopped after 50 ms'),
  after: z.string().optional().describe('Only messages from this time on: RFC 3339 or epoch milliseconds. Default: the moment of the call'),
  afterMessage: z.string().optional().describe('Only messages after this one (in acceptance order)'),
  timeout: z.string().optional().describe('Seconds to wait, at most 300; default 30'),
});

const exportQuery = z.looseObject({
  accountId: z.string().describe('The account (required; an API user gives its own)'),
  format: z.enum(['ndjson', 'json', 'csv']).optional().describe('ndjson (default): one message a line; json: {"messages": [...]}; csv: one row per recipient'),
  text: z.string().optional().describe('Text the message contains (ignoring ASCII case)'),
  tag: z.string().optional().describe('The tag, exactly'),
}).describe('Also every filter of the Bandwidth list API (sourceTn, destinationTn, messageStatus, messageDirection, fromDateTime, toDateTime …)');

const exportedMessage = messageViewSchema.omit({ queue: true }).meta({ title: 'ExportedMessage' });

export const sandboxDocs = {
  next: {
    operationId: 'waitForNextMessage',
    summary: 'Wait for the next message that matches, and return it with its text',
    description:
      'Answers as soon as a message matching every filter is stored (woken by the change signal, also across processes on PostgreSQL), or 408 after the timeout. Open to the admin token and, for their own account, to API users (Basic).',
    tags: ['Messages'],
    query: nextQuery,
    responses: { 200: { description: 'The message', content: { 'application/json': messageViewSchema } }, ...errorResponses([400, 401, 403, 404, 408, 503]) },
  },
  export: {
    operationId: 'exportMessages',
    summary: 'Export the messages that match the list filters, streamed',
    description:
      "Every matching message, oldest first, with its text, media, each recipient's status, the event timeline and every callback with its attempts. Open to the admin token and, for their own account, to API users (Basic).",
    tags: ['Messages'],
    query: exportQuery,
    responses: {
      200: {
        description: 'The export',
        content: {
          'application/x-ndjson': z.string().describe('One ExportedMessage as JSON per line'),
          'application/json': z.strictObject({ messages: z.array(exportedMessage) }).meta({ title: 'MessageExport' }),
          'text/csv': z.string().describe('messageId,accountId,applicationId,direction,time,from,recipient,status,errorCode,type,segmentCount,tag,text,media,events,callbacks'),
        },
      },
      ...errorResponses([400, 401, 403, 404, 503]),
    },
  },
} satisfies Record<string, RouteDoc>;
