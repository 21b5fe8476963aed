import type { DialectExpectations } from './types.js';

export const postgresExpectations: DialectExpectations = {
  schemaOf: () => 'public',
  placeholder: (i) => `$${i}`,
  // format_type's names, as describe_table reports them.
  ordersColumnTypes: {
    id: 'integer',
    customer_id: 'integer',
    total: 'numeric(12,2)',
    status: 'character varying(20)',
    ordered_at: 'timestamp without time zone',
  },
  computedColumnTypes: { n: 'bigint', s: 'numeric', m: 'text', two: 'integer' },
  typeSampleRow: {
    id: 1,
    big: '9007199254740993',
    exact: '12345678901234567890.1234567890',
    flt: 1.5,
    flag: true,
    day: '2024-02-29',
    moment: '2024-02-29T13:45:30.123456',
    payload: { a: 1, b: [true, null] }, // jsonb arrives parsed
    blob: '3q2+7w==',
    uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    note: 'line1\nline2 | pipe',
  },
  // Passes the statement gate (pg_sleep does not) and runs for minutes.
  slowQuery: 'SELECT count(*) FROM generate_series(1, 10000000000)',
  syntaxError: { sql: 'SELEC 1', messageContains: 'syntax error' },
  wideText: (n) => `repeat('x', ${n})`,
  limitQuery: (sql, n) => `${sql} LIMIT ${n}`,
};
