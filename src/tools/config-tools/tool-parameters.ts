/**
 * A configured tool's parameters: the input schema the model sees (types, bounds, descriptions), and the parts
 * the SQL gets — a bound value, one bound value per list item, or an identifier that the configuration lists or
 * the catalog confirms, quoted by the dialect.
 */
import { z } from 'zod';
import type { ToolParameterConfig } from '../../config/tool-schema.js';
import type { Dialect, TableRef } from '../../db/dialect.js';
import { InvalidInputError, TableNotFoundError } from '../../errors.js';
import { closestMatches } from '../../util/closest-matches.js';
import { resolveTable } from '../resolve-table.js';
import type { BoundPart } from './sql-template.js';

/** The zod schema of one parameter's value, with its bounds and description. Throws on a bad `pattern`. */
export function valueSchemaOf(parameter: ToolParameterConfig): z.ZodType {
  const schema = baseSchemaOf(parameter);
  return schema.describe(describeParameter(parameter));
}

/** The tool's input schema: required parameters, defaults, and `required: false` ones that may be left out. */
export function inputSchemaOf(parameters: readonly ToolParameterConfig[]): z.ZodObject {
  return z.strictObject(Object.fromEntries(parameters.map((p) => {
    const schema = valueSchemaOf(p);
    if (p.default !== undefined) return [p.name, schema.default(p.default as never)];
    return [p.name, p.required ? schema : schema.optional()];
  })));
}

function baseSchemaOf(parameter: ToolParameterConfig): z.ZodType {
  switch (parameter.type) {
    case 'string': {
      let schema = z.string().max(parameter.maxLength);
      if (parameter.pattern !== undefined) {
        const pattern = new RegExp(`^(?:${parameter.pattern})$`, 'u');
        schema = schema.regex(pattern, `must match ${parameter.pattern}`);
      }
      return schema;
    }
    case 'integer':
      return withBounds(z.int(), parameter.min, parameter.max);
    case 'number':
      return withBounds(z.number(), parameter.min, parameter.max);
    case 'boolean':
      return z.boolean();
    case 'date':
      return dateSchema();
    case 'timestamp':
      // Normalised to UTC when bound (bindParameters): a transform here would not survive the JSON Schema clients see.
      return z.string()
        .regex(TIMESTAMP_PATTERN, { message: 'must be an ISO 8601 time such as 2025-03-01T14:30:00Z', abort: true })
        .refine((v) => isCalendarDate(v.slice(0, 10)) && !Number.isNaN(Date.parse(v.replace(' ', 'T'))), 'is not a real time');
    case 'enum':
      return z.enum(parameter.values as [string, ...string[]]);
    case 'list':
      return z.array(itemSchemaOf(parameter.items)).min(1).max(parameter.maxItems);
    case 'identifier':
      return parameter.values ? z.enum(parameter.values as [string, ...string[]]) : z.string().min(1).max(300);
  }
}

function itemSchemaOf(items: 'string' | 'integer' | 'number' | 'date'): z.ZodType {
  return { string: z.string().max(1_000), integer: z.int(), number: z.number(), date: dateSchema() }[items];
}

// Short patterns, with the calendar checked by refine: zod's own ISO patterns take hundreds of characters in every
// tools/list, which the model reads.
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function dateSchema(): z.ZodType {
  return z.string().regex(DATE_PATTERN, { message: 'must be a date written YYYY-MM-DD', abort: true }).refine(isCalendarDate, 'is not a real date');
}

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

function withBounds<T extends z.ZodInt | z.ZodNumber>(schema: T, min: number | undefined, max: number | undefined): T {
  let bounded = schema;
  if (min !== undefined) bounded = bounded.min(min) as T;
  if (max !== undefined) bounded = bounded.max(max) as T;
  return bounded;
}

function describeParameter(parameter: ToolParameterConfig): string {
  const extra = parameter.type === 'identifier' && parameter.catalog
    ? ` (${parameter.catalog === 'table' ? 'a table name' : `a column of ${parameter.table}`})`
    : parameter.type === 'timestamp' ? ' (ISO 8601; compared as UTC)' : parameter.type === 'list' ? ` (1 to ${parameter.maxItems} values)` : '';
  return `${parameter.description}${extra}`;
}

