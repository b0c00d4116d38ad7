// Addresses on the wire (smpp-3.4-notes §2). Outbound, each kind of number gets the TON/NPI this
// carrier wants: E.164 as international digits without `+`, short codes and alphanumeric sender
// ids as configured. Inbound numbers arrive in every form (with or without `+`, `00`, national,
// TON 0) and are normalised to E.164 before Pigeon matches them to its numbers.
import { isE164, numberKind } from '../../core/phone/phone-number.js';

export interface TonNpi {
  ton: number;
  npi: number;
}

export interface AddressRules {
  international: TonNpi;
  shortCode: TonNpi;
  alphanumeric: TonNpi;
  /** Calling code (digits, e.g. "1", "44") for inbound numbers in national form; none: kept as they came. */
  countryCode: string | undefined;
}

export const TON_INTERNATIONAL = 1;
export const TON_NATIONAL = 2;
export const TON_ALPHANUMERIC = 5;

export function outboundAddress(address: string, rules: AddressRules): TonNpi & { addr: string } {
  if (isE164(address)) return { ...rules.international, addr: address.slice(1) };
  const kind = numberKind(address);
  if (kind === 'short-code') return { ...rules.shortCode, addr: address };
  if (kind === 'alphanumeric') return { ...rules.alphanumeric, addr: address.slice(0, 11) };
  return { ...rules.international, addr: address.replace(/^\+/, '') };
}

/** The E.164 form of an inbound address where it can be told; short codes and sender ids unchanged. */
export function inboundAddress(raw: string, ton: number, countryCode: string | undefined): string {
  const addr = raw.trim().replace(/[\s\-().]/g, '');
  if (ton === TON_ALPHANUMERIC || /[A-Za-z]/.test(addr)) return raw.trim();
  if (addr.startsWith('+')) return addr;
  if (!/^\d+$/.test(addr)) return raw.trim();
  if (addr.startsWith('00') && addr.length > 4) return `+${addr.slice(2)}`;
  if (ton === TON_INTERNATIONAL) return `+${addr}`;
  // Short codes are national by nature and have no E.164 form.
  if (addr.length <= 8) return addr;
  if (ton === TON_NATIONAL || (ton === 0 && countryCode !== undefined && !looksInternational(addr, countryCode))) {
    if (countryCode === undefined) return addr;
    // NANP national numbers have no trunk 0; elsewhere the national form starts with one.
    return `+${countryCode}${addr.replace(/^0/, '')}`;
  }
  return `+${addr}`;
}

// A TON 0 number that already starts with the home calling code and is long enough to hold one is
// taken as international without its `+` (what most SMSCs send).
function looksInternational(addr: string, countryCode: string): boolean {
  return addr.startsWith(countryCode) && addr.length >= 10 + countryCode.length;
}
