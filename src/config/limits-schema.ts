/**
 * Limits per user: the `limits` block of an environment (how much one user may do there), and the top-level
 * `limits` section (where the counters live and what happens when that store does not answer). Part of the schema
 * in schema.ts, kept apart to keep each file about one thing. docs/limits.md says what is counted.
 */
import { z } from 'zod';
import { maskDatabaseUrl } from './database-url.js';

/**
 * One set of limits; an unset limit does not apply. An environment has one and a named role may have one
 * (roles-schema.ts); where several apply the stricter value of each wins (limits/limit-scope.ts).
 */
export const limitSetSchema = z
  .strictObject({
    /** Tool calls one user may start per minute (refused calls count too). */
    calls_per_minute: z.int().min(1).max(1_000_000).optional(),
    /** Tool calls of one user that may run at the same time, over every client and instance. */
    concurrent_queries: z.int().min(1).max(200).optional(),
    /** Result rows one user may receive per hour; a call that starts within the budget returns its rows in full. */
    rows_per_hour: z.int().min(1).max(1_000_000_000).optional(),
  })
  .transform((l) => ({ callsPerMinute: l.calls_per_minute, concurrentQueries: l.concurrent_queries, rowsPerHour: l.rows_per_hour }));

/** What to do when the limits store cannot be reached: let the request through uncounted, or refuse it. */
const onStoreError = z.enum(['open', 'closed']);

export const limitsSchema = z
  .strictObject({
    /**
     * Where the counters live: unset keeps them in this process's memory (one instance); a redis:// or rediss://
     * URL shares them between every instance that names the same Redis. `${VAR}` keeps a password out of the file.
     */
    store: z
      .string()
      .trim()
      .regex(/^rediss?:\/\/[^/?#]/i, 'must be a redis:// or rediss:// URL such as "redis://127.0.0.1:6379" (leave it out to count in memory)')
      .refine((url) => URL.canParse(url), 'is not a valid URL')
      .optional(),
    /** Prefix of every key sqlgate writes to the store, so that several deployments can share one Redis. */
    key_prefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1 to 64 letters, digits, "_", ".", ":" or "-"').default('sqlgate'),
    /**
     * When the store does not answer. Tool calls fail open by default (availability: the database still enforces
     * its own timeouts); sign-in and registration fail closed (their limits stop password guessing).
     */
    on_store_error: z.preprocess(
      (v) => v ?? {},
      z.strictObject({ tool_calls: onStoreError.default('open'), sign_in: onStoreError.default('closed') }),
    ),
  })
  .transform((l) => ({
    store: l.store === undefined ? undefined : { url: l.store, maskedUrl: maskDatabaseUrl(l.store) },
    keyPrefix: l.key_prefix,
    onStoreError: { toolCalls: l.on_store_error.tool_calls, signIn: l.on_store_error.sign_in },
  }));

export type LimitSet = z.output<typeof limitSetSchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
/** limits.store, parsed: the URL (with its password) for the client, and the masked one for messages and logs. */
export type LimitsStoreConfig = NonNullable<LimitsConfig['store']>;
/** Fail open (uncounted) or closed (refused) when the store does not answer. */
export type StoreErrorPolicy = z.output<typeof onStoreError>;
