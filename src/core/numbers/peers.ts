// SIP peers (locations) of a site: their messaging features (SMS, MMS), the messaging application
// they are linked to, and the numbers they hold. Every change that bears on messaging is passed to
// the directory at once (context.ts syncNumbers).
import { bool, child, flatFields, root, text, texts, type Doc } from './document.js';
import { nationalNumber, syncNumbers, toE164, type Caller, type HoldDoc, type NumbersDeps, type PeerDoc } from './context.js';
import { CODES, numbersErrors } from './numbers-error.js';
import type { StoredResource } from './numbers-port.js';
import type { Sites } from './sites.js';

export type Feature = 'sms' | 'mms';

export class Peers {
  constructor(
    private readonly deps: NumbersDeps,
    private readonly sites: Sites,
  ) {}

  async create(caller: Caller, siteId: string, body: unknown): Promise<StoredResource<PeerDoc>> {
    await this.sites.get(caller, siteId);
    const doc: Doc = root(body, 'sipPeer');
    const existing = await this.deps.store.list<PeerDoc>('peer', caller.accountId, siteId);
    const makeDefault = bool(doc, 'isDefaultPeer') ?? existing.length === 0;
    const peer: PeerDoc = {
      siteId,
      peerName: text(doc, 'peerName', { required: true, max: 50 }) as string,
      description: text(doc, 'description'),
      isDefaultPeer: makeDefault,
      sms: undefined,
      mms: undefined,
      applicationId: undefined,
    };
    if (makeDefault) await this.clearDefault(caller, siteId);
    const now = this.deps.now();
    const stored = { kind: 'peer' as const, id: String(await this.deps.store.nextId()), accountId: caller.accountId, parentId: siteId, doc: peer, createdAt: now, updatedAt: now };
    await this.deps.store.insert(stored);
    return stored;
  }

  async get(caller: Caller, siteId: string, peerId: string): Promise<StoredResource<PeerDoc>> {
    const peer = await this.deps.store.get<PeerDoc>('peer', caller.accountId, peerId);
    if (!peer || peer.doc.siteId !== siteId) {
      await this.sites.get(caller, siteId);
      throw numbersErrors.notFound(CODES.peerNotFound, `SipPeer ${peerId} not found in site ${siteId}`);
    }
    return peer;
  }

  async list(caller: Caller, siteId: string): Promise<Array<StoredResource<PeerDoc>>> {
    await this.sites.get(caller, siteId);
    return this.deps.store.list<PeerDoc>('peer', caller.accountId, siteId);
  }

  async update(caller: Caller, siteId: string, peerId: string, body: unknown): Promise<void> {
    const peer = await this.get(caller, siteId, peerId);
    const doc: Doc = root(body, 'sipPeer');
    const changed: PeerDoc = {
      ...peer.doc,
      peerName: text(doc, 'peerName', { max: 50 }) ?? peer.doc.peerName,
      description: text(doc, 'description') ?? peer.doc.description,
      isDefaultPeer: bool(doc, 'isDefaultPeer') ?? peer.doc.isDefaultPeer,
    };
    // A site has one default location: the new default takes the flag from the old.
    if (changed.isDefaultPeer && !peer.doc.isDefaultPeer) await this.clearDefault(caller, siteId);
    await this.save(peer, changed);
  }

  private async clearDefault(caller: Caller, siteId: string): Promise<void> {
    for (const other of await this.deps.store.list<PeerDoc>('peer', caller.accountId, siteId)) {
      if (other.doc.isDefaultPeer) await this.save(other, { ...other.doc, isDefaultPeer: false });
    }
  }

  async delete(caller: Caller, siteId: string, peerId: string): Promise<void> {
    await this.get(caller, siteId, peerId);
    const held = await this.numbers(caller, peerId);
    if (held.length > 0) throw numbersErrors.conflict(CODES.peerHoldsNumbers, `SipPeer ${peerId} cannot be deleted: it holds ${held.length} telephone number(s); disconnect or move them first`);
    await this.deps.store.remove('peer', caller.accountId, peerId);
  }

