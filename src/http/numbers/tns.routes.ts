// The account's numbers: /accounts/{accountId}/inserviceNumbers and /disconnects, and the
// account-less /tns (the account is the one the credentials belong to).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../../core/numbers/context.js';
import { CODES, numbersErrors } from '../../core/numbers/numbers-error.js';
import type { StoredResource } from '../../core/numbers/numbers-port.js';
import type { DisconnectDoc, NumberDetails } from '../../core/numbers/tns.js';
import type { NumbersRouteDeps } from './numbers-api.js';
import { callerOf, params, sendCreated, sendXml } from './numbers-reply.js';
import { isoDate, type XmlNode } from './xml.js';
import { notesView } from './orders.routes.js';

function numberView(d: NumberDetails, accountId: string): XmlNode {
  return {
    City: d.place?.city,
    Lata: d.place?.lata,
    State: d.place?.state,
    FullNumber: d.number,
    Tier: 0,
    VendorId: 49,
    VendorName: 'Bandwidth CLEC',
    RateCenter: d.place?.rateCenter ?? (d.tollFree ? 'TOLL FREE' : undefined),
    Status: 'Inservice',
    AccountId: accountId,
    LastModified: isoDate(d.hold.updatedAt),
  };
}

function disconnectRequest(order: StoredResource<DisconnectDoc>): XmlNode {
  return {
    OrderCreateDate: isoDate(order.doc.createdAt),
    id: order.id,
    DisconnectTelephoneNumberOrderType: { TelephoneNumberList: { TelephoneNumber: order.doc.requested }, DisconnectMode: 'normal' },
  };
}

/** page (1-based) and size of a list, within bounds. */
function paging(raw: unknown): { page: number; size: number } {
  const q = (raw ?? {}) as Record<string, unknown>;
  const int = (key: string, fallback: number, max: number) => {
    const v = q[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > max) throw numbersErrors.invalid(`${key} must be a whole number from 1 to ${max}`);
    return Number(v);
  };
  return { page: int('page', 1, 100_000), size: int('size', 500, 5000) };
}

/** A page of ten-digit numbers as `TNs` (in-service and disconnected numbers). */
export function numbersPage(request: FastifyRequest, all: readonly string[]): XmlNode {
  const { page, size } = paging(request.query);
  const shown = all.slice((page - 1) * size, page * size);
  return { TotalCount: all.length, Links: { first: `Link=<${request.url.split('?')[0]}?page=1&size=${size}>;rel="first";` }, TelephoneNumbers: { Count: shown.length, TelephoneNumber: shown } };
}

/** Routes under /accounts/{accountId}. */
export function accountNumberRoutes(app: FastifyInstance, deps: NumbersRouteDeps): void {
  const numbers = deps.numbers.numbers;
  app.get('/inserviceNumbers', async (request, reply) => sendXml(reply, 'TNs', numbersPage(request, await numbers.all(callerOf(request)))));
  app.get('/inserviceNumbers/totals', async (request, reply) => sendXml(reply, 'Quantity', { Count: (await numbers.all(callerOf(request))).length }));
  app.get('/discNumbers', async (request, reply) => sendXml(reply, 'TNs', numbersPage(request, await numbers.disconnected(callerOf(request)))));
  app.get('/discNumbers/totals', async (request, reply) => sendXml(reply, 'Quantity', { Count: (await numbers.disconnected(callerOf(request))).length }));
  app.get('/inserviceNumbers/:tn', async (request, reply) => {
    await numbers.details(callerOf(request), params(request).tn as string);
    return reply.code(200).send();
  });

  app.post('/disconnects', async (request, reply) => {
    const order = await numbers.disconnect(callerOf(request), request.body);
    return sendCreated(reply, request, deps.publicUrl, `/accounts/${order.accountId}/disconnects/${order.id}`, {
      root: 'DisconnectTelephoneNumberOrderResponse',
      content: { orderRequest: disconnectRequest(order), OrderStatus: 'RECEIVED' },
    });
  });
  app.get('/disconnects', async (request, reply) => {
    const list = await numbers.disconnects(callerOf(request));
    return sendXml(reply, 'ResponseSelectWrapper', {
      ListOrderIdUserIdDate: {
        TotalCount: list.length,
        OrderIdUserIdDate: list.map((o) => ({
          CountOfTNs: o.doc.requested.length,
          userId: o.doc.createdByUser,
          lastModifiedDate: isoDate(o.updatedAt),
          OrderId: o.id,
          OrderType: 'disconnect',
          OrderDate: isoDate(o.doc.createdAt),
          OrderStatus: o.doc.status,
        })),
      },
    });
  });
  app.get('/disconnects/:disconnectId/notes', async (request, reply) => {
    const order = await numbers.disconnectOrder(callerOf(request), params(request).disconnectId as string);
    return sendXml(reply, 'Notes', notesView(order.doc.notes ?? []));
  });
  app.post('/disconnects/:disconnectId/notes', async (request, reply) => {
    const caller = callerOf(request);
    const id = params(request).disconnectId as string;
    const note = await numbers.addDisconnectNote(caller, id, request.body);
    return sendCreated(reply, request, deps.publicUrl, `/accounts/${caller.accountId}/disconnects/${id}/notes/${note.id}`);
  });
  app.get('/disconnects/:disconnectId', async (request, reply) => {
    const order = await numbers.disconnectOrder(callerOf(request), params(request).disconnectId as string);
    return sendXml(reply, 'DisconnectTelephoneNumberOrderResponse', {
      DisconnectedTelephoneNumberList: { TelephoneNumber: order.doc.disconnected },
      ErrorList: { Error: order.doc.errors.map((e) => ({ Code: e.code, Description: e.description, TelephoneNumber: e.number })) },
      orderRequest: disconnectRequest(order),
      OrderStatus: order.doc.status,
    });
  });
}

