// API user passwords are stored as scrypt hashes in a PHC-like string:
//   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt base64>$<hash base64>
// scrypt comes with Node (no native add-on), is memory-hard, and its cost is encoded in the
// string so it can be raised later without invalidating existing hashes.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;
const DEFAULT_COST = { ln: 14, r: 8, p: 1 } as const;

interface ScryptCost {
  ln: number;
  r: number;
  p: number;
}

function scrypt(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.ln;
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128 * N * r or Node refuses the parameters.
    scryptCallback(password, salt, KEY_LENGTH, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST, salt: Buffer = randomBytes(16)): Promise<string> {
  const key = await scrypt(password, salt, cost);
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const HASH_PATTERN = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/;

export function isPasswordHash(value: string): boolean {
  const m = HASH_PATTERN.exec(value);
  if (!m) return false;
  const ln = Number(m[1]);
  return ln >= 10 && ln <= 20 && Number(m[2]) >= 1 && Number(m[3]) >= 1 && Buffer.from(m[5] ?? '', 'base64').length >= 16;
}

/** Verifies in constant time with respect to the stored hash; a malformed hash never matches. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = HASH_PATTERN.exec(encoded);
  if (!m) return false;
  const cost = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const expected = Buffer.from(m[5] ?? '', 'base64');
  const actual = await scrypt(password, Buffer.from(m[4] ?? '', 'base64'), cost);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
