// /accounts/{accountId}/sites/{siteId}/sippeers: SIP peers (locations), their messaging features
// (SMS, MMS), the messaging application they are linked to, and their numbers.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toNational, type PeerDoc } from '../../core/numbers/context.js';
import type { StoredResource } from '../../core/numbers/numbers-port.js';
import type { Feature } from '../../core/numbers/peers.js';
import type { NumbersRouteDeps } from './numbers-api.js';
import { callerOf, params, sendCreated, sendXml } from './numbers-reply.js';
import type { XmlNode } from './xml.js';

export function peerView(peer: StoredResource<PeerDoc>): XmlNode {
  return {
    PeerId: peer.id,
    PeerName: peer.doc.peerName,
    Description: peer.doc.description,
    IsDefaultPeer: peer.doc.isDefaultPeer,
    ShortMessagingProtocol: 'HTTP',
    VoiceHosts: '',
    VoiceHostGroups: '',
    SmsHosts: '',
    TerminationHosts: '',
    CallingName: { Display: false, Enforced: false },
  };
}

const upper = (record: Record<string, string>): XmlNode => Object.fromEntries(Object.entries(record).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]));

function featureDocument(doc: PeerDoc, feature: Feature): { root: string; content: XmlNode } {
  if (feature === 'sms') {
    const settings = doc.sms && Object.keys(doc.sms.settings).length > 0 ? upper(doc.sms.settings) : { Protocol: 'HTTP', Zone1: true };
    return { root: 'SipPeerSmsFeatureResponse', content: { SipPeerSmsFeature: { SipPeerSmsFeatureSettings: settings, HttpSettings: '' } } };
  }
  const protocol = doc.mms?.protocol ?? 'HTTP';
  return { root: 'MmsFeatureResponse', content: { MmsFeature: { MmsSettings: { Protocol: protocol }, Protocols: { [protocol]: { HttpSettings: '' } } } } };
}

const applicationDocument = (applicationId: string | undefined): XmlNode => ({ ApplicationSettings: applicationId === undefined ? '' : { HttpMessagingV2AppId: applicationId } });

export function sipPeerRoutes(app: FastifyInstance, deps: NumbersRouteDeps): void {
  const peers = deps.numbers.peers;
  const ids = (request: FastifyRequest) => {
    const p = params(request);
    return [callerOf(request), p.siteId as string, p.peerId as string] as const;
  };
  const base = '/sites/:siteId/sippeers/:peerId';

  app.post('/sites/:siteId/sippeers', async (request, reply) => {
    const peer = await peers.create(callerOf(request), params(request).siteId as string, request.body);
    return sendCreated(reply, request, deps.publicUrl, `/accounts/${peer.accountId}/sites/${peer.doc.siteId}/sippeers/${peer.id}`, { root: 'SipPeerResponse', content: { SipPeer: peerView(peer) } });
  });
  app.get('/sites/:siteId/sippeers', async (request, reply) => {
    const list = await peers.list(callerOf(request), params(request).siteId as string);
    return sendXml(reply, 'TNSipPeersResponse', { SipPeers: { SipPeer: list.map(peerView) } });
  });
  app.get(base, async (request, reply) => sendXml(reply, 'SipPeerResponse', { SipPeer: peerView(await peers.get(...ids(request))) }));
  app.put(base, async (request, reply) => {
    await peers.update(...ids(request), request.body);
    return sendXml(reply, 'SipPeerResponse', { SipPeer: peerView(await peers.get(...ids(request))) });
  });
  app.delete(base, async (request, reply) => {
    await peers.delete(...ids(request));
    return reply.code(200).send();
  });

  for (const feature of ['sms', 'mms'] as const) {
    const path = `${base}/products/messaging/features/${feature}`;
    app.get(path, async (request, reply) => {
      const doc = featureDocument(await peers.feature(...ids(request), feature), feature);
      return sendXml(reply, doc.root, doc.content);
    });
    app.post(path, async (request, reply) => {
      const doc = featureDocument(await peers.setFeature(...ids(request), feature, request.body, 'create'), feature);
      return sendXml(reply, doc.root, doc.content, 201);
    });
    app.put(path, async (request, reply) => {
      const doc = featureDocument(await peers.setFeature(...ids(request), feature, request.body, 'update'), feature);
      return sendXml(reply, doc.root, doc.content);
    });
    app.delete(path, async (request, reply) => {
      await peers.removeFeature(...ids(request), feature);
      return reply.code(200).send();
    });
  }

  const settings = `${base}/products/messaging/applicationSettings`;
  app.get(settings, async (request, reply) => sendXml(reply, 'ApplicationSettingsResponse', applicationDocument(await peers.application(...ids(request)))));
  app.put(settings, async (request, reply) => sendXml(reply, 'ApplicationSettingsResponse', applicationDocument(await peers.setApplication(...ids(request), request.body))));

  app.get(`${base}/tns`, async (request, reply) => {
    const [caller, siteId, peerId] = ids(request);
    await peers.get(caller, siteId, peerId);
    const numbers = (await peers.numbers(caller, peerId)).map(toNational);
    return sendXml(reply, 'SipPeerTelephoneNumbersResponse', { SipPeerTelephoneNumbers: { SipPeerTelephoneNumber: numbers.map((n) => ({ FullNumber: n })) } });
  });
  app.get(`${base}/tns/:tn`, async (request, reply) => {
    const hold = await peers.number(...ids(request), params(request).tn as string);
    return sendXml(reply, 'SipPeerTelephoneNumberResponse', { SipPeerTelephoneNumber: { FullNumber: toNational(hold.id), ...upper(hold.doc.settings ?? {}) } });
  });
  app.put(`${base}/tns/:tn`, async (request, reply) => {
    await peers.updateNumber(...ids(request), params(request).tn as string, request.body);
    return reply.code(200).send();
  });
  app.post(`${base}/movetns`, async (request, reply) => {
    await peers.moveNumbers(...ids(request), request.body);
    return reply.code(200).send();
  });
}
