// Bandwidth message ids: 13 digits of epoch milliseconds + 16 lower-case base-36 characters
// (reference h.1). The random part comes from the CSPRNG so ids cannot be guessed across accounts.
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
export const MESSAGE_ID_PATTERN = /^\d{13}[a-z0-9]{16}$/;

// One CSPRNG call fills a pool for ~250 ids; a call per id cost as much as the rest of the id.
const pool = Buffer.alloc(4096);
let next = pool.length;

function randomByte(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++] as number;
}

export function newMessageId(timeMs: number): string {
  let suffix = '';
  while (suffix.length < 16) {
    const b = randomByte();
    // 252 is the largest multiple of 36 below 256; rejecting larger bytes keeps the alphabet uniform.
    if (b < 252) suffix += ALPHABET[b % 36];
  }
  return String(timeMs).padStart(13, '0') + suffix;
}
