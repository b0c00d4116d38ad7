// Searching the simulated inventory: free numbers matching a query (what no order holds and the
// directory does not have: numbers provisioned the old way are taken too), free numbers counted by
// exchange, and the places (cities, rate centers) the inventory covers.
import type { AreaCodeInfo } from './area-codes.js';
import { toE164, type NumbersDeps } from './context.js';
import type { InventoryNumber, SearchQuery } from './inventory.js';
import { CODES, NumbersError } from './numbers-error.js';

export async function freeNumbers(deps: NumbersDeps, query: SearchQuery): Promise<InventoryNumber[]> {
  const found = deps.inventory.matching(query);
  const taken = await deps.store.taken(found.map((e) => toE164(e.number)));
  return found.filter((e) => !taken.has(toE164(e.number)));
}

export interface ExchangeCount {
  readonly npa: string;
  readonly nxx: string;
  readonly place: AreaCodeInfo;
  readonly quantity: number;
}

const stateOf = (state: string | undefined): string | undefined => {
  if (state === undefined) return undefined;
  if (!/^[A-Za-z]{2}$/.test(state)) throw new NumbersError(400, CODES.searchInvalid, 'state must be a two-letter abbreviation');
  return state.toUpperCase();
};

export class NumberSearch {
  constructor(private readonly deps: NumbersDeps) {}

  /** The free numbers matching the query, at most its quantity. */
  async available(query: SearchQuery): Promise<InventoryNumber[]> {
    return (await freeNumbers(this.deps, query)).slice(0, query.quantity);
  }

  /** Free local numbers per exchange (availableNpaNxx), by area code and/or state. */
  async exchanges(query: { areaCode?: string | undefined; state?: string | undefined }): Promise<ExchangeCount[]> {
    const free = await freeNumbers(this.deps, { areaCode: query.areaCode, state: stateOf(query.state), quantity: Number.MAX_SAFE_INTEGER });
    const counts = new Map<string, ExchangeCount>();
    for (const entry of free) {
      if (!entry.place) continue;
      const key = entry.number.slice(0, 6);
      const seen = counts.get(key);
      counts.set(key, { npa: key.slice(0, 3), nxx: key.slice(3), place: entry.place, quantity: (seen?.quantity ?? 0) + 1 });
    }
    return [...counts.values()].sort((a, b) => (a.npa + a.nxx < b.npa + b.nxx ? -1 : 1));
  }

  /** The places (city, rate center) of the inventory's area codes in a state. */
  places(state: string | undefined): AreaCodeInfo[] {
    const wanted = stateOf(state);
    if (wanted === undefined) throw new NumbersError(400, CODES.searchInvalid, 'state is required');
    return this.deps.inventory.places().filter((p) => p.state === wanted);
  }
}
