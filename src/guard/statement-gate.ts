/**
 * Layer 1 of read-only: a statement gate on a real parser, per dialect. It runs before anything reaches the
 * database and is deliberately an allow-list: exactly one statement, of a read kind, made only of node types and
 * functions the gate knows to be free of side effects. What it cannot parse, or does not know, it refuses
 * (fail closed). The engine backstop (layer 2, in each dialect's session) holds even when this gate is wrong.
 *
 * Each dialect's rules live in rules/<dialect>.ts and implement `StatementRules`; this file is the one entry.
 */
import type { DialectName } from '../db/dialect.js';
import type { StatementShape } from './statement-shape.js';

/** What the gate found out about an allowed statement. */
export interface StatementVerdict {
  /** `read`: SELECT-like, EXPLAIN of a read, SHOW/DESCRIBE/PRAGMA reads. `write`: DML. `ddl`: schema changes. */
  readonly kind: 'read' | 'write' | 'ddl';
  /**
   * A statement that destroys data in bulk: DELETE/UPDATE without WHERE, DROP, TRUNCATE. Writable environments
   * ask for confirmation before running it.
   */
  readonly isDestructive: boolean;
}

export interface GateOptions {
  /** User-defined functions this environment allows in reads (lower-case, optionally schema-qualified). */
  readonly allowedFunctions: readonly string[];
}

/**
 * A dialect's rules. `classify` parses `sql` and either returns the verdict or throws:
 * - ReadOnlyError naming what was refused and why (a write, a function with side effects, several statements …)
 * - InvalidInputError when the text cannot be parsed ("could not parse …; only single statements … are accepted"),
 *   or when it calls a function this dialect does not have (another dialect's, or any unknown one on SQLite): the
 *   message names the dialect and what to write instead (guard/dialect-advice.ts). Either way nothing runs.
 * It never executes anything and never consults the database.
 */
export interface StatementRules {
  classify(sql: string, options: GateOptions): StatementVerdict;
  /**
   * What the statement reads and writes, for the table/column policy (policy/). Call it only for a statement
   * `classify` allowed; it parses the same way. Throws InvalidInputError only where classify would have.
   */
  shape(sql: string): StatementShape;
  /**
   * Gets a long statement's classify and shape ready off the main thread (off-thread-rules.ts), so that the calls
   * that follow do not block the event loop; a no-op for short statements. Call it right before classify/shape.
   * Rejects only with BusyError, when too many long statements wait; classify decides everything else.
   */
  prepare?(sql: string, options: GateOptions): Promise<void>;
}

export type RulesFactory = () => Promise<StatementRules>;
export type { DialectName };
