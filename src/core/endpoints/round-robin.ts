// Fair shares of a claim across endpoints: each endpoint's free share is taken one item at a time,
// in turn, so a claim smaller than the work on offer is split evenly rather than filled by the first
// endpoint. The turn moves on with every claim (`turn`), so which endpoint is served first rotates
// and none is always last when the shares do not divide evenly.

/** `keys` sorted, then rotated to start at the `turn`-th: the order endpoints take their turns in. */
export function rotation(keys: readonly string[], turn: number): string[] {
  const sorted = [...keys].sort();
  if (sorted.length === 0) return sorted;
  const start = turn % sorted.length;
  return [...sorted.slice(start), ...sorted.slice(0, start)];
}

/**
 * Up to `limit` items, the first of each list in turn, then the second of each, and so on. Each
 * list is one endpoint's candidates in the order they must leave, already cut to its free share.
 */
export function interleave<T>(lists: ReadonlyArray<readonly T[]>, limit: number): T[] {
  const picked: T[] = [];
  for (let rank = 0; picked.length < limit; rank++) {
    let any = false;
    for (const list of lists) {
      const item = list[rank];
      if (item === undefined) continue;
      any = true;
      picked.push(item);
      if (picked.length === limit) break;
    }
    if (!any) break;
  }
  return picked;
}
