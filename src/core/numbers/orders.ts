// Orders of new numbers into a site and location: a list of numbers (ExistingTelephoneNumberOrderType)
// or a search-and-order by area code, ZIP code or toll-free pattern or vanity. Each number is claimed
// by inserting its hold, so of two accounts ordering one number exactly one gets it. The order is
// worked before the create is answered (Bandwidth answers RECEIVED and completes shortly after; here
// the first GET already shows COMPLETE, PARTIAL or FAILED), and its numbers send and receive at once
// when the location is linked and has SMS.
import { randomUUID } from 'node:crypto';
import { bool, child, integer, root, text, texts, type Doc } from './document.js';
import { nationalNumber, syncNumbers, toE164, type Caller, type HoldDoc, type NumbersDeps } from './context.js';
import type { SearchQuery } from './inventory.js';
import { CODES, numbersErrors } from './numbers-error.js';
import type { StoredResource } from './numbers-port.js';
import { addNote, type Note } from './notes.js';
import { freeNumbers } from './search.js';
import type { Peers } from './peers.js';
import type { Sites } from './sites.js';

export type OrderStatus = 'RECEIVED' | 'COMPLETE' | 'PARTIAL' | 'FAILED';

export interface OrderError {
  readonly number: string | undefined;
  readonly code: number;
  readonly description: string;
}

export interface HistoryEntry {
  readonly date: number;
  readonly note: string;
  readonly author: string;
  readonly status: OrderStatus;
}

export interface OrderDoc {
  readonly name: string;
  readonly customerOrderId: string | undefined;
  readonly siteId: string;
  readonly peerId: string;
  readonly partialAllowed: boolean;
  readonly backOrderRequested: boolean;
  /** The order type's element name and its children as the request gave them (echoed back). */
  readonly orderType: string;
  readonly orderFields: Record<string, unknown>;
  readonly createdByUser: string;
  readonly createdAt: number;
  readonly completedAt: number;
  readonly status: OrderStatus;
  /** Ten-digit numbers. */
  readonly completed: string[];
  readonly errors: OrderError[];
  readonly history: HistoryEntry[];
  readonly notes: Note[];
}

/** Bandwidth's order types Pigeon works, by element name (matched without regard to case: the client writes `ZIPSearch…` as given). */
export const ORDER_TYPES = [
  'ExistingTelephoneNumberOrderType',
  'AreaCodeSearchAndOrderType',
  'ZIPSearchAndOrderType',
  'TollFreeWildCharSearchAndOrderType',
  'TollFreeVanitySearchAndOrderType',
] as const;

const MAX_QUANTITY = 5000;

interface Wanted {
  orderType: string;
  orderFields: Record<string, unknown>;
  /** A list order's numbers, or a search's criteria. */
  numbers?: string[];
  search?: SearchQuery;
}

