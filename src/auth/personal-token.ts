/**
 * Personal access tokens: how one is made, recognised and hashed, how long it lives, and whether it still works.
 * The token is 256 random bits behind a fixed prefix, so secret scanners (and people) can tell it from an OAuth
 * access token; only its SHA-256 is stored. A plain hash, not argon2, is enough here because the token is random
 * and long: there is nothing to guess, and a lookup by hash must be cheap on every request.
 */
import { randomBytes } from 'node:crypto';
import { hashSecret } from './hash-secret.js';
import { InvalidInputError } from '../errors.js';
import type { StoredPersonalToken } from '../store/personal-token-store.js';

export const PERSONAL_TOKEN_PREFIX = 'sqg_pat_';

/** 32 random bytes in base64url without padding: always 43 characters. */
const TOKEN_PATTERN = /^sqg_pat_[A-Za-z0-9_-]{43}$/;

/** Long-lived tokens leak in the end (CI logs, dotfiles); five years bounds the damage of one nobody revokes. */
export const MAX_TOKEN_TTL_SECONDS = 5 * 365 * 86_400;

const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3_600, d: 86_400, y: 365 * 86_400 } as const;

export interface GeneratedPersonalToken {
  /** The bearer token: shown once, never stored. */
  readonly token: string;
  /** Public identifier, for listings and `sqlgate tokens revoke`. */
  readonly id: string;
  readonly tokenHash: string;
}

export function generatePersonalToken(): GeneratedPersonalToken {
  const token = `${PERSONAL_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, id: `pat_${randomBytes(6).toString('hex')}`, tokenHash: hashToken(token) };
}

/** The stored form of a token (SHA-256, hex): the one hashing of secrets in hash-secret.ts. */
export const hashToken = hashSecret;

/** True when `text` has the shape of a personal access token (it may still be unknown, expired or revoked). */
export function isPersonalToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/**
 * A lifetime such as "90s", "15m", "12h", "30d" or "1y" (365 days) in seconds; "never" or "none" for a token
 * that does not expire (undefined). At most five years.
 */
export function parseTtl(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'never' || trimmed === 'none') return undefined;
  const match = /^(\d{1,9})\s*([smhdy])$/.exec(trimmed);
  const hint = 'Use a number and a unit (s, m, h, d or y), such as 30d or 1y, or "never" for a token that does not expire.';
  if (!match) throw new InvalidInputError(`"${text.slice(0, 40)}" is not a token lifetime.`, { hint });
  const seconds = Number(match[1]) * SECONDS_PER_UNIT[match[2] as keyof typeof SECONDS_PER_UNIT];
  if (seconds === 0) throw new InvalidInputError('A token lifetime must be longer than zero.', { hint });
  if (seconds > MAX_TOKEN_TTL_SECONDS) {
    throw new InvalidInputError(`"${text.slice(0, 40)}" is longer than the longest token lifetime, 5 years.`, {
      hint: 'Use 5y or less, or "never" if the token really must not expire (and revoke it when it is no longer needed).',
    });
  }
  return seconds;
}

export type PersonalTokenState = 'active' | 'expired' | 'revoked';

/** Revoked wins over expired: a token someone revoked should say so, whatever its expiry. */
export function describeTokenState(token: StoredPersonalToken, now: Date): PersonalTokenState {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}
