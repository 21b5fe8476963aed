/**
 * The one way sqlgate stores a high-entropy secret (token, code, client secret): its SHA-256, hex. A slow hash
 * (argon2id) is for passwords only; these values carry 256 random bits, so a fast hash is enough and lookups by
 * hash stay cheap.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Compares a presented secret with a stored hash in constant time. */
export function matchesHash(presented: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
