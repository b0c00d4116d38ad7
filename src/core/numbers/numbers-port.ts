// What the Numbers API (core/numbers) keeps: sites, SIP peers (locations), orders, disconnects and
// the hold of each ordered number, one resource each, its document as JSON. Numbers themselves live
// in the account directory (core/accounts), where sending and receiving look them up.

export type ResourceKind = 'site' | 'peer' | 'order' | 'disconnect' | 'hold';

export interface StoredResource<T = unknown> {
  readonly kind: ResourceKind;
  /** Unique per kind across accounts (a hold's id is its number). */
  readonly id: string;
  readonly accountId: string;
  /** A peer's site, a hold's peer; else undefined. */
  readonly parentId: string | undefined;
  readonly doc: T;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NumbersStore {
  /** Adds the resource; false (and nothing written) when its kind and id are taken, by any account. */
  insert(resource: StoredResource): Promise<boolean>;
  /** Adds those of the resources whose kind and id are free, in one transaction; returns the ids added. */
  insertAll(resources: readonly StoredResource[]): Promise<Set<string>>;
  /** Replaces the document (and parent) of the account's resource; false when there is none. */
  update(resource: StoredResource): Promise<boolean>;
  get<T>(kind: ResourceKind, accountId: string, id: string): Promise<StoredResource<T> | undefined>;
  /** The account's resources of a kind in id order, optionally under one parent. */
  list<T>(kind: ResourceKind, accountId: string, parentId?: string): Promise<Array<StoredResource<T>>>;
  remove(kind: ResourceKind, accountId: string, id: string): Promise<boolean>;
  /** The next id of a site, peer or note (one counter). */
  nextId(): Promise<number>;
  /** Which of these E.164 numbers are taken: held by an order of any account, or live in the directory. */
  taken(numbers: readonly string[]): Promise<Set<string>>;
}
