/**
 * Tools defined in the configuration (`environments.<env>.tools`): curated, parameterised SQL next to the built-in
 * tools, and switches that turn a built-in off. This file checks their shape; tools/config-tools/ checks what needs
 * the database's dialect (the SQL's placeholders, the statement gate's verdict, defaults against their types) when
 * the server starts, so a bad definition stops the start with its key either way.
 */
import { z } from 'zod';
import { closestMatches } from '../util/closest-matches.js';

/** The tools every environment serves unless switched off with `tools: { <name>: false }`. */
export const BUILT_IN_TOOL_NAMES = ['list_tables', 'describe_table', 'execute_sql', 'get_table_sample'] as const;
export type BuiltInToolName = (typeof BUILT_IN_TOOL_NAMES)[number];

/** A tool name as MCP clients show it; snake_case like the built-ins. */
export const TOOL_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
/** A parameter name, written `:name` in the SQL. */
const PARAMETER_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** The dialects one tool may carry its own SQL for (`mysql` covers MariaDB). */
export const TOOL_SQL_DIALECTS = ['postgres', 'mysql', 'sqlite', 'mssql'] as const;

const description = z.string().trim().min(1, 'must say what the value is (the model reads it)').max(500);

/** What every parameter has: the model reads the description; a default makes it optional. */
const common = {
  description,
  /** Without a default a parameter is required, unless `required: false` (then it is bound as NULL when left out). */
  required: z.boolean().optional(),
  default: z.unknown().optional(),
};

const identifierParameter = z
  .strictObject({
    type: z.literal('identifier'),
    ...common,
    /** The names the caller may pick from. */
    values: z.array(z.string().min(1).max(128)).min(1).optional(),
    /** Or: any table (or column) the catalog confirms exists. */
    catalog: z.enum(['table', 'column']).optional(),
    /** With catalog: column, the table it belongs to: another parameter's name, or a table name. */
    table: z.string().min(1).max(300).optional(),
    /** With catalog: column, the kind of column it must be (judged from its declared type). */
    column_type: z.enum(['number', 'date', 'text']).optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.values === undefined) === (p.catalog === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs either values: [names the caller may pick] or catalog: table | column (names the catalog confirms)' });
    }
    if (p.catalog === 'column' && p.table === undefined) {
      ctx.addIssue({ code: 'custom', path: ['table'], message: 'is needed with catalog: column (the table parameter or table name whose columns may be picked)' });
    }
    if (p.catalog !== 'column' && p.table !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['table'], message: 'only goes with catalog: column' });
    }
    if (p.catalog !== 'column' && p.column_type !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['column_type'], message: 'only goes with catalog: column' });
    }
    // A name is written into the SQL: there is nothing to write when the caller leaves it out.
    if (p.required === false && p.default === undefined) {
      ctx.addIssue({ code: 'custom', path: ['required'], message: 'cannot be false for an identifier: the SQL needs a name (give values: and a default instead)' });
    }
  });

const parameterSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('string'),
    ...common,
    max_length: z.int().min(1).max(100_000).default(1_000),
    /** A regular expression the whole value must match. */
    pattern: z.string().min(1).max(500).optional(),
  }),
  z.strictObject({ type: z.literal('integer'), ...common, min: z.int().optional(), max: z.int().optional() }),
  z.strictObject({ type: z.literal('number'), ...common, min: z.number().optional(), max: z.number().optional() }),
  z.strictObject({ type: z.literal('boolean'), ...common }),
  /** `YYYY-MM-DD`, bound as that text. */
  z.strictObject({ type: z.literal('date'), ...common }),
  /** ISO 8601; bound as UTC `YYYY-MM-DD HH:MM:SS[.fff]`, the form every engine compares and SQLite stores. */
  z.strictObject({ type: z.literal('timestamp'), ...common }),
  z.strictObject({ type: z.literal('enum'), ...common, values: z.array(z.string().min(1).max(200)).min(1) }),
  /** Written `IN (:ids)`: one bound value per item. */
  z.strictObject({
    type: z.literal('list'),
    ...common,
    items: z.enum(['string', 'integer', 'number', 'date']),
    max_items: z.int().min(1).max(1_000).default(100),
  }),
  identifierParameter,
]);

const sqlSchema = z.union([
  z.string().trim().min(1, 'must not be empty'),
  z
    .strictObject(Object.fromEntries(TOOL_SQL_DIALECTS.map((d) => [d, z.string().trim().min(1).optional()])) as Record<(typeof TOOL_SQL_DIALECTS)[number], z.ZodOptional<z.ZodString>>)
    .refine((m) => Object.values(m).some((v) => v !== undefined), 'name the SQL for at least one dialect: postgres, mysql, sqlite or mssql'),
]);

const toolSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(100).optional(),
    description: z.string().trim().min(1, 'must say what the tool answers (the model chooses tools by it)').max(2_000),
    parameters: z.record(z.string().regex(PARAMETER_NAME_PATTERN, 'lower-case letters, digits and "_", starting with a letter (written :name in the SQL)'), parameterSchema).default({}),
    /** One SQL for every dialect, or one per dialect. */
    sql: sqlSchema,
    /** Rows returned at most; the environment's max_rows when unset, and never above it. */
    max_rows: z.int().min(1).max(100_000).optional(),
    /** Adds a summary of a daily series computed from the returned rows: trend, volatility, percentile bands. */
    trend: z.strictObject({ date_column: z.string().min(1), value_column: z.string().min(1) }).optional(),
  })
  .transform((t) => ({
    title: t.title,
    description: t.description,
    parameters: Object.entries(t.parameters).map(([name, p]) => toParameterConfig(name, p)),
    /** `all`: one SQL for every dialect; otherwise per dialect. */
    sql: (typeof t.sql === 'string' ? { all: t.sql } : t.sql) as Partial<Record<'all' | ToolSqlDialect, string>>,
    maxRows: t.max_rows,
    trend: t.trend && { dateColumn: t.trend.date_column, valueColumn: t.trend.value_column },
  }));

function toParameterConfig(name: string, p: z.output<typeof parameterSchema>) {
  const { required, default: defaultValue, description: text } = p;
  const base = { name, description: text, required: required ?? defaultValue === undefined, default: defaultValue };
  switch (p.type) {
    case 'string':
      return { ...base, type: p.type, maxLength: p.max_length, pattern: p.pattern };
    case 'integer':
    case 'number':
      return { ...base, type: p.type, min: p.min, max: p.max };
    case 'enum':
      return { ...base, type: p.type, values: p.values };
    case 'list':
      return { ...base, type: p.type, items: p.items, maxItems: p.max_items };
    case 'identifier':
      return { ...base, type: p.type, values: p.values, catalog: p.catalog, table: p.table, columnType: p.column_type };
    default:
      return { ...base, type: p.type };
  }
}

/**
 * `tools:` of one environment: `<built-in>: false|true` switches, and `<name>: { description, parameters, sql }`
 * definitions. Switches and definitions are told apart by name, so a typo in a built-in's name is an error, not a
 * silently ignored key. (A mistake inside a definition is reported at its own key: the error formatter looks into
 * the alternative of the right kind.)
 */
export const environmentToolsSchema = z
  .record(z.string(), z.union([z.boolean(), toolSchema]))
  .superRefine((tools, ctx) => {
    for (const [name, value] of Object.entries(tools)) {
      const isBuiltIn = (BUILT_IN_TOOL_NAMES as readonly string[]).includes(name);
      if (typeof value === 'boolean') {
        if (!isBuiltIn) {
          const [closest] = closestMatches(name, BUILT_IN_TOOL_NAMES);
          const guess = closest === undefined ? '' : `did you mean "${closest}"? `;
          ctx.addIssue({ code: 'custom', path: [name], message: `is not a built-in tool: ${guess}true/false only switches a built-in (${BUILT_IN_TOOL_NAMES.join(', ')}); to define "${name}", give it description, parameters and sql` });
        }
      } else if (isBuiltIn) {
        ctx.addIssue({ code: 'custom', path: [name], message: `is a built-in tool: switch it with ${name}: false, or give your tool another name` });
      } else if (!TOOL_NAME_PATTERN.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'a tool name is lower-case letters, digits and "_", starting with a letter, at most 64 characters' });
      }
    }
  })
  .transform((tools) => ({
    builtIns: Object.fromEntries(BUILT_IN_TOOL_NAMES.map((name) => [name, tools[name] !== false])) as Record<BuiltInToolName, boolean>,
    defined: Object.entries(tools).flatMap(([name, value]) => (typeof value === 'boolean' ? [] : [{ name, ...value }])),
  }));

export type EnvironmentToolsConfig = z.output<typeof environmentToolsSchema>;
export type ToolConfig = EnvironmentToolsConfig['defined'][number];
export type ToolParameterConfig = ToolConfig['parameters'][number];
export type ToolSqlDialect = (typeof TOOL_SQL_DIALECTS)[number];

/** An environment without a `tools:` key: every built-in on, nothing defined. */
export const DEFAULT_ENVIRONMENT_TOOLS: EnvironmentToolsConfig = environmentToolsSchema.parse({});
