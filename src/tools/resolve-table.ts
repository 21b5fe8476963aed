/**
 * Turns what a user or model typed (`orders`, `sales.orders`, `"Order Lines"`, `[dbo].[Orders]`) into a table
 * that exists in the catalog — matched case-insensitively, preferring the default schema — or a
 * TableNotFoundError that names the closest existing tables. Written once for every dialect.
 */
import type { Introspector, TableRef, TableSummary } from '../db/dialect.js';
import { InvalidInputError, TableNotFoundError } from '../errors.js';
import type { CatalogPolicy, VisibleTableDetail } from '../policy/catalog-policy.js';
import { closestMatches } from '../util/closest-matches.js';

const SUGGESTIONS = 5;

/** Splits `schema.table` into its parts, honouring "double", `back-tick` and [bracket] quoting. */
export function parseTableReference(text: string): TableRef {
  const parts: string[] = [];
  let i = 0;
  const input = text.trim();
  const closers: Record<string, string> = { '"': '"', '`': '`', '[': ']' };
  while (i < input.length) {
    const open = input[i]!;
    let part = '';
    if (open in closers) {
      const close = closers[open]!;
      i++;
      for (;;) {
        if (i >= input.length) throw invalidReference(text, `an opening ${open} is never closed`);
        if (input[i] === close) {
          if (input[i + 1] === close) {
            part += close;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += input[i++];
      }
    } else {
      while (i < input.length && input[i] !== '.') part += input[i++];
      part = part.trim();
    }
    if (part === '') throw invalidReference(text, 'a name part is empty');
    parts.push(part);
    if (i < input.length) {
      if (input[i] !== '.') throw invalidReference(text, `unexpected "${input[i]}" after a quoted name`);
      i++;
      if (i >= input.length) throw invalidReference(text, 'it ends with "."');
    }
  }
  if (parts.length === 1) return { schema: null, name: parts[0]! };
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  throw invalidReference(text, 'expected "table" or "schema.table"');
}

function invalidReference(text: string, problem: string): InvalidInputError {
  return new InvalidInputError(`"${text}" is not a table name: ${problem}.`, {
    hint: 'Pass a table as "table" or "schema.table"; quote names with spaces as "My Table".',
  });
}

export function qualifiedName(table: TableRef): string {
  return table.schema === null ? table.name : `${table.schema}.${table.name}`;
}

/**
 * The table `text` names, as the caller may see it. Under a table/column policy (`policy`), a table the caller may
 * not see is answered exactly as a table that does not exist: it is never matched, never named as ambiguous and
 * never suggested, and what the policy hides of a visible table is taken out of its description.
 */
export async function resolveTable(introspector: Introspector, text: string, policy?: CatalogPolicy | null): Promise<VisibleTableDetail> {
  const wanted = parseTableReference(text);
  const candidates = await introspector.listTables({ nameContains: wanted.name });
  const sameName = candidates.filter(
    (t) =>
      t.name.toLowerCase() === wanted.name.toLowerCase() &&
      (wanted.schema === null || (t.schema ?? '').toLowerCase() === wanted.schema.toLowerCase()),
  );
  const match = await pickMatch(introspector, wanted, policy ? await policy.visible(sameName) : sameName);
  if (match) {
    const detail = await introspector.describeTable({ schema: match.schema, name: match.name });
    const visible = detail && policy ? await policy.describe(detail) : detail;
    if (visible) return visible;
  }
  const named = await closestTables(await introspector.listTables({}), wanted, policy);
  throw new TableNotFoundError(`Table "${text}" does not exist${wanted.schema ? '' : ' in any schema'}.`, {
    hint: named.length > 0 ? `Closest existing tables: ${named.join(', ')}.` : 'Call list_tables to see the tables.',
  });
}

/**
 * Up to five tables close to the wanted one: by qualified name, then by bare name (every schema's table of a close
 * name). Hidden tables are skipped as if they were not in `all`, so the suggestions are those of a database without
 * them; visibility is checked lazily down the rankings, since checking every table could cost a query each.
 */
async function closestTables(all: readonly TableSummary[], wanted: TableRef, policy?: CatalogPolicy | null): Promise<string[]> {
  const isVisible = async (t: TableSummary) => !(await policy?.isHidden(t));
  const byQualified = new Map(all.map((t) => [qualifiedName(t), t]));
  const suggestions: string[] = [];
  for (const name of closestMatches(qualifiedName(wanted), [...byQualified.keys()], all.length)) {
    if (suggestions.length === SUGGESTIONS) break;
    if (await isVisible(byQualified.get(name)!)) suggestions.push(name);
  }
  // closestMatches ranks each table's name once; its top five entries bring every table of their names along.
  const alsoByName: string[] = [];
  let entries = 0;
  for (const name of new Set(closestMatches(wanted.name, all.map((t) => t.name), all.length))) {
    if (entries >= SUGGESTIONS) break;
    const visible: TableSummary[] = [];
    for (const t of all) if (t.name === name && (await isVisible(t))) visible.push(t);
    entries += visible.length;
    alsoByName.push(...visible.map(qualifiedName));
  }
  return [...new Set([...suggestions, ...alsoByName])].slice(0, SUGGESTIONS);
}

/** Exact-case wins; then the default schema; an unqualified name found in several other schemas is ambiguous. */
async function pickMatch(introspector: Introspector, wanted: TableRef, matches: TableSummary[]): Promise<TableSummary | null> {
  if (matches.length <= 1) return matches[0] ?? null;
  const exact = matches.filter((t) => t.name === wanted.name && (wanted.schema === null || t.schema === wanted.schema));
  if (exact.length === 1) return exact[0]!;
  if (wanted.schema === null) {
    const defaultSchema = await introspector.defaultSchema();
    const inDefault = (exact.length > 0 ? exact : matches).filter((t) => t.schema === defaultSchema);
    if (inDefault.length === 1) return inDefault[0]!;
  }
  throw new InvalidInputError(`"${qualifiedName(wanted)}" matches several tables: ${matches.map(qualifiedName).join(', ')}.`, {
    hint: 'Name the schema as "schema.table".',
  });
}