/** Routes under /tns, outside the account path: `caller` resolves the account from the credentials. */
export function tnRoutes(app: FastifyInstance, deps: NumbersRouteDeps, caller: (request: FastifyRequest) => Caller): void {
  const numbers = deps.numbers.numbers;
  const details = (request: FastifyRequest) => numbers.details(caller(request), params(request).tn as string);
  app.get('/tns', async (request, reply) => {
    const who = caller(request);
    const all = await numbers.all(who);
    const { page, size } = paging(request.query);
    const shown = [];
    for (const tn of all.slice((page - 1) * size, page * size)) shown.push(numberView(await numbers.details(who, tn), who.accountId));
    return sendXml(reply, 'TelephoneNumbersResponse', { TelephoneNumberCount: all.length, Links: { first: `Link=<${request.url.split('?')[0]}?page=1&size=${size}>;rel="first";` }, TelephoneNumbers: { TelephoneNumber: shown } });
  });
  app.get('/tns/:tn', async (request, reply) => {
    const d = await details(request);
    return sendXml(reply, 'TelephoneNumberResponse', {
      TelephoneNumber: d.number,
      Status: 'Inservice',
      LastModifiedDate: isoDate(d.hold.updatedAt),
      OrderCreateDate: isoDate(d.hold.doc.orderedAt),
      OrderId: d.hold.doc.orderId,
      OrderType: d.hold.doc.orderType,
      SiteId: d.hold.doc.siteId,
      AccountId: d.hold.accountId,
    });
  });
  app.get('/tns/:tn/tndetails', async (request, reply) => {
    const d = await details(request);
    return sendXml(reply, 'TelephoneNumberResponse', {
      TelephoneNumberDetails: {
        ...numberView(d, d.hold.accountId),
        Site: { Id: d.hold.doc.siteId, Name: d.site?.doc.name },
        SipPeer: { PeerId: d.hold.doc.peerId, PeerName: d.peer?.doc.peerName },
      },
    });
  });
  app.get('/tns/:tn/sites', async (request, reply) => {
    const d = await details(request);
    return sendXml(reply, 'Site', { Id: d.hold.doc.siteId, Name: d.site?.doc.name });
  });
  app.get('/tns/:tn/sippeers', async (request, reply) => {
    const d = await details(request);
    return sendXml(reply, 'SipPeer', { Id: d.hold.doc.peerId, Name: d.peer?.doc.peerName });
  });
  app.get('/tns/:tn/ratecenter', async (request, reply) => {
    const d = await details(request);
    if (!d.place) throw numbersErrors.notFound(CODES.numberNotFound, `Telephone number ${d.number} is toll-free: it has no rate center`);
    return sendXml(reply, 'TelephoneNumberResponse', { TelephoneNumberDetails: { State: d.place.state, RateCenter: d.place.rateCenter } });
  });
}

/** The account-less catalogue of the inventory's places: /cities and /rateCenters of a state. */
export function placeRoutes(app: FastifyInstance, deps: NumbersRouteDeps): void {
  const state = (request: FastifyRequest) => {
    const value = (request.query as Record<string, unknown>).state;
    return typeof value === 'string' ? value : undefined;
  };
  app.get('/cities', async (request, reply) => {
    const places = deps.numbers.search.places(state(request));
    return sendXml(reply, 'CityResponse', { ResultCount: places.length, Cities: { City: places.map((p) => ({ RcAbbreviation: p.rateCenter, Name: p.city })) } });
  });
  app.get('/rateCenters', async (request, reply) => {
    const places = deps.numbers.search.places(state(request));
    return sendXml(reply, 'RateCenterResponse', { ResultCount: places.length, RateCenters: { RateCenter: places.map((p) => ({ Abbreviation: p.rateCenter, Name: p.rateCenter })) } });
  });
}
