/**
 * The statement gate for MySQL and MariaDB (one dialect, two flavors): node-sql-parser's MySQL or MariaDB grammar
 * behind the shared lexer and walk of sql-parser-ast.ts. See docs/guard/mysql.md for the rules and the known gaps.
 */
import type { StatementRules } from '../statement-gate.js';
import { MYSQL_FUNCTIONS } from './mysql-functions.js';
import { restoreJsonTables } from './mysql-json-table.js';
import { prepareMysql } from './mysql-prepare.js';
import { rewriteForMysqlParser } from './mysql-rewrites.js';
import { ASSIGNMENT, createParserGate, functionName, type AstNode } from './sql-parser-ast.js';
import { Refusal, type LexerRules, type Token } from './sql-parser-text.js';

export interface MysqlRulesOptions {
  /** Which grammar to parse with; the session knows from VERSION(). Default: mysql. */
  readonly flavor?: 'mysql' | 'mariadb';
}

const LEXER: LexerRules = {
  hashComments: true,
  dashCommentNeedsSpace: true,
  nestedComments: false,
  // The session always runs without NO_BACKSLASH_ESCAPES (db/mysql/mysql-connection.ts), so \' escapes a quote.
  backslashEscapes: true,
  doubleQuote: 'string',
  brackets: false,
  backticks: true,
  executableComments: true,
  wordChars: '$',
  refusedChars: '[]',
};

const TRANSACTION = 'transaction control is refused: every statement runs in its own transaction';
const ADMIN = 'server administration is not run through sqlgate';
const MAINTENANCE = 'table maintenance is not run through sqlgate';
const PREPARED = 'prepared statements run text the gate cannot see';

const REFUSED_STATEMENTS = new Map<string, string>([
  ['DO', 'DO evaluates expressions only for their side effects'],
  ['HANDLER', 'HANDLER opens a table cursor that outlives the statement'],
  ['LOCK', 'LOCK TABLES takes locks other sessions wait on'],
  ['UNLOCK', 'UNLOCK TABLES is session lock control'],
  ['LOAD', 'LOAD DATA / LOAD XML reads a file into a table'],
  ['CALL', 'CALL runs a stored procedure, which may do anything'],
  ['SET', 'SET changes session or server state'],
  ['USE', 'USE switches the database of the session'],
  ['START', TRANSACTION],
  ['BEGIN', TRANSACTION],
  ['COMMIT', TRANSACTION],
  ['ROLLBACK', TRANSACTION],
  ['SAVEPOINT', TRANSACTION],
  ['RELEASE', TRANSACTION],
  ['XA', TRANSACTION],
  ['PREPARE', PREPARED],
  ['EXECUTE', PREPARED],
  ['DEALLOCATE', PREPARED],
  ...['FLUSH', 'RESET', 'PURGE', 'KILL', 'SHUTDOWN', 'RESTART', 'CHANGE', 'STOP', 'INSTALL', 'UNINSTALL', 'CLONE', 'BINLOG', 'CACHE']
    .map((word): [string, string] => [word, ADMIN]),
  ...['OPTIMIZE', 'REPAIR', 'CHECK', 'CHECKSUM', 'IMPORT'].map((word): [string, string] => [word, MAINTENANCE]),
  ['GET', 'GET DIAGNOSTICS belongs to stored programs'],
  ['SIGNAL', 'SIGNAL belongs to stored programs'],
  ['RESIGNAL', 'RESIGNAL belongs to stored programs'],
]);

/** Node `type` values seen in reads; a new one is a construct nobody has reviewed yet. */
const READ_NODE_TYPES = new Set([
  'select', 'column_ref', 'expr', 'expr_list', 'binary_expr', 'unary_expr', 'function', 'aggr_func', 'case', 'when',
  'else', 'cast', 'interval', 'window', 'fulltext_search', 'collate', 'var', 'dual', 'star', 'number', 'bool',
  'boolean', 'null', 'origin', 'default', 'param', 'single_quote_string', 'double_quote_string', 'natural_string',
  'hex_string', 'full_hex_string', 'bit_string', 'backticks_quote_string', 'var_string', 'string', 'regex_string',
  'date', 'datetime', 'time', 'timestamp', 'ASC', 'DESC', 'rows', 'explain', 'datatype', 'extract', 'ESCAPE',
  // A table value constructor as a query: WITH t(c) AS (VALUES ('a'), ('b')), FROM (VALUES …) AS v. Its rows are
  // expressions, walked and checked like any other.
  'values',
]);

