/**
 * A configured tool's parameters: the input schema the model sees (types, bounds, descriptions), and the parts
 * the SQL gets — a bound value, one bound value per list item, or an identifier that the configuration lists or
 * the catalog confirms, quoted by the dialect.
 */
import { z } from 'zod';
import type { ToolParameterConfig } from '../../config/tool-schema.js';
import type { Dialect, Introspector, TableDetail, TableRef } from '../../db/dialect.js';
import { ConfigError, InvalidInputError, TableNotFoundError } from '../../errors.js';
import { closestMatches } from '../../util/closest-matches.js';
import { resolveTable } from '../resolve-table.js';
import type { BoundPart } from './sql-template.js';

type IdentifierParameter = Extract<ToolParameterConfig, { type: 'identifier' }>;

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
 * ISO 8601 as the engines compare it: UTC `YYYY-MM-DD HH:MM:SS[.ffffff]`. A time with an offset is moved to UTC;
 * one without is taken as UTC already. The fraction is kept as written (offsets are whole minutes, so it never
 * changes), since Date would cut microseconds to milliseconds.
 */
export function toUtcTimestamp(iso: string): string {
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  const fraction = /T?\d{2}:\d{2}:\d{2}(\.\d+)/i.exec(iso)?.[1] ?? '';
  const normalized = iso.replace(' ', 'T').replace(fraction, '');
  const date = new Date(hasOffset ? normalized : `${normalized}Z`);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}${fraction}`;
}

/**
 * The SQL part of every parameter for one call. Identifiers are checked against the configured list (exactly) or
 * the catalog (case-insensitively, answering with the closest names), and quoted; a column parameter's table is
 * resolved first, once. Values are passed through as bound values. `toolKey` names the definition
 * (`environments.<env>.tools.<name>`) in the error for a configured table that does not exist.
 */
export async function bindParameters(
  parameters: readonly ToolParameterConfig[],
  input: Readonly<Record<string, unknown>>,
  dialect: Dialect,
  toolKey: string,
): Promise<Map<string, BoundPart>> {
  const bound = new Map<string, BoundPart>();
  const tables = new Map<string, TableDetail>();
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
      const table = await columnTable(parameter, parameters, input, tables, introspector, toolKey);
      bound.set(parameter.name, { kind: 'identifier', sql: dialect.quoteIdentifier(resolveColumn(table, parameter, value)) });
    }
  }
  return bound;
}

/** The table a column parameter's `table:` names: another parameter's (already resolved) table, or a configured one. */
async function columnTable(
  parameter: IdentifierParameter,
  parameters: readonly ToolParameterConfig[],
  input: Readonly<Record<string, unknown>>,
  tables: Map<string, TableDetail>,
  introspector: Introspector,
  toolKey: string,
): Promise<TableDetail> {
  const tableName = parameter.table!;
  const resolved = tables.get(tableName);
  if (resolved) return resolved;
  const source = parameters.find((p) => p.name === tableName);
  if (source) return resolveTable(introspector, String(input[source.name]));
  try {
    const table = await resolveTable(introspector, tableName);
    tables.set(tableName, table);
    return table;
  } catch (err) {
    if (!(err instanceof TableNotFoundError)) throw err;
    // Not the caller's mistake: the definition names a table this database does not have.
    throw new ConfigError(`${toolKey}.parameters.${parameter.name}.table names "${tableName}", which is neither a parameter of the tool nor a table here.`, {
      hint: `Ask the operator to fix the tool definition. ${err.hint ?? ''}`.trim(),
    });
  }
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

/** The column as the catalog spells it, of the kind the definition asks for (`column_type`). */
function resolveColumn(table: TableDetail, parameter: IdentifierParameter, value: string): string {
  const names = table.columns.map((c) => c.name);
  const found = table.columns.find((c) => c.name === value) ?? table.columns.find((c) => c.name.toLowerCase() === value.toLowerCase());
  if (found === undefined) {
    const close = closestMatches(value, names, 5);
    throw new InvalidInputError(`${parameter.name}: ${table.name} has no column "${value.slice(0, 128)}".`, {
      hint: close.length > 0 ? `Did you mean ${close.map((n) => `"${n}"`).join(', ')}? Its columns: ${names.join(', ')}.` : `Its columns: ${names.join(', ')}.`,
    });
  }
  const wanted = parameter.columnType;
  const kind = columnKindOf(found.type);
  // A column whose type says nothing (a SQLite column declared without one) is given the benefit of the doubt.
  if (wanted !== undefined && kind !== undefined && kind !== wanted) {
    const fitting = table.columns.filter((c) => columnKindOf(c.type) === wanted).map((c) => c.name);
    throw new InvalidInputError(`${parameter.name}: ${table.name}.${found.name} is ${found.type}, not a ${wanted} column.`, {
      hint: fitting.length > 0 ? `The ${wanted} columns of ${table.name}: ${fitting.join(', ')}.` : `${table.name} has no ${wanted} column.`,
    });
  }
  return found.name;
}

/** What a declared type holds, across dialects: numbers, dates and times, or text; undefined when it does not say. */
export function columnKindOf(type: string): 'number' | 'date' | 'text' | undefined {
  const t = type.toLowerCase();
  if (/interval/.test(t)) return undefined; // a length of time: neither a moment nor a plain number
  if (/date|time|year/.test(t)) return 'date';
  if (/int|numeric|decimal|real|float|double|money|number|serial/.test(t)) return 'number';
  if (/char|text|clob|string|uuid|enum|json|xml|name|citext/.test(t)) return 'text';
  return undefined;
}
