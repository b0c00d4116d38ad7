// /accounts/{accountId}/applications: messaging applications (the live directory's), and the
// locations linked to each.
import type { FastifyInstance } from 'fastify';
import type { ApplicationRow } from '../../core/accounts/directory-port.js';
import { MESSAGING_SERVICE_TYPE } from '../../core/numbers/applications.js';
import type { NumbersRouteDeps } from './numbers-api.js';
import { callerOf, sendCreated, sendXml } from './numbers-reply.js';
import type { XmlNode } from './xml.js';

/** The callback password is never shown, as Bandwidth does not show it. */
export function applicationView(app: ApplicationRow): XmlNode {
  return {
    ApplicationId: app.id,
    ServiceType: MESSAGING_SERVICE_TYPE,
    AppName: app.name,
    MsgCallbackUrl: app.callbackUrl,
    CallbackCreds: app.callbackUsername === undefined ? undefined : { UserId: app.callbackUsername },
  };
}

export function applicationRoutes(app: FastifyInstance, deps: NumbersRouteDeps): void {
  const apps = deps.numbers.applications;
  const id = (request: { params: unknown }) => (request.params as Record<string, string>).applicationId as string;
  const show = (row: ApplicationRow): XmlNode => ({ Application: applicationView(row) });

  app.post('/applications', async (request, reply) => {
    const row = await apps.create(callerOf(request), request.body);
    return sendCreated(reply, request, deps.publicUrl, `/accounts/${row.accountId}/applications/${row.id}`, { root: 'ApplicationProvisioningResponse', content: show(row) });
  });
  app.get('/applications', async (request, reply) => {
    const list = await apps.list(callerOf(request));
    return sendXml(reply, 'ApplicationProvisioningResponse', { ApplicationList: { Application: list.map(applicationView) } });
  });
  app.get('/applications/:applicationId', async (request, reply) => sendXml(reply, 'ApplicationProvisioningResponse', show(await apps.get(callerOf(request), id(request)))));
  app.put('/applications/:applicationId', async (request, reply) => sendXml(reply, 'ApplicationProvisioningResponse', show(await apps.update(callerOf(request), id(request), request.body, 'put'))));
  app.patch('/applications/:applicationId', async (request, reply) => sendXml(reply, 'ApplicationProvisioningResponse', show(await apps.update(callerOf(request), id(request), request.body, 'patch'))));
  app.delete('/applications/:applicationId', async (request, reply) => {
    await apps.delete(callerOf(request), id(request));
    return reply.code(200).send();
  });
  app.get('/applications/:applicationId/associatedsippeers', async (request, reply) => {
    const rows = (await apps.associated(callerOf(request), id(request))).map(({ peer, siteName }) => ({ SiteId: peer.doc.siteId, SiteName: siteName, PeerId: peer.id, PeerName: peer.doc.peerName }));
    return sendXml(reply, 'AssociatedSipPeersResponse', { AssociatedSipPeers: { AssociatedSipPeer: rows } });
  });
}
