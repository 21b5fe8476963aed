/**
 * The SQL Server catalog queries and how their rows become Introspector types. The rows are written the way
 * SQL Server returns them for the shared fixture (tests/support/fixture/mssql.ts); against a real server the
 * contract suite checks the same through the tools.
 */
import { describe, expect, it } from 'vitest';
import type { Cursor, Dialect, Session } from '../../../src/db/dialect.js';
import {
  COLUMNS_SQL,
  DEFAULT_SCHEMA_SQL,
  FIND_TABLE_SQL,
  FOREIGN_KEYS_SQL,
  INDEXES_SQL,
  LIST_TABLES_SQL,
  MssqlIntrospector,
  columnMaxLength,
  formatColumnType,
  toColumnInfo,
  toTableDetail,
  toTableSummary,
} from '../../../src/db/mssql/mssql-introspector.js';

const ALL_SQL = { LIST_TABLES_SQL, FIND_TABLE_SQL, COLUMNS_SQL, INDEXES_SQL, FOREIGN_KEYS_SQL, DEFAULT_SCHEMA_SQL };

describe('catalog SQL', () => {
  it.each(Object.entries(ALL_SQL))('%s is one statement over sys catalog views, values only as @p parameters', (_, sql) => {
    expect(sql).not.toContain(';');
    expect(sql).not.toContain('${');
    expect(sql).not.toMatch(/INFORMATION_SCHEMA\.|dm_db_partition_stats/i);
    // The only literals are fixed words of our own, never a value.
    const literals = [...sql.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    for (const literal of literals) expect(['table', 'view', 'sys', 'INFORMATION_SCHEMA']).toContain(literal);
  });

  it('lists only user tables and views, without system schemas, with estimates from heap or clustered index', () => {
    expect(LIST_TABLES_SQL).toContain('FROM sys.tables');
    expect(LIST_TABLES_SQL).toContain('FROM sys.views');
    expect(LIST_TABLES_SQL.match(/is_ms_shipped = 0/g)).toHaveLength(2);
    expect(LIST_TABLES_SQL).toContain("s.name NOT IN ('sys', 'INFORMATION_SCHEMA')");
    expect(LIST_TABLES_SQL).toContain('sys.partitions p WHERE p.object_id = o.object_id AND p.index_id IN (0, 1)');
    expect(LIST_TABLES_SQL).toMatch(/@p1 IS NULL OR s\.name = @p1/);
    expect(LIST_TABLES_SQL).toMatch(/CHARINDEX\(LOWER\(@p2\), LOWER\(o\.name\)\)/);
    expect(LIST_TABLES_SQL).toMatch(/ORDER BY s\.name, o\.name$/);
  });

  it('finds a table in the login\'s default schema when none is named', () => {
    expect(FIND_TABLE_SQL).toContain('COALESCE(@p1, SCHEMA_NAME())');
    expect(DEFAULT_SCHEMA_SQL).toBe('SELECT SCHEMA_NAME() AS schema_name');
  });

  it('reads columns, defaults, key columns and foreign keys of one object id', () => {
    expect(COLUMNS_SQL).toContain('sys.default_constraints');
    expect(COLUMNS_SQL).toContain('ORDER BY c.column_id');
    expect(INDEXES_SQL).toContain('ic.is_included_column = 0');
    expect(INDEXES_SQL).toContain('ORDER BY i.index_id, ic.key_ordinal');
    expect(FOREIGN_KEYS_SQL).toContain('fk.parent_object_id = @p1 OR fk.referenced_object_id = @p1');
    expect(FOREIGN_KEYS_SQL).toContain('fkc.constraint_column_id');
  });
});

describe('row shaping', () => {
  it('writes types as in DDL, n-types in characters', () => {
    expect(formatColumnType('nvarchar', 200, 0, 0)).toBe('nvarchar(100)');
    expect(formatColumnType('nvarchar', -1, 0, 0)).toBe('nvarchar(max)');
    expect(formatColumnType('varchar', -1, 0, 0)).toBe('varchar(max)');
    expect(formatColumnType('varchar', 20, 0, 0)).toBe('varchar(20)');
    expect(formatColumnType('nchar', 4, 0, 0)).toBe('nchar(2)');
    expect(formatColumnType('varbinary', -1, 0, 0)).toBe('varbinary(max)');
    expect(formatColumnType('binary', 16, 0, 0)).toBe('binary(16)');
    expect(formatColumnType('decimal', 9, 12, 2)).toBe('decimal(12,2)');
    expect(formatColumnType('numeric', 17, 38, 0)).toBe('numeric(38,0)');
    expect(formatColumnType('datetime2', 8, 27, 6)).toBe('datetime2(6)');
    expect(formatColumnType('datetimeoffset', 10, 34, 7)).toBe('datetimeoffset(7)');
    expect(formatColumnType('time', 5, 16, 7)).toBe('time(7)');
    for (const plain of ['int', 'bigint', 'bit', 'float', 'real', 'money', 'date', 'datetime', 'uniqueidentifier', 'xml', 'ntext']) {
      expect(formatColumnType(plain, 8, 0, 0)).toBe(plain);
    }
  });

  it('gives max length in characters for text, bytes for binary, null for max and the rest', () => {
    expect(columnMaxLength('nvarchar', 510)).toBe(255);
    expect(columnMaxLength('varchar', 20)).toBe(20);
    expect(columnMaxLength('varbinary', 16)).toBe(16);
    expect(columnMaxLength('nvarchar', -1)).toBeNull();
    expect(columnMaxLength('int', 4)).toBeNull();
    expect(columnMaxLength('ntext', 16)).toBeNull();
  });

  it('shows an alias type by its name and sysname by its own, with the base type\'s length', () => {
    const alias = toColumnInfo({ column_name: 'phone', type_name: 'Phone', is_user_defined: true, base_type_name: 'nvarchar', max_length: 40, precision: 0, scale: 0, is_nullable: true, default_definition: null });
    expect(alias).toEqual({ name: 'phone', type: 'phone', nullable: true, default: null, maxLength: 20 });
    const sysname = toColumnInfo({ column_name: 'n', type_name: 'sysname', is_user_defined: false, base_type_name: 'nvarchar', max_length: 256, precision: 0, scale: 0, is_nullable: false, default_definition: null });
    expect(sysname).toMatchObject({ type: 'sysname', maxLength: 128 });
  });

  it('shapes the fixture\'s customers table, keys both ways included', () => {
    const found = { object_id: 901578250, schema_name: 'dbo', table_name: 'customers', kind: 'table' };
    const column = (name: string, type: string, maxLength: number, isNullable: boolean, defaultDefinition: string | null = null) => ({
      column_name: name, type_name: type, is_user_defined: false, base_type_name: type, max_length: maxLength,
      precision: type === 'int' ? 10 : type === 'datetime2' ? 19 : 0, scale: 0, is_nullable: isNullable, default_definition: defaultDefinition,
    });
    const columns = [
      column('id', 'int', 4, false),
      column('name', 'nvarchar', 200, false),
      column('email', 'nvarchar', 510, true),
      column('state', 'nchar', 4, false, "(N'CA')"),
      column('created_at', 'datetime2', 6, false),
    ];
    const indexes = [
      { index_name: 'PK__customer__3213E83F', is_unique: true, is_primary_key: true, column_name: 'id' },
      { index_name: 'UQ__customer__AB6E6164', is_unique: true, is_primary_key: false, column_name: 'email' },
    ];
    const foreignKeys = [
      { fk_id: 933578364, fk_name: 'FK__orders__customer__2B3F6F97', is_outgoing: 0, is_incoming: 1, from_schema: 'dbo', from_table: 'orders', from_column: 'customer_id', to_schema: 'dbo', to_table: 'customers', to_column: 'id' },
    ];
    const detail = toTableDetail(found, columns, indexes, foreignKeys);
    expect(detail).toEqual({
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
    });
  });

  it('keeps multi-column keys in order, tells same-named keys apart, and lists a self-reference both ways', () => {
    const fk = (id: number, name: string, outgoing: number, incoming: number, from: string, to: string, fromTable = 'lines', toTable = 'parts') => ({
      fk_id: id, fk_name: name, is_outgoing: outgoing, is_incoming: incoming,
      from_schema: 'dbo', from_table: fromTable, from_column: from, to_schema: 'dbo', to_table: toTable, to_column: to,
    });
    const { foreignKeys, referencedBy, primaryKey } = toTableDetail({ schema_name: 'dbo', table_name: 'lines', kind: 'table' }, [], [
      { index_name: 'pk_lines', is_unique: true, is_primary_key: true, column_name: 'order_id' },
      { index_name: 'pk_lines', is_unique: true, is_primary_key: true, column_name: 'line_no' },
    ], [
      fk(1, 'fk_part', 1, 0, 'part_id', 'id'),
      fk(1, 'fk_part', 1, 0, 'part_rev', 'rev'),
      fk(2, 'fk_parent', 1, 1, 'parent_line', 'line_no', 'lines', 'lines'),
      fk(3, 'fk_part', 0, 1, 'line_no', 'line_no', 'audit', 'lines'),
    ]);
    expect(primaryKey).toEqual(['order_id', 'line_no']);
    expect(foreignKeys.map((k) => [k.name, k.columns, k.toColumns])).toEqual([
      ['fk_part', ['part_id', 'part_rev'], ['id', 'rev']],
      ['fk_parent', ['parent_line'], ['line_no']],
    ]);
    expect(referencedBy.map((k) => [k.name, k.fromTable.name, k.columns])).toEqual([
      ['fk_parent', 'lines', ['parent_line']],
      ['fk_part', 'audit', ['line_no']],
    ]);
  });

  it('shapes list rows, with a view\'s estimate null and a bigint estimate as a number', () => {
    expect(toTableSummary({ schema_name: 'dbo', table_name: 'numbers', kind: 'table', estimated_rows: 2500n })).toEqual({
      schema: 'dbo', name: 'numbers', kind: 'table', estimatedRows: 2500,
    });
    expect(toTableSummary({ schema_name: 'dbo', table_name: 'customer_totals', kind: 'view', estimated_rows: null }).estimatedRows).toBeNull();
  });
});

describe('MssqlIntrospector', () => {
  /** A dialect whose sessions answer each catalog query with rows written here, recording what was asked. */
  function scriptedDialect(answers: Map<string, Record<string, unknown>[]>) {
    const calls: { sql: string; params: readonly unknown[] }[] = [];
    const session: Session = {
      execute(sql, params): Cursor {
        calls.push({ sql, params });
        const rows = answers.get(sql) ?? [];
        const columns = Object.keys(rows[0] ?? { none: null }).map((name) => ({ name, type: 'nvarchar' }));
        return {
          read: async () => ({ columns, rows: rows.map((row) => columns.map((c) => row[c.name])), done: true, rowsAffected: null }),
          close: async () => undefined,
        };
      },
      cancel: async () => undefined,
      finish: async () => undefined,
      terminate: async () => undefined,
      destroy: () => undefined,
      isRunningInDatabase: async () => false,
    };
    const dialect = { session: async () => session, toError: (err: unknown) => err } as unknown as Dialect;
    return { dialect, calls };
  }

  it('passes the filter as @p1 schema and @p2 name part', async () => {
    const { dialect, calls } = scriptedDialect(new Map([[LIST_TABLES_SQL, [{ schema_name: 'dbo', table_name: 'orders', kind: 'table', estimated_rows: 5n }]]]));
    const tables = await new MssqlIntrospector(dialect).listTables({ nameContains: 'ORD' });
    expect(tables).toEqual([{ schema: 'dbo', name: 'orders', kind: 'table', estimatedRows: 5 }]);
    expect(calls).toEqual([{ sql: LIST_TABLES_SQL, params: [null, 'ORD'] }]);
  });

  it('describes by object id, and answers null for a missing table without further queries', async () => {
    const { dialect, calls } = scriptedDialect(new Map([
      [FIND_TABLE_SQL, [{ object_id: 77, schema_name: 'sales', table_name: 'Order Lines', kind: 'view' }]],
    ]));
    const detail = await new MssqlIntrospector(dialect).describeTable({ schema: 'sales', name: 'Order Lines' });
    expect(detail).toMatchObject({ schema: 'sales', name: 'Order Lines', kind: 'view', columns: [], primaryKey: [] });
    expect(calls.map((c) => [c.sql, c.params])).toEqual([
      [FIND_TABLE_SQL, ['sales', 'Order Lines']],
      [COLUMNS_SQL, [77]],
      [INDEXES_SQL, [77]],
      [FOREIGN_KEYS_SQL, [77]],
    ]);
    const missing = scriptedDialect(new Map());
    expect(await new MssqlIntrospector(missing.dialect).describeTable({ schema: null, name: 'nope' })).toBeNull();
    expect(missing.calls).toEqual([{ sql: FIND_TABLE_SQL, params: [null, 'nope'] }]);
  });

  it('takes the default schema from SCHEMA_NAME()', async () => {
    const { dialect } = scriptedDialect(new Map([[DEFAULT_SCHEMA_SQL, [{ schema_name: 'dbo' }]]]));
    expect(await new MssqlIntrospector(dialect).defaultSchema()).toBe('dbo');
  });
});