  // ---- messaging features

  async feature(caller: Caller, siteId: string, peerId: string, feature: Feature): Promise<PeerDoc> {
    const peer = await this.get(caller, siteId, peerId);
    if (!peer.doc[feature]) throw numbersErrors.notFound(CODES.featureNotFound, `${feature.toUpperCase()} is not enabled on SipPeer ${peerId}`);
    return peer.doc;
  }

  /** Enables (`create`) or changes a feature; the document is SipPeerSmsFeature or MmsFeature. */
  async setFeature(caller: Caller, siteId: string, peerId: string, feature: Feature, body: unknown, mode: 'create' | 'update'): Promise<PeerDoc> {
    const peer = await this.get(caller, siteId, peerId);
    if (mode === 'create' && peer.doc[feature]) throw numbersErrors.conflict(CODES.featureExists, `${feature.toUpperCase()} is already enabled on SipPeer ${peerId}; use PUT to change it`);
    if (mode === 'update' && !peer.doc[feature]) throw numbersErrors.notFound(CODES.featureNotFound, `${feature.toUpperCase()} is not enabled on SipPeer ${peerId}`);
    let doc: PeerDoc;
    if (feature === 'sms') {
      const settings = flatFields(child(root(body, 'sipPeerSmsFeature'), 'sipPeerSmsFeatureSettings', 'SipPeerSmsFeatureSettings'), 'SipPeerSmsFeatureSettings');
      doc = { ...peer.doc, sms: { settings: settings ?? peer.doc.sms?.settings ?? {} } };
    } else {
      const settings = child(root(body, 'mmsFeature'), 'mmsSettings', 'MmsSettings');
      const protocol = (settings && text(settings, 'protocol', { max: 10 })) ?? peer.doc.mms?.protocol ?? 'HTTP';
      doc = { ...peer.doc, mms: { protocol } };
    }
    await this.save(peer, doc);
    await this.syncPeer(caller, peerId);
    return doc;
  }

  async removeFeature(caller: Caller, siteId: string, peerId: string, feature: Feature): Promise<void> {
    const peer = await this.get(caller, siteId, peerId);
    if (!peer.doc[feature]) throw numbersErrors.notFound(CODES.featureNotFound, `${feature.toUpperCase()} is not enabled on SipPeer ${peerId}`);
    // Without SMS a location has no messaging: its MMS goes with it, as Bandwidth requires SMS for MMS.
    await this.save(peer, feature === 'sms' ? { ...peer.doc, sms: undefined, mms: undefined } : { ...peer.doc, mms: undefined });
    await this.syncPeer(caller, peerId);
  }

  // ---- the messaging application

  /** The linked application; one deleted since (through the admin API) is no longer shown. */
  async application(caller: Caller, siteId: string, peerId: string): Promise<string | undefined> {
    const id = (await this.get(caller, siteId, peerId)).doc.applicationId;
    const app = id === undefined ? undefined : await this.deps.directory.get('application', id);
    return app && !app.deleted ? id : undefined;
  }

  /** Links (`HttpMessagingV2AppId`) or unlinks (`REMOVE`) the location's messaging application. */
  async setApplication(caller: Caller, siteId: string, peerId: string, body: unknown): Promise<string | undefined> {
    const peer = await this.get(caller, siteId, peerId);
    const remove = typeof body === 'object' && body !== null && (body as Doc).applicationsSettings === 'REMOVE';
    let applicationId: string | undefined;
    if (!remove) {
      const doc = root(body, 'applicationsSettings');
      applicationId = text(doc, 'httpMessagingV2AppId', { required: true, max: 100, label: 'HttpMessagingV2AppId' }) as string;
      if (applicationId === 'REMOVE') applicationId = undefined;
      else {
        const app = await this.deps.directory.get('application', applicationId);
        if (!app || app.deleted || app.accountId !== caller.accountId) throw numbersErrors.notFound(CODES.applicationNotFound, `Application ${applicationId} not found`);
      }
    }
    await this.save(peer, { ...peer.doc, applicationId });
    await this.syncPeer(caller, peerId);
    return applicationId;
  }

