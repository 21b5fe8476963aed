/**
 * Personal access token helpers: the token's shape and randomness, its hash, lifetimes (good and bad) and the
 * state a stored token is in.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  describeTokenState, generatePersonalToken, hashToken, isPersonalToken, MAX_TOKEN_TTL_SECONDS, parseTtl, PERSONAL_TOKEN_PREFIX,
} from '../../src/auth/personal-token.js';
import { InvalidInputError } from '../../src/errors.js';
import type { StoredPersonalToken } from '../../src/store/personal-token-store.js';

describe('generatePersonalToken', () => {
  it('makes a prefixed 256-bit token, a public id and the SHA-256 of the token', () => {
    const { token, id, tokenHash } = generatePersonalToken();
    expect(PERSONAL_TOKEN_PREFIX).toBe('sqg_pat_');
    expect(token).toMatch(/^sqg_pat_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(PERSONAL_TOKEN_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(id).toMatch(/^pat_[0-9a-f]{12}$/);
    expect(tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(tokenHash).toBe(hashToken(token));
    expect(tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenHash).not.toContain(token.slice(PERSONAL_TOKEN_PREFIX.length));
    expect(id).not.toContain(token.slice(PERSONAL_TOKEN_PREFIX.length, 20));
  });

  it('never repeats a token or an id', () => {
    const made = Array.from({ length: 200 }, generatePersonalToken);
    expect(new Set(made.map((t) => t.token)).size).toBe(200);
    expect(new Set(made.map((t) => t.id)).size).toBe(200);
  });

  it('recognises its own tokens only', () => {
    expect(isPersonalToken(generatePersonalToken().token)).toBe(true);
    for (const text of ['', 'sqg_pat_', `sqg_pat_${'a'.repeat(42)}`, `sqg_pat_${'a'.repeat(44)}`, `SQG_PAT_${'a'.repeat(43)}`,
      `sqg_pat_${'a'.repeat(42)}=`, `sqg_pat_${'a'.repeat(42)}+`, 'eyJhbGciOiJSUzI1NiJ9.e30.sig', `Bearer sqg_pat_${'a'.repeat(43)}`]) {
      expect(isPersonalToken(text), text).toBe(false);
    }
  });
});

describe('parseTtl', () => {
  it('reads seconds, minutes, hours, days and years (365 days), and "never"', () => {
    expect(parseTtl('90s')).toBe(90);
    expect(parseTtl('15m')).toBe(900);
    expect(parseTtl('12h')).toBe(43_200);
    expect(parseTtl('30d')).toBe(2_592_000);
    expect(parseTtl('1y')).toBe(365 * 86_400);
    expect(parseTtl(' 7D ')).toBe(7 * 86_400);
    expect(parseTtl('5y')).toBe(MAX_TOKEN_TTL_SECONDS);
    expect(parseTtl('never')).toBeUndefined();
    expect(parseTtl('none')).toBeUndefined();
    expect(parseTtl('Never')).toBeUndefined();
  });

  it('refuses anything else with a hint, and lifetimes of zero or over five years', () => {
    for (const text of ['', '30', 'd', '30 days', '1w', '-5d', '1.5h', '0x10s', 'forever', '30d1h']) {
      const err = (() => {
        try {
          parseTtl(text);
        } catch (e) {
          return e;
        }
      })();
      expect(err, text).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).hint, text).toContain('such as 30d or 1y');
    }
    expect(() => parseTtl('0d')).toThrow(/longer than zero/);
    expect(() => parseTtl('6y')).toThrow(/longest token lifetime, 5 years/);
    expect(() => parseTtl(`${5 * 365 + 1}d`)).toThrow(InvalidInputError);
    expect(() => parseTtl('99999999999s')).toThrow(InvalidInputError);
  });
});

describe('describeTokenState', () => {
  const now = new Date('2030-06-01T12:00:00Z');
  const base: StoredPersonalToken = { id: 'pat_000000000000', userName: 'alice', environment: 'demo', canWrite: false, createdAt: new Date('2030-01-01T00:00:00Z') };

  it('is active, expired (at the instant of expiry) or revoked (whatever the expiry)', () => {
    expect(describeTokenState(base, now)).toBe('active');
    expect(describeTokenState({ ...base, expiresAt: new Date('2030-06-01T12:00:01Z') }, now)).toBe('active');
    expect(describeTokenState({ ...base, expiresAt: now }, now)).toBe('expired');
    expect(describeTokenState({ ...base, expiresAt: new Date('2030-05-01T00:00:00Z') }, now)).toBe('expired');
    expect(describeTokenState({ ...base, revokedAt: new Date('2030-02-01T00:00:00Z') }, now)).toBe('revoked');
    expect(describeTokenState({ ...base, expiresAt: new Date('2030-05-01T00:00:00Z'), revokedAt: new Date('2030-02-01T00:00:00Z') }, now)).toBe('revoked');
  });
});
