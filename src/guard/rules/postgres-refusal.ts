/**
 * The refusals of the PostgreSQL gate, in one place so that messages and hints read the same everywhere. A message
 * says what was refused and why; the hint says what is allowed instead.
 */
import type { AdviceTarget } from '../../db/sql-equivalents.js';
import { ReadOnlyError } from '../../errors.js';

/** Whose equivalents advise on another dialect's functions and syntax (db/sql-equivalents.ts). */
export const POSTGRES_ADVICE: AdviceTarget = { name: 'postgres', displayName: 'PostgreSQL' };

/** What the gate accepts as a read, for hints. */
export const READ_KINDS_HINT =
  'Send one read per call: SELECT (also VALUES, TABLE, WITH … SELECT, UNION …), EXPLAIN of such a statement, or SHOW <setting>.';

/** What the gate accepts at all, for statements refused in every environment. */
export const STATEMENTS_HINT =
  'sqlgate runs one statement per call: reads (SELECT, VALUES, TABLE, EXPLAIN, SHOW) and, where the environment allows writes, INSERT, UPDATE, DELETE, MERGE and changes to tables, views, indexes and types.';

export const FUNCTIONS_HINT =
  'Built-in functions that only compute values are allowed: aggregates, window functions, math, string, date/time, JSON, array and catalog functions.';

export const NEVER_HINT = 'It is refused in every environment; no setting allows it.';

/** Builds the gate's refusal: a ReadOnlyError whose message says what and why, and whose hint says what is allowed. */
export function postgresRefusal(message: string, hint: string = READ_KINDS_HINT): ReadOnlyError {
  return new ReadOnlyError(message, { hint });
}
