// The error answers every API shares (core/errors.ts): their schema and a description per status.
import { z } from 'zod';
import type { ResponseDoc } from './route-doc.js';

export const fieldErrorSchema = z.strictObject({ fieldName: z.string(), description: z.string() }).meta({ title: 'FieldError' });

export const errorSchema = z
  .strictObject({ type: z.string(), description: z.string() })
  .meta({ title: 'MessagingRequestError', description: "Bandwidth's error body" });

export const validationErrorSchema = z
  .strictObject({ type: z.string(), description: z.string(), fieldErrors: z.array(fieldErrorSchema).optional() })
  .meta({ title: 'CreateMessageRequestError', description: 'Every bad field at once, in fieldErrors' });

const retryAfter = { description: 'Seconds to wait before asking again', schema: z.string().regex(/^\d+$/) };

const DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request (`request-validation`)',
  401: 'Missing or wrong credentials (`unauthorized`)',
  403: 'A user without the messaging role (`forbidden`)',
  404: 'No such resource (`not-found`)',
  408: 'Timed out waiting (`timeout`)',
  413: 'The body is over its limit (`request-entity-too-large`)',
  415: 'Unsupported Content-Type (`unsupported-content-type`)',
  429: 'Too many requests, or too many failed sign-ins from this client; see Retry-After',
  503: 'The database cannot serve the request now (`service-unavailable`); nothing was stored; see Retry-After',
};

/**
 * Error responses for the given statuses, in Bandwidth's error shape (`400` with fieldErrors when
 * `fieldErrors400`). Whatever checks credentials (401) may also answer 429: the failed sign-in limits
 * (core/accounts/failed-attempts.ts) refuse a client past them before its credentials are checked.
 */
export function errorResponses(statuses: readonly number[], options: { fieldErrors400?: boolean } = {}): Record<number, ResponseDoc> {
  const out: Record<number, ResponseDoc> = {};
  const all = statuses.includes(401) && !statuses.includes(429) ? [...statuses, 429].sort((a, b) => a - b) : statuses;
  for (const status of all) {
    const schema = status === 400 && options.fieldErrors400 ? validationErrorSchema : errorSchema;
    out[status] = {
      description: DESCRIPTIONS[status] ?? 'Error',
      content: { 'application/json': schema },
      ...((status === 429 || status === 503) && { headers: { 'Retry-After': retryAfter } }),
    };
  }
  return out;
}
