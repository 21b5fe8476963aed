/**
 * Long statements are parsed off the main thread. Parsing is synchronous, and node-sql-parser (MySQL, MariaDB, T-SQL,
 * SQLite) takes ~150 ms for a 100 KB statement (libpg-query ~40 ms): time in which the process answers nobody else.
 * A statement of OFF_THREAD_MIN_CHARS or more is classified and shaped on a worker thread instead (gate-worker.ts,
 * the same rules), before the gate asks: `prepare()` runs the job, and the synchronous classify()/shape() that follow
 * answer from its result. Shorter statements (nearly all: typical analytic queries parse in 0.1–2 ms) stay on the
 * main thread, where a worker's round trip would cost more than the parse.
 *
 * Fail-safe both ways: a worker that cannot run (or answers something other than the gate's own verdict or refusal)
 * leaves the statement to the main thread, which decides exactly as before; a flood of long statements beyond the
 * queue is refused as busy rather than parsed on the main thread.
 */
import { BusyError } from '../errors.js';
import { LruCache } from '../util/lru-cache.js';
import { rebuildError, type GateJob, type GateJobResult, type RulesKey } from './gate-job.js';
import type { GateOptions, StatementRules } from './statement-gate.js';

/** ~4 KB parses in 10–30 ms with node-sql-parser: longer statements go to the worker. */
export const OFF_THREAD_MIN_CHARS = 4_000;
/** Statements prepared and not yet asked about: a handful is enough (each call asks right after preparing). */
const PREPARED_ENTRIES = 16;

/** Runs a job off the main thread; rejects with QueueFullError when too many wait, or any error when it cannot. */
export type GateJobRunner = (job: GateJob) => Promise<GateJobResult>;

export class QueueFullError extends Error {}

export function withOffThreadParsing(rules: StatementRules, key: RulesKey, run: GateJobRunner, onWorkerFailure: (err: unknown) => void): StatementRules {
  const prepared = new LruCache<string, { readonly options: string; readonly result: GateJobResult }>(PREPARED_ENTRIES);
  const resultFor = (sql: string, options: GateOptions) => {
    const entry = prepared.get(sql);
    return entry && entry.options === optionsKey(options) ? entry.result : undefined;
  };
  return {
    async prepare(sql: string, options: GateOptions): Promise<void> {
      if (sql.length < OFF_THREAD_MIN_CHARS || resultFor(sql, options)) return;
      let result: GateJobResult;
      try {
        result = await run({ rules: key, sql, options: { allowedFunctions: [...options.allowedFunctions] } });
      } catch (err) {
        if (err instanceof QueueFullError) {
          throw new BusyError('Too many long statements are being checked at once; retry in a moment.', { hint: 'Shorter statements are checked at once.' });
        }
        onWorkerFailure(err);
        return; // classify() parses it here, as without a worker
      }
      if ('error' in result && rebuildError(result.error) === undefined) return; // not a refusal: the main thread throws what it throws
      prepared.set(sql, { options: optionsKey(options), result });
    },
    classify(sql, options) {
      const result = resultFor(sql, options);
      if (!result) return rules.classify(sql, options);
      if ('error' in result) throw rebuildError(result.error)!;
      return result.verdict;
    },
    shape(sql) {
      // The shape depends on the text alone: any prepared entry for it will do.
      const result = prepared.get(sql)?.result;
      if (result && 'shape' in result) return result.shape;
      const refusal = result && 'shapeError' in result ? rebuildError(result.shapeError) : undefined;
      if (refusal) throw refusal;
      return rules.shape(sql);
    },
  };
}

function optionsKey(options: GateOptions): string {
  return JSON.stringify(options.allowedFunctions);
}
