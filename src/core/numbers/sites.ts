// Sites (sub-accounts): create, read, list, update, delete. A site that still holds numbers is not
// deleted, as at Bandwidth; deleting one without numbers deletes its locations with it.
import { child, flatFields, root, text, type Doc } from './document.js';
import type { Caller, HoldDoc, NumbersDeps } from './context.js';
import { CODES, numbersErrors } from './numbers-error.js';
import type { StoredResource } from './numbers-port.js';

export interface SiteDoc {
  readonly name: string;
  readonly description: string | undefined;
  readonly customerProvidedId: string | undefined;
  readonly customerName: string | undefined;
  readonly address: Record<string, string> | undefined;
}

function siteFields(body: unknown, current?: SiteDoc): SiteDoc {
  const doc: Doc = root(body, 'site');
  return {
    name: text(doc, 'name', { required: current === undefined, max: 50 }) ?? (current?.name as string),
    description: text(doc, 'description', { max: 255 }) ?? current?.description,
    customerProvidedId: text(doc, 'customerProvidedID', { max: 10, label: 'CustomerProvidedID' }) ?? current?.customerProvidedId,
    customerName: text(doc, 'customerName', { max: 50 }) ?? current?.customerName,
    address: flatFields(child(doc, 'address', 'Address'), 'Address') ?? current?.address,
  };
}

export class Sites {
  constructor(private readonly deps: NumbersDeps) {}

  async create(caller: Caller, body: unknown): Promise<StoredResource<SiteDoc>> {
    const doc = siteFields(body);
    const id = String(await this.deps.store.nextId());
    const now = this.deps.now();
    const site = { kind: 'site' as const, id, accountId: caller.accountId, parentId: undefined, doc, createdAt: now, updatedAt: now };
    await this.deps.store.insert(site);
    return site;
  }

  async get(caller: Caller, id: string): Promise<StoredResource<SiteDoc>> {
    const site = await this.deps.store.get<SiteDoc>('site', caller.accountId, id);
    if (!site) throw numbersErrors.notFound(CODES.siteNotFound, `Site ${id} not found`);
    return site;
  }

  list(caller: Caller): Promise<Array<StoredResource<SiteDoc>>> {
    return this.deps.store.list<SiteDoc>('site', caller.accountId);
  }

  async update(caller: Caller, id: string, body: unknown): Promise<void> {
    const site = await this.get(caller, id);
    await this.deps.store.update({ ...site, doc: siteFields(body, site.doc), updatedAt: this.deps.now() });
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.get(caller, id);
    const held = (await this.deps.store.list<HoldDoc>('hold', caller.accountId)).filter((h) => h.doc.siteId === id);
    if (held.length > 0) throw numbersErrors.conflict(CODES.siteHoldsNumbers, `Site ${id} cannot be deleted: it holds ${held.length} telephone number(s); disconnect or move them first`);
    for (const peer of await this.deps.store.list('peer', caller.accountId, id)) await this.deps.store.remove('peer', caller.accountId, peer.id);
    await this.deps.store.remove('site', caller.accountId, id);
  }
}
