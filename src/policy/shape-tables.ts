/**
 * Every table source a statement shape names, wherever it is (FROM at any depth, subqueries in expressions, CTEs,
 * write targets, DDL), less the names that are CTEs where they stand. Read generically, field by field, so that a
 * field added to the shape later is still searched.
 *
 * A CTE hides a table of its name only inside the query whose WITH declares it (without RECURSIVE, only after its
 * own declaration): in `SELECT (WITH customers AS (…) SELECT …), (SELECT ssn FROM customers)` the second customers
 * is the table, and a view defined so must still be seen to reach it.
 */
import type { StatementShape, TableSourceShape } from '../guard/statement-shape.js';

export function tableSourcesOf(shape: StatementShape): TableSourceShape[] {
  const tables: TableSourceShape[] = [];
  // Each value with the CTE names (lower-case) in scope where it stands.
  const stack: [unknown, ReadonlySet<string>][] = [[shape, new Set()]];
  while (stack.length > 0) {
    const [value, ctes] = stack.pop()!;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, ctes]);
    } else if (typeof value === 'object' && value !== null) {
      const node = value as Record<string, unknown>;
      if (node.kind === 'table' && Array.isArray(node.parts)) {
        const parts = node.parts as string[];
        if (!(parts.length === 1 && ctes.has(String(parts[0]).toLowerCase()))) tables.push(node as unknown as TableSourceShape);
      }
      let inScope = ctes;
      if (Array.isArray(node.ctes)) {
        const list = node.ctes as { name?: unknown; recursive?: unknown }[];
        const names = list.map((cte) => (typeof cte.name === 'string' ? cte.name.toLowerCase() : ''));
        inScope = new Set([...ctes, ...names]);
        const isRecursive = list.some((cte) => cte.recursive === true);
        list.forEach((cte, i) => stack.push([cte, isRecursive ? inScope : new Set([...ctes, ...names.slice(0, i)])]));
      }
      for (const [key, child] of Object.entries(node)) if (key !== 'ctes') stack.push([child, inScope]);
    }
  }
  return tables;
}
