// The simulated inventory of numbers an account can search and order: for each configured area
// code `perAreaCode` local numbers and for each toll-free prefix `tollFreePerPrefix` numbers, drawn
// from a seeded generator, so the same config gives the same numbers in every process and run.
// Exchanges are valid NANP (NXX 200–999, never N11 nor 555, which fixtures and tests use). What is
// ordered stays in the inventory; searches leave out what the store reports taken.
import { AREA_CODES, TOLL_FREE_PREFIXES, type AreaCodeInfo } from './area-codes.js';
import { NumbersError, CODES } from './numbers-error.js';
import { mulberry32 } from '../../shared/seeded-random.js';

export interface InventoryConfig {
  readonly areaCodes: readonly string[];
  readonly perAreaCode: number;
  readonly tollFreePerPrefix: number;
  readonly seed: number;
}

export const DEFAULT_INVENTORY: InventoryConfig = { areaCodes: Object.keys(AREA_CODES), perAreaCode: 100, tollFreePerPrefix: 50, seed: 1 };

export interface InventoryNumber {
  /** Ten digits, as the Numbers API writes numbers. */
  readonly number: string;
  readonly tollFree: boolean;
  /** Absent for toll-free numbers. */
  readonly place: AreaCodeInfo | undefined;
}

export interface SearchQuery {
  areaCode?: string | undefined;
  npaNxx?: string | undefined;
  state?: string | undefined;
  city?: string | undefined;
  zip?: string | undefined;
  localVanity?: string | undefined;
  endsIn?: boolean | undefined;
  tollFreeVanity?: string | undefined;
  tollFreeWildCardPattern?: string | undefined;
  quantity: number;
}

const seedOf = (seed: number, prefix: string) => (Math.imul(seed, 1000003) ^ Number(prefix)) >>> 0;

function draw(prefix: string, count: number, seed: number, exchange: (random: () => number) => string): string[] {
  const random = mulberry32(seedOf(seed, prefix));
  const out = new Set<string>();
  // Bounded: a prefix has far more numbers than any configured count (10 000 at most).
  while (out.size < count) {
    const line = String(Math.floor(random() * 10_000)).padStart(4, '0');
    out.add(`${prefix}${exchange(random)}${line}`);
  }
  return [...out];
}

function localExchange(random: () => number): string {
  for (;;) {
    const nxx = String(200 + Math.floor(random() * 800));
    if (nxx !== '555' && nxx.slice(1) !== '11') return nxx;
  }
}

const KEYPAD: Readonly<Record<string, string>> = Object.fromEntries(
  ['abc', 'def', 'ghi', 'jkl', 'mno', 'pqrs', 'tuv', 'wxyz'].flatMap((letters, i) => [...letters].map((l) => [l, String(i + 2)])),
);

/** A vanity word (letters and digits) as keypad digits. */
export const vanityDigits = (word: string): string => [...word.toLowerCase()].map((c) => KEYPAD[c] ?? c).join('');

export class Inventory {
  private readonly numbers: InventoryNumber[];
  private readonly byNumber = new Map<string, InventoryNumber>();
  private readonly placesCovered: AreaCodeInfo[];

  constructor(config: InventoryConfig = DEFAULT_INVENTORY) {
    const local = config.areaCodes.flatMap((npa) =>
      draw(npa, config.perAreaCode, config.seed, localExchange).map((number) => ({ number, tollFree: false, place: AREA_CODES[npa] })),
    );
    const tollFree = TOLL_FREE_PREFIXES.flatMap((npa) =>
      draw(npa, config.tollFreePerPrefix, config.seed, (random) => String(200 + Math.floor(random() * 800))).map((number) => ({ number, tollFree: true, place: undefined })),
    );
    this.numbers = [...local, ...tollFree].sort((a, b) => (a.number < b.number ? -1 : 1));
    for (const entry of this.numbers) this.byNumber.set(entry.number, entry);
    this.placesCovered = [...new Set(config.areaCodes)].map((npa) => AREA_CODES[npa]).filter((p): p is AreaCodeInfo => p !== undefined);
  }

  /** The places of the configured area codes. */
  places(): readonly AreaCodeInfo[] {
    return this.placesCovered;
  }

  /** The inventory's entry of a ten-digit number. */
  find(number: string): InventoryNumber | undefined {
    return this.byNumber.get(number);
  }

  /** Every entry matching the query, in number order (the caller drops taken ones and cuts to quantity). */
  matching(query: SearchQuery): InventoryNumber[] {
    const tests = criteria(query);
    return this.numbers.filter((entry) => tests.every((test) => test(entry)));
  }
}

type Test = (entry: InventoryNumber) => boolean;

/** The query's criteria as tests; a malformed criterion is Bandwidth's 4000. */
function criteria(q: SearchQuery): Test[] {
  const bad = (description: string) => new NumbersError(400, CODES.searchInvalid, description);
  const tests: Test[] = [];
  const local: Test = (e) => !e.tollFree;
  if (q.areaCode !== undefined) {
    if (!/^[2-9]\d\d$/.test(q.areaCode)) throw bad('areaCode must be three digits, the first 2-9');
    tests.push(local, (e) => e.number.startsWith(q.areaCode as string));
  }
  if (q.npaNxx !== undefined) {
    if (!/^[2-9]\d\d[2-9]\d\d$/.test(q.npaNxx)) throw bad('npaNxx must be six digits: an area code and an exchange, each starting 2-9');
    tests.push(local, (e) => e.number.startsWith(q.npaNxx as string));
  }
  if (q.state !== undefined) {
    if (!/^[A-Za-z]{2}$/.test(q.state)) throw bad('state must be a two-letter abbreviation');
    tests.push(local, (e) => e.place?.state === (q.state as string).toUpperCase());
  }
  if (q.city !== undefined) tests.push(local, (e) => e.place?.city === (q.city as string).toUpperCase());
  if (q.zip !== undefined) {
    if (!/^\d{5}(-\d{4})?$/.test(q.zip)) throw bad('zip must be five digits (or ZIP+4)');
    tests.push(local, (e) => e.place?.zip === (q.zip as string).slice(0, 5));
  }
  if (q.localVanity !== undefined) {
    if (!/^[A-Za-z0-9]{4,7}$/.test(q.localVanity)) throw bad('localVanity must be 4 to 7 letters or digits');
    const digits = vanityDigits(q.localVanity);
    tests.push(local, (e) => (q.endsIn ? e.number.endsWith(digits) : e.number.slice(3).includes(digits)));
  }
  if (q.tollFreeVanity !== undefined) {
    if (!/^[A-Za-z0-9]{4,7}$/.test(q.tollFreeVanity)) throw bad('tollFreeVanity must be 4 to 7 letters or digits');
    const digits = vanityDigits(q.tollFreeVanity);
    tests.push((e) => e.tollFree && e.number.slice(3).includes(digits));
  }
  if (q.tollFreeWildCardPattern !== undefined) {
    if (!/^8(\*\*|\d\*|\d\d)$/.test(q.tollFreeWildCardPattern)) throw bad('tollFreeWildCardPattern must be 8 followed by two stars, a digit and a star, or two digits (8**, 80*, 888)');
    const pattern = q.tollFreeWildCardPattern;
    tests.push((e) => e.tollFree && [...pattern].every((c, i) => c === '*' || e.number[i] === c));
  }
  if (tests.length === 0) throw bad('a search needs one of areaCode, npaNxx, state, city, zip, localVanity, tollFreeVanity or tollFreeWildCardPattern');
  return tests;
}
