/**
 * The Redis the limits tests count in (SQLGATE_TEST_REDIS_URL, default the local one), a key prefix of their own
 * per test so that runs and files never share a count, and the clean-up of every key under it.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.SQLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test (or run) uses. */
export function uniqueKeyPrefix(label: string): string {
  return `sqlgate-test:${label}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** The keys under `prefix`, for assertions and clean-up. */
export async function keysUnder(prefix: string): Promise<string[]> {
  const client = new Redis(REDIS_URL);
  try {
    return (await client.keys(`${prefix}:*`)).sort();
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix`. */
export async function deleteKeysUnder(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL);
  try {
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}
