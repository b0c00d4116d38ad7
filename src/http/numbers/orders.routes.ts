// /accounts/{accountId}/availableNumbers and /orders: searching the inventory and ordering numbers,
// with each order's history, notes, numbers and per-area-code reports.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../../core/numbers/context.js';
import { CODES, NumbersError } from '../../core/numbers/numbers-error.js';
import type { StoredResource } from '../../core/numbers/numbers-port.js';
import type { OrderDoc } from '../../core/numbers/orders.js';
import type { Note } from '../../core/numbers/notes.js';
import type { SearchQuery } from '../../core/numbers/inventory.js';
import type { NumbersRouteDeps } from './numbers-api.js';
import { callerOf, params, sendCreated, sendXml } from './numbers-reply.js';
import { isoDate, type XmlNode } from './xml.js';

const SEARCH_PARAMS = ['areaCode', 'npaNxx', 'state', 'city', 'zip', 'localVanity', 'endsIn', 'tollFreeVanity', 'tollFreeWildCardPattern', 'quantity', 'enableTNDetail'] as const;
const searchError = (description: string) => new NumbersError(400, CODES.searchInvalid, description);

function searchQuery(raw: unknown): { query: SearchQuery; detail: boolean } {
  const q = (raw ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(q)) {
    if (!(SEARCH_PARAMS as readonly string[]).includes(key)) throw searchError(`${key} is not a search Pigeon supports; use ${SEARCH_PARAMS.join(', ')}`);
    if (typeof value !== 'string' || value.length > 64) throw searchError(`${key} must be given once, at most 64 characters`);
  }
  const value = (key: (typeof SEARCH_PARAMS)[number]) => q[key] as string | undefined;
  const flag = (key: 'endsIn' | 'enableTNDetail') => {
    const v = value(key)?.toLowerCase();
    if (v !== undefined && v !== 'true' && v !== 'false') throw searchError(`${key} must be true or false`);
    return v === 'true';
  };
  const quantityText = value('quantity');
  const quantity = quantityText === undefined ? 5000 : /^\d{1,4}$/.test(quantityText) ? Number(quantityText) : Number.NaN;
  if (!(quantity >= 1 && quantity <= 5000)) throw searchError('quantity must be a whole number from 1 to 5000');
  return {
    detail: flag('enableTNDetail'),
    query: {
      areaCode: value('areaCode'),
      npaNxx: value('npaNxx'),
      state: value('state'),
      city: value('city'),
      zip: value('zip'),
      localVanity: value('localVanity'),
      endsIn: flag('endsIn'),
      tollFreeVanity: value('tollFreeVanity'),
      tollFreeWildCardPattern: value('tollFreeWildCardPattern'),
      quantity,
    },
  };
}

export const notesView = (notes: readonly Note[]): XmlNode => ({
  Note: notes.map((n) => ({ Id: n.id, UserId: n.userId, Description: n.description, LastDateModifier: isoDate(n.date) })),
});

/** An order as the order lists show it. */
export const orderListItem = (o: StoredResource<OrderDoc>): XmlNode => ({
  CountOfTNs: o.doc.completed.length,
  userId: o.doc.createdByUser,
  lastModifiedDate: isoDate(o.updatedAt),
  OrderId: o.id,
  OrderType: 'new_number',
  OrderDate: isoDate(o.doc.createdAt),
  OrderStatus: o.doc.status,
});

export function orderView(order: StoredResource<OrderDoc>): XmlNode {
  const d = order.doc;
  return {
    CustomerOrderId: d.customerOrderId,
    Name: d.name,
    OrderCreateDate: isoDate(d.createdAt),
    PeerId: d.peerId,
    BackOrderRequested: d.backOrderRequested,
    id: order.id,
    [d.orderType]: d.orderFields as XmlNode,
    PartialAllowed: d.partialAllowed,
    SiteId: d.siteId,
  };
}

function orderStatusView(order: StoredResource<OrderDoc>): XmlNode {
  const d = order.doc;
  const failed = d.errors.filter((e) => e.number !== undefined).map((e) => e.number as string);
  return {
    CompletedQuantity: d.completed.length,
    CreatedByUser: d.createdByUser,
    ErrorList: { Error: d.errors.map((e) => ({ Code: e.code, Description: e.description, TelephoneNumber: e.number })) },
    FailedNumbers: { FullNumber: failed },
    LastModifiedDate: isoDate(order.updatedAt),
    OrderCompleteDate: isoDate(d.completedAt),
    Order: orderView(order),
    OrderStatus: d.status,
    CompletedNumbers: { TelephoneNumber: d.completed.map((n) => ({ FullNumber: n })) },
    Summary: `${d.completed.length} number(s) ordered`,
    FailedQuantity: d.errors.length,
  };
}

