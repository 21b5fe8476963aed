/**
 * Remembers the gate's verdicts for statements it has already allowed, so that a client repeating the same
 * statement (dashboards, retries, pagination with the same text) does not pay for parsing it again.
 *
 * Safe because a verdict depends on nothing but its inputs: the rules hold no state and never consult the database.
 * The key is the exact SQL text together with the exact allowed-functions list, so a different text (even one
 * space) or a different list is classified afresh. Only allowed statements are kept: a refusal is thrown anew each
 * time. Bounded twice: least recently used entries go first, and very long statements are not kept at all.
 */
import { LruCache } from '../util/lru-cache.js';
import type { GateOptions, StatementRules, StatementVerdict } from './statement-gate.js';
import type { StatementShape } from './statement-shape.js';

const MAX_ENTRIES = 1_000;
/** Longer statements are classified every time: at most MAX_ENTRIES × this many characters are ever held. */
const MAX_CACHED_SQL_CHARS = 8_000;

export function withVerdictCache(rules: StatementRules): StatementRules {
  const verdicts = new LruCache<string, StatementVerdict>(MAX_ENTRIES);
  const shapes = new LruCache<string, StatementShape>(MAX_ENTRIES);
  return {
    // A shape depends on the text alone (the policy that reads it is applied afresh on every call).
    shape(sql: string): StatementShape {
      if (sql.length > MAX_CACHED_SQL_CHARS) return rules.shape(sql);
      const known = shapes.get(sql);
      if (known) return known;
      const shape = rules.shape(sql);
      shapes.set(sql, shape);
      return shape;
    },
    classify(sql: string, options: GateOptions): StatementVerdict {
      if (sql.length > MAX_CACHED_SQL_CHARS) return rules.classify(sql, options);
      // JSON of [list, text]: unambiguous, no list and text can produce another pair's key.
      const key = JSON.stringify([options.allowedFunctions, sql]);
      const known = verdicts.get(key);
      if (known) return known;
      const verdict = Object.freeze({ ...rules.classify(sql, options) });
      verdicts.set(key, verdict);
      return verdict;
    },
  };
}
