// /accounts/{accountId}/sites: sites (sub-accounts).
import type { FastifyInstance } from 'fastify';
import type { StoredResource } from '../../core/numbers/numbers-port.js';
import type { SiteDoc } from '../../core/numbers/sites.js';
import type { NumbersRouteDeps } from './numbers-api.js';
import { callerOf, params, sendCreated, sendXml } from './numbers-reply.js';
import type { XmlNode } from './xml.js';
import { orderListItem } from './orders.routes.js';
import { numbersPage } from './tns.routes.js';

export function siteView(site: StoredResource<SiteDoc>): XmlNode {
  const address = site.doc.address && Object.fromEntries(Object.entries(site.doc.address).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]));
  return {
    Id: site.id,
    Name: site.doc.name,
    Description: site.doc.description,
    CustomerProvidedID: site.doc.customerProvidedId,
    CustomerName: site.doc.customerName,
    Address: address,
  };
}

export function siteRoutes(app: FastifyInstance, deps: NumbersRouteDeps): void {
  const sites = deps.numbers.sites;
  app.post('/sites', async (request, reply) => {
    const site = await sites.create(callerOf(request), request.body);
    return sendCreated(reply, request, deps.publicUrl, `/accounts/${site.accountId}/sites/${site.id}`, { root: 'SiteResponse', content: { Site: siteView(site) } });
  });
  app.get('/sites', async (request, reply) => {
    const list = await sites.list(callerOf(request));
    return sendXml(reply, 'SitesResponse', { Sites: { Site: list.map(siteView) } });
  });
  app.get('/sites/:siteId', async (request, reply) => sendXml(reply, 'SiteResponse', { Site: siteView(await sites.get(callerOf(request), params(request).siteId as string)) }));
  app.put('/sites/:siteId', async (request, reply) => {
    const caller = callerOf(request);
    const id = params(request).siteId as string;
    await sites.update(caller, id, request.body);
    return sendXml(reply, 'SiteResponse', { Site: siteView(await sites.get(caller, id)) });
  });
  // What a site holds: its numbers, orders and their count.
  app.get('/sites/:siteId/inserviceNumbers', async (request, reply) => {
    const caller = callerOf(request);
    const site = await sites.get(caller, params(request).siteId as string);
    return sendXml(reply, 'TNs', numbersPage(request, await deps.numbers.numbers.inSite(caller, site.id)));
  });
  app.get('/sites/:siteId/totaltns', async (request, reply) => {
    const caller = callerOf(request);
    const site = await sites.get(caller, params(request).siteId as string);
    return sendXml(reply, 'SiteTNsResponse', { SiteTNs: { TotalCount: (await deps.numbers.numbers.inSite(caller, site.id)).length } });
  });
  app.get('/sites/:siteId/orders', async (request, reply) => {
    const caller = callerOf(request);
    const site = await sites.get(caller, params(request).siteId as string);
    const list = (await deps.numbers.orders.list(caller)).filter((o) => o.doc.siteId === site.id);
    return sendXml(reply, 'ResponseSelectWrapper', { ListOrderIdUserIdDate: { TotalCount: list.length, OrderIdUserIdDate: list.map(orderListItem) } });
  });
  app.delete('/sites/:siteId', async (request, reply) => {
    await sites.delete(callerOf(request), params(request).siteId as string);
    return reply.code(200).send();
  });
}
