// The admin API's operations for its OpenAPI document (openapi/), one per route of admin.routes.ts.
import { z } from 'zod';
import { errorResponses as allErrors } from '../openapi/error-docs.js';
import type { ResponseDoc, RouteDoc } from '../openapi/route-doc.js';
import { inboundSchema } from './inbound-request.js';

/** The admin API's 400s name the bad fields (fieldErrors) where there are fields to name. */
export const errorResponses = (statuses: readonly number[]) => allErrors(statuses, { fieldErrors400: true });
const json = (description: string, schema: z.ZodType): ResponseDoc => ({ description, content: { 'application/json': schema } });
const idParams = z.object({ id: z.string().describe('A message id') });
const ruleParams = z.object({ id: z.string().describe('A rule id') });

const rule = z
  .looseObject({ id: z.string(), to: z.string(), outcome: z.enum(['deliver', 'fail', 'no-receipt', 'transient', 'reject']) })
  .meta({ title: 'SimulatorRule', description: 'A simulator rule (README: The simulated carrier)' });
const ruleInput = z.looseObject({ to: z.string(), outcome: z.string() }).meta({ title: 'SimulatorRuleInput' });
const defaults = z
  .strictObject({ latencyMs: z.number(), failureProbability: z.number(), failureErrorCode: z.number().int(), seed: z.number().int() })
  .meta({ title: 'SimulatorDefaults' });
const time = z.number().int().describe('epoch milliseconds');
const iso = z.string().meta({ format: 'date-time' });

const event = z.looseObject({ destinationTn: z.string(), status: z.string(), time, timeIso: iso }).meta({ title: 'MessageEvent' });
const callback = z
  .looseObject({
    id: z.number().int(),
    eventType: z.string(),
    url: z.string(),
    state: z.enum(['pending', 'delivered', 'abandoned']),
    body: z.unknown(),
    createdAt: time,
    attempts: z.array(z.looseObject({ attempt: z.number().int(), time, latencyMs: z.number() })),
  })
  .meta({ title: 'CallbackRecord' });
export const messageViewSchema = z
  .strictObject({
    message: z.looseObject({ id: z.string(), accountId: z.string(), direction: z.enum(['in', 'out']), timeIso: iso }),
    recipients: z.array(z.looseObject({ messageId: z.string(), destinationTn: z.string(), messageStatus: z.string() })),
    events: z.array(event),
    callbacks: z.array(callback),
    queue: z
      .array(
        z.looseObject({
          destinationTn: z.string(),
          attempts: z.number().int().describe('Attempts spent, not counting one in progress'),
          inFlight: z.boolean().describe('A worker holds it now: its submit is in progress'),
          runAt: z.number().int().describe('When it is due, milliseconds since the epoch'),
          lastError: z.string().optional(),
        }),
      )
      .describe('Recipients still in the delivery queue'),
  })
  .meta({ title: 'MessageView' });
const endpoint = z
  .looseObject({
    queue: z.string(),
    endpoint: z.string(),
    state: z.enum(['healthy', 'failing']),
    consecutiveFailures: z.number().int(),
    backlog: z.number().int(),
    inFlight: z.number().int(),
  })
  .meta({ title: 'Endpoint' });

const simulatorErrors = errorResponses([401, 404]);

