import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  E164_PATTERN,
  countryA3Of,
  countryOf,
  isAlphanumericSenderId,
  isE164,
  numberKind,
  type NumberKind,
} from '../../src/core/phone/phone-number.js';
import { countryA3 } from '../../src/core/phone/country-a3.js';

describe('isE164', () => {
  const cases: Array<[string, boolean, string]> = [
    ['+19195551212', true, 'NANP number'],
    ['+19195550199', true, '555 test number (syntax only)'],
    ['+447700900123', true, 'UK mobile'],
    ['+12', true, 'shortest allowed (2 digits)'],
    ['+123456789012345', true, '15 digits'],
    ['19195551212', false, 'missing +'],
    ['+09195551212', false, 'leading 0 after +'],
    ['+1234567890123456', false, '16 digits'],
    ['+1919555ABCD', false, 'letters'],
    ['+1 919 555 1212', false, 'spaces'],
    ['+1-919-555-1212', false, 'dashes'],
    ['', false, 'empty'],
    ['+', false, 'plus only'],
    ['+1', false, 'one digit'],
    ['+19195551212\n', false, 'trailing newline'],
  ];
  for (const [input, expected, label] of cases) {
    it(`${label}: ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(isE164(input), expected);
      assert.equal(E164_PATTERN.test(input), expected);
    });
  }
});

describe('countryOf / countryA3Of', () => {
  const cases: Array<[string, string, string]> = [
    ['+19195551212', 'US', 'USA'],
    ['+19195550199', 'US', 'USA'],
    ['+14165550123', 'CA', 'CAN'],
    ['+447700900123', 'GB', 'GBR'],
    ['+33612345678', 'FR', 'FRA'],
    ['+61412345678', 'AU', 'AUS'],
    ['+4915112345678', 'DE', 'DEU'],
    // Area code 555 is unassigned: falls back to the main country of +1.
    ['+15555550100', 'US', 'USA'],
    ['+79161234567', 'RU', 'RUS'],
    // Invalid under +7: main country of +7 is RU, not KZ (alphabetically first).
    ['+70000000000', 'RU', 'RUS'],
    // Too short for the parser, but the calling code still identifies the country.
    ['+44', 'GB', 'GBR'],
  ];
  for (const [input, a2, a3] of cases) {
    it(`${input} → ${a2}/${a3}`, () => {
      assert.equal(countryOf(input), a2);
      assert.equal(countryA3Of(input), a3);
    });
  }

  it('returns the same answer from the cache on a repeated call', () => {
    assert.equal(countryOf('+14165550123'), 'CA');
    assert.equal(countryOf('+14165550123'), 'CA');
  });

  const none: Array<[string, string]> = [
    ['19195551212', 'not E.164'],
    ['', 'empty'],
    ['+80012345678', 'non-geographic calling code +800'],
    ['+999123456', 'unassigned calling code'],
  ];
  for (const [input, label] of none) {
    it(`${label}: ${JSON.stringify(input)} → undefined`, () => {
      assert.equal(countryOf(input), undefined);
      assert.equal(countryA3Of(input), undefined);
    });
  }
});

describe('countryA3', () => {
  const cases: Array<[string, string | undefined]> = [
    ['US', 'USA'],
    ['GB', 'GBR'],
    ['AX', 'ALA'],
    ['SS', 'SSD'],
    ['BQ', 'BES'],
    ['KM', 'COM'],
    ['ZW', 'ZWE'],
    ['us', 'USA'],
    ['XK', undefined],
    ['UK', undefined],
    ['ZZ', undefined],
    ['', undefined],
    ['USA', undefined],
    ['constructor', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${String(expected)}`, () => {
      assert.equal(countryA3(input), expected);
    });
  }
});

describe('numberKind', () => {
  const cases: Array<[string, NumberKind]> = [
    ['+18005551234', 'toll-free'],
    ['+18335551234', 'toll-free'],
    ['+18445551234', 'toll-free'],
    ['+18555551234', 'toll-free'],
    ['+18665551234', 'toll-free'],
    ['+18775551234', 'toll-free'],
    ['+18885551234', 'toll-free'],
    ['+18995551234', 'local'],
    ['+19195551212', 'local'],
    ['+448005551234', 'local'],
    ['18005551234', 'local'],
    ['123', 'short-code'],
    ['12345', 'short-code'],
    ['12345678', 'short-code'],
    ['12', 'local'],
    ['123456789', 'local'],
    ['+12345', 'local'],
    ['MyBrand', 'alphanumeric'],
    ['Shop 24', 'alphanumeric'],
    ['+44770090ABC', 'alphanumeric'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(numberKind(input), expected);
    });
  }
});

describe('isAlphanumericSenderId', () => {
  const cases: Array<[string, boolean, string]> = [
    ['A', true, 'single letter'],
    ['MyBrand', true, 'letters'],
    ['Shop-24_7+&', true, 'every allowed symbol, 11 chars'],
    ['Acme Inc', true, 'space'],
    ['ABCDEFGHIJK', true, '11 chars'],
    ['ABCDEFGHIJKL', false, '12 chars'],
    ['', false, 'empty'],
    ['12345', false, 'digits only'],
    ['+-_& ', false, 'symbols only'],
    ['Acme!', false, 'disallowed symbol'],
    ['Café', false, 'non-ASCII letter'],
    ['Acme.com', false, 'dot'],
  ];
  for (const [input, expected, label] of cases) {
    it(`${label}: ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(isAlphanumericSenderId(input), expected);
    });
  }
});
