// Answers of the Numbers API: documents, creations (201 with the Location the official client reads
// the new id from) and errors in Bandwidth's shape, `<…Response><ResponseStatus><ErrorCode>` (a
// search's errors are `<SearchResult><Error><Code>`, as Bandwidth writes them).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseBasicAuth } from '../../core/accounts/authenticator.js';
import type { Caller } from '../../core/numbers/context.js';
import { origin } from '../v2/base-url.js';
import { buildXml, type XmlNode } from './xml.js';

export function sendXml(reply: FastifyReply, root: string, content: XmlNode | string, status = 200): FastifyReply {
  return reply.code(status).type('application/xml; charset=utf-8').send(buildXml(root, content));
}

/** 201 with `Location: {base}{path}`, and the new resource's document when given. */
export function sendCreated(reply: FastifyReply, request: FastifyRequest, publicUrl: string | undefined, path: string, doc?: { root: string; content: XmlNode }): FastifyReply {
  reply.header('location', `${origin(request, publicUrl)}/api${path}`);
  if (!doc) return reply.code(201).send();
  return sendXml(reply, doc.root, doc.content, 201);
}

/** The response document a path's errors are written in. */
export function errorRoot(url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  const rules: Array<[RegExp, string]> = [
    [/\/features\/sms/, 'SipPeerSmsFeatureResponse'],
    [/\/features\/mms/, 'MmsFeatureResponse'],
    [/\/applicationSettings/i, 'ApplicationSettingsResponse'],
    [/\/sippeers\/[^/]+\/(tns|movetns)/, 'SipPeerTelephoneNumbersResponse'],
    [/\/sippeers/, 'SipPeerResponse'],
    [/\/sites/, 'SiteResponse'],
    [/\/applications/, 'ApplicationProvisioningResponse'],
    [/\/availableNumbers/i, 'SearchResult'],
    [/\/availableNpaNxx/i, 'SearchResult'],
    [/\/cities/, 'CityResponse'],
    [/\/rateCenters/, 'RateCenterResponse'],
    [/\/orders/, 'OrderResponse'],
    [/\/disconnects/, 'DisconnectTelephoneNumberOrderResponse'],
    [/\/inserviceNumbers/i, 'TNs'],
    [/\/tns/, 'TelephoneNumberResponse'],
  ];
  return rules.find(([pattern]) => pattern.test(path))?.[1] ?? 'ErrorResponse';
}

export function sendXmlError(reply: FastifyReply, request: FastifyRequest, status: number, code: number, description: string): FastifyReply {
  const root = errorRoot(request.url);
  const content: XmlNode =
    root === 'SearchResult' ? { Error: { Code: code, Description: description } } : { ResponseStatus: { ErrorCode: code, Description: description } };
  return sendXml(reply, root, content, status);
}

/** The caller of an authenticated request: its account, and the API user for records. */
export function callerOf(request: FastifyRequest): Caller {
  return { accountId: request.account.id, username: parseBasicAuth(request.headers.authorization)?.username ?? 'oauth2-client' };
}

export const params = (request: FastifyRequest): Record<string, string> => request.params as Record<string, string>;
