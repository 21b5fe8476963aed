/**
 * A tool defined in the configuration, built for one environment at start. The definition is checked against
 * the environment's dialect there — its SQL exists for the dialect, names exactly the declared parameters, passes
 * the statement gate, and fits the environment's mode — so a bad definition stops the start with its key and the
 * fix, instead of failing on a user's first call.
 *
 * Each call then takes the same path as execute_sql: parameters bound by the driver (identifiers only from the
 * configuration or the catalog, quoted), the statement gate and policy, the environment's limits, and the same
 * result rendering; the audit line is written by mcp/ for every tool alike.
 */
import { z } from 'zod';
import type { ToolConfig, ToolParameterConfig } from '../../config/tool-schema.js';
import { applyPolicyOutcome } from '../../policy/statement-policy-check.js';
import type { Environment } from '../../environments/environment.js';
import { ConfigError, SqlgateError } from '../../errors.js';
import type { StatementVerdict } from '../../guard/statement-gate.js';
import { queryResultShape, toQueryOutput } from '../query-result-schema.js';
import { runInEnvironment } from '../run-in-environment.js';
import { authorizeStatement } from '../statement-policy.js';
import { defineTool, type ToolDefinition, type ToolHints } from '../tool.js';
import { parseSqlTemplate, renderSqlTemplate, type BoundPart, type SqlTemplate } from './sql-template.js';
import { bindParameters, inputSchemaOf, valueSchemaOf } from './tool-parameters.js';
import { renderTrendSummary, summarizeTrend, trendSummarySchema } from './trend-summary.js';

const queryOutputSchema = z.object(queryResultShape);
// Only a tool with `trend:` carries the summary: output schemas are part of every tools/list the model reads.
const trendOutputSchema = z.object({ ...queryResultShape, summary: trendSummarySchema.nullable() });

/** Builds the tool; throws ConfigError naming `environments.<env>.tools.<name>…` when the definition is wrong. */
export function buildConfigTool(tool: ToolConfig, environment: Environment): ToolDefinition {
  const { config, dialect } = environment;
  const key = `environments.${environment.name}.tools.${tool.name}`;
  const sql = tool.sql.all ?? tool.sql[dialect.name];
  if (sql === undefined) {
    throw new ConfigError(`${key}.sql has no SQL for ${dialect.displayName} (it has: ${Object.keys(tool.sql).join(', ')}).`, {
      hint: `Add sql.${dialect.name}, or give one sql: for every dialect.`,
    });
  }
  const template = parseSqlTemplate(sql, dialect.name);
  checkParameters(tool, template, key);
  const inputSchema = buildInputSchema(tool.parameters, key);
  const verdict = classifyTemplate(tool, template, environment, key);
  if (tool.maxRows !== undefined && tool.maxRows > config.maxRows) {
    throw new ConfigError(`${key}.max_rows (${tool.maxRows}) is above the environment's max_rows (${config.maxRows}).`, {
      hint: `Lower it to at most ${config.maxRows}, or raise environments.${environment.name}.max_rows.`,
    });
  }
  const maxRows = tool.maxRows ?? config.maxRows;
  const hints: ToolHints = {
    title: tool.title ?? titleOf(tool.name),
    readOnlyHint: verdict.kind === 'read',
    destructiveHint: verdict.kind !== 'read',
    idempotentHint: verdict.kind === 'read',
    openWorldHint: false,
  };

  return defineTool({
    name: tool.name,
    description: tool.description,
    inputSchema,
    outputSchema: tool.trend ? trendOutputSchema : queryOutputSchema,
    showsRows: true,
    hints: () => hints,
    async run(input, { signal, confirm, identity, recordStatement, beforeChange }) {
      const bound = await bindParameters(tool.parameters, input, dialect, key);
      const statement = renderSqlTemplate(template, bound, (position) => dialect.placeholder(position));
      recordStatement?.(statement.sql);
      // The same gate and policy as execute_sql: the identifiers chosen for this call are in the text it sees.
      const checked = await authorizeStatement(environment, statement.sql, confirm, identity);
      if (checked.kind !== 'read') await beforeChange?.();
      const result = await runInEnvironment(environment, {
        sql: statement.sql,
        params: statement.params,
        readOnly: config.readOnly || checked.kind === 'read' || (identity !== undefined && !identity.canWrite),
        maxRows,
      }, { signal, identity });
      applyPolicyOutcome(checked.policy, result);
      if (!tool.trend) return toQueryOutput(result, environment, maxRows);
      const summary = summarizeTrend(result.columns, result.rows, tool.trend);
      const notes = summary && result.truncated ? [`The summary covers the first ${maxRows} rows only; narrow the dates for all of them.`] : [];
      const output = toQueryOutput(result, environment, maxRows, notes);
      return {
        ...output,
        structured: { ...output.structured, summary },
        text: summary ? `${renderTrendSummary(summary, tool.trend.valueColumn)}\n\n${output.text}` : output.text,
      };
    },
  });
}

