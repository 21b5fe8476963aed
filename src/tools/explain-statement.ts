/**
 * execute_sql with `explain: true`: the statement's estimated plan, without running it. The statement passes the
 * same gate and table/column policy as if it were run (a read-only environment plans only reads), except that no
 * confirmation is asked for: nothing is changed. The plan statement itself is sqlgate's (postgres-plan.ts and
 * its siblings) around the statement the gate allowed; none of them runs it (never ANALYZE). A read's plan is asked
 * for read-only; a write's only where the gate let the write itself run, and not read-only: MariaDB and SQLite
 * refuse to plan a write in a read-only transaction or connection.
 */
import { flattenPlan, renderPlanLine } from '../db/query-plan.js';
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';
import { InvalidInputError } from '../errors.js';
import { fencedData } from './render-result.js';
import { runInEnvironment } from './run-in-environment.js';
import { authorizeStatement } from './statement-policy.js';

/** A plan has a few dozen steps; this bounds a pathological one (SQLite answers one row per step). */
const MAX_PLAN_STEPS = 10_000;

const PLAN_COLUMNS = [
  { name: 'depth', type: 'integer' },
  { name: 'operation', type: 'text' },
  { name: 'relation', type: 'text' },
  { name: 'estimated_rows', type: 'number' },
  { name: 'cost', type: 'number' },
  { name: 'detail', type: 'text' },
];

export interface ExplainRequest {
  readonly query: string;
  readonly params?: readonly (string | number | boolean | null)[];
}

export async function explainStatement(environment: Environment, input: ExplainRequest, context: { signal?: AbortSignal; identity?: Identity }) {
  const { dialect } = environment;
  const planner = dialect.planner;
  if (!planner) {
    throw new InvalidInputError(`Estimated plans are not available for ${dialect.displayName} in this version of sqlgate.`, {
      hint: 'Run the statement without explain, narrowed with WHERE and TOP, to see how it behaves.',
    });
  }
  const { kind } = await authorizeStatement(environment, input.query, undefined, context.identity, { planOnly: true });
  const result = await runInEnvironment(environment, {
    sql: planner.statementFor(input.query),
    params: input.params ?? [],
    readOnly: kind === 'read',
    maxRows: MAX_PLAN_STEPS,
  }, context);
  const plan = planner.read(result.rows);
  const steps = flattenPlan(plan.nodes);
  const rows = steps.map(({ depth, node }) => [depth, node.operation, node.relation, node.estimatedRows, node.cost, node.detail]);
  const summary = `Estimated plan, not run: ${steps.length} step${steps.length === 1 ? '' : 's'} · ${result.elapsedMs} ms (${dialect.displayName}'s own estimates; the raw plan is in structured content)`;
  return {
    structured: {
      columns: PLAN_COLUMNS,
      rows,
      row_count: rows.length,
      truncated: result.truncated,
      rows_affected: null,
      elapsed_ms: result.elapsedMs,
      plan: plan.raw,
    },
    text: [summary, ...fencedData(steps.map(({ depth, node }) => renderPlanLine(depth, node)))].join('\n'),
  };
}
