// Bandwidth message ids: 13 digits of epoch milliseconds + 16 lower-case base-36 characters
// (reference h.1). The random part comes from the CSPRNG so ids cannot be guessed across accounts.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
export const MESSAGE_ID_PATTERN = /^\d{13}[a-z0-9]{16}$/;

export function newMessageId(timeMs: number): string {
  const bytes = randomBytes(16);
  let suffix = '';
  // 252 is the largest multiple of 36 below 256; rejecting larger bytes keeps the alphabet uniform.
  for (let i = 0; suffix.length < 16; i++) {
    if (i === bytes.length) {
      bytes.set(randomBytes(16));
      i = 0;
    }
    const b = bytes[i] as number;
    if (b < 252) suffix += ALPHABET[b % 36];
  }
  return String(timeMs).padStart(13, '0') + suffix;
}
