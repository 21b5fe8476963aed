/** What differs between dialects in the contract suite; everything else is asserted identically. */
import type { JsonValue } from '../../../src/db/serialize-value.js';

export interface DialectExpectations {
  /** Schema reported for the fixture's tables (null where the engine has none; MySQL: the database's name). */
  schemaOf(databaseName: string): string | null;
  /** Positional placeholder number `i` (1-based) in this dialect's SQL. */
  placeholder(i: number): string;
  /** describe_table('orders'): column name → type as reported. */
  readonly ordersColumnTypes: Readonly<Record<string, string>>;
  /**
   * Column name → type of `SELECT COUNT(*) AS n, SUM(total) AS s, MAX(status) AS m, 1 + 1 AS two FROM orders`:
   * computed columns, which must be typed like any other.
   */
  readonly computedColumnTypes: Readonly<Record<'n' | 's' | 'm' | 'two', string>>;
  /** Row 1 of type_samples as JSON values, keyed by column. */
  readonly typeSampleRow: Readonly<Record<string, JsonValue>>;
  /** A statement that runs for about 5 seconds or more, for timeout and cancellation tests. */
  readonly slowQuery: string;
  /** A statement with a syntax error, and a fragment of the database's message for it. */
  readonly syntaxError: { sql: string; messageContains: string };
  /** An expression giving a text value of `n` characters, for the size-budget test. */
  wideText(n: number): string;
  /** `SELECT … LIMIT n` in this dialect (SQL Server: TOP). */
  limitQuery(sql: string, n: number): string;
}
