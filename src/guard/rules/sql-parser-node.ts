/**
 * The few facts about node-sql-parser's tree that both readers of it need: the read-only gate (sql-parser-ast.ts)
 * and the shape builder (sql-parser-shape.ts). Kept apart so that neither imports the other.
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