/**
 * ISO 8601 as the engines compare it: UTC `YYYY-MM-DD HH:MM:SS[.fff]`. A time with an offset is moved to UTC;
 * one without is taken as UTC already.
 */
export function toUtcTimestamp(iso: string): string {
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  const normalized = iso.replace(' ', 'T');
  const date = new Date(hasOffset ? normalized : `${normalized}Z`);
  const text = date.toISOString().replace('T', ' ').replace('Z', '');
  return text.endsWith('.000') ? text.slice(0, -4) : text;
}

/**
 * The SQL part of every parameter for one call. Identifiers are checked against the configured list or the
 * catalog (case-insensitively, answering with the closest names), and quoted; a column parameter's table is
 * resolved first. Values are passed through as bound values.
 */
export async function bindParameters(
  parameters: readonly ToolParameterConfig[],
  input: Readonly<Record<string, unknown>>,
  dialect: Dialect,
): Promise<Map<string, BoundPart>> {
  const bound = new Map<string, BoundPart>();
  const tables = new Map<string, TableRef>();
  const introspector = dialect.introspector();
  // Tables first: a column parameter may name a table parameter.
  const ordered = [...parameters].sort((a, b) => rank(a) - rank(b));
  for (const parameter of ordered) {
    const value = input[parameter.name];
    if (parameter.type !== 'identifier') {
      bound.set(parameter.name, boundValue(parameter, value));
      continue;
    }
    if (typeof value !== 'string') {
      throw new InvalidInputError(`${parameter.name}: a name is needed.`, { hint: parameter.description });
    }
    if (parameter.values) {
      bound.set(parameter.name, { kind: 'identifier', sql: dialect.quoteIdentifier(value) });
    } else if (parameter.catalog === 'table') {
      const table = await resolveTable(introspector, value);
      tables.set(parameter.name, table);
      bound.set(parameter.name, { kind: 'identifier', sql: quoteTable(dialect, table) });
    } else {
      // `table:` names a parameter (whose value is the table) or a table.
      const tableName = parameter.table!;
      const source = parameters.find((p) => p.name === tableName);
      const table = tables.get(tableName) ?? (await resolveTable(introspector, source ? String(input[source.name]) : tableName));
      bound.set(parameter.name, { kind: 'identifier', sql: dialect.quoteIdentifier(await resolveColumn(dialect, table, parameter.name, value)) });
    }
  }
  return bound;
}

/** A value as the driver gets it; a left-out optional parameter is NULL (a left-out list: one NULL, so IN (NULL) matches nothing). */
function boundValue(parameter: ToolParameterConfig, value: unknown): BoundPart {
  if (parameter.type === 'list') return { kind: 'list', values: Array.isArray(value) ? value : [null] };
  if (value === undefined || value === null) return { kind: 'value', value: null };
  return { kind: 'value', value: parameter.type === 'timestamp' ? toUtcTimestamp(String(value)) : value };
}

function rank(parameter: ToolParameterConfig): number {
  return parameter.type === 'identifier' && parameter.catalog === 'table' ? 0 : 1;
}

function quoteTable(dialect: Dialect, table: TableRef): string {
  const name = dialect.quoteIdentifier(table.name);
  return table.schema === null ? name : `${dialect.quoteIdentifier(table.schema)}.${name}`;
}

async function resolveColumn(dialect: Dialect, table: TableRef, parameter: string, value: string): Promise<string> {
  const detail = await dialect.introspector().describeTable(table);
  if (!detail) throw new TableNotFoundError(`The table ${table.name} no longer exists.`);
  const names = detail.columns.map((c) => c.name);
  const found = names.find((n) => n === value) ?? names.find((n) => n.toLowerCase() === value.toLowerCase());
  if (found !== undefined) return found;
  const close = closestMatches(value, names, 5);
  throw new InvalidInputError(`${parameter}: ${table.name} has no column "${value.slice(0, 128)}".`, {
    hint: close.length > 0 ? `Did you mean ${close.map((n) => `"${n}"`).join(', ')}? Its columns: ${names.join(', ')}.` : `Its columns: ${names.join(', ')}.`,
  });
}
