/**
 * PostgreSQL's estimated plan: EXPLAIN (FORMAT JSON) without ANALYZE plans the statement and does not run it (a
 * write is not run either, and a read-only transaction allows its plan). The answer is one row holding
 * `[{ "Plan": { "Node Type", "Plans": [...] } }]`.
 */
import { isPlanObject, planDetail, planJson, planNumber, type PlanNode, type QueryPlanner } from '../query-plan.js';

type PostgresPlanNode = Record<string, unknown>;

export const postgresPlanner: QueryPlanner = {
  statementFor: (sql) => `EXPLAIN (FORMAT JSON) ${sql}`,
  read(rows) {
    const raw = planJson(rows[0]?.[0]);
    const plans = Array.isArray(raw) ? raw : [];
    return {
      raw,
      nodes: plans.flatMap((entry) => (isPlanObject(entry) && isPlanObject(entry.Plan) ? [nodeOf(entry.Plan)] : [])),
    };
  },
};

function nodeOf(plan: PostgresPlanNode): PlanNode {
  const text = (key: string) => (typeof plan[key] === 'string' ? (plan[key] as string) : null);
  const keys = (key: string) => (Array.isArray(plan[key]) ? (plan[key] as unknown[]).join(', ') : null);
  const relation = text('Relation Name') ?? text('CTE Name') ?? text('Function Name');
  const alias = text('Alias');
  return {
    operation: text('Node Type') ?? 'unknown',
    relation: relation === null ? null : alias !== null && alias !== relation ? `${relation} ${alias}` : relation,
    estimatedRows: planNumber(plan['Plan Rows']),
    cost: planNumber(plan['Total Cost']),
    detail: planDetail([
      text('Index Name') && `using ${text('Index Name')}`,
      text('Join Type') && `${text('Join Type')} join`,
      text('Strategy') && `strategy ${text('Strategy')}`,
      text('Subplan Name'),
      text('Index Cond') && `index: ${text('Index Cond')}`,
      text('Hash Cond') && `hash: ${text('Hash Cond')}`,
      text('Merge Cond') && `merge: ${text('Merge Cond')}`,
      text('Join Filter') && `join filter: ${text('Join Filter')}`,
      text('Filter') && `filter: ${text('Filter')}`,
      keys('Sort Key') && `sort: ${keys('Sort Key')}`,
      keys('Group Key') && `group: ${keys('Group Key')}`,
    ]),
    children: Array.isArray(plan.Plans) ? (plan.Plans as unknown[]).filter(isPlanObject).map(nodeOf) : [],
  };
}
