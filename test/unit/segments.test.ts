import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { GSM7_BASIC, GSM7_EXTENSION, gsm7Septets, isGsm7 } from '../../src/core/encoding/gsm7.js';
import { countSegments, splitSegments, type SmsEncoding } from '../../src/core/encoding/segments.js';

interface Vector {
  name: string;
  text: string;
  encoding: SmsEncoding;
  units: number;
  segments: number;
}

const a = (n: number): string => 'a'.repeat(n);
const cyr = (n: number): string => '\u0436'.repeat(n); // Cyrillic ж: BMP, not GSM-7
const EMOJI = '\u{1F600}'; // 😀, a surrogate pair

const EXTENSION_CHARS = ['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '\u20AC'];

const UCS2_FORCING: Array<[string, string]> = [
  ['backtick', '`'],
  ['lower-case c cedilla', '\u00E7'],
  ['a acute', '\u00E1'],
  ['left single quote', '\u2018'],
  ['right single quote', '\u2019'],
  ['left double quote', '\u201C'],
  ['right double quote', '\u201D'],
  ['ellipsis', '\u2026'],
  ['en dash', '\u2013'],
  ['em dash', '\u2014'],
  ['non-breaking space', '\u00A0'],
  ['TAB', '\t'],
  ['CJK', '\u4E2D'],
  ['Cyrillic', '\u0416'],
];

const vectors: Vector[] = [
  { name: 'empty', text: '', encoding: 'GSM-7', units: 0, segments: 1 },
  { name: 'hello', text: 'hello', encoding: 'GSM-7', units: 5, segments: 1 },
  { name: 'GSM basic accents and Greek', text: '\u00A3\u00A5\u00E8\u0394\u00D8', encoding: 'GSM-7', units: 5, segments: 1 },
  { name: 'sentence with GSM basics', text: 'Price: \u00A35 or \u00A5700 (\u00E8\u0394\u00D8)!', encoding: 'GSM-7', units: 24, segments: 1 },
  { name: 'whole basic table', text: GSM7_BASIC.join(''), encoding: 'GSM-7', units: 127, segments: 1 },
  { name: 'LF and CR are basic', text: 'a\r\nb', encoding: 'GSM-7', units: 4, segments: 1 },

  // Extension characters: each costs ESC + code.
  ...EXTENSION_CHARS.map((ch): Vector => ({
    name: `extension U+${ch.charCodeAt(0).toString(16).padStart(4, '0')} alone`,
    text: ch,
    encoding: 'GSM-7',
    units: 2,
    segments: 1,
  })),
  { name: 'euro in text', text: 'Total 5\u20AC', encoding: 'GSM-7', units: 9, segments: 1 },
  { name: 'all extension chars', text: EXTENSION_CHARS.join(''), encoding: 'GSM-7', units: 20, segments: 1 },
  { name: '80 braces = 160 septets', text: '{'.repeat(80), encoding: 'GSM-7', units: 160, segments: 1 },
  { name: '81 braces = 162 septets', text: '{'.repeat(81), encoding: 'GSM-7', units: 162, segments: 2 },
  { name: '159 a + euro = 161 septets', text: a(159) + '\u20AC', encoding: 'GSM-7', units: 161, segments: 2 },

  // GSM-7 boundaries.
  { name: '160 a', text: a(160), encoding: 'GSM-7', units: 160, segments: 1 },
  { name: '161 a', text: a(161), encoding: 'GSM-7', units: 161, segments: 2 },
  { name: '306 a (153*2)', text: a(306), encoding: 'GSM-7', units: 306, segments: 2 },
  { name: '307 a', text: a(307), encoding: 'GSM-7', units: 307, segments: 3 },
  { name: '459 a (153*3)', text: a(459), encoding: 'GSM-7', units: 459, segments: 3 },
  { name: '460 a', text: a(460), encoding: 'GSM-7', units: 460, segments: 4 },
  { name: '612 a (153*4)', text: a(612), encoding: 'GSM-7', units: 612, segments: 4 },
  { name: '613 a', text: a(613), encoding: 'GSM-7', units: 613, segments: 5 },
  { name: '765 a (153*5)', text: a(765), encoding: 'GSM-7', units: 765, segments: 5 },
  { name: '766 a', text: a(766), encoding: 'GSM-7', units: 766, segments: 6 },
  { name: '2048 a', text: a(2048), encoding: 'GSM-7', units: 2048, segments: 14 },

  // Escape pair at the 153 boundary: 152 + 2 does not fit, so the euro opens segment 2 and
  // pushes the last 'a' into a third segment although 306 septets would fit two.
  { name: '152 a + euro + 152 a (escape straddles 153)', text: a(152) + '\u20AC' + a(152), encoding: 'GSM-7', units: 306, segments: 3 },
  { name: '151 a + euro + 153 a (escape ends exactly at 153)', text: a(151) + '\u20AC' + a(153), encoding: 'GSM-7', units: 306, segments: 2 },
  { name: '152 a + euro fits one SMS', text: a(152) + '\u20AC', encoding: 'GSM-7', units: 154, segments: 1 },
  { name: '152 a + euro + 7 a', text: a(152) + '\u20AC' + a(7), encoding: 'GSM-7', units: 161, segments: 2 },

  // UCS-2 boundaries.
  { name: '70 UCS-2', text: cyr(70), encoding: 'UCS-2', units: 70, segments: 1 },
  { name: '71 UCS-2', text: cyr(71), encoding: 'UCS-2', units: 71, segments: 2 },
  { name: '134 UCS-2 (67*2)', text: cyr(134), encoding: 'UCS-2', units: 134, segments: 2 },
  { name: '135 UCS-2', text: cyr(135), encoding: 'UCS-2', units: 135, segments: 3 },
  { name: '201 UCS-2 (67*3)', text: cyr(201), encoding: 'UCS-2', units: 201, segments: 3 },
  { name: '202 UCS-2', text: cyr(202), encoding: 'UCS-2', units: 202, segments: 4 },
  { name: '268 UCS-2 (67*4)', text: cyr(268), encoding: 'UCS-2', units: 268, segments: 4 },
  { name: '269 UCS-2', text: cyr(269), encoding: 'UCS-2', units: 269, segments: 5 },
  { name: '335 UCS-2 (67*5)', text: cyr(335), encoding: 'UCS-2', units: 335, segments: 5 },
  { name: '336 UCS-2', text: cyr(336), encoding: 'UCS-2', units: 336, segments: 6 },
  { name: '2048 UCS-2', text: cyr(2048), encoding: 'UCS-2', units: 2048, segments: 31 },

  // Characters outside the BMP take two code units.
  { name: 'one emoji', text: EMOJI, encoding: 'UCS-2', units: 2, segments: 1 },
  { name: 'emoji + 68 letters = 70 units', text: EMOJI + a(68), encoding: 'UCS-2', units: 70, segments: 1 },
  { name: 'emoji + 69 letters = 71 units', text: EMOJI + a(69), encoding: 'UCS-2', units: 71, segments: 2 },
  { name: 'thumbs up with skin tone', text: '\u{1F44D}\u{1F3FD}', encoding: 'UCS-2', units: 4, segments: 1 },
  // Surrogate pair at the 67 boundary: 66 + 2 does not fit, so it opens segment 2 and the
  // last unit spills into a third.
  { name: '66 + emoji + 66 (surrogate pair straddles 67)', text: cyr(66) + EMOJI + cyr(66), encoding: 'UCS-2', units: 134, segments: 3 },
  { name: '65 + emoji + 67 (pair ends exactly at 67)', text: cyr(65) + EMOJI + cyr(67), encoding: 'UCS-2', units: 134, segments: 2 },
  { name: 'lone high surrogate', text: '\uD83D', encoding: 'UCS-2', units: 1, segments: 1 },

  // Characters that look harmless but are not in GSM-7.
  ...UCS2_FORCING.flatMap(([label, ch]): Vector[] => [
    { name: `${label} forces UCS-2`, text: 'hello' + ch, encoding: 'UCS-2', units: 6, segments: 1 },
    { name: `${label} turns 160 GSM chars into 3 UCS-2 segments`, text: a(160) + ch, encoding: 'UCS-2', units: 161, segments: 3 },
  ]),
  { name: 'CJK sentence', text: '\u4F60\u597D\u4E16\u754C', encoding: 'UCS-2', units: 4, segments: 1 },
  { name: 'Cyrillic word', text: '\u041F\u0440\u0438\u0432\u0435\u0442', encoding: 'UCS-2', units: 6, segments: 1 },
];

function septetsOf(part: string): number {
  let total = 0;
  for (const ch of part) total += gsm7Septets(ch);
  return total;
}

describe('GSM 03.38 tables', () => {
  it('basic table has 128 positions with ESC at 0x1B and no duplicates', () => {
    assert.equal(GSM7_BASIC.length, 128);
    const chars = GSM7_BASIC.filter((_, code) => code !== 0x1b);
    assert.equal(new Set(chars).size, 127);
    for (const ch of chars) assert.equal(ch.length, 1);
    assert.equal(GSM7_BASIC[0x1b], '');
    assert.equal(gsm7Septets(''), 0);
  });

  it('keeps exact code positions', () => {
    const spot: Array<[number, string]> = [
      [0x00, '@'], [0x01, '\u00A3'], [0x03, '\u00A5'], [0x09, '\u00C7'], [0x0a, '\n'], [0x0d, '\r'],
      [0x10, '\u0394'], [0x11, '_'], [0x12, '\u03A6'], [0x1a, '\u039E'], [0x1c, '\u00C6'], [0x1f, '\u00C9'],
      [0x20, ' '], [0x24, '\u00A4'], [0x40, '\u00A1'], [0x5b, '\u00C4'], [0x5f, '\u00A7'],
      [0x60, '\u00BF'], [0x7b, '\u00E4'], [0x7f, '\u00E0'],
    ];
    for (const [code, ch] of spot) assert.equal(GSM7_BASIC[code], ch, `code 0x${code.toString(16)}`);
    assert.equal(GSM7_EXTENSION.size, 10);
    assert.equal(GSM7_EXTENSION.get('\u20AC'), 0x65);
    assert.equal(GSM7_EXTENSION.get('\f'), 0x0a);
    assert.equal(GSM7_EXTENSION.get('|'), 0x40);
  });

  it('gsm7Septets reports 0, 1 or 2', () => {
    assert.equal(gsm7Septets('a'), 1);
    assert.equal(gsm7Septets('\u20AC'), 2);
    assert.equal(gsm7Septets('`'), 0);
    assert.equal(gsm7Septets(''), 0);
    assert.equal(gsm7Septets('ab'), 0);
    assert.equal(gsm7Septets(EMOJI), 0);
    assert.equal(isGsm7('hello {world} \u20AC'), true);
    assert.equal(isGsm7('caf\u00E7'), false);
  });
});

describe('countSegments', () => {
  for (const v of vectors) {
    it(v.name, () => {
      assert.deepEqual(countSegments(v.text), { encoding: v.encoding, units: v.units, segments: v.segments });
    });
  }
});

describe('splitSegments', () => {
  for (const v of vectors) {
    it(`${v.name}: parts rejoin, fit, and match the count`, () => {
      const { encoding, parts } = splitSegments(v.text);
      assert.equal(encoding, v.encoding);
      assert.equal(parts.length, v.segments);
      assert.equal(parts.join(''), v.text);

      const limit = v.encoding === 'GSM-7' ? (parts.length === 1 ? 160 : 153) : parts.length === 1 ? 70 : 67;
      for (const [i, part] of parts.entries()) {
        const units = v.encoding === 'GSM-7' ? septetsOf(part) : part.length;
        assert.ok(units <= limit, `part ${i} has ${units} units, limit ${limit}`);
        if (parts.length > 1) assert.ok(part.length > 0, `part ${i} is empty`);
        const first = part.charCodeAt(0);
        assert.ok(!(first >= 0xdc00 && first <= 0xdfff), `part ${i} starts with a low surrogate`);
      }
    });
  }

  it('cuts before an escape pair rather than through it', () => {
    const { parts } = splitSegments(a(152) + '\u20AC' + a(152));
    assert.deepEqual(parts, [a(152), '\u20AC' + a(151), 'a']);
  });

  it('cuts before a surrogate pair rather than through it', () => {
    const { parts } = splitSegments(cyr(66) + EMOJI + cyr(66));
    assert.deepEqual(parts, [cyr(66), EMOJI + cyr(65), cyr(1)]);
  });

  it('returns one empty part for empty text', () => {
    assert.deepEqual(splitSegments(''), { encoding: 'GSM-7', parts: [''] });
  });
});
