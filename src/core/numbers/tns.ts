// The account's numbers: what it holds (tns, inserviceNumbers), each number's details (site,
// location, status, place), and disconnects, which release numbers at once: they stop sending and
// receiving and return to the inventory.
import { randomUUID } from 'node:crypto';
import type { AreaCodeInfo } from './area-codes.js';
import { nationalNumber, syncNumbers, toE164, toNational, type Caller, type HoldDoc, type NumbersDeps, type PeerDoc } from './context.js';
import { child, root, text, texts } from './document.js';
import { CODES, numbersErrors } from './numbers-error.js';
import type { StoredResource } from './numbers-port.js';
import type { OrderError } from './orders.js';
import { addNote, type Note } from './notes.js';
import type { SiteDoc } from './sites.js';

export interface NumberDetails {
  /** Ten digits. */
  readonly number: string;
  readonly hold: StoredResource<HoldDoc>;
  readonly site: StoredResource<SiteDoc> | undefined;
  readonly peer: StoredResource<PeerDoc> | undefined;
  readonly place: AreaCodeInfo | undefined;
  readonly tollFree: boolean;
}

export interface DisconnectDoc {
  readonly name: string;
  readonly requested: string[];
  readonly disconnected: string[];
  readonly errors: OrderError[];
  readonly createdByUser: string;
  readonly createdAt: number;
  readonly status: 'COMPLETE' | 'PARTIAL' | 'FAILED';
  readonly notes?: readonly Note[];
}

export class AccountNumbers {
  constructor(private readonly deps: NumbersDeps) {}

  /** The account's name in the directory, if it has one. */
  async accountName(caller: Caller): Promise<string | undefined> {
    return (await this.deps.directory.get('account', caller.accountId))?.name;
  }

  /** Every number the account holds, ten digits, in order. */
  async all(caller: Caller): Promise<string[]> {
    return (await this.deps.store.list<HoldDoc>('hold', caller.accountId)).map((h) => toNational(h.id));
  }

  /** The numbers a site holds, ten digits, in order. */
  async inSite(caller: Caller, siteId: string): Promise<string[]> {
    return (await this.deps.store.list<HoldDoc>('hold', caller.accountId)).filter((h) => h.doc.siteId === siteId).map((h) => toNational(h.id));
  }

  async details(caller: Caller, raw: string): Promise<NumberDetails> {
    const tn = nationalNumber(raw);
    const hold = tn === undefined ? undefined : await this.deps.store.get<HoldDoc>('hold', caller.accountId, toE164(tn));
    if (!hold || tn === undefined) throw numbersErrors.notFound(CODES.numberNotFound, `Telephone number ${raw} not found`);
    const entry = this.deps.inventory.find(tn);
    return {
      number: tn,
      hold,
      site: await this.deps.store.get<SiteDoc>('site', caller.accountId, hold.doc.siteId),
      peer: await this.deps.store.get<PeerDoc>('peer', caller.accountId, hold.doc.peerId),
      place: entry?.place,
      tollFree: entry?.tollFree ?? false,
    };
  }

  /** A DisconnectTelephoneNumberOrder: the listed numbers the account holds are released; the others are its errors. */
  async disconnect(caller: Caller, body: unknown): Promise<StoredResource<DisconnectDoc>> {
    const doc = root(body, 'disconnectTelephoneNumberOrder');
    const name = text(doc, 'name', { required: true, max: 50 }) as string;
    const type = child(doc, 'disconnectTelephoneNumberOrderType', 'DisconnectTelephoneNumberOrderType');
    const list = type && child(type, 'telephoneNumberList', 'TelephoneNumberList');
    const requested = list ? texts(list, 'telephoneNumber', 'TelephoneNumber') : [];
    if (requested.length === 0) throw numbersErrors.missing('DisconnectTelephoneNumberOrderType.TelephoneNumberList.TelephoneNumber');
    if (requested.length > 5000) throw numbersErrors.invalid('at most 5000 numbers per disconnect');
    const disconnected: string[] = [];
    const released: StoredResource[] = [];
    const errors: OrderError[] = [];
    for (const raw of requested) {
      const tn = nationalNumber(raw);
      const hold = tn === undefined ? undefined : await this.deps.store.get('hold', caller.accountId, toE164(tn));
      if (tn !== undefined && hold && (await this.deps.store.remove('hold', caller.accountId, toE164(tn)))) {
        disconnected.push(tn);
        released.push(hold);
      } else errors.push({ number: raw, code: CODES.numberNotFound, description: `Telephone number ${raw} is not in service on this account` });
    }
    try {
      await syncNumbers(this.deps, caller, disconnected.map(toE164));
    } catch (err) {
      // The directory still has them live: the holds go back, so that the disconnect can be sent
      // again (a number without a hold answers "not in service", and would stay live for good).
      await this.deps.store.insertAll(released).catch(() => undefined);
      throw err;
    }
    const now = this.deps.now();
    const order: StoredResource<DisconnectDoc> = {
      kind: 'disconnect',
      id: randomUUID(),
      accountId: caller.accountId,
      parentId: undefined,
      createdAt: now,
      updatedAt: now,
      doc: { name, requested, disconnected, errors, createdByUser: caller.username, createdAt: now, status: disconnected.length === 0 ? 'FAILED' : errors.length > 0 ? 'PARTIAL' : 'COMPLETE' },
    };
    await this.deps.store.insert(order);
    return order;
  }

  async disconnectOrder(caller: Caller, id: string): Promise<StoredResource<DisconnectDoc>> {
    const order = await this.deps.store.get<DisconnectDoc>('disconnect', caller.accountId, id);
    if (!order) throw numbersErrors.notFound(CODES.disconnectNotFound, `Disconnect order ${id} not found`);
    return order;
  }

  disconnects(caller: Caller): Promise<Array<StoredResource<DisconnectDoc>>> {
    return this.deps.store.list<DisconnectDoc>('disconnect', caller.accountId);
  }

  async addDisconnectNote(caller: Caller, id: string, body: unknown): Promise<Note> {
    return addNote(this.deps, caller, await this.disconnectOrder(caller, id), body);
  }

  /** Numbers the account disconnected that no order of its holds again, ten digits, in order. */
  async disconnected(caller: Caller): Promise<string[]> {
    const held = new Set(await this.all(caller));
    const out = new Set<string>();
    for (const order of await this.disconnects(caller)) for (const tn of order.doc.disconnected) if (!held.has(tn)) out.add(tn);
    return [...out].sort();
  }
}
