/**
 * The SQL Server catalog as tests serve it: DESCRIBE_TABLE_SQL's tagged rows (its columns read from the statement
 * itself), the shared fixture's customers table as the catalog has it and as describe_table shows it, and a scripted
 * wire server's answers to list_tables and describe_table (tds-wire-peer.ts).
 */
import type { TableDetail } from '../../../src/db/dialect.js';
import { DESCRIBE_TABLE_SQL } from '../../../src/db/mssql/mssql-introspector.js';
import type { TdsValue, TdsWirePeer } from './tds-wire-peer.js';

/** The branches of DESCRIBE_TABLE_SQL's UNION ALL. */
export const DETAIL_BRANCHES = DESCRIBE_TABLE_SQL.split('\nUNION ALL\n');

/** A branch's columns as `CAST(… AS type) AS [name]` declares them. */
export function castColumns(branch: string): { name: string; type: string }[] {
  return [...branch.matchAll(/ AS ([a-z]+(?:\(\w+\))?)\) AS \[(\w+)\]/g)].map((m) => ({ name: m[2]!, type: m[1]! }));
}

/** The columns of every row of DESCRIBE_TABLE_SQL. */
export const DETAIL_COLUMNS = castColumns(DETAIL_BRANCHES[0]!);

/** A row of DESCRIBE_TABLE_SQL: its part's values, NULL in every other column, as the statement sends it. */
export function tagged(part: string, values: Record<string, unknown>): Record<string, unknown> {
  return { ...Object.fromEntries(DETAIL_COLUMNS.map((c) => [c.name, null])), ...values, part };
}

/** The fixture's customers table as the catalog describes it, and as describe_table shows it. */
export const CUSTOMERS = (() => {
  const column = (name: string, type: string, maxLength: number, isNullable: boolean, defaultDefinition: string | null = null) => ({
    column_name: name, type_name: type, is_user_defined: false, base_type_name: type, max_length: maxLength,
    precision: type === 'int' ? 10 : type === 'datetime2' ? 19 : 0, scale: 0, is_nullable: isNullable, default_definition: defaultDefinition,
  });
  return {
    found: { object_id: 901578250, schema_name: 'dbo', table_name: 'customers', kind: 'table' },
    columns: [
      column('id', 'int', 4, false),
      column('name', 'nvarchar', 200, false),
      column('email', 'nvarchar', 510, true),
      column('state', 'nchar', 4, false, "(N'CA')"),
      column('created_at', 'datetime2', 6, false),
    ],
    indexes: [
      { index_name: 'PK__customer__3213E83F', is_unique: true, is_primary_key: true, column_name: 'id' },
      { index_name: 'UQ__customer__AB6E6164', is_unique: true, is_primary_key: false, column_name: 'email' },
    ],
    foreignKeys: [
      { fk_id: 933578364, fk_name: 'FK__orders__customer__2B3F6F97', is_outgoing: 0, is_incoming: 1, from_schema: 'dbo', from_table: 'orders', from_column: 'customer_id', to_schema: 'dbo', to_table: 'customers', to_column: 'id' },
    ],
  };
})();

export const CUSTOMERS_DETAIL: TableDetail = {
  schema: 'dbo',
  name: 'customers',
  kind: 'table',
  columns: [
    { name: 'id', type: 'int', nullable: false, default: null, maxLength: null },
    { name: 'name', type: 'nvarchar(100)', nullable: false, default: null, maxLength: 100 },
    { name: 'email', type: 'nvarchar(255)', nullable: true, default: null, maxLength: 255 },
    { name: 'state', type: 'nchar(2)', nullable: false, default: "(N'CA')", maxLength: 2 },
    { name: 'created_at', type: 'datetime2(0)', nullable: false, default: null, maxLength: null },
  ],
  primaryKey: ['id'],
  foreignKeys: [],
  referencedBy: [
    {
      name: 'FK__orders__customer__2B3F6F97',
      columns: ['customer_id'],
      fromTable: { schema: 'dbo', name: 'orders' },
      toTable: { schema: 'dbo', name: 'customers' },
      toColumns: ['id'],
    },
  ],
  indexes: [
    { name: 'PK__customer__3213E83F', columns: ['id'], unique: true, primary: true },
    { name: 'UQ__customer__AB6E6164', columns: ['email'], unique: true, primary: false },
  ],
};

/** CUSTOMERS as DESCRIBE_TABLE_SQL returns it: ORDER BY part puts column, fk, index, table. */
export const CUSTOMERS_ROWS = [
  ...CUSTOMERS.columns.map((row) => tagged('column', row)),
  ...CUSTOMERS.foreignKeys.map((row) => tagged('fk', row)),
  ...CUSTOMERS.indexes.map((row) => tagged('index', row)),
  tagged('table', CUSTOMERS.found),
];

/** A listed object as LIST_TABLES_SQL returns it (rows: the estimate column as sent). */
export interface ListedObject {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  rows: number | null;
}

/** Answers LIST_TABLES_SQL and DESCRIBE_TABLE_SQL on `peer` with what the functions return at the time. */
export function serveCatalog(peer: TdsWirePeer, catalog: { listed: () => readonly ListedObject[]; detailRows: () => readonly Record<string, unknown>[] }): void {
  peer
    .answer(/FROM sys\.partitions/, async (reply) => {
      await reply.columns(
        { name: 'schema_name', type: 'nvarchar(max)' },
        { name: 'table_name', type: 'nvarchar(max)' },
        { name: 'kind', type: 'nvarchar(max)' },
        { name: 'estimated_rows', type: 'int' },
      );
      for (const t of catalog.listed()) await reply.row(t.schema, t.name, t.kind, t.rows);
    })
    .answer(/^WITH target AS/, async (reply) => {
      const rows = catalog.detailRows();
      // The peer speaks int and nvarchar(max) only: bits go as 0/1 ints, which the shapers take as tedious's booleans.
      await reply.columns(...DETAIL_COLUMNS.map((c) => ({ name: c.name, type: /^(int|bit)$/.test(c.type) ? 'int' as const : 'nvarchar(max)' as const })));
      for (const row of rows) await reply.row(...DETAIL_COLUMNS.map((c) => toWire(row[c.name])));
    });
}

function toWire(value: unknown): TdsValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : (value as TdsValue);
}
