// XML in and out of the Numbers API. In: a well-formed document without a DTD (so no entity can
// expand: an XML bomb is refused before parsing, and fast-xml-parser runs with entity processing
// off), within the route's body limit; element names start lower-case, as the official client's
// parser (xml2js with firstCharLowerCase) gives them. Out: documents built from plain objects whose
// keys are element names, an array repeating its element, undefined leaving it out.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { numbersErrors } from '../../core/numbers/numbers-error.js';

/** Request documents are small; this bounds the memory a request can make Pigeon parse. */
export const XML_BODY_LIMIT = 64 * 1024;

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  removeNSPrefix: true,
  transformTagName: (name) => name.charAt(0).toLowerCase() + name.slice(1),
});

/** Entities Pigeon resolves itself, after parsing, so none can refer to another. */
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML 1.0's Char production: a reference to anything else (NUL, other C0 controls, surrogates) is not XML. */
const isXmlChar = (c: number) => c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

function character(code: number): string {
  if (!isXmlChar(code)) throw numbersErrors.malformed(`character reference &#${code}; is not an XML character`);
  return String.fromCodePoint(code);
}

function unescapeTexts(value: unknown): unknown {
  if (typeof value === 'string') {
    // eslint-disable-next-line no-control-regex -- these are the characters refused
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) throw numbersErrors.malformed('control characters are not accepted in text');
    return value.replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (_, name: string) => {
      if (name.startsWith('#x')) return character(parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return character(Number(name.slice(1)));
      return PREDEFINED[name] ?? '';
    });
  }
  if (Array.isArray(value)) return value.map(unescapeTexts);
  if (typeof value === 'object' && value !== null) {
    // Text beside child elements (`<A>junk<B/></A>`) is no field of any document here.
    if ('#text' in value) throw numbersErrors.malformed('text beside child elements is not accepted');
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unescapeTexts(v)]));
  }
  return value;
}

export function parseXml(text: string): unknown {
  if (text.trim() === '') throw numbersErrors.malformed('the request body is empty; an XML document is required');
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw numbersErrors.malformed('document type declarations and entities are not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw numbersErrors.malformed(`the request is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch {
    // Deeply nested input exhausts the parser's stack: as malformed as anything else it refuses.
    throw numbersErrors.malformed('the request XML could not be read');
  }
  return unescapeTexts(parsed);
}

export type XmlValue = string | number | boolean | undefined | null | XmlNode | readonly XmlValue[];
export interface XmlNode {
  readonly [element: string]: XmlValue;
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c] as string};`);

function element(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return (value as readonly XmlValue[]).map((v) => element(name, v)).join('');
  if (typeof value === 'object') {
    const inner = Object.entries(value as XmlNode).map(([k, v]) => element(k, v)).join('');
    return inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`;
  }
  const text = String(value);
  return text === '' ? `<${name}/>` : `<${name}>${escape(text)}</${name}>`;
}

export function buildXml(root: string, content: XmlNode | string): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>${element(root, content)}`;
}

/** Dates as Bandwidth writes them (the client turns this form into Date objects). */
export const isoDate = (ms: number): string => new Date(ms).toISOString();
