// The OpenAPI descriptions of scripted phones' admin routes (phones.routes.ts).
import { z } from 'zod';
import { phoneRuleSchema } from '../../core/sandbox/phone-rule.js';
import type { RouteDoc } from '../openapi/route-doc.js';
import { errorResponses } from './admin.docs.js';

const ruleInput = z
  .looseObject({
    id: z.string().optional().describe('Letters, digits, dots, dashes or underscores; made up when absent'),
    phone: z.string().optional(),
    answer: z.looseObject({}),
  })
  .meta({ title: 'PhoneRuleInput', description: 'A scripted phone rule (README: Testing two-way flows)' });
const rule = z
  .looseObject({ id: z.string(), priority: z.number().int(), phone: z.string(), answer: z.looseObject({}), matches: z.number().int(), createdAt: z.string() })
  .meta({ title: 'PhoneRule' });
const conversation = z
  .strictObject({ phone: z.string(), applicationNumber: z.string(), step: z.number().int(), updatedAt: z.string() })
  .meta({ title: 'PhoneConversation' });
const idParams = z.object({ id: z.string().describe('A phone rule id') });
const json = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': schema } });
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': schema } });
const phoneQuery = z.object({ phone: z.string().optional().describe('One phone (E.164)') });

/** The rule's fields, for readers of the document; the server validates with the same schema. */
export const phoneRuleFields = Object.keys(phoneRuleSchema.shape);

export const phonesDocs = {
  list: {
    operationId: 'listPhoneRules',
    summary: 'List the scripted phone rules in firing order',
    tags: ['Scripted phones'],
    responses: { 200: json('The rules', z.strictObject({ rules: z.array(rule) })), ...errorResponses([401, 503]) },
  },
  create: {
    operationId: 'createPhoneRule',
    summary: 'Add a scripted phone rule',
    description: `Fields: ${phoneRuleFields.join(', ')}.`,
    tags: ['Scripted phones'],
    body: body(ruleInput),
    responses: { 201: json('The rule', rule), ...errorResponses([400, 401, 409, 413, 415, 503]) },
  },
  get: {
    operationId: 'getPhoneRule',
    summary: 'One scripted phone rule, with its match count',
    tags: ['Scripted phones'],
    params: idParams,
    responses: { 200: json('The rule', rule), ...errorResponses([401, 404, 503]) },
  },
  update: {
    operationId: 'updatePhoneRule',
    summary: 'Change a scripted phone rule (the fields given; null removes an optional one)',
    tags: ['Scripted phones'],
    params: idParams,
    body: body(z.looseObject({}).meta({ title: 'PhoneRulePatch' })),
    responses: { 200: json('The rule', rule), ...errorResponses([400, 401, 404, 413, 415, 503]) },
  },
  remove: {
    operationId: 'deletePhoneRule',
    summary: 'Remove a scripted phone rule',
    tags: ['Scripted phones'],
    params: idParams,
    responses: { 204: { description: 'Removed' }, ...errorResponses([401, 404, 503]) },
  },
  conversations: {
    operationId: 'listPhoneConversations',
    summary: "Each conversation's step (a phone with an application number)",
    tags: ['Scripted phones'],
    query: phoneQuery,
    responses: { 200: json('The conversations', z.strictObject({ conversations: z.array(conversation) })), ...errorResponses([400, 401, 503]) },
  },
  reset: {
    operationId: 'resetPhoneConversations',
    summary: 'Reset conversations to step 0: all, one phone’s (?phone=), or one with one application number (?phone=&applicationNumber=)',
    tags: ['Scripted phones'],
    query: z.object({ phone: z.string().optional(), applicationNumber: z.string().optional() }),
    responses: { 200: json('How many were reset', z.strictObject({ reset: z.number().int() })), ...errorResponses([400, 401, 503]) },
  },
} satisfies Record<string, RouteDoc>;
