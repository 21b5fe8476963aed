/**
 * One statement of a tool in its environment: what every tool's statement shares (the environment's timeout and
 * size limits, the caller's session context for row-level security, the environment's statement observers) around
 * what each tool decides itself (the SQL, its values, read-only or not, the row cap).
 */
import { runQuery, type QueryResult } from '../db/run-query.js';
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';
import { sessionContextFor } from './session-context.js';

export interface ToolStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly readOnly: boolean;
  readonly maxRows: number;
}

export function runInEnvironment(environment: Environment, statement: ToolStatement, caller: { signal?: AbortSignal; identity?: Identity }): Promise<QueryResult> {
  const { config } = environment;
  return runQuery(environment.dialect, {
    ...statement,
    timeoutMs: config.statementTimeoutMs,
    maxBinaryBytes: config.maxBinaryBytes,
    maxResultBytes: config.maxResultBytes,
    signal: caller.signal,
    sessionContext: sessionContextFor(environment, caller.identity),
    observe: environment.observeStatement,
    reportRunaway: environment.reportRunaway,
  });
}
