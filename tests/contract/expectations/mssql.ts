import type { DialectExpectations } from './types.js';

/** SQL Server (runs only when SQLGATE_TEST_MSSQL_URL names a server). */
export const mssqlExpectations: DialectExpectations = {
  schemaOf: () => 'dbo',
  placeholder: (i) => `@p${i}`,
  ordersColumnTypes: { id: 'int', customer_id: 'int', total: 'decimal(12,2)', status: 'varchar(20)', ordered_at: 'datetime2(0)' },
  computedColumnTypes: { n: 'int', s: 'decimal', m: 'varchar', two: 'int' },
  typeSampleRow: {
    id: 1,
    big: '9007199254740993',
    exact: '12345678901234567890.1234567890',
    flt: 1.5,
    flag: true,
    day: '2024-02-29',
    moment: '2024-02-29T13:45:30.123456', // datetime2(6): its six digits, no time zone
    payload: '{"a":1,"b":[true,null]}', // JSON lives in nvarchar
    blob: '3q2+7w==',
    uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    note: 'line1\nline2 | pipe',
  },
  // A SELECT that returns nothing until it ends (1.5e10 joined rows, minutes on one core), so both the time to the
  // first packet and the whole statement are bounded by the timeout; it stops at once on a TDS attention.
  slowQuery: 'SELECT COUNT_BIG(*) AS n FROM numbers a CROSS JOIN numbers b CROSS JOIN numbers c OPTION (MAXDOP 1)',
  // Not "SELEC 1": SQL Server reads an unknown first word of a batch as a procedure name (error 2812).
  syntaxError: { sql: 'SELECT FROM customers', messageContains: 'could not parse the statement at line 1' },
  wideText: (n) => `REPLICATE(CAST('x' AS varchar(max)), ${n})`,
  limitQuery: (sql, n) => sql.replace(/^\s*SELECT\b/i, `SELECT TOP (${n})`),
};