/** The SQL names exactly the declared parameters, and a column parameter's `table` is a table or its parameter. */
function checkParameters(tool: ToolConfig, template: SqlTemplate, key: string): void {
  const declared = new Set(tool.parameters.map((p) => p.name));
  const unknown = template.parameters.filter((name) => !declared.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(`${key}.sql uses ${unknown.map((n) => `:${n}`).join(', ')}, which ${key}.parameters does not declare.`, {
      hint: `Declare ${unknown.length > 1 ? 'them' : 'it'} under parameters (with type and description). A colon that is not a parameter needs a space after it (a[1 : n]).`,
    });
  }
  const unused = tool.parameters.filter((p) => !template.parameters.includes(p.name));
  if (unused.length > 0) {
    throw new ConfigError(`${key}.parameters declares ${unused.map((p) => `"${p.name}"`).join(', ')}, which the sql never uses.`, {
      hint: `Write :${unused[0]!.name} where the value belongs, or remove the parameter.`,
    });
  }
  for (const parameter of tool.parameters) {
    if (parameter.type !== 'identifier' || parameter.catalog !== 'column') continue;
    const source = tool.parameters.find((p) => p.name === parameter.table);
    if (source && !(source.type === 'identifier' && (source.catalog === 'table' || source.values))) {
      throw new ConfigError(`${key}.parameters.${parameter.name}.table names the parameter "${source.name}", which is not a table.`, {
        hint: `Make "${source.name}" an identifier with catalog: table (or values: [tables]), or name a table.`,
      });
    }
  }
}

/** The input schema; each default is checked against its own parameter's type. */
function buildInputSchema(parameters: readonly ToolParameterConfig[], key: string): z.ZodObject {
  for (const parameter of parameters) {
    const where = `${key}.parameters.${parameter.name}`;
    let schema: z.ZodType;
    try {
      schema = valueSchemaOf(parameter);
    } catch (err) {
      throw new ConfigError(`${where}.pattern is not a valid regular expression: ${(err as Error).message}.`);
    }
    if (parameter.default === undefined) continue;
    if (parameter.type === 'identifier' && parameter.catalog) {
      throw new ConfigError(`${where}.default: a name the catalog must confirm cannot have a default.`, {
        hint: 'Use values: [names] with a default, or make the parameter required.',
      });
    }
    const checked = schema.safeParse(parameter.default);
    if (!checked.success) {
      throw new ConfigError(`${where}.default (${JSON.stringify(parameter.default)}) is not a valid ${parameter.type}: ${checked.error.issues[0]?.message ?? 'wrong value'}.`);
    }
  }
  return inputSchemaOf(parameters);
}

/**
 * The statement gate's verdict on the SQL, with sample names in place of identifiers and markers in place of
 * values: what the annotations say, and whether the environment's mode allows the tool at all.
 */
function classifyTemplate(tool: ToolConfig, template: SqlTemplate, environment: Environment, key: string): StatementVerdict {
  const { config, dialect } = environment;
  const samples = new Map<string, BoundPart>(tool.parameters.map((p) => [p.name, sampleOf(p, (name) => dialect.quoteIdentifier(name))]));
  const { sql } = renderSqlTemplate(template, samples, (position) => dialect.placeholder(position));
  let verdict: StatementVerdict;
  try {
    verdict = environment.rules.classify(sql, { allowedFunctions: config.allowedFunctions });
  } catch (err) {
    const reason = err instanceof SqlgateError ? err.publicText : 'it could not be checked';
    throw new ConfigError(`${key}.sql is refused by the statement gate: ${reason}`, { hint: `Fix the SQL, then check it with: sqlgate tools test ${tool.name} --env ${environment.name}` });
  }
  if (config.readOnly && verdict.kind !== 'read') {
    throw new ConfigError(`${key}.sql would ${verdict.kind === 'ddl' ? 'change the schema' : 'change data'}, but environment "${environment.name}" is read-only.`, {
      hint: 'A tool in a read-only environment can only read: make it a SELECT, or move it to a writable environment.',
    });
  }
  if (verdict.kind === 'ddl' && !config.allowDdl) {
    throw new ConfigError(`${key}.sql changes the schema, which environment "${environment.name}" does not allow (allow_ddl: false).`);
  }
  return verdict;
}

function sampleOf(parameter: ToolParameterConfig, quote: (name: string) => string): BoundPart {
  if (parameter.type === 'identifier') return { kind: 'identifier', sql: quote(parameter.values?.[0] ?? 'sqlgate_sample') };
  if (parameter.type === 'list') return { kind: 'list', values: [null] };
  return { kind: 'value', value: null };
}

/** `revenue_by_category` → "Revenue by category". */
function titleOf(name: string): string {
  const words = name.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
