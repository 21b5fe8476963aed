/**
 * SQLite's plan: EXPLAIN QUERY PLAN prepares the statement and describes it without running it, one row per step
 * (id, parent, notused, detail), `parent` naming the step it belongs to (0: the top). The detail is SQLite's own
 * sentence ("SEARCH sales USING INTEGER PRIMARY KEY (rowid<?)"): its first word is the operation, and for SCAN and
 * SEARCH the next is the table. SQLite estimates neither rows nor cost here.
 */
import { planDetail, type PlanNode, type QueryPlanner } from '../query-plan.js';

interface Step {
  readonly id: number;
  readonly parent: number;
  readonly detail: string;
}

export const sqlitePlanner: QueryPlanner = {
  statementFor: (sql) => `EXPLAIN QUERY PLAN ${sql}`,
  read(rows) {
    const steps: Step[] = rows.map((row) => ({ id: Number(row[0]), parent: Number(row[1]), detail: String(row[3] ?? '') }));
    const placed = new Set<number>(); // each step once, whatever the rows say: no cycle can recurse for ever
    const childrenOf = (parent: number): PlanNode[] => steps
      .filter((step) => step.parent === parent && !placed.has(step.id) && placed.add(step.id))
      .map((step) => nodeOf(step, childrenOf(step.id)));
    return {
      raw: steps.map((step) => ({ id: step.id, parent: step.parent, detail: step.detail })),
      nodes: childrenOf(0),
    };
  },
};

function nodeOf(step: Step, children: PlanNode[]): PlanNode {
  const match = /^(SCAN|SEARCH)\s+(\S+)\s*(.*)$/.exec(step.detail);
  return {
    operation: match ? match[1]! : step.detail,
    relation: match ? match[2]! : null,
    estimatedRows: null,
    cost: null,
    detail: match ? planDetail([match[3]]) : null,
    children,
  };
}
