// The opt-out list's operations for the admin API's OpenAPI document, one per route of opt-out.routes.ts.
import { z } from 'zod';
import { validationErrorSchema } from '../openapi/error-docs.js';
import { errorResponses } from './admin.docs.js';
import type { RouteDoc } from '../openapi/route-doc.js';

const scope = z.enum(['number', 'application', 'account']);
const entry = z
  .looseObject({ recipient: z.string(), scope, scopeKey: z.string(), accountId: z.string(), source: z.string(), createdAt: z.string() })
  .meta({ title: 'OptOut' });
const filters = {
  accountId: z.string().optional(),
  scope: scope.optional(),
  scopeKey: z.string().optional(),
  recipient: z.string().optional().describe('A number or the start of one'),
};
const invalid = { 400: { description: 'Bad parameters or rows, each named', content: { 'application/json': validationErrorSchema } } };

export const optOutDocs = {
  list: {
    operationId: 'listOptOuts',
    summary: 'Opt-out blocks, oldest first',
    tags: ['Opt-outs'],
    query: z.object({ ...filters, limit: z.string().optional().describe('1 to 1000, default 100'), offset: z.string().optional() }),
    responses: {
      200: { description: 'A page', content: { 'application/json': z.strictObject({ optOuts: z.array(entry), nextOffset: z.number().int().optional() }) } },
      ...invalid,
      ...errorResponses([401, 503]),
    },
  },
  add: {
    operationId: 'addOptOut',
    summary: 'Add a block by hand',
    tags: ['Opt-outs'],
    body: { required: true, content: { 'application/json': z.strictObject({ recipient: z.string(), scope, scopeKey: z.string() }) } },
    responses: {
      201: { description: 'Added', content: { 'application/json': z.strictObject({ created: z.literal(true), optOut: entry }) } },
      200: { description: 'It was there already', content: { 'application/json': z.strictObject({ created: z.literal(false), optOut: entry }) } },
      ...invalid,
      ...errorResponses([401, 415, 503]),
    },
  },
  remove: {
    operationId: 'removeOptOut',
    summary: 'Remove a block',
    tags: ['Opt-outs'],
    params: z.object({ scope, scopeKey: z.string(), recipient: z.string() }),
    responses: { 204: { description: 'Removed' }, ...invalid, ...errorResponses([401, 404, 503]) },
  },
  events: {
    operationId: 'listOptOutEvents',
    summary: 'The audit trail, newest first',
    tags: ['Opt-outs'],
    query: z.object({ accountId: filters.accountId, recipient: z.string().optional(), limit: z.string().optional() }),
    responses: {
      200: {
        description: 'Events',
        content: { 'application/json': z.strictObject({ events: z.array(z.looseObject({ id: z.number().int(), time: z.string(), action: z.string() })) }) },
      },
      ...invalid,
      ...errorResponses([401, 503]),
    },
  },
  export: {
    operationId: 'exportOptOuts',
    summary: 'The list as CSV',
    tags: ['Opt-outs'],
    query: z.object(filters),
    responses: {
      200: { description: 'recipient,scope,scopeKey,accountId,keyword,source,createdAt', content: { 'text/csv': z.string() } },
      ...invalid,
      ...errorResponses([401, 503]),
    },
  },
  import: {
    operationId: 'importOptOuts',
    summary: 'Import a CSV; every row is checked before anything is written',
    tags: ['Opt-outs'],
    query: z.object({ scope: scope.optional(), scopeKey: z.string().optional() }),
    body: { required: true, content: { 'text/csv': z.string(), 'application/json': z.strictObject({ csv: z.string() }) } },
    responses: {
      200: { description: 'Counts', content: { 'application/json': z.strictObject({ rows: z.number().int(), added: z.number().int(), existing: z.number().int() }) } },
      ...invalid,
      ...errorResponses([401, 413, 415, 503]),
    },
  },
} satisfies Record<string, RouteDoc>;