function wantedOf(doc: Doc): Wanted {
  const present = Object.keys(doc).flatMap((key) => ORDER_TYPES.filter((type) => type.toLowerCase() === key.toLowerCase()).map((type) => [type, key] as const));
  if (present.length !== 1) throw numbersErrors.invalid(`an order must have exactly one order type: ${ORDER_TYPES.join(', ')}`);
  const [element, key] = present[0] as readonly [(typeof ORDER_TYPES)[number], string];
  const body = child(doc, key, element) ?? {};
  const quantity = () => integer(body, 'quantity', 1, MAX_QUANTITY) ?? 1;
  switch (element) {
    case 'ExistingTelephoneNumberOrderType': {
      const list = child(body, 'telephoneNumberList', 'TelephoneNumberList');
      const numbers = list ? texts(list, 'telephoneNumber', 'TelephoneNumber') : [];
      if (numbers.length === 0) throw numbersErrors.missing('TelephoneNumberList.TelephoneNumber');
      if (numbers.length > MAX_QUANTITY) throw numbersErrors.invalid(`at most ${MAX_QUANTITY} numbers per order`);
      return { orderType: element, orderFields: { TelephoneNumberList: { TelephoneNumber: numbers } }, numbers };
    }
    case 'AreaCodeSearchAndOrderType': {
      const areaCode = text(body, 'areaCode', { required: true, max: 3 }) as string;
      const q = quantity();
      return { orderType: element, orderFields: { AreaCode: areaCode, Quantity: q }, search: { areaCode, quantity: q } };
    }
    case 'ZIPSearchAndOrderType': {
      const zip = text(body, 'zip', { required: true, max: 10 }) as string;
      const q = quantity();
      return { orderType: element, orderFields: { Zip: zip, Quantity: q }, search: { zip, quantity: q } };
    }
    case 'TollFreeWildCharSearchAndOrderType': {
      const pattern = text(body, 'tollFreeWildCardPattern', { required: true, max: 3 }) as string;
      const q = quantity();
      return { orderType: element, orderFields: { TollFreeWildCardPattern: pattern, Quantity: q }, search: { tollFreeWildCardPattern: pattern, quantity: q } };
    }
    case 'TollFreeVanitySearchAndOrderType': {
      const vanity = text(body, 'tollFreeVanity', { required: true, max: 7 }) as string;
      const q = quantity();
      return { orderType: element, orderFields: { TollFreeVanity: vanity, Quantity: q }, search: { tollFreeVanity: vanity, quantity: q } };
    }
  }
}

const unavailable = (number: string): OrderError => ({ number, code: CODES.numberUnavailable, description: `Telephone number ${number} is not available` });

export class Orders {
  constructor(
    private readonly deps: NumbersDeps,
    private readonly sites: Sites,
    private readonly peers: Peers,
  ) {}

  /** Validates, records and works the order; returns it as received and as worked. */
  async create(caller: Caller, body: unknown): Promise<{ received: StoredResource<OrderDoc>; worked: StoredResource<OrderDoc> }> {
    const doc = root(body, 'order');
    const name = text(doc, 'name', { required: true, max: 50 }) as string;
    const siteId = text(doc, 'siteId', { required: true, max: 20 }) as string;
    const peerIdGiven = text(doc, 'peerId', { max: 20 });
    const wanted = wantedOf(doc);
    await this.sites.get(caller, siteId);
    const peer = peerIdGiven === undefined ? await this.peers.defaultPeer(caller, siteId) : await this.peers.get(caller, siteId, peerIdGiven);
    if (!peer) throw numbersErrors.invalid(`Site ${siteId} has no SipPeer to put the numbers in; create one or give PeerId`);
    const now = this.deps.now();
    const received: StoredResource<OrderDoc> = {
      kind: 'order',
      id: randomUUID(),
      accountId: caller.accountId,
      parentId: siteId,
      createdAt: now,
      updatedAt: now,
      doc: {
        name,
        customerOrderId: text(doc, 'customerOrderId', { max: 40 }),
        siteId,
        peerId: peer.id,
        partialAllowed: bool(doc, 'partialAllowed') ?? true,
        backOrderRequested: bool(doc, 'backOrderRequested') ?? false,
        orderType: wanted.orderType,
        orderFields: wanted.orderFields,
        createdByUser: caller.username,
        createdAt: now,
        completedAt: now,
        status: 'RECEIVED',
        completed: [],
        errors: [],
        history: [{ date: now, note: 'Order received', author: caller.username, status: 'RECEIVED' }],
        notes: [],
      },
    };
    await this.deps.store.insert(received);
    const worked = await this.work(caller, received, wanted);
    return { received, worked };
  }

