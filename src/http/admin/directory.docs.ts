// The directory's operations for the admin API's OpenAPI document, one per route of directory.routes.ts.
import { z } from 'zod';
import { optOutSchema } from '../../core/opt-out/settings.js';
import { validationErrorSchema } from '../openapi/error-docs.js';
import type { RouteDoc, ResponseDoc } from '../openapi/route-doc.js';
import { errorResponses } from './admin.docs.js';

const iso = z.string().meta({ format: 'date-time' });
const stamped = { source: z.enum(['config', 'api']), createdAt: iso, updatedAt: iso };
const throughput = z.looseObject({ perSecond: z.number().optional(), maxQueueSize: z.number().int().optional(), numbers: z.record(z.string(), z.number()).optional() });

const optOutDocs = optOutSchema.describe(
  "The application's own opt-out settings over the global ones of the config file (README: opt-out keywords); applied from the next message. PATCH replaces the whole object, null removes it",
);

const account = z.strictObject({ id: z.string(), name: z.string().optional(), throughput: throughput.optional(), ...stamped }).meta({ title: 'Account' });
const user = z
  .strictObject({ accountId: z.string(), username: z.string(), roles: z.array(z.string()), enabled: z.boolean(), ...stamped })
  .meta({ title: 'ApiUser', description: 'The password hash is never shown' });
const application = z
  .strictObject({
    id: z.string(),
    accountId: z.string(),
    name: z.string(),
    callbackUrl: z.string().optional(),
    callbackUsername: z.string().optional(),
    callbackPassword: z.literal('***').optional().describe('Shown masked when set'),
    inboundCallbackUrl: z.string().optional(),
    optOut: optOutDocs.optional(),
    smartEncoding: z.boolean(),
    ...stamped,
  })
  .meta({ title: 'Application' });
const number = z
  .strictObject({ number: z.string(), accountId: z.string(), applicationId: z.string(), numberType: z.string(), ratePerSecond: z.number().optional(), ...stamped })
  .meta({ title: 'Number' });
const smppUser = z
  .strictObject({ systemId: z.string(), accountId: z.string(), applicationId: z.string(), maxBinds: z.number().int(), enabled: z.boolean(), ...stamped })
  .meta({ title: 'SmppUser' });
const auditEntry = z
  .strictObject({
    id: z.number().int(),
    time: iso,
    actor: z.string().describe('admin-token, config-file or user:<account>/<username>'),
    action: z.enum(['create', 'update', 'delete']),
    kind: z.enum(['account', 'user', 'application', 'number', 'smppUser']),
    key: z.string(),
    accountId: z.string().optional(),
    before: z.record(z.string(), z.unknown()).optional(),
    after: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ title: 'AuditEntry', description: 'Secrets are shown as ***' });

const password = { password: z.string().optional(), passwordHash: z.string().optional().describe('A hash from `pigeon hash-password`, instead of password') };
const accountInput = z.strictObject({ id: z.string().optional(), name: z.string().nullable().optional(), throughput: throughput.nullable().optional() });
const userInput = z.strictObject({ username: z.string(), ...password, roles: z.array(z.literal('messaging')).optional(), enabled: z.boolean().optional() });
const appFields = {
  name: z.string(),
  callbackUrl: z.string().nullable().optional(),
  callbackUsername: z.string().nullable().optional(),
  callbackPassword: z.string().nullable().optional(),
  inboundCallbackUrl: z.string().nullable().optional(),
  optOut: optOutDocs.nullable().optional(),
  smartEncoding: z.boolean().optional().describe('Replace look-alikes of GSM-7 characters in outbound SMS (README: smart encoding)'),
};
const appInput = z.strictObject({ id: z.string().optional(), accountId: z.string(), ...appFields });
const appPatch = z.strictObject({ ...appFields, name: z.string().optional() });
const numberInput = z.strictObject({ number: z.string(), applicationId: z.string(), ratePerSecond: z.number().nullable().optional() });
const numberPatch = z.strictObject({ applicationId: z.string().optional().describe('Moves the number'), ratePerSecond: z.number().nullable().optional() });
const smppInput = z.strictObject({ systemId: z.string(), applicationId: z.string(), ...password, maxBinds: z.number().int().optional(), enabled: z.boolean().optional() });
const smppPatch = z.strictObject({ applicationId: z.string().optional(), ...password, maxBinds: z.number().int().optional(), enabled: z.boolean().optional() });

const invalid = { 400: { description: 'Bad fields, each named', content: { 'application/json': validationErrorSchema } } };
const conflict = { 409: { description: 'Taken: the id, name or number is in use (an owned number names its owner)', content: { 'application/json': validationErrorSchema } } };
const json = (description: string, schema: z.ZodType): ResponseDoc => ({ description, content: { 'application/json': schema } });
const page = (schema: z.ZodType) => z.strictObject({ items: z.array(schema), next: z.string().optional().describe('Pass as `after` for the next page') });
const paging = { limit: z.string().optional().describe('1 to 1000, default 100'), after: z.string().optional().describe('`next` of the previous page') };

