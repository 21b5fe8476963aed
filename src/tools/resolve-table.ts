/**
 * Turns what a user or model typed (`orders`, `sales.orders`, `"Order Lines"`, `[dbo].[Orders]`) into a table
 * that exists in the catalog — matched case-insensitively, preferring the default schema — or a
 * TableNotFoundError that names the closest existing tables. Written once for every dialect.
 */
import type { Introspector, TableDetail, TableRef, TableSummary } from '../db/dialect.js';
import { InvalidInputError, TableNotFoundError } from '../errors.js';
import { closestMatches } from '../util/closest-matches.js';

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

export async function resolveTable(introspector: Introspector, text: string): Promise<TableDetail> {
  const wanted = parseTableReference(text);
  const candidates = await introspector.listTables({ nameContains: wanted.name });
  const sameName = candidates.filter(
    (t) =>
      t.name.toLowerCase() === wanted.name.toLowerCase() &&
      (wanted.schema === null || (t.schema ?? '').toLowerCase() === wanted.schema.toLowerCase()),
  );
  const match = await pickMatch(introspector, wanted, sameName);
  if (match) {
    const detail = await introspector.describeTable({ schema: match.schema, name: match.name });
    if (detail) return detail;
  }
  const all = await introspector.listTables({});
  const suggestions = closestMatches(qualifiedName(wanted), all.map(qualifiedName));
  const alsoByName = closestMatches(wanted.name, all.map((t) => t.name)).flatMap((name) =>
    all.filter((t) => t.name === name).map(qualifiedName),
  );
  const named = [...new Set([...suggestions, ...alsoByName])].slice(0, 5);
  throw new TableNotFoundError(`Table "${text}" does not exist${wanted.schema ? '' : ' in any schema'}.`, {
    hint: named.length > 0 ? `Closest existing tables: ${named.join(', ')}.` : 'Call list_tables to see the tables.',
  });
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
