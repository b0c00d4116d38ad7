// Which inventory numbers are free: those matching a search that no order holds and the directory
// does not have (numbers provisioned the old way are taken too). Searches and search orders share it.
import type { NumbersDeps } from './context.js';
import { toE164 } from './context.js';
import type { InventoryNumber, SearchQuery } from './inventory.js';

export async function freeNumbers(deps: NumbersDeps, query: SearchQuery): Promise<InventoryNumber[]> {
  const found = deps.inventory.matching(query);
  const taken = await deps.store.taken(found.map((e) => toE164(e.number)));
  return found.filter((e) => !taken.has(toE164(e.number)));
}
