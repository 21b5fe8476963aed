/**
 * describe_table: columns, keys both ways and indexes of a table or view, and of up to 19 more in the same call
 * (`also`: on a schema of thousands of tables the model asks for the few it needs at once). Under a table/column policy it shows
 * what the caller may see (policy/catalog-policy.ts): a hidden table does not exist, denied columns and the keys
 * and indexes naming them are left out, and masked columns say how their values are shown.
 */
import { z } from 'zod';
import { MASK_KINDS } from '../config/policy-schema.js';
import type { ForeignKeyInfo } from '../db/dialect.js';
import { CatalogPolicy, type VisibleTableDetail } from '../policy/catalog-policy.js';
import { readOnlyHints } from './hints.js';
import { qualifiedName, resolveTable } from './resolve-table.js';
import { defineTool } from './tool.js';

const inputSchema = z.object({
  table: z.string().min(1).max(300).describe('"table" or "schema.table"'),
  also: z.array(z.string().min(1).max(300)).max(19).optional().describe('More tables to describe'),
});

/** The most tables one call describes: `table` and 19 in `also`. */
const MAX_TABLES = 20;

const foreignKey = z.object({
  name: z.string(),
  columns: z.array(z.string()),
  table: z.string(),
  other_columns: z.array(z.string()),
});

const outputSchema = z.object({
  schema: z.string().nullable(),
  name: z.string(),
  kind: z.enum(['table', 'view']),
  columns: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      nullable: z.boolean(),
      default: z.string().nullable(),
      max_length: z.number().nullable(),
      /** Present only for a masked column: how sqlgate shows its values (get_table_sample, execute_sql). */
      masked: z.enum(MASK_KINDS).optional(),
    }),
  ),
  primary_key: z.array(z.string()),
  foreign_keys: z.array(foreignKey),
  referenced_by: z.array(foreignKey),
  indexes: z.array(z.object({ name: z.string(), columns: z.array(z.string()), unique: z.boolean(), primary: z.boolean() })),
  // The other tables asked for, each described like the first: a reference to this schema, not a copy of it, in
  // tools/list.
  get also() {
    return z.array(outputSchema).optional();
  },
});

export const describeTableTool = defineTool({
  name: 'describe_table',
  description: 'Describe a table or view: columns (type, nullable, default, max length), primary key, foreign keys both ways, indexes.',
  inputSchema,
  outputSchema,
  hints: () => readOnlyHints('Describe table'),
  async run(input, { environment, identity }) {
    const policy = CatalogPolicy.for(environment, identity);
    const introspector = environment.dialect.introspector();
    const names = [...new Set([input.table, ...(input.also ?? [])])].slice(0, MAX_TABLES);
    // One after another: each takes a catalog session, and the pool is shared with everyone's statements.
    const tables: VisibleTableDetail[] = [];
    for (const name of names) tables.push(await resolveTable(introspector, name, policy));
    const [first, ...others] = tables as [VisibleTableDetail, ...VisibleTableDetail[]];
    return {
      structured: { ...toOutput(first), ...(others.length > 0 ? { also: others.map(toOutput) } : {}) },
      text: tables.map(renderTableDescription).join('\n\n'),
    };
  },
});

function toOutput(table: VisibleTableDetail) {
  return {
    schema: table.schema,
    name: table.name,
    kind: table.kind,
    columns: table.columns.map((c) => ({
      name: c.name, type: c.type, nullable: c.nullable, default: c.default, max_length: c.maxLength,
      ...(c.masked ? { masked: c.masked } : {}),
    })),
    primary_key: [...table.primaryKey],
    foreign_keys: table.foreignKeys.map((fk) => ({ name: fk.name, columns: [...fk.columns], table: qualifiedName(fk.toTable), other_columns: [...fk.toColumns] })),
    referenced_by: table.referencedBy.map((fk) => ({ name: fk.name, columns: [...fk.toColumns], table: qualifiedName(fk.fromTable), other_columns: [...fk.columns] })),
    indexes: table.indexes.map((i) => ({ name: i.name, columns: [...i.columns], unique: i.unique, primary: i.primary })),
  };
}

/** The text describe_table gives for one table (also the text of its schema resource, mcp/schema-resources.ts). */
export function renderTableDescription(table: VisibleTableDetail): string {
  const lines = [`${table.kind} ${qualifiedName(table)}`, 'columns:'];
  for (const c of table.columns) {
    const extras = [c.nullable ? 'null' : 'not null', c.default === null ? '' : `default ${c.default}`].filter(Boolean);
    const masked = c.masked ? ` (masked: ${c.masked})` : '';
    lines.push(`  ${c.name} ${c.type}${table.primaryKey.includes(c.name) ? ' PK' : ''} (${extras.join(', ')})${masked}`);
  }
  if (table.primaryKey.length > 0) lines.push(`primary key: (${table.primaryKey.join(', ')})`);
  const fkLine = (fk: ForeignKeyInfo) => `  (${fk.columns.join(', ')}) → ${qualifiedName(fk.toTable)}(${fk.toColumns.join(', ')})`;
  if (table.foreignKeys.length > 0) lines.push('foreign keys:', ...table.foreignKeys.map(fkLine));
  if (table.referencedBy.length > 0) lines.push('referenced by:', ...table.referencedBy.map((fk) => `  ${qualifiedName(fk.fromTable)}(${fk.columns.join(', ')})`));
  if (table.indexes.length > 0) {
    lines.push('indexes:', ...table.indexes.map((i) => `  ${i.name} (${i.columns.join(', ')})${i.primary ? ' primary' : i.unique ? ' unique' : ''}`));
  }
  return lines.join('\n');
}
