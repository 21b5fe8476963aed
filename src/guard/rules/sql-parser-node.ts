/**
 * The few facts about node-sql-parser's tree that both readers of it need: the read-only gate (sql-parser-ast.ts)
 * and the shape builder (sql-parser-shape.ts), and the two walks the dialects' restore steps use to put back what a
 * rewrite handed the parser in another form (mysql-json-table.ts, sqlite-values.ts). Kept apart so that neither
 * reader imports the other.
 */

/** Any object of node-sql-parser's tree; its fields are checked where they are read. */
export type AstNode = { readonly [key: string]: unknown };

export function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The name parts of a function node: `{ name: { name: [{ value }], schema?: { value } } }`, or a plain string. */
export function functionName(node: AstNode): string[] {
  const name = node.name;
  if (!isNode(name)) return [String(name)];
  const parts = Array.isArray(name.name) ? name.name.map((part) => String(isNode(part) ? part.value : part)) : [];
  return isNode(name.schema) ? [String(name.schema.value), ...parts] : parts;
}

/**
 * The FROM list: an array of items, or MySQL's `FROM (t1 JOIN t2 ON …) JOIN t3 …` as `{ expr: [t1, t2], joins:
 * [t3] }`, whose parentheses change no scope: flattened like any join.
 */
export function fromItems(from: unknown): unknown[] {
  if (from == null) return [];
  if (Array.isArray(from)) return from;
  if (isNode(from) && Array.isArray(from.expr) && Array.isArray(from.joins) && from.table === undefined) return [...from.expr, ...from.joins];
  return [from];
}

/** Fields of the parser's bookkeeping (lists of every name), not part of the statement. */
const BOOKKEEPING = new Set(['loc', 'tableList', 'columnList']);

/**
 * Replaces, anywhere in the tree (the root too), each node `replace` returns a node for, and returns the root. The
 * replacement is walked in turn, so a marked node nested inside a replaced one is replaced as well. Mutates the tree,
 * which is the parser's fresh output and nobody else's.
 */
export function replaceNodes(root: AstNode, replace: (node: AstNode) => AstNode | undefined): AstNode {
  const swap = (value: unknown): unknown => (isNode(value) ? (replace(value) ?? value) : value);
  const top = swap(root) as AstNode;
  const stack: unknown[] = [top];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push((value[i] = swap(value[i])));
    } else if (isNode(value)) {
      const fields = value as { [key: string]: unknown };
      for (const key of Object.keys(fields)) {
        if (BOOKKEEPING.has(key) || typeof fields[key] !== 'object' || fields[key] === null) continue;
        stack.push((fields[key] = swap(fields[key])));
      }
    }
  }
  return top;
}

/** Whether some node of the tree satisfies `test`. */
export function someNode(root: unknown, test: (node: AstNode) => boolean): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (isNode(value)) {
      if (test(value)) return true;
      for (const [key, child] of Object.entries(value)) if (!BOOKKEEPING.has(key) && typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return false;
}
