/**
 * GSM 03.38 (3GPP TS 23.038) default alphabet and its extension table.
 *
 * Positions are the on-air septet codes, so the SMPP encoder can pack septets straight from
 * these tables: do not reorder them.
 */

/** Placeholder at 0x1B: that code is the escape into the extension table, not a character. */
const ESC = '';

/** Index = septet code. */
export const GSM7_BASIC: readonly string[] = Object.freeze([
  // 0x00-0x0F
  '@', '\u00A3', '$', '\u00A5', '\u00E8', '\u00E9', '\u00F9', '\u00EC',
  '\u00F2', '\u00C7', '\n', '\u00D8', '\u00F8', '\r', '\u00C5', '\u00E5',
  // 0x10-0x1F
  '\u0394', '_', '\u03A6', '\u0393', '\u039B', '\u03A9', '\u03A0', '\u03A8',
  '\u03A3', '\u0398', '\u039E', ESC, '\u00C6', '\u00E6', '\u00DF', '\u00C9',
  // 0x20-0x2F
  ' ', '!', '"', '#', '\u00A4', '%', '&', "'", '(', ')', '*', '+', ',', '-', '.', '/',
  // 0x30-0x3F
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
  // 0x40-0x4F
  '\u00A1', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
  // 0x50-0x5F
  'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', '\u00C4', '\u00D6', '\u00D1', '\u00DC', '\u00A7',
  // 0x60-0x6F
  '\u00BF', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
  // 0x70-0x7F
  'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '\u00E4', '\u00F6', '\u00F1', '\u00FC', '\u00E0',
]);

/** Character -> septet code sent after ESC (0x1B); each one therefore costs two septets. */
export const GSM7_EXTENSION: ReadonlyMap<string, number> = new Map<string, number>([
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['\u20AC', 0x65],
]);

// Segment counting runs on every accepted message, so septet cost is a flat array read per
// UTF-16 code unit rather than a string-keyed Map lookup. Every GSM character is in the BMP
// and the highest is € (U+20AC), so a table that size (~8 KB) covers all of them.
const SEPTETS: Uint8Array = (() => {
  let max = 0;
  for (const ch of GSM7_BASIC) if (ch !== ESC) max = Math.max(max, ch.charCodeAt(0));
  for (const ch of GSM7_EXTENSION.keys()) max = Math.max(max, ch.charCodeAt(0));
  const table = new Uint8Array(max + 1);
  for (const ch of GSM7_BASIC) if (ch !== ESC) table[ch.charCodeAt(0)] = 1;
  for (const ch of GSM7_EXTENSION.keys()) table[ch.charCodeAt(0)] = 2;
  return table;
})();

/**
 * Septet cost of one UTF-16 code unit (0 = not in GSM-7). Exposed for hot loops that walk a
 * string with charCodeAt; surrogate halves are never GSM-7, so per-unit lookup is exact.
 */
export function gsm7SeptetsOfCodeUnit(code: number): 0 | 1 | 2 {
  // The bounds check keeps the typed-array read in range, which V8 handles faster than an
  // out-of-bounds read returning undefined.
  return code < SEPTETS.length ? ((SEPTETS[code] ?? 0) as 0 | 1 | 2) : 0;
}

/** Septets needed for one character: 1 basic, 2 extension (ESC + code), 0 not representable. */
export function gsm7Septets(char: string): 0 | 1 | 2 {
  // A string that is not exactly one code unit (empty, a surrogate pair, several characters)
  // cannot be a single GSM-7 character.
  return char.length === 1 ? gsm7SeptetsOfCodeUnit(char.charCodeAt(0)) : 0;
}

/** True when every character of text can be sent in the GSM 7-bit alphabet (empty text included). */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (gsm7SeptetsOfCodeUnit(text.charCodeAt(i)) === 0) return false;
  }
  return true;
}