  private async work(caller: Caller, order: StoredResource<OrderDoc>, wanted: Wanted): Promise<StoredResource<OrderDoc>> {
    const errors: OrderError[] = [];
    const claimed: string[] = [];
    /** Claims the numbers (ten digits) by inserting their holds in one transaction; returns those won. */
    const claim = async (tns: readonly string[]): Promise<Set<string>> => {
      const now = this.deps.now();
      const holds = tns.map((tn) => ({
        kind: 'hold' as const,
        id: toE164(tn),
        accountId: caller.accountId,
        parentId: order.doc.peerId,
        doc: { siteId: order.doc.siteId, peerId: order.doc.peerId, orderId: order.id, orderType: 'NEW_NUMBER_ORDER', orderedAt: now } satisfies HoldDoc,
        createdAt: now,
        updatedAt: now,
      }));
      const won = await this.deps.store.insertAll(holds);
      const mine = tns.filter((tn) => won.has(toE164(tn)));
      claimed.push(...mine);
      return new Set(mine);
    };
    if (wanted.numbers) {
      const candidates = new Set<string>();
      for (const raw of wanted.numbers) {
        const tn = nationalNumber(raw);
        if (tn !== undefined && candidates.has(tn)) continue; // the same number listed twice
        if (tn === undefined || !this.deps.inventory.find(tn)) errors.push(unavailable(raw));
        else candidates.add(tn);
      }
      // A number live in the directory (provisioned the old way) is taken as much as one held by an order.
      const taken = await this.deps.store.taken([...candidates].map(toE164));
      const won = await claim([...candidates].filter((tn) => !taken.has(toE164(tn))));
      for (const tn of candidates) if (!won.has(tn)) errors.push(unavailable(tn));
    } else if (wanted.search) {
      // Past the numbers another order claims meanwhile, to the next free ones: a search order is short only when the inventory is.
      const free = (await freeNumbers(this.deps, wanted.search)).map((e) => e.number);
      for (let at = 0; claimed.length < wanted.search.quantity && at < free.length; ) {
        const batch = free.slice(at, at + wanted.search.quantity - claimed.length);
        at += batch.length;
        await claim(batch);
      }
      if (claimed.length < wanted.search.quantity) {
        errors.push({ number: undefined, code: CODES.notEnoughNumbers, description: `${wanted.search.quantity} numbers requested, ${claimed.length} available` });
      }
    }
    if (!order.doc.partialAllowed && errors.length > 0) {
      for (const tn of claimed.splice(0)) await this.deps.store.remove('hold', caller.accountId, toE164(tn));
    }
    const status: OrderStatus = claimed.length === 0 ? 'FAILED' : errors.length > 0 ? 'PARTIAL' : 'COMPLETE';
    const now = this.deps.now();
    const summary = `${claimed.length} number(s) ordered, ${errors.length} error(s)`;
    const worked: StoredResource<OrderDoc> = {
      ...order,
      updatedAt: now,
      doc: { ...order.doc, status, completed: claimed, errors, completedAt: now, history: [...order.doc.history, { date: now, note: summary, author: 'System', status }] },
    };
    await this.deps.store.update(worked);
    await syncNumbers(this.deps, caller, claimed.map(toE164));
    return worked;
  }

  async get(caller: Caller, id: string): Promise<StoredResource<OrderDoc>> {
    const order = await this.deps.store.get<OrderDoc>('order', caller.accountId, id);
    if (!order) throw numbersErrors.notFound(CODES.orderNotFound, `Order ${id} not found`);
    return order;
  }

  list(caller: Caller): Promise<Array<StoredResource<OrderDoc>>> {
    return this.deps.store.list<OrderDoc>('order', caller.accountId);
  }

  async addNote(caller: Caller, id: string, body: unknown): Promise<Note> {
    return addNote(this.deps, caller, await this.get(caller, id), body);
  }

  /** Changes an order's Name or CustomerOrderId (what Bandwidth lets change once an order is worked). */
  async update(caller: Caller, id: string, body: unknown): Promise<void> {
    const order = await this.get(caller, id);
    const doc = root(body, 'order');
    const name = text(doc, 'name', { max: 50 });
    const customerOrderId = text(doc, 'customerOrderId', { max: 40 });
    await this.deps.store.update({ ...order, doc: { ...order.doc, name: name ?? order.doc.name, customerOrderId: customerOrderId ?? order.doc.customerOrderId }, updatedAt: this.deps.now() });
  }
}
