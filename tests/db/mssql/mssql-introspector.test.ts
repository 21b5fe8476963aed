/**
 * The SQL Server catalog queries and how their rows become Introspector types. The rows are written the way
 * SQL Server returns them for the shared fixture (tests/support/fixture/mssql.ts); against a real server the
 * contract suite checks the same through the tools. The wire tests at the end run them through real tedious
 * against a scripted server (tds-wire-peer.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cursor, Dialect, Session, TableDetail } from '../../../src/db/dialect.js';
import {
  DEFAULT_SCHEMA_SQL,
  DESCRIBE_TABLE_SQL,
  LIST_TABLES_SQL,
  MssqlIntrospector,
  columnMaxLength,
  formatColumnType,
  toColumnInfo,
  toTableDetail,
  toTableDetailFromRows,
  toTableSummary,
} from '../../../src/db/mssql/mssql-introspector.js';
import type { Environment } from '../../../src/environments/environment.js';
import { GATE_SWITCHED_OFF_FOR_TESTS, openEnvironment } from '../../support/test-databases.js';
import { castColumns, CUSTOMERS, CUSTOMERS_DETAIL, CUSTOMERS_ROWS, DETAIL_BRANCHES, DETAIL_COLUMNS, serveCatalog, tagged, type ListedObject } from './catalog-fixture.js';
import { TdsWirePeer } from './tds-wire-peer.js';

const ALL_SQL = { LIST_TABLES_SQL, DESCRIBE_TABLE_SQL, DEFAULT_SCHEMA_SQL };


describe('catalog SQL', () => {
  it.each(Object.entries(ALL_SQL))('%s is one statement over sys catalog views, values only as @p parameters', (_, sql) => {
    expect(sql).not.toContain(';');
    expect(sql).not.toContain('${');
    expect(sql).not.toMatch(/INFORMATION_SCHEMA\.|dm_db_partition_stats/i);
    // The only literals are fixed words of our own, never a value.
    const literals = [...sql.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    for (const literal of literals) expect(['table', 'view', 'column', 'index', 'fk', 'sys', 'INFORMATION_SCHEMA']).toContain(literal);
  });

  it('lists only user tables and views, without system schemas, with estimates from heap or clustered index', () => {
    expect(LIST_TABLES_SQL).toContain('FROM sys.tables');
    expect(LIST_TABLES_SQL).toContain('FROM sys.views');
    expect(LIST_TABLES_SQL.match(/is_ms_shipped = 0/g)).toHaveLength(2);
    expect(LIST_TABLES_SQL).toContain("s.name NOT IN ('sys', 'INFORMATION_SCHEMA')");
    // Summed once per object in a derived table joined once, never a subquery per listed object.
    expect(LIST_TABLES_SQL.match(/sys\.partitions/g)).toHaveLength(1);
    expect(LIST_TABLES_SQL).toMatch(/FROM sys\.partitions p\s+WHERE p\.index_id IN \(0, 1\)\s+GROUP BY p\.object_id\s+\) r ON r\.object_id = o\.object_id/);
    expect(LIST_TABLES_SQL).not.toContain('p.object_id = o.object_id');
    // A partition without statistics (Babelfish: rows -1) makes the estimate unknown, never negative.
    expect(LIST_TABLES_SQL).toContain('CASE WHEN MIN(p.rows) >= 0 THEN SUM(p.rows) END AS estimated_rows');
    expect(LIST_TABLES_SQL).toMatch(/@p1 IS NULL OR s\.name = @p1/);
    expect(LIST_TABLES_SQL).toMatch(/CHARINDEX\(LOWER\(@p2\), LOWER\(o\.name\)\)/);
    expect(LIST_TABLES_SQL).toMatch(/ORDER BY s\.name, o\.name$/);
  });

  it('finds the table once, in the login\'s default schema when none is named', () => {
    expect(DESCRIBE_TABLE_SQL).toMatch(/^WITH target AS \(/);
    expect(DESCRIBE_TABLE_SQL).toContain('WHERE s.name = COALESCE(@p1, SCHEMA_NAME()) AND o.name = @p2\n)');
    expect(DESCRIBE_TABLE_SQL.match(/@p\d/g)).toEqual(['@p1', '@p2']);
    expect(DEFAULT_SCHEMA_SQL).toBe('SELECT SCHEMA_NAME() AS schema_name');
  });

  it('describes in one result set: four tagged branches with the same columns, in the same order and types', () => {
    expect(DETAIL_BRANCHES).toHaveLength(4);
    expect(DETAIL_COLUMNS.slice(0, 3)).toEqual([{ name: 'part', type: 'varchar(6)' }, { name: 'sort1', type: 'int' }, { name: 'sort2', type: 'int' }]);
    expect(DETAIL_COLUMNS).toHaveLength(29);
    for (const branch of DETAIL_BRANCHES) expect(castColumns(branch)).toEqual(DETAIL_COLUMNS);
    expect(DETAIL_BRANCHES.map((branch) => branch.match(/CAST\('(\w+)' AS varchar\(6\)\) AS \[part\]/)?.[1])).toEqual(['table', 'column', 'index', 'fk']);
    for (const branch of DETAIL_BRANCHES) expect(branch).toMatch(/\n  FROM target t/);
    expect(DESCRIBE_TABLE_SQL).toMatch(/\n ORDER BY part, sort1, sort2$/);
  });

  it('reads columns, defaults, key columns and foreign keys of the object found, each in its order', () => {
    const [, columns, indexes, foreignKeys] = DETAIL_BRANCHES as [string, string, string, string];
    expect(columns).toContain('LEFT JOIN sys.default_constraints dc ON dc.object_id = c.default_object_id');
    expect(columns).toMatch(/CAST\(c\.column_id AS int\) AS \[sort1\]/);
    expect(indexes).toContain('ic.is_included_column = 0');
    expect(indexes).toMatch(/CAST\(i\.index_id AS int\) AS \[sort1\],\s+CAST\(ic\.key_ordinal AS int\) AS \[sort2\]/);
    expect(foreignKeys).toContain('fk.parent_object_id = t.object_id OR fk.referenced_object_id = t.object_id');
    expect(foreignKeys).toMatch(/CAST\(DENSE_RANK\(\) OVER \(ORDER BY fk\.name, fk\.object_id\) AS int\) AS \[sort1\],\s+CAST\(fkc\.constraint_column_id AS int\) AS \[sort2\]/);
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
    expect(toTableDetail(CUSTOMERS.found, CUSTOMERS.columns, CUSTOMERS.indexes, CUSTOMERS.foreignKeys)).toEqual(CUSTOMERS_DETAIL);
  });

  it('splits the tagged rows of the one statement by part, each part in the order it came', () => {
    expect(toTableDetailFromRows(CUSTOMERS_ROWS)).toEqual(CUSTOMERS_DETAIL);
    // Only the table row says the object exists: without it there is nothing, whatever else came.
    expect(toTableDetailFromRows([])).toBeNull();
    expect(toTableDetailFromRows(CUSTOMERS_ROWS.filter((row) => row.part !== 'table'))).toBeNull();
    const reversedColumns = [...CUSTOMERS_ROWS.filter((row) => row.part === 'column').reverse(), ...CUSTOMERS_ROWS.filter((row) => row.part !== 'column')];
    expect(toTableDetailFromRows(reversedColumns)?.columns.map((c) => c.name)).toEqual(['created_at', 'state', 'email', 'name', 'id']);
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

  it('gives an unknown estimate, never a negative one, for a table without statistics', () => {
    const estimate = (value: unknown) => toTableSummary({ schema_name: 'dbo', table_name: 't', kind: 'table', estimated_rows: value }).estimatedRows;
    expect(estimate(-1)).toBeNull();
    expect(estimate(-5000n)).toBeNull();
    expect(estimate('-1')).toBeNull();
    expect(estimate(0)).toBe(0);
    expect(estimate('12')).toBe(12);
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

  it('describes in one statement, schema and name as @p1 and @p2, and answers null for a missing table', async () => {
    const { dialect, calls } = scriptedDialect(new Map([
      [DESCRIBE_TABLE_SQL, [tagged('table', { object_id: 77, schema_name: 'sales', table_name: 'Order Lines', kind: 'view' })]],
    ]));
    const detail = await new MssqlIntrospector(dialect).describeTable({ schema: 'sales', name: 'Order Lines' });
    expect(detail).toMatchObject({ schema: 'sales', name: 'Order Lines', kind: 'view', columns: [], primaryKey: [] });
    expect(calls).toEqual([{ sql: DESCRIBE_TABLE_SQL, params: ['sales', 'Order Lines'] }]);
    const missing = scriptedDialect(new Map());
    expect(await new MssqlIntrospector(missing.dialect).describeTable({ schema: null, name: 'nope' })).toBeNull();
    expect(missing.calls).toEqual([{ sql: DESCRIBE_TABLE_SQL, params: [null, 'nope'] }]);
  });

  it('takes the default schema from SCHEMA_NAME()', async () => {
    const { dialect } = scriptedDialect(new Map([[DEFAULT_SCHEMA_SQL, [{ schema_name: 'dbo' }]]]));
    expect(await new MssqlIntrospector(dialect).defaultSchema()).toBe('dbo');
  });
});

describe('MssqlIntrospector through tedious, against a scripted server on the wire', () => {
  /** 5,000 objects, as a large Babelfish database lists them: views without estimates, some tables never analysed. */
  const LISTED: ListedObject[] = Array.from({ length: 5_000 }, (_, i) => ({
    schema: `s${i % 7}`,
    name: `table_${String(i).padStart(4, '0')}`,
    kind: i % 10 === 9 ? 'view' as const : 'table' as const,
    // -1: "no statistics", as an engine might still send it; LIST_TABLES_SQL itself makes that NULL.
    rows: i % 10 === 9 || i % 97 === 0 ? null : i % 89 === 0 ? -1 : i * 37,
  }));
  let peer: TdsWirePeer;
  let environment: Environment;
  let detailRows: Record<string, unknown>[] = [];
  let detailStatements = 0;

  beforeAll(async () => {
    peer = await TdsWirePeer.start();
    serveCatalog(peer, {
      listed: () => LISTED,
      detailRows: () => {
        detailStatements++;
        return detailRows;
      },
    });
    const url = `sqlserver://sa:secret@127.0.0.1:${peer.port}/master?encrypt=false`;
    environment = await openEnvironment('catalog', url, { pool: { max: 1 }, connect_timeout_ms: 5_000 }, GATE_SWITCHED_OFF_FOR_TESTS);
  });
  afterAll(async () => {
    await environment?.dialect.close();
    await peer?.close();
  });

  it('lists 5,000 tables and views, every one shaped, no estimate negative', async () => {
    const tables = await environment.dialect.introspector().listTables({});
    expect(tables).toHaveLength(5_000);
    expect(tables).toEqual(LISTED.map((t) => ({
      schema: t.schema,
      name: t.name,
      kind: t.kind,
      estimatedRows: t.rows === null || t.rows < 0 ? null : t.rows,
    })));
    expect(tables.filter((t) => t.estimatedRows === null).length).toBeGreaterThan(500);
  });

  it('describes a table in one statement, and a missing one as null', async () => {
    detailRows = CUSTOMERS_ROWS;
    const before = detailStatements;
    expect(await environment.dialect.introspector().describeTable({ schema: null, name: 'customers' })).toEqual(CUSTOMERS_DETAIL);
    expect(detailStatements - before).toBe(1);
    detailRows = [];
    expect(await environment.dialect.introspector().describeTable({ schema: 'dbo', name: 'nope' })).toBeNull();
    expect(detailStatements - before).toBe(2);
  });
});
