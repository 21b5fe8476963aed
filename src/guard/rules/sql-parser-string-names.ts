/**
 * Whether the tree may hold a string literal where a name goes. The grammars (and SQLite itself) accept a string as
 * an alias, a table, a qualifier or a column to write (`SELECT a 'y'`, `FROM 'users'`, `UPDATE t SET 'secret' = 1`),
 * and the parser sees every string emptied to `x…x` (sql-parser-text.ts): such a name is not the one the server
 * uses. A shape built on it would name the wrong column or table, so the statement is opaque instead.
 *
 * Strings that are values stay literal nodes. So a name spelled like an emptied string is trusted only while the
 * tree holds as many literal nodes of that spelling as the text holds strings: each string is accounted for.
 */
import { isNode } from './sql-parser-node.js';

/** Literal node types a string token becomes (double_quote_string only where "…" is a string: MySQL). */
const STRING_LITERALS = new Set([
  'single_quote_string', 'natural_string', 'var_string', 'string', 'regex_string', 'hex_string', 'full_hex_string',
  'bit_string', 'date', 'datetime', 'time', 'timestamp',
]);
/**
 * SQL Server's FOR XML PATH('row') / ROOT('r'): the grammar keeps those strings as column names, but they only name
 * elements of the output, so they count as literals.
 */
const OUTPUT_FORMAT_KEY = 'for';
/** The parser's bookkeeping: lists of every name, not names of the statement. */
const SKIPPED_KEYS = new Set(['loc', 'tableList', 'columnList']);

export function mayUseStringAsName(root: unknown, emptiedStrings: ReadonlyMap<string, number>, doubleQuotedAreNames: boolean): boolean {
  if (emptiedStrings.size === 0) return false;
  const isLiteral = (type: unknown) => typeof type === 'string' && (STRING_LITERALS.has(type) || (type === 'double_quote_string' && !doubleQuotedAreNames));
  const literals = new Map<string, number>();
  const names = new Set<string>();
  const stack: unknown[] = [root];
  const visit = (field: unknown) => {
    if (typeof field === 'object' && field !== null) stack.push(field);
    else if (typeof field === 'string' && emptiedStrings.has(field)) names.add(field);
  };
  const countLiterals = (subtree: unknown): void => {
    if (typeof subtree === 'string' && emptiedStrings.has(subtree)) literals.set(subtree, (literals.get(subtree) ?? 0) + 1);
    else if (Array.isArray(subtree)) subtree.forEach(countLiterals);
    else if (isNode(subtree)) Object.values(subtree).forEach(countLiterals);
  };
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      value.forEach(visit);
      continue;
    }
    if (!isNode(value)) continue;
    for (const [key, field] of Object.entries(value)) {
      if (SKIPPED_KEYS.has(key) || key === 'type') continue;
      if (key === OUTPUT_FORMAT_KEY && value.type === 'select') countLiterals(field);
      else if (key === 'value' && typeof field === 'string' && isLiteral(value.type)) literals.set(field, (literals.get(field) ?? 0) + 1);
      else visit(field);
    }
  }
  return [...names].some((name) => (literals.get(name) ?? 0) < emptiedStrings.get(name)!);
}
