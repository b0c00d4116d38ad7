// Smart encoding (opt-in per application, `smartEncoding: true`): characters that look like GSM-7
// characters but are not in its alphabet are replaced by those characters before the segments are
// counted and before the carrier gets the text. One curly quote otherwise turns a whole message
// into UCS-2, at 70 characters a segment instead of 160. The table is the README's (The sandbox for
// tests: Smart encoding); letters with accents are left alone, as they change what the text says.

/** [the characters, what replaces each, what they are] */
export const SMART_REPLACEMENTS: ReadonlyArray<readonly [string, string, string]> = [
  ['\u2018\u2019\u201A\u201B\u2032\u02BC', "'", 'curly and low single quotes, prime, modifier apostrophe'],
  ['\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB', '"', 'curly and low double quotes, double prime, guillemets'],
  ['\u2039', '<', 'single left-pointing angle quotation mark'],
  ['\u203A', '>', 'single right-pointing angle quotation mark'],
  ['\u2010\u2011\u2012\u2013\u2014\u2015\u2212', '-', 'hyphen, non-breaking hyphen, figure dash, en and em dashes, horizontal bar, minus sign'],
  ['\u00A0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u202F\u205F\u3000\t', ' ', 'non-breaking, en, em, thin, hair, narrow and other spaces, tab'],
  ['\u200B\u2060\uFEFF\u00AD', '', 'zero-width space, word joiner, byte order mark, soft hyphen (removed)'],
  ['\u2026', '...', 'horizontal ellipsis'],
  ['\u2022\u2027\u2219', '-', 'bullets'],
  ['\u2044\u2215', '/', 'fraction and division slashes'],
  ['\u02C6', '^', 'modifier circumflex'],
  ['\u02DC', '~', 'small tilde'],
  ['\u00B8', ',', 'cedilla'],
  ['\u02CB\u0060', "'", 'modifier grave accent, grave accent'],
];

const TABLE: ReadonlyMap<string, string> = new Map(SMART_REPLACEMENTS.flatMap(([chars, to]) => [...chars].map((c) => [c, to] as const)));
const PATTERN = new RegExp(`[${[...TABLE.keys()].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}]`, 'g');

/** The text with every character of the table replaced. */
export function smartEncode(text: string): string {
  return text.replace(PATTERN, (c) => TABLE.get(c) ?? c);
}