function crud(
  name: string,
  tag: string,
  schema: z.ZodType,
  params: z.ZodObject,
  input: z.ZodType,
  patch: z.ZodType,
  listQuery: z.ZodObject,
  listParams?: z.ZodObject,
): Record<string, RouteDoc> {
  const plural = `${name}s`;
  return {
    [`list${plural}`]: {
      operationId: `list${plural}`,
      summary: `${plural} in key order, a page at a time`,
      tags: [tag],
      ...(listParams && { params: listParams }),
      query: listQuery,
      responses: { 200: json('A page', page(schema)), ...invalid, ...errorResponses(listParams ? [401, 404, 503] : [401, 503]) },
    },
    [`create${name}`]: {
      operationId: `create${name}`,
      summary: `Create a ${name}`,
      tags: [tag],
      ...(listParams && { params: listParams }),
      body: { required: true, content: { 'application/json': input } },
      responses: { 201: json('Created', schema), ...invalid, ...conflict, ...errorResponses(listParams ? [401, 404, 415, 503] : [401, 415, 503]) },
    },
    [`get${name}`]: {
      operationId: `get${name}`,
      summary: `One ${name}`,
      tags: [tag],
      params,
      responses: { 200: json(name, schema), ...errorResponses([401, 404, 503]) },
    },
    [`update${name}`]: {
      operationId: `update${name}`,
      summary: `Change a ${name}; absent fields are kept, null clears one`,
      tags: [tag],
      params,
      body: { required: true, content: { 'application/json': patch } },
      responses: { 200: json('Changed', schema), ...invalid, ...errorResponses([401, 404, 415, 503]) },
    },
    [`delete${name}`]: {
      operationId: `delete${name}`,
      summary: `Delete a ${name}; its id is never used again`,
      tags: [tag],
      params,
      responses: { 204: { description: 'Deleted' }, ...errorResponses([401, 404, 503]) },
    },
  };
}

const accountParams = z.object({ accountId: z.string() });

const all: Record<string, RouteDoc> = {
  ...crud('Account', 'Directory', account, accountParams, accountInput, accountInput.omit({ id: true }), z.object(paging)),
  ...crud('User', 'Directory', user, z.object({ accountId: z.string(), username: z.string() }), userInput, userInput.omit({ username: true }).partial(), z.object(paging), accountParams),
  ...crud('Application', 'Directory', application, z.object({ applicationId: z.string() }), appInput, appPatch, z.object({ accountId: z.string().optional(), ...paging })),
  ...crud(
    'Number',
    'Directory',
    number,
    z.object({ number: z.string().describe('E.164, with + encoded as %2B') }),
    numberInput,
    numberPatch,
    z.object({ accountId: z.string().optional(), applicationId: z.string().optional(), prefix: z.string().optional().describe('The start of the number, such as +1919'), ...paging }),
  ),
  ...crud('SmppUser', 'Directory', smppUser, z.object({ systemId: z.string() }), smppInput, smppPatch, z.object({ accountId: z.string().optional(), ...paging })),
  exportNumbers: {
    operationId: 'exportNumbers',
    summary: 'Numbers as CSV (number,applicationId,ratePerSecond)',
    tags: ['Directory'],
    query: z.object({ accountId: z.string().optional(), applicationId: z.string().optional(), prefix: z.string().optional() }),
    responses: { 200: { description: 'CSV', content: { 'text/csv': z.string() } }, ...invalid, ...errorResponses([401, 503]) },
  },
  importNumbers: {
    operationId: 'importNumbers',
    summary: 'Assign numbers from CSV (number,applicationId[,ratePerSecond]); all or nothing',
    tags: ['Directory'],
    body: { required: true, content: { 'text/csv': z.string() } },
    responses: {
      200: json('Counts', z.strictObject({ created: z.number().int(), updated: z.number().int(), unchanged: z.number().int() })),
      ...invalid,
      ...errorResponses([401, 413, 415, 503]),
    },
  },
  listAudit: {
    operationId: 'listAudit',
    summary: 'Changes to the directory, newest first',
    tags: ['Directory'],
    query: z.object({
      kind: z.enum(['account', 'user', 'application', 'number', 'smppUser']).optional(),
      key: z.string().optional().describe('An entry key: an id, a number, a system_id or account/username'),
      accountId: z.string().optional(),
      before: z.string().optional().describe('An audit id: entries older than it'),
      limit: z.string().optional(),
    }),
    responses: { 200: json('Entries', z.strictObject({ items: z.array(auditEntry) })), ...invalid, ...errorResponses([401, 503]) },
  },
};

// Assigning a number it already has is no change: 200 with the number.
(all.createNumber as RouteDoc).responses[200] = json('It was assigned to that application already', number);

/** The operation `id`; a typo stops start-up rather than serving an undocumented route. */
export function directoryDoc(id: string): RouteDoc {
  const doc = all[id];
  if (!doc) throw new Error(`no OpenAPI description '${id}'`);
  return doc;
}
