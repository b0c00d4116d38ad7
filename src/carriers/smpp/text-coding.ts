// Text <-> short_message bytes. Outbound GSM-7 text goes as DCS 0 in GSM 03.38 octets, one septet
// per octet (unpacked, as SMPP carries it), extension characters as ESC + code; everything else as
// UCS-2 (DCS 8, UTF-16BE). Never DCS 1: operators reject GSM text labelled IA5 (lesson 22).
// What DCS 0 means differs per SMSC (lesson 25), so it is a per-carrier setting: `gsm7` (GSM 03.38,
// almost every SMSC), `latin1` or `ascii` (the SMSC converts to GSM itself).
import { GSM7_BASIC, GSM7_EXTENSION } from '../../core/encoding/gsm7.js';

export type DefaultAlphabet = 'gsm7' | 'latin1' | 'ascii';

const ESC = 0x1b;
const BASIC_CODE = new Map<string, number>();
GSM7_BASIC.forEach((ch, code) => {
  if (code !== ESC) BASIC_CODE.set(ch, code);
});
const EXTENSION_CHAR = new Map<number, string>([...GSM7_EXTENSION].map(([ch, code]) => [code, ch]));

/** GSM 03.38 octets of text already known to be GSM-7 (segments.ts said so). */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const basic = BASIC_CODE.get(ch);
    if (basic !== undefined) out.push(basic);
    else {
      const ext = GSM7_EXTENSION.get(ch);
      if (ext === undefined) throw new Error(`not a GSM-7 character: U+${ch.codePointAt(0)?.toString(16)}`);
      out.push(ESC, ext);
    }
  }
  return Buffer.from(out);
}

export function decodeGsm7(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const code = (bytes[i] ?? 0) & 0x7f;
    if (code === ESC && i + 1 < bytes.length) {
      const next = (bytes[i + 1] ?? 0) & 0x7f;
      // An unknown extension code is shown as its basic character, as 23.038 asks of receivers.
      text += EXTENSION_CHAR.get(next) ?? GSM7_BASIC[next] ?? '';
      i++;
    } else text += code === ESC ? ' ' : (GSM7_BASIC[code] ?? '');
  }
  return text;
}

export function encodeUcs2(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}

export function decodeUcs2(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return text;
}

/** Whether every character of GSM-7 text also exists in the SMSC's DCS 0 alphabet. */
export function fitsDefaultAlphabet(text: string, alphabet: DefaultAlphabet): boolean {
  if (alphabet === 'gsm7') return true;
  const max = alphabet === 'ascii' ? 0x7f : 0xff;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > max) return false;
  return true;
}

/** short_message octets of a GSM-7 text under DCS 0, as this SMSC reads DCS 0. */
export function encodeDefaultAlphabet(text: string, alphabet: DefaultAlphabet): Buffer {
  return alphabet === 'gsm7' ? encodeGsm7(text) : Buffer.from(text, 'latin1');
}

/**
 * Text of a short_message by its data_coding (SMPP 3.4 §5.2.19 and 23.038 §4 coding groups):
 * 0 the SMSC default alphabet, 1 IA5/ASCII, 3 Latin-1, 8 UCS-2; the message class groups (0xF0,
 * 0x10..0x3F) say GSM-7, 8-bit or UCS-2 in their alphabet bits. 8-bit data is read as Latin-1.
 */
export function decodeText(bytes: Uint8Array, dataCoding: number, alphabet: DefaultAlphabet): string {
  switch (alphabetOf(dataCoding)) {
    case 'default':
      return alphabet === 'gsm7' ? decodeGsm7(bytes) : Buffer.from(bytes).toString('latin1');
    case 'gsm7':
      return decodeGsm7(bytes);
    case 'ascii':
    case 'latin1':
    case 'binary':
      return Buffer.from(bytes).toString('latin1');
    case 'ucs2':
      return decodeUcs2(bytes);
  }
}

type Alphabet = 'default' | 'gsm7' | 'ascii' | 'latin1' | 'binary' | 'ucs2';

function alphabetOf(dcs: number): Alphabet {
  if (dcs === 0) return 'default';
  if (dcs === 1) return 'ascii';
  if (dcs === 3) return 'latin1';
  if (dcs === 8) return 'ucs2';
  if (dcs === 2 || dcs === 4) return 'binary';
  if ((dcs & 0xf0) === 0xf0) return dcs & 0x04 ? 'binary' : 'gsm7';
  if ((dcs & 0xc0) === 0x00 && dcs >= 0x10) {
    const bits = (dcs >> 2) & 0x03;
    return bits === 0 ? 'gsm7' : bits === 1 ? 'binary' : 'ucs2';
  }
  // ISO-8859-x tables (5, 6, 7 ...) and reserved values: the best a text message can do.
  return 'latin1';
}
