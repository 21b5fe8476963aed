/**
 * A duration in the configuration: a whole number of seconds, or a string such as "90s", "15m", "1h" or "30d".
 * Every duration key (token lifetimes, audit retention, server timeouts) reads the same forms; each gives its own bounds.
 */
import { z } from 'zod';

const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** "90s", "15m", "2h", "7d" → seconds; undefined for anything else. The one reading of a duration's text. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim());
  return match ? Number(match[1]) * SECONDS_PER_UNIT[match[2] as keyof typeof SECONDS_PER_UNIT] : undefined;
}

/**
 * A duration schema whose output is seconds, between `minSeconds` (default 1) and `maxDays` days (or, for the
 * short ones such as server timeouts, `maxSeconds`).
 */
export function durationSchema(bounds: { readonly maxDays?: number; readonly maxSeconds?: number; readonly minSeconds?: number; readonly minMessage?: string }) {
  const minSeconds = bounds.minSeconds ?? 1;
  const maxSeconds = bounds.maxSeconds ?? (bounds.maxDays ?? 36_500) * 86_400;
  const maxMessage = bounds.maxSeconds === undefined ? `must be at most ${maxSeconds / 86_400} days` : `must be at most ${maxSeconds} seconds`;
  return z
    .union([z.int().min(1), z.string().regex(/^\d+\s*[smhd]$/, 'must be a duration such as "90s", "15m", "1h" or "30d"')], {
      error: 'must be a number of seconds or a duration such as "90s", "15m", "1h" or "30d"',
    })
    .transform((v) => (typeof v === 'number' ? v : parseDurationSeconds(v)!))
    .refine((seconds) => seconds >= minSeconds, bounds.minMessage ?? `must be at least ${minSeconds} seconds`)
    .refine((seconds) => seconds <= maxSeconds, maxMessage);
}
