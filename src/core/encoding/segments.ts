/**
 * SMS encoding choice and segment counting.
 *
 * Packing choice: concatenated segments are filled greedily and a segment boundary never falls
 * inside a GSM escape pair (ESC + extension code) or a UTF-16 surrogate pair. Real splitters,
 * including the SMPP concatenation Pigeon performs, must cut that way because a handset cannot
 * reassemble half a character; so the count reported here matches what is actually sent, even
 * where it is one more than ceil(units / 153) or ceil(units / 67).
 */
import { gsm7SeptetsOfCodeUnit } from './gsm7.js';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentInfo {
  encoding: SmsEncoding;
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
}

// A single SMS carries 140 octets. Concatenated parts lose 6 octets to the UDH, which leaves
// 153 septets (the 7-bit payload is aligned past the header) or 67 UCS-2 code units.
const GSM_SINGLE = 160;
const GSM_MULTI = 153;
const UCS2_SINGLE = 70;
const UCS2_MULTI = 67;

/**
 * Walks text once for the encoding/unit total and, only when it does not fit one SMS, again to
 * pack segments. When `cuts` is given, the start index of every segment after the first is
 * pushed onto it; countSegments passes nothing so it allocates nothing per character.
 */
function measure(text: string, cuts?: number[]): SegmentInfo {
  const n = text.length;
  let septets = 0;
  for (let i = 0; i < n; i++) {
    const cost = gsm7SeptetsOfCodeUnit(text.charCodeAt(i));
    if (cost === 0) return measureUcs2(text, cuts);
    septets += cost;
  }
  if (septets <= GSM_SINGLE) return { encoding: 'GSM-7', units: septets, segments: 1 };

  let segments = 1;
  let used = 0;
  for (let i = 0; i < n; i++) {
    // Already known to be GSM-7, so cost is 1 or 2; a 2 must land whole in one segment.
    const cost = gsm7SeptetsOfCodeUnit(text.charCodeAt(i));
    if (used + cost > GSM_MULTI) {
      segments++;
      used = cost;
      cuts?.push(i);
    } else {
      used += cost;
    }
  }
  return { encoding: 'GSM-7', units: septets, segments };
}

function measureUcs2(text: string, cuts?: number[]): SegmentInfo {
  const n = text.length;
  if (n <= UCS2_SINGLE) return { encoding: 'UCS-2', units: n, segments: 1 };

  let segments = 1;
  let used = 0;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    // Only a well-formed high+low pair is kept together; a lone surrogate is sent as the
    // single code unit it is.
    const cost =
      code >= 0xd800 && code <= 0xdbff && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
    if (used + cost > UCS2_MULTI) {
      segments++;
      used = cost;
      cuts?.push(i);
    } else {
      used += cost;
    }
    i += cost;
  }
  return { encoding: 'UCS-2', units: n, segments };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Encoding, unit count and number of SMS segments the text will be sent as. */
export function countSegments(text: string): SegmentInfo {
  return measure(text);
}

/**
 * The text of each segment, cut exactly as countSegments counts (the SMPP carrier sends these parts). Empty text yields one empty
 * part so that parts.length always equals countSegments(text).segments.
 */
export function splitSegments(text: string, force?: 'UCS-2'): { encoding: SmsEncoding; parts: string[] } {
  const cuts: number[] = [];
  // `force` serves a carrier that cannot take this GSM-7 text in its default alphabet and sends it
  // as UCS-2: its parts are then the UCS-2 ones.
  const { encoding } = force === 'UCS-2' ? measureUcs2(text, cuts) : measure(text, cuts);
  const parts: string[] = [];
  let start = 0;
  for (const cut of cuts) {
    parts.push(text.slice(start, cut));
    start = cut;
  }
  parts.push(text.slice(start));
  return { encoding, parts };
}
