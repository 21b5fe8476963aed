import type { DialectExpectations } from './types.js';

export const sqliteExpectations: DialectExpectations = {
  schemaOf: () => null,
  placeholder: () => '?',
  ordersColumnTypes: { id: 'integer', customer_id: 'integer', total: 'decimal(12,2)', status: 'varchar(20)', ordered_at: 'timestamp' },
  // SQLite types expressions by the values they return: SUM of decimals is a REAL.
  computedColumnTypes: { n: 'integer', s: 'real', m: 'text', two: 'integer' },
  typeSampleRow: {
    id: 1,
    big: '9007199254740993',
    exact: '12345678901234567890.1234567890',
    flt: 1.5,
    flag: 1, // SQLite has no boolean type: it stores 1
    day: '2024-02-29',
    moment: '2024-02-29 13:45:30.123456', // SQLite keeps text as written
    payload: '{"a":1,"b":[true,null]}', // JSON is text in SQLite
    blob: '3q2+7w==',
    uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    note: 'line1\nline2 | pipe',
  },
  slowQuery: 'WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) SELECT COUNT(*) FROM s',
  syntaxError: { sql: 'SELEC 1', messageContains: 'could not parse the statement at line 1, column 7' },
  wideText: (n) => `printf('%.*c', ${n}, 'x')`,
  limitQuery: (sql, n) => `${sql} LIMIT ${n}`,
};
