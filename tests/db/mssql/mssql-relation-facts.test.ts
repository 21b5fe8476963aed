/**
 * relationFacts on SQL Server, without a server (as mssql-introspector.test.ts does): the catalog SQL is checked for
 * what it must say, and the rows, written the way SQL Server returns them (type is char(2): 'U '; one row per column,
 * the view text on the first), are shaped.
 */
import { describe, expect, it } from 'vitest';
import type { Cursor, Dialect, Session } from '../../../src/db/dialect.js';
import { MssqlIntrospector, RELATION_FACTS_SQL, toRelationFacts, toRelationFactsFromRows } from '../../../src/db/mssql/mssql-introspector.js';

const INJECTION = "x'; drop table t; --";

describe('relation facts SQL', () => {
  it.each([['RELATION_FACTS_SQL', RELATION_FACTS_SQL]])('%s is one statement, values only as @p parameters', (_, sql) => {
    expect(sql).not.toContain(';');
    expect(sql).not.toContain('${');
    expect(sql).not.toMatch(/EXEC|sp_executesql|QUOTENAME/i);
    const literals = [...sql.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    for (const literal of literals) expect(['U', 'V', 'S', 'IT', 'ET', 'SN', 'dbo', 'sys']).toContain(literal);
  });

  it('resolves an unqualified name in the default schema, then dbo, then the shipped objects of sys', () => {
    expect(RELATION_FACTS_SQL).toContain('FROM sys.all_objects o');
    expect(RELATION_FACTS_SQL).toContain(
      "(s.name = @p1 OR (@p1 IS NULL AND (s.name = SCHEMA_NAME() OR s.name = 'dbo' OR (s.name = 'sys' AND o.is_ms_shipped = 1))))",
    );
    expect(RELATION_FACTS_SQL).toContain("ORDER BY CASE WHEN s.name = @p1 OR s.name = SCHEMA_NAME() THEN 0 WHEN s.name = 'dbo' THEN 1 ELSE 2 END");
    expect(RELATION_FACTS_SQL).toContain('o.name = @p2');
  });

  it('follows a synonym only to a table or view of this database, and reads view text with OBJECT_DEFINITION', () => {
    expect(RELATION_FACTS_SQL).toContain('LEFT JOIN sys.synonyms sy ON sy.object_id = n.object_id');
    expect(RELATION_FACTS_SQL).toContain('PARSENAME(sy.base_object_name, 4) IS NULL');
    expect(RELATION_FACTS_SQL).toContain('PARSENAME(sy.base_object_name, 3) IS NULL OR PARSENAME(sy.base_object_name, 3) = DB_NAME()');
    expect(RELATION_FACTS_SQL).toContain('OBJECT_ID(sy.base_object_name)');
    expect(RELATION_FACTS_SQL).toContain("o.object_id = r.base_id AND o.type IN ('U', 'V', 'S', 'IT', 'ET')");
    expect(RELATION_FACTS_SQL).toContain("CASE WHEN o.type = 'V' AND ROW_NUMBER() OVER (ORDER BY c.column_id) = 1 THEN OBJECT_DEFINITION(o.object_id) END AS definition");
  });

  it('reads the columns in the same statement, one row each in column order, and one row when none resolved', () => {
    expect(RELATION_FACTS_SQL).toContain('LEFT JOIN sys.all_columns c ON c.object_id = o.object_id');
    expect(RELATION_FACTS_SQL).toContain('c.name AS column_name');
    expect(RELATION_FACTS_SQL).toMatch(/\n ORDER BY c\.column_id$/);
    expect(RELATION_FACTS_SQL.match(/@p\d/g)?.every((p) => p === '@p1' || p === '@p2')).toBe(true);
  });
});

const named = (schema: string, name: string, type: string) => ({ named_schema: schema, named_name: name, named_type: type });
const object = (id: number, schema: string, name: string, type: string, shipped: boolean, definition: string | null = null) => ({
  object_id: id, schema_name: schema, object_name: name, type, is_ms_shipped: shipped, definition,
});
const columns = (...names: string[]) => names.map((column_name) => ({ column_name }));

describe('toRelationFacts', () => {
  it('shapes a table and a view with its CREATE VIEW text', () => {
    expect(toRelationFacts({ ...named('dbo', 'orders', 'U '), ...object(11, 'dbo', 'orders', 'U ', false) }, columns('id', 'total'))).toEqual({
      schema: 'dbo', name: 'orders', kind: 'table', columns: ['id', 'total'], definition: null, parents: [],
    });
    const text = 'CREATE VIEW sales.[Big Orders] AS SELECT id FROM dbo.orders WHERE total > 100';
    expect(toRelationFacts({ ...named('sales', 'Big Orders', 'V '), ...object(12, 'sales', 'Big Orders', 'V ', false, text) }, columns('id'))).toMatchObject({
      schema: 'sales', name: 'Big Orders', kind: 'view', definition: text,
    });
  });

  it('gives a view null text when OBJECT_DEFINITION is NULL (no VIEW DEFINITION, or encrypted)', () => {
    expect(toRelationFacts({ ...named('dbo', 'v', 'V '), ...object(13, 'dbo', 'v', 'V ', false, null) }, [])?.definition).toBeNull();
  });

  it('calls sys and INFORMATION_SCHEMA views, system tables and shipped objects system', () => {
    expect(toRelationFacts({ ...named('sys', 'objects', 'V '), ...object(-385, 'sys', 'objects', 'V ', true, 'CREATE VIEW sys.objects …') }, columns('name'))).toMatchObject({
      kind: 'system', definition: null,
    });
    expect(toRelationFacts({ ...named('INFORMATION_SCHEMA', 'TABLES', 'V '), ...object(-1, 'INFORMATION_SCHEMA', 'TABLES', 'V ', true) }, [])?.kind).toBe('system');
    expect(toRelationFacts({ ...named('dbo', 'sysdiagrams', 'U '), ...object(5, 'dbo', 'sysdiagrams', 'U ', true) }, [])?.kind).toBe('system');
    expect(toRelationFacts({ ...named('sys', 'sysrscols', 'S '), ...object(3, 'sys', 'sysrscols', 'S ', false) }, [])?.kind).toBe('system');
  });

  it('resolves a synonym to its base table, and one that reaches nothing here to a view of unknown text', () => {
    expect(toRelationFacts({ ...named('dbo', 'o', 'SN'), ...object(11, 'sales', 'orders', 'U ', false) }, columns('id'))).toMatchObject({
      schema: 'sales', name: 'orders', kind: 'table', columns: ['id'],
    });
    const elsewhere = { ...named('dbo', 'remote_orders', 'SN'), object_id: null, schema_name: null, object_name: null, type: null, is_ms_shipped: null, definition: null };
    expect(toRelationFacts(elsewhere, [])).toEqual({ schema: 'dbo', name: 'remote_orders', kind: 'view', columns: [], definition: null, parents: [] });
  });

  it('answers null when nothing was found', () => {
    expect(toRelationFacts(undefined, [])).toBeNull();
  });
});

describe('toRelationFactsFromRows', () => {
  /** The rows of RELATION_FACTS_SQL for one object: its facts on every row, a column each, the text on the first. */
  const rowsOf = (facts: Record<string, unknown>, definition: string | null, ...names: string[]) =>
    names.map((column_name, i) => ({ ...facts, definition: i === 0 ? definition : null, column_name }));

  it('takes the columns in order from every row and the view text from the one that has it', () => {
    const text = 'CREATE VIEW dbo.v AS SELECT a, b FROM dbo.t';
    const rows = rowsOf({ ...named('dbo', 'v', 'V '), ...object(13, 'dbo', 'v', 'V ', false) }, text, 'a', 'b', 'c');
    const expected = { schema: 'dbo', name: 'v', kind: 'view', columns: ['a', 'b', 'c'], definition: text, parents: [] };
    expect(toRelationFactsFromRows(rows)).toEqual(expected);
    expect(toRelationFactsFromRows([...rows].reverse())).toEqual({ ...expected, columns: ['c', 'b', 'a'] });
  });

  it('shapes the single row of an unresolved synonym (no object, no column), and no rows as null', () => {
    const remote = { ...named('dbo', 'remote_orders', 'SN'), object_id: null, schema_name: null, object_name: null, type: null, is_ms_shipped: null, definition: null, column_name: null };
    expect(toRelationFactsFromRows([remote])).toEqual({ schema: 'dbo', name: 'remote_orders', kind: 'view', columns: [], definition: null, parents: [] });
    expect(toRelationFactsFromRows([])).toBeNull();
  });
});

describe('MssqlIntrospector.relationFacts', () => {
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

  it('passes schema and name as @p1 and @p2, and reads facts and columns in that one statement', async () => {
    const facts = { ...named('dbo', 'orders', 'SN'), ...object(77, 'sales', 'Orders', 'U ', false) };
    const { dialect, calls } = scriptedDialect(new Map<string, Record<string, unknown>[]>([
      [RELATION_FACTS_SQL, columns('id', 'Total Due').map((column) => ({ ...facts, ...column }))],
    ]));
    expect(await new MssqlIntrospector(dialect).relationFacts({ schema: null, name: 'orders' })).toEqual({
      schema: 'sales', name: 'Orders', kind: 'table', columns: ['id', 'Total Due'], definition: null, parents: [],
    });
    expect(calls).toEqual([{ sql: RELATION_FACTS_SQL, params: [null, 'orders'] }]);
  });

  it('asks once for a missing name or an unresolvable synonym, and sends an injection attempt only as a parameter', async () => {
    const missing = scriptedDialect(new Map());
    expect(await new MssqlIntrospector(missing.dialect).relationFacts({ schema: 'dbo', name: INJECTION })).toBeNull();
    expect(missing.calls).toEqual([{ sql: RELATION_FACTS_SQL, params: ['dbo', INJECTION] }]);
    const remote = scriptedDialect(new Map([[RELATION_FACTS_SQL, [{ ...named('dbo', 'r', 'SN'), object_id: null, column_name: null }]]]));
    expect(await new MssqlIntrospector(remote.dialect).relationFacts({ schema: null, name: 'r' })).toMatchObject({ kind: 'view', definition: null });
    expect(remote.calls).toHaveLength(1);
  });
});
