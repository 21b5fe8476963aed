/**
 * Local users' passwords: the policy they must meet, argon2id hashing and verification. Only the PHC-format hash
 * (algorithm, parameters, salt and digest in one string) is ever stored; a password is never logged or printed.
 */
import { InvalidInputError } from '../errors.js';

/**
 * OWASP Password Storage Cheat Sheet, argon2id: 19 MiB of memory, 2 iterations, 1 lane. The library's default
 * algorithm is argon2id (its Algorithm enum is a const enum, which isolatedModules cannot import); a test holds it.
 */
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

export const MIN_PASSWORD_CHARS = 12;
/** Long enough for any passphrase, short enough that hashing cannot be turned into a memory or CPU sink. */
export const MAX_PASSWORD_CHARS = 1_024;

/** Throws InvalidInputError unless the password may be used. Never echoes the password. */
export function assertPasswordPolicy(password: string, userName: string): void {
  const chars = [...password].length;
  if (chars < MIN_PASSWORD_CHARS) {
    throw new InvalidInputError(`The password is too short: use at least ${MIN_PASSWORD_CHARS} characters.`, {
      hint: 'A passphrase of several words is easy to remember and hard to guess.',
    });
  }
  if (chars > MAX_PASSWORD_CHARS) throw new InvalidInputError(`The password is too long: use at most ${MAX_PASSWORD_CHARS} characters.`);
  if (password.toLowerCase() === userName.toLowerCase()) throw new InvalidInputError('The password must not be the user name.');
}

/**
 * argon2 is a native addon: it loads with the first password hashed or checked, not with the server, which with
 * bearer tokens alone never needs it (issue 12). Node caches the module, so later calls cost nothing.
 */
const loadArgon2 = () => import('@node-rs/argon2');

/** Hashes a password with argon2id and a fresh random salt; off the main thread (the library's own pool). */
export async function hashPassword(password: string): Promise<string> {
  const { hash } = await loadArgon2();
  return hash(password, ARGON2_OPTIONS);
}

/** True when `password` matches `passwordHash`; false for a wrong password or a hash it cannot read. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  // Loaded outside the try: an addon that cannot load is a server error, not a wrong password.
  const { verify } = await loadArgon2();
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