export async function createMysqlRules(options: MysqlRulesOptions = {}): Promise<StatementRules> {
  const isMariadb = options.flavor === 'mariadb';
  const mysqlParser = new (await import('node-sql-parser/build/mysql.js')).default.Parser();
  const mariadbParser = isMariadb ? new (await import('node-sql-parser/build/mariadb.js')).default.Parser() : null;
  const database = isMariadb ? 'MariaDB' : 'MySQL';
  // node-sql-parser's MariaDB grammar refuses some plain column names the server accepts (`status`, `session`,
  // `global` unqualified); its MySQL grammar reads them. The text is the same lexed, comment-free copy either way,
  // and the tree is checked the same way, so a statement only one grammar parses is still fully checked.
  const parse = (sql: string) => {
    if (!mariadbParser) return mysqlParser.astify(sql, { database: 'MySQL' });
    try {
      return mariadbParser.astify(sql, { database: 'MariaDB' });
    } catch (mariadbError) {
      try {
        return mysqlParser.astify(sql, { database: 'MySQL' });
      } catch {
        throw mariadbError;
      }
    }
  };
  return createParserGate({
    name: database,
    dialectName: 'mysql',
    lexer: LEXER,
    parse,
    functions: MYSQL_FUNCTIONS,
    readHint: `Read-only ${database} statements are one SELECT (CTEs, UNION/INTERSECT/EXCEPT, subqueries, window and JSON functions) without INTO or locking clauses, EXPLAIN of a SELECT, SHOW … and DESCRIBE.`,
    allowsLeadingSemicolon: false,
    refusedStatements: REFUSED_STATEMENTS,
    readNodeTypes: READ_NODE_TYPES,
    prepare: prepareMysql,
    rewrite: (tokens, edits) => rewriteForMysqlParser(tokens, edits, isMariadb),
    restore: restoreJsonTables,
    checkNode: checkWindowOnly,
    diagnose: diagnoseRefusedSyntax,
  });
}

/** MariaDB's MEDIAN and ordered-set aggregates: window functions only. MySQL 8 has none of them. */
const WINDOW_ONLY = new Set(['median', 'percentile_cont', 'percentile_disc']);

/**
 * MariaDB runs MEDIAN(x) and PERCENTILE_CONT/DISC(p) WITHIN GROUP (…) only with OVER (…). MySQL lacks them, and
 * there an unqualified `median(x)` calls a loadable or stored function of that name, which may do anything; with
 * OVER it is a syntax error instead, since MySQL accepts OVER only after its built-in aggregates and window
 * functions. So the allow-list takes these names only in their window form.
 */
function checkWindowOnly(node: AstNode): void {
  if ((node.type !== 'function' && node.type !== 'aggr_func') || node.over) return;
  const parts = functionName(node);
  if (parts.length !== 1 || !WINDOW_ONLY.has(parts[0]!.toLowerCase())) return;
  throw new Refusal(
    `${parts[0]}() is accepted only as a window function, with OVER (…): MariaDB has no other form of it, and MySQL, which has none, would call a stored function of that name`,
    'Write MEDIAN(x) OVER (PARTITION BY …) or PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) OVER (PARTITION BY …). A stored function of that name needs its schema (db.median(…)) and an allowed_functions entry.',
  );
}

/**
 * What the grammars cannot parse but the servers run, named instead of a syntax error: FOR SHARE and FOR UPDATE OF
 * (locking reads), and `@x := …` where the grammar takes no assignment (`VALUES (@x := 1)`, `WHERE a = (@y := 2)`).
 * (`UPDATE t SET a := 1` assigns a column, which a writable environment may do: only a user variable is named.)
 */
function diagnoseRefusedSyntax(tokens: readonly Token[]): void {
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if ((token.value === 'FOR' && (next?.value === 'UPDATE' || next?.value === 'SHARE')) || (token.value === 'LOCK' && next?.value === 'IN')) {
      throw new Refusal(`a locking read (${token.value} ${next!.value} …) is refused: it takes locks other sessions wait on`);
    }
    const isVariable = tokens[i - 2]?.text === '@' && tokens[i - 1]?.kind !== 'punct';
    if (isVariable && token.text === ':' && next?.text === '=' && next.start === token.end) throw new Refusal(ASSIGNMENT);
  });
}