  // ---- numbers

  /** The E.164 numbers a location holds, in order. */
  async numbers(caller: Caller, peerId: string): Promise<string[]> {
    return (await this.deps.store.list<HoldDoc>('hold', caller.accountId, peerId)).map((h) => h.id);
  }

  /** A number of the location, with its settings; a number elsewhere is missing. */
  async number(caller: Caller, siteId: string, peerId: string, raw: string): Promise<StoredResource<HoldDoc>> {
    await this.get(caller, siteId, peerId);
    const tn = nationalNumber(raw);
    const hold = tn === undefined ? undefined : await this.deps.store.get<HoldDoc>('hold', caller.accountId, toE164(tn));
    if (!hold || hold.doc.peerId !== peerId) throw numbersErrors.notFound(CODES.numberNotFound, `Telephone number ${raw} is not on SipPeer ${peerId}`);
    return hold;
  }

  /** Replaces a number's settings on the location (SipPeerTelephoneNumber; simple elements only). */
  async updateNumber(caller: Caller, siteId: string, peerId: string, raw: string, body: unknown): Promise<void> {
    const hold = await this.number(caller, siteId, peerId, raw);
    // FullNumber names the number (the path does); the rest are its settings.
    const settings = Object.fromEntries(Object.entries(flatFields(root(body, 'sipPeerTelephoneNumber'), 'SipPeerTelephoneNumber') ?? {}).filter(([key]) => key !== 'fullNumber'));
    await this.deps.store.update({ ...hold, doc: { ...hold.doc, settings }, updatedAt: this.deps.now() });
  }

  /** Moves numbers of the account (`FullNumber`s) into this location, which may be in another site. */
  async moveNumbers(caller: Caller, siteId: string, peerId: string, body: unknown): Promise<void> {
    await this.get(caller, siteId, peerId);
    const listed = texts(root(body, 'sipPeerTelephoneNumbers'), 'fullNumber', 'FullNumber');
    if (listed.length === 0) throw numbersErrors.missing('FullNumber');
    if (listed.length > 5000) throw numbersErrors.invalid('at most 5000 numbers can be moved at once');
    const holds: Array<StoredResource<HoldDoc>> = [];
    for (const raw of listed) {
      const tn = nationalNumber(raw);
      const hold = tn === undefined ? undefined : await this.deps.store.get<HoldDoc>('hold', caller.accountId, toE164(tn));
      if (!hold) throw numbersErrors.notFound(CODES.numberNotFound, `Telephone number ${raw} is not in service on this account`);
      holds.push(hold);
    }
    for (const hold of holds) {
      await this.deps.store.update({ ...hold, parentId: peerId, doc: { ...hold.doc, siteId, peerId }, updatedAt: this.deps.now() });
    }
    await syncNumbers(this.deps, caller, holds.map((h) => h.id));
  }

  /** The default location of a site (where an order without PeerId goes). */
  async defaultPeer(caller: Caller, siteId: string): Promise<StoredResource<PeerDoc> | undefined> {
    const peers = await this.deps.store.list<PeerDoc>('peer', caller.accountId, siteId);
    return peers.find((p) => p.doc.isDefaultPeer) ?? peers[0];
  }

  /** The locations linked to an application. */
  async linkedTo(caller: Caller, applicationId: string): Promise<Array<StoredResource<PeerDoc>>> {
    return (await this.deps.store.list<PeerDoc>('peer', caller.accountId)).filter((p) => p.doc.applicationId === applicationId);
  }

  async syncPeer(caller: Caller, peerId: string): Promise<void> {
    await syncNumbers(this.deps, caller, await this.numbers(caller, peerId));
  }

  private async save(peer: StoredResource<PeerDoc>, doc: PeerDoc): Promise<void> {
    await this.deps.store.update({ ...peer, doc, updatedAt: this.deps.now() });
  }
}