export const adminDocs = {
  status: {
    operationId: 'getStatus',
    summary: 'Carrier state and worker counters',
    tags: ['Status'],
    responses: { 200: json('Status', z.looseObject({ carrier: z.looseObject({ name: z.string(), state: z.string() }), carriers: z.array(z.unknown()) })), ...errorResponses([401]) },
  },
  endpoints: {
    operationId: 'listEndpoints',
    summary: 'Every callback endpoint with its circuit and backlog',
    tags: ['Callbacks'],
    responses: { 200: json('Endpoints', z.array(endpoint)), ...errorResponses([401, 503]) },
  },
  getRules: {
    operationId: 'listSimulatorRules',
    summary: 'The simulator rules in order',
    tags: ['Simulator'],
    responses: { 200: json('Rules', z.array(rule)), ...simulatorErrors },
  },
  setRules: {
    operationId: 'replaceSimulatorRules',
    summary: 'Replace all simulator rules',
    tags: ['Simulator'],
    body: { required: true, content: { 'application/json': z.array(ruleInput) } },
    responses: { 200: json('The rules now in force', z.array(rule)), ...errorResponses([400, 401, 404, 503]) },
  },
  addRule: {
    operationId: 'addSimulatorRule',
    summary: 'Add one simulator rule',
    tags: ['Simulator'],
    body: { required: true, content: { 'application/json': ruleInput } },
    responses: { 201: json('The rule added', rule), ...errorResponses([400, 401, 404, 503]) },
  },
  removeRule: {
    operationId: 'removeSimulatorRule',
    summary: 'Remove a simulator rule',
    tags: ['Simulator'],
    params: ruleParams,
    responses: { 204: { description: 'Removed' }, ...errorResponses([401, 404, 503]) },
  },
  getDefaults: {
    operationId: 'getSimulatorDefaults',
    summary: "The simulator's defaults",
    tags: ['Simulator'],
    responses: { 200: json('Defaults', defaults), ...simulatorErrors },
  },
  setDefaults: {
    operationId: 'updateSimulatorDefaults',
    summary: "Change some of the simulator's defaults",
    tags: ['Simulator'],
    body: { required: true, content: { 'application/json': defaults.partial() } },
    responses: { 200: json('Defaults now in force', defaults), ...errorResponses([400, 401, 404, 503]) },
  },
  testNumbers: {
    operationId: 'listTestNumbers',
    summary: 'The ready-made test numbers',
    tags: ['Simulator'],
    responses: { 200: json('Test numbers', z.array(z.looseObject({ number: z.string(), description: z.string() }))), ...simulatorErrors },
  },
  inbound: {
    operationId: 'injectInbound',
    summary: 'Inject an inbound message as if the carrier delivered it',
    tags: ['Inbound'],
    body: { required: true, content: { 'application/json': inboundSchema } },
    responses: {
      201: json(
        'One copy per addressed number an application owns',
        z.strictObject({
          messages: z.array(z.strictObject({ id: z.string(), owner: z.string(), accountId: z.string(), applicationId: z.string() })),
        }),
      ),
      ...errorResponses([400, 401, 413, 415, 503]),
    },
  },
  message: {
    operationId: 'getMessage',
    summary: 'A message with its recipients, timeline and callbacks',
    tags: ['Messages'],
    params: idParams,
    responses: { 200: json('The message', messageViewSchema), ...errorResponses([401, 404, 503]) },
  },
  events: {
    operationId: 'getMessageEvents',
    summary: "A message's timeline",
    tags: ['Messages'],
    params: idParams,
    responses: { 200: json('Events, oldest first', z.array(event)), ...errorResponses([401, 404, 503]) },
  },
  callbacks: {
    operationId: 'getMessageCallbacks',
    summary: "A message's callbacks with their attempts",
    tags: ['Messages'],
    params: idParams,
    responses: { 200: json('Callbacks', z.array(callback)), ...errorResponses([401, 404, 503]) },
  },
  wait: {
    operationId: 'waitForMessage',
    summary: 'Wait until every recipient is delivered or failed (callbacks: and every callback settled)',
    tags: ['Messages'],
    params: idParams,
    query: z.object({
      until: z.enum(['terminal', 'callbacks']).optional(),
      timeout: z.string().optional().describe('Seconds, at most 60; default 30'),
    }),
    responses: { 200: json('The message', messageViewSchema), ...errorResponses([400, 401, 404, 408, 503]) },
  },
} satisfies Record<string, RouteDoc>;
