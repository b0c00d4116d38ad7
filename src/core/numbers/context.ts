// What every part of the Numbers API works with, and the one place where its numbers meet the live
// directory: a number held by an order sends and receives (a directory number of an application)
// exactly while its location is linked to that application and has SMS; without MMS it sends SMS
// only. Every change to a location, an order or a disconnect ends here, and the directory's change
// signals carry it to every thread and process.
import { auditView } from '../accounts/audit-view.js';
import type { AuditRecord, DirectoryStore, DirectoryWrite, NumberRow } from '../accounts/directory-port.js';
import { numberKind } from '../phone/phone-number.js';
import type { Inventory } from './inventory.js';
import type { NumbersStore, StoredResource } from './numbers-port.js';

export interface NumbersDeps {
  store: NumbersStore;
  directory: DirectoryStore;
  /** Brings this thread's directory up to date; awaited after each directory write. */
  refresh: () => Promise<void>;
  inventory: Inventory;
  now: () => number;
}

/** Who acts: the account (from the path or the credentials) and the API user, for audit and order records. */
export interface Caller {
  readonly accountId: string;
  readonly username: string;
}

export interface SmsFeature {
  /** SipPeerSmsFeatureSettings' elements as sent (TollFree, ShortCode, Protocol, Zone1…). */
  readonly settings: Record<string, string>;
}

export interface MmsFeature {
  readonly protocol: string;
}

export interface PeerDoc {
  readonly siteId: string;
  readonly peerName: string;
  readonly description: string | undefined;
  readonly isDefaultPeer: boolean;
  readonly sms: SmsFeature | undefined;
  readonly mms: MmsFeature | undefined;
  /** The messaging application (HttpMessagingV2AppId) the location is linked to. */
  readonly applicationId: string | undefined;
}

export interface HoldDoc {
  readonly siteId: string;
  readonly peerId: string;
  readonly orderId: string;
  readonly orderType: string;
  readonly orderedAt: number;
  /** Per-number settings of the location (SipPeerTelephoneNumber's elements, e.g. CallForward), as given. */
  readonly settings?: Record<string, string>;
}

/** Ten-digit national form (the Numbers API's) to E.164 (the directory's), and back. */
export const toE164 = (tn: string): string => `+1${tn}`;
export const toNational = (e164: string): string => e164.replace(/^\+1/, '');

/** A number as a request writes it: ten digits, or 1 / +1 before them. */
export function nationalNumber(input: string): string | undefined {
  const m = /^(?:\+?1)?([2-9]\d{2}[2-9]\d{6})$/.exec(input.trim());
  return m?.[1];
}

export const actorName = (caller: Caller): string => `numbers-api:user:${caller.accountId}/${caller.username}`;

/**
 * Makes the directory agree with the holds of `numbers` (E.164) of the caller's account: each is a
 * live number of its location's application when that location is linked and has SMS, and is not
 * otherwise. Only rows that differ are written, in one directory write.
 */
export async function syncNumbers(deps: NumbersDeps, caller: Caller, numbers: readonly string[]): Promise<void> {
  const writes: DirectoryWrite[] = [];
  const audit: AuditRecord[] = [];
  const peers = new Map<string, StoredResource<PeerDoc> | undefined>();
  for (const number of numbers) {
    const hold = await deps.store.get<HoldDoc>('hold', caller.accountId, number);
    let peer: StoredResource<PeerDoc> | undefined;
    if (hold) {
      if (!peers.has(hold.doc.peerId)) peers.set(hold.doc.peerId, await deps.store.get<PeerDoc>('peer', caller.accountId, hold.doc.peerId));
      peer = peers.get(hold.doc.peerId);
    }
    const appId = peer?.doc.sms ? peer.doc.applicationId : undefined;
    const app = appId === undefined ? undefined : await deps.directory.get('application', appId);
    const current = await deps.directory.get('number', number);
    // A number another account holds in the directory (provisioned the old way) is never touched.
    if (current && !current.deleted && current.accountId !== caller.accountId) continue;
    let wanted: Omit<NumberRow, 'version' | 'createdAt' | 'updatedAt'> | undefined;
    if (app && !app.deleted && app.accountId === caller.accountId && peer) {
      wanted = {
        number,
        accountId: caller.accountId,
        applicationId: app.id,
        numberType: numberKind(number),
        ratePerSecond: current?.deleted === false ? current.ratePerSecond : undefined,
        mms: peer.doc.mms !== undefined,
        deleted: false,
        source: 'api',
      };
    } else if (current && !current.deleted) {
      wanted = { ...current, deleted: true, source: 'api' };
    }
    if (!wanted) continue;
    const same = current && current.deleted === wanted.deleted && current.applicationId === wanted.applicationId && (current.mms ?? true) === (wanted.mms ?? true);
    if (same) continue;
    writes.push({ kind: 'number', row: wanted });
    const action = wanted.deleted ? 'delete' : current && !current.deleted ? 'update' : 'create';
    audit.push({
      actor: actorName(caller),
      action,
      kind: 'number',
      key: number,
      accountId: caller.accountId,
      before: action === 'create' ? undefined : auditView(current as object),
      after: action === 'delete' ? undefined : auditView(wanted),
    });
  }
  if (writes.length === 0) return;
  await deps.directory.write(writes, audit, deps.now());
  await deps.refresh();
}
