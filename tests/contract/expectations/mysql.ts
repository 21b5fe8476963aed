import type { DialectExpectations } from './types.js';

/** Recorded against MariaDB 10.11 (MySQL 8 reports `int` without the display width). */
export const mysqlExpectations: DialectExpectations = {
  schemaOf: (databaseName) => databaseName, // in MySQL the schema is the database
  placeholder: () => '?',
  ordersColumnTypes: { id: 'int(11)', customer_id: 'int(11)', total: 'decimal(12,2)', status: 'varchar(20)', ordered_at: 'datetime' },
  computedColumnTypes: { n: 'bigint', s: 'decimal', m: 'varchar', two: 'int' },
  typeSampleRow: {
    id: 1,
    big: '9007199254740993',
    exact: '12345678901234567890.1234567890',
    flt: 1.5,
    flag: 1, // BOOLEAN is TINYINT(1): the wire carries a number
    day: '2024-02-29',
    moment: '2024-02-29T13:45:30.123456',
    payload: { a: 1, b: [true, null] },
    blob: '3q2+7w==',
    uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    note: 'line1\nline2 | pipe',
  },
  // SLEEP() stopped by a timeout returns 1 instead of failing; a 2500³ cross join really runs (and fails) instead.
  slowQuery: 'SELECT COUNT(*) FROM numbers a, numbers b, numbers c',
  syntaxError: { sql: 'SELEC 1', messageContains: 'could not parse the statement at line 1, column 7' },
  wideText: (n) => `REPEAT('x', ${n})`,
  limitQuery: (sql, n) => `${sql} LIMIT ${n}`,
};
