/**
 * MySQL's and MariaDB's estimated plan: EXPLAIN FORMAT=JSON (without ANALYZE: nothing runs) answers one row holding
 * `{ "query_block": { … } }`. The two servers nest it differently (MySQL: ordering_operation, grouping_operation,
 * nested_loop, cost_info; MariaDB: filesort, temporary_table, block-nl-join, rows), so it is read generically:
 * every `table` is a step that reads a table, every other object that holds a `table` or an operation below it is
 * a step named after its key, and arrays (nested_loop) are siblings.
 */
import { isPlanObject, planDetail, planJson, planNumber, type PlanNode, type QueryPlanner } from '../query-plan.js';
import type { JsonValue } from '../serialize-value.js';

type JsonObject = { [key: string]: JsonValue };

export const mysqlPlanner: QueryPlanner = {
  statementFor: (sql) => `EXPLAIN FORMAT=JSON ${sql}`,
  read(rows) {
    const raw = planJson(rows[0]?.[0]);
    return { raw, nodes: isPlanObject(raw) ? stepsIn(raw) : [] };
  },
};

/** Keys whose objects hold details of the step they are in, not steps of their own. */
const DETAIL_KEYS = new Set(['cost_info', 'used_columns', 'possible_keys', 'used_key_parts', 'r_loops', 'r_total_time_ms']);

function stepsIn(value: JsonObject): PlanNode[] {
  const steps: PlanNode[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (DETAIL_KEYS.has(key)) continue;
    if (Array.isArray(child)) {
      for (const item of child) if (isPlanObject(item)) steps.push(...(key === 'nested_loop' ? stepsIn(item) : [operationStep(key, item)]));
    } else if (isPlanObject(child)) {
      steps.push(key === 'table' ? tableStep(child) : operationStep(key, child));
    }
  }
  return steps;
}

function tableStep(table: JsonObject): PlanNode {
  const text = (key: string) => (typeof table[key] === 'string' ? (table[key] as string) : null);
  const cost = isPlanObject(table.cost_info) ? planNumber(table.cost_info.prefix_cost ?? table.cost_info.read_cost) : null;
  return {
    operation: text('access_type') ?? 'table',
    relation: text('table_name'),
    estimatedRows: planNumber(table.rows ?? table.rows_produced_per_join ?? table.rows_examined_per_scan),
    cost,
    detail: planDetail([
      text('key') && `key ${text('key')}`,
      text('using_index') && 'covering index',
      text('attached_condition') && `condition: ${text('attached_condition')}`,
    ]),
    children: stepsIn(Object.fromEntries(Object.entries(table).filter(([key]) => key !== 'cost_info'))),
  };
}

function operationStep(key: string, body: JsonObject): PlanNode {
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : null);
  const cost = isPlanObject(body.cost_info) ? planNumber(body.cost_info.query_cost ?? body.cost_info.sort_cost) : planNumber(body.cost);
  return {
    operation: key === 'query_block' && body.select_id !== undefined ? `query block #${String(body.select_id)}` : key.replace(/[_-]/g, ' '),
    relation: null,
    estimatedRows: null,
    cost,
    detail: planDetail([
      text('sort_key') && `sort: ${text('sort_key')}`,
      text('join_type') && `join ${text('join_type')}`,
      body.using_filesort === true && 'filesort',
      body.using_temporary_table === true && 'temporary table',
      text('attached_condition') && `condition: ${text('attached_condition')}`,
    ]),
    children: stepsIn(body),
  };
}
