/**
 * One statement classified and shaped by a dialect's rules, as plain data that crosses a worker boundary: the job a
 * gate worker (gate-worker.ts) runs off the main thread for long statements (off-thread-rules.ts). Errors the rules
 * throw travel as their class name and texts and are rebuilt as the same SqlgateError on the other side.
 */
import { InvalidInputError, ReadOnlyError, SqlgateError, type SqlgateErrorOptions } from '../errors.js';
import type { GateOptions, StatementRules, StatementVerdict } from './statement-gate.js';
import type { StatementShape } from './statement-shape.js';

/** Which rules: a dialect, and for MySQL its flavor (the grammars differ). */
export type RulesKey = 'postgres' | 'mysql:mysql' | 'mysql:mariadb' | 'mssql' | 'sqlite';

export interface GateJob {
  readonly rules: RulesKey;
  readonly sql: string;
  readonly options: GateOptions;
}

/** An error the rules threw, as data. `kind` names the class; anything but the gate's own is `other`. */
export interface TransferredError {
  readonly kind: 'ReadOnlyError' | 'InvalidInputError' | 'other';
  readonly message: string;
  readonly hint?: string;
  readonly detail?: string;
}

/** classify's verdict or error; and for an allowed statement, shape's result or error. */
export type GateJobResult =
  | { readonly verdict: StatementVerdict; readonly shape: StatementShape }
  | { readonly verdict: StatementVerdict; readonly shapeError: TransferredError }
  | { readonly error: TransferredError };

export async function loadRules(key: RulesKey): Promise<StatementRules> {
  switch (key) {
    case 'postgres':
      return (await import('./rules/postgres-rules.js')).createPostgresRules();
    case 'mysql:mysql':
    case 'mysql:mariadb':
      return (await import('./rules/mysql-rules.js')).createMysqlRules({ flavor: key === 'mysql:mariadb' ? 'mariadb' : 'mysql' });
    case 'mssql':
      return (await import('./rules/mssql-rules.js')).createMssqlRules();
    case 'sqlite':
      return (await import('./rules/sqlite-rules.js')).createSqliteRules();
  }
}

/** Runs the job on `rules`: what classify and then shape (for an allowed statement) answer, as data. */
export function runGateJob(rules: StatementRules, job: GateJob): GateJobResult {
  let verdict: StatementVerdict;
  try {
    verdict = { ...rules.classify(job.sql, job.options) };
  } catch (err) {
    return { error: transferError(err) };
  }
  try {
    return { verdict, shape: rules.shape(job.sql) };
  } catch (err) {
    return { verdict, shapeError: transferError(err) };
  }
}

function transferError(err: unknown): TransferredError {
  const kind = err instanceof ReadOnlyError ? 'ReadOnlyError' : err instanceof InvalidInputError ? 'InvalidInputError' : 'other';
  const texts = err instanceof SqlgateError ? { hint: err.hint, detail: err.detail } : {};
  return { kind, message: err instanceof Error ? err.message : String(err), ...withoutUndefined(texts) };
}

/** The error as the rules threw it on this side; `other` (not the gate's own: a bug) yields undefined. */
export function rebuildError(error: TransferredError): SqlgateError | undefined {
  const options: SqlgateErrorOptions = withoutUndefined({ hint: error.hint, detail: error.detail });
  if (error.kind === 'ReadOnlyError') return new ReadOnlyError(error.message, options);
  if (error.kind === 'InvalidInputError') return new InvalidInputError(error.message, options);
  return undefined;
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
