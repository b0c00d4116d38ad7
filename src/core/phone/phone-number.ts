import { parsePhoneNumberFromString } from 'libphonenumber-js';
// The same metadata module the default parser loads, so this import adds no second copy.
import metadata from 'libphonenumber-js/min/metadata';
import { countryA3 } from './country-a3.js';

export const E164_PATTERN: RegExp = /^\+[1-9]\d{1,14}$/;

/**
 * Syntax check only: a number libphonenumber would reject (e.g. NANP 555 test numbers) is still
 * accepted, because carriers' test traffic uses exactly such numbers.
 */
export function isE164(value: string): boolean {
  return E164_PATTERN.test(value);
}

// ITU calling codes are prefix-free and 1–3 digits long, so the first hit is the only one.
function mainCountryOf(e164: string): string | undefined {
  for (let length = 1; length <= 3; length++) {
    // libphonenumber lists the main country of a shared calling code first (1 → US, 7 → RU, 44 → GB).
    const main = metadata.country_calling_codes[e164.slice(1, 1 + length)]?.[0];
    if (main !== undefined) return main;
  }
  return undefined;
}

// Runs on every accepted message and a parse costs tens of microseconds; clearing wholesale when
// full keeps the bound without LRU bookkeeping, and real traffic re-warms it within seconds.
const COUNTRY_CACHE_LIMIT = 10_000;
const countryCache = new Map<string, string | undefined>();

/**
 * ISO 3166-1 alpha-2 country of an E.164 number. Numbers the library cannot place (unassigned
 * area codes, 555 test numbers, Ofcom drama ranges) fall back to the main country of their
 * calling code; non-geographic codes (+800, +882, …) and non-E.164 input give undefined.
 */
export function countryOf(e164: string): string | undefined {
  if (!isE164(e164)) return undefined;
  if (countryCache.has(e164)) return countryCache.get(e164);
  const country = parsePhoneNumberFromString(e164)?.country ?? mainCountryOf(e164);
  if (countryCache.size >= COUNTRY_CACHE_LIMIT) countryCache.clear();
  countryCache.set(e164, country);
  return country;
}

export function countryA3Of(e164: string): string | undefined {
  const alpha2 = countryOf(e164);
  return alpha2 === undefined ? undefined : countryA3(alpha2);
}

export type NumberKind = 'toll-free' | 'short-code' | 'alphanumeric' | 'local';

const NANP_TOLL_FREE = /^\+1(?:800|833|844|855|866|877|888)\d{7}$/;
const SHORT_CODE = /^\d{3,8}$/;
const HAS_LETTER = /\p{L}/u;
// Lookahead demands a letter: an all-digit sender would be indistinguishable from a short code.
const ALPHANUMERIC_SENDER_ID = /^(?=.*[A-Za-z])[A-Za-z0-9 \-+_&]{1,11}$/;

export function numberKind(sender: string): NumberKind {
  if (NANP_TOLL_FREE.test(sender)) return 'toll-free';
  if (SHORT_CODE.test(sender)) return 'short-code';
  if (HAS_LETTER.test(sender)) return 'alphanumeric';
  return 'local';
}

export function isAlphanumericSenderId(value: string): boolean {
  return ALPHANUMERIC_SENDER_ID.test(value);
}
