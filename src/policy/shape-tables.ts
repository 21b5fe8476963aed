/**
 * Every table source a statement shape names, wherever it is (FROM at any depth, subqueries in expressions, CTEs,
 * write targets, DDL), less the names that are CTEs of the statement. Read generically, field by field, so that a
 * field added to the shape later is still searched.
 */
import type { StatementShape, TableSourceShape } from '../guard/statement-shape.js';

export function tableSourcesOf(shape: StatementShape): TableSourceShape[] {
  const tables: TableSourceShape[] = [];
  const cteNames = new Set<string>();
  const stack: unknown[] = [shape];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...value);
    } else if (typeof value === 'object' && value !== null) {
      const node = value as Record<string, unknown>;
      if (node.kind === 'table' && Array.isArray(node.parts)) tables.push(node as unknown as TableSourceShape);
      if (Array.isArray(node.ctes)) {
        for (const cte of node.ctes as { name?: unknown }[]) if (typeof cte.name === 'string') cteNames.add(cte.name.toLowerCase());
      }
      stack.push(...Object.values(node));
    }
  }
  return tables.filter((t) => !(t.parts.length === 1 && cteNames.has(t.parts[0]!.toLowerCase())));
}