/** Counts of an order's numbers by a key (area code, NPA-NXX). */
function report(numbers: readonly string[], key: (n: string) => string, element: string): XmlNode {
  const counts = new Map<string, number>();
  for (const n of numbers) counts.set(key(n), (counts.get(key(n)) ?? 0) + 1);
  return { TelephoneDetailsReport: [...counts].map(([k, count]) => ({ [element]: k, Count: count })) };
}

export function orderRoutes(app: FastifyInstance, deps: NumbersRouteDeps): void {
  const orders = deps.numbers.orders;
  const order = (request: FastifyRequest): [Caller, string] => [callerOf(request), params(request).orderId as string];

  app.get('/availableNumbers', async (request, reply) => {
    const { query, detail } = searchQuery(request.query);
    const free = await deps.numbers.search.available(query);
    if (free.length === 0) return sendXml(reply, 'SearchResult', { ResultCount: 0 });
    const list: XmlNode = detail
      ? {
          TelephoneNumberDetailList: {
            TelephoneNumberDetail: free.map((e) => ({ City: e.place?.city, LATA: e.place?.lata, RateCenter: e.place?.rateCenter ?? 'TOLL FREE', State: e.place?.state, TelephoneNumber: e.number })),
          },
        }
      : { TelephoneNumberList: { TelephoneNumber: free.map((e) => e.number) } };
    return sendXml(reply, 'SearchResult', { ResultCount: free.length, ...list });
  });

  app.get('/availableNpaNxx', async (request, reply) => {
    const q = (request.query ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(q)) {
      if (key !== 'areaCode' && key !== 'state') throw searchError(`${key} is not a search Pigeon supports; use areaCode or state`);
      if (typeof value !== 'string' || value.length > 64) throw searchError(`${key} must be given once, at most 64 characters`);
    }
    if (q.areaCode === undefined && q.state === undefined) throw searchError('areaCode or state is required');
    const exchanges = await deps.numbers.search.exchanges({ areaCode: q.areaCode as string | undefined, state: q.state as string | undefined });
    return sendXml(reply, 'SearchResultForAvailableNpaNxx', {
      AvailableNpaNxxList: { AvailableNpaNxx: exchanges.map((e) => ({ City: e.place.city, State: e.place.state, Npa: e.npa, Nxx: e.nxx, Quantity: e.quantity })) },
    });
  });

  app.post('/orders', async (request, reply) => {
    const { received } = await orders.create(callerOf(request), request.body);
    return sendCreated(reply, request, deps.publicUrl, `/accounts/${received.accountId}/orders/${received.id}`, {
      root: 'OrderResponse',
      content: { Order: orderView(received), OrderStatus: received.doc.status },
    });
  });
  app.get('/orders', async (request, reply) => {
    const list = await orders.list(callerOf(request));
    return sendXml(reply, 'ResponseSelectWrapper', {
      ListOrderIdUserIdDate: {
        TotalCount: list.length,
        OrderIdUserIdDate: list.map(orderListItem),
      },
    });
  });
  app.get('/orders/:orderId', async (request, reply) => sendXml(reply, 'OrderResponse', orderStatusView(await orders.get(...order(request)))));
  app.get('/orders/:orderId/history', async (request, reply) => {
    const o = await orders.get(...order(request));
    return sendXml(reply, 'OrderHistoryWrapper', { OrderHistory: o.doc.history.map((h) => ({ OrderDate: isoDate(h.date), Note: h.note, Author: h.author, Status: h.status })) });
  });
  app.put('/orders/:orderId', async (request, reply) => {
    await orders.update(...order(request), request.body);
    return reply.code(200).send();
  });
  app.get('/orders/:orderId/notes', async (request, reply) => sendXml(reply, 'Notes', notesView((await orders.get(...order(request))).doc.notes)));
  app.post('/orders/:orderId/notes', async (request, reply) => {
    const [caller, id] = order(request);
    const note = await orders.addNote(caller, id, request.body);
    return sendCreated(reply, request, deps.publicUrl, `/accounts/${caller.accountId}/orders/${id}/notes/${note.id}`);
  });
  app.get('/orders/:orderId/tns', async (request, reply) => {
    const o = await orders.get(...order(request));
    return sendXml(reply, 'TelephoneNumbers', { Count: o.doc.completed.length, TelephoneNumber: o.doc.completed });
  });
  app.get('/orders/:orderId/areaCodes', async (request, reply) =>
    sendXml(reply, 'TelephoneDetailsReports', report((await orders.get(...order(request))).doc.completed, (n) => n.slice(0, 3), 'AreaCode')),
  );
  app.get('/orders/:orderId/npaNxx', async (request, reply) =>
    sendXml(reply, 'TelephoneDetailsReports', report((await orders.get(...order(request))).doc.completed, (n) => n.slice(0, 6), 'NpaNxx')),
  );
  app.get('/orders/:orderId/totals', async (request, reply) => {
    const o = await orders.get(...order(request));
    return sendXml(reply, 'TelephoneDetailsReports', { TelephoneDetailsReport: { Count: o.doc.completed.length } });
  });
}
