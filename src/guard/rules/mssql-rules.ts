/**
 * The statement gate for SQL Server (T-SQL): node-sql-parser's TransactSQL grammar behind the shared lexer and walk
 * of sql-parser-ast.ts. T-SQL needs two things the other dialects do not: statements may follow each other with
 * no separator at all (`SELECT 1 SELECT 2`, or a GO line), and a batch that starts with a name runs that procedure.
 * See docs/guard/mssql.md for the rules and the known parser gaps.
 */
import type { StatementRules, StatementVerdict } from '../statement-gate.js';
import { MSSQL_FUNCTIONS } from './mssql-functions.js';
import { rewriteForMssqlParser } from './mssql-rewrites.js';
import { createParserGate, isNode, type AstNode } from './sql-parser-ast.js';
import { mainStatementWord, Refusal, type LexerRules, type Token } from './sql-parser-text.js';

const LEXER: LexerRules = {
  hashComments: false,
  dashCommentNeedsSpace: false,
  nestedComments: true,
  backslashEscapes: false,
  doubleQuote: 'identifier',
  brackets: true,
  backticks: false,
  executableComments: false,
  wordChars: '@#$',
  refusedChars: '`',
};

const TRANSACTION = 'transaction control is refused: every statement runs in its own transaction';
const PROCEDURAL = 'control-of-flow and batch statements are refused; send one query';
const ADMIN = 'server administration is not run through sqlgate';
const EXEC = 'EXEC runs a stored procedure or dynamic SQL, which may do anything';

const REFUSED_STATEMENTS = new Map<string, string>([
  ['EXEC', EXEC],
  ['EXECUTE', EXEC],
  ['SET', 'SET changes session state'],
  ['DECLARE', 'DECLARE starts a batch with variables; send a single statement'],
  ['BEGIN', `${TRANSACTION} (BEGIN … also opens blocks)`],
  ['COMMIT', TRANSACTION],
  ['ROLLBACK', TRANSACTION],
  ['SAVE', TRANSACTION],
  ['WAITFOR', 'WAITFOR only holds a connection'],
  ['BULK', 'BULK INSERT reads a file into a table'],
  ['DBCC', 'DBCC commands are server maintenance and diagnostics'],
  ['GO', 'GO is a batch separator of client tools; send one statement at a time'],
  ['USE', 'USE switches the database of the session'],
  ['EXPLAIN', 'SQL Server has no EXPLAIN; an estimated plan needs SET SHOWPLAN_XML, which changes session state'],
  ...['KILL', 'SHUTDOWN', 'RECONFIGURE', 'BACKUP', 'RESTORE', 'CHECKPOINT', 'SETUSER', 'REVERT', 'ENABLE', 'DISABLE']
    .map((word): [string, string] => [word, ADMIN]),
  ...['IF', 'WHILE', 'GOTO', 'RETURN', 'PRINT', 'RAISERROR', 'THROW', 'OPEN', 'FETCH', 'CLOSE', 'DEALLOCATE', 'READTEXT', 'WRITETEXT', 'UPDATETEXT']
    .map((word): [string, string] => [word, PROCEDURAL]),
]);

/**
 * Reserved words that start a statement and never occur inside a SELECT: in a read they can only begin a second
 * statement written without a separator. (FETCH, END, WITH … do occur inside a SELECT and are not listed.)
 */
const STATEMENT_WORDS = new Set([
  'ALTER', 'BACKUP', 'BEGIN', 'BREAK', 'BULK', 'CHECKPOINT', 'CLOSE', 'COMMIT', 'CONTINUE', 'CREATE', 'DBCC',
  'DEALLOCATE', 'DECLARE', 'DELETE', 'DENY', 'DROP', 'DUMP', 'EXEC', 'EXECUTE', 'GOTO', 'GRANT', 'IF', 'INSERT', 'KILL',
  'LOAD', 'MERGE', 'OPEN', 'PRINT', 'RAISERROR', 'READTEXT', 'RECONFIGURE', 'RESTORE', 'RETURN', 'REVERT', 'REVOKE',
  'ROLLBACK', 'SAVE', 'SET', 'SETUSER', 'SHUTDOWN', 'TRUNCATE', 'UPDATE', 'UPDATETEXT', 'USE', 'WAITFOR', 'WHILE',
  'WRITETEXT',
]);
/** The ones that never occur inside an INSERT/UPDATE/DELETE/MERGE or a DDL statement either. */
const NEVER_INSIDE_A_STATEMENT = new Set([
  'BACKUP', 'BULK', 'CHECKPOINT', 'COMMIT', 'DBCC', 'DEALLOCATE', 'DECLARE', 'EXEC', 'EXECUTE', 'GOTO', 'KILL', 'PRINT',
  'RAISERROR', 'READTEXT', 'RECONFIGURE', 'RESTORE', 'REVERT', 'ROLLBACK', 'SAVE', 'SETUSER', 'SHUTDOWN', 'UPDATETEXT',
  'USE', 'WAITFOR', 'WHILE', 'WRITETEXT',
]);

/** Hints that take stronger locks than an ordinary read, or hold them longer (PAGLOCK/ROWLOCK only set granularity). */
const LOCKING_HINTS = new Set(['HOLDLOCK', 'REPEATABLEREAD', 'SERIALIZABLE', 'TABLOCK', 'TABLOCKX', 'UPDLOCK', 'XLOCK']);

const READ_NODE_TYPES = new Set([
  'select', 'column_ref', 'expr', 'expr_list', 'binary_expr', 'unary_expr', 'function', 'aggr_func', 'case', 'when',
  'else', 'cast', 'interval', 'window', 'collate', 'var', 'star', 'number', 'bool', 'boolean', 'null', 'origin',
  'default', 'param', 'single_quote_string', 'double_quote_string', 'natural_string', 'hex_string', 'full_hex_string',
  'bit_string', 'var_string', 'string', 'date', 'datetime', 'time', 'timestamp', 'ASC', 'DESC', 'rows', 'datatype', 'extract',
  'values', 'within', 'pivot', 'unpivot', 'temporal_table_option', 'for json', 'for xml',
]);

export async function createMssqlRules(): Promise<StatementRules> {
  const grammar = await import('node-sql-parser/build/transactsql.js');
  const parser = new grammar.default.Parser();
  return createParserGate({
    name: 'SQL Server',
    dialectName: 'mssql',
    lexer: LEXER,
    parse: (sql) => parser.astify(sql, { database: 'TransactSQL' }),
    functions: MSSQL_FUNCTIONS,
    readHint: 'Read-only SQL Server statements are one SELECT (CTEs, UNION/EXCEPT/INTERSECT, subqueries, window functions, TOP, OFFSET … FETCH, FOR JSON) without INTO, locking hints or a second statement.',
    allowsLeadingSemicolon: true,
    refusedStatements: REFUSED_STATEMENTS,
    readNodeTypes: READ_NODE_TYPES,
    prepare: prepareMssql,
    rewrite: rewriteForMssqlParser,
    checkNode: checkMssqlNode,
    checkTokens: checkSecondStatement,
    diagnose: diagnoseMssql,
  });
}

/** Words a single T-SQL statement the gate handles may start with; REFUSED_STATEMENTS covers the others it knows. */
const STATEMENT_STARTS = new Set(['SELECT', 'WITH', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CREATE', 'ALTER', 'DROP', 'TRUNCATE', 'GRANT', 'REVOKE', 'DENY']);

function prepareMssql(tokens: readonly Token[]): undefined {
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    const isAloneOnLine = !next || next.startsLine || (next.kind === 'number' && (!tokens[i + 2] || tokens[i + 2]!.startsLine));
    if (token.kind === 'word' && token.value === 'GO' && token.startsLine && isAloneOnLine) {
      throw new Refusal('GO is a batch separator of client tools; send one statement at a time');
    }
  });
  // A batch that starts with a name runs the procedure of that name: `xp_cmdshell 'dir'` needs no EXEC.
  const first = tokens[0]!;
  if (first.kind === 'quoted' || (first.kind === 'word' && !STATEMENT_STARTS.has(first.value))) {
    throw new Refusal(`${first.text} is refused: a batch that starts with a name runs the procedure of that name`);
  }
  return undefined;
}

function checkMssqlNode(node: AstNode): void {
  const hints = isNode(node.table_hint) && Array.isArray(node.table_hint.expr) ? node.table_hint.expr : [];
  for (const hint of hints) {
    const value = isNode(hint) && isNode(hint.expr) ? String(hint.expr.value).toUpperCase() : '';
    if (LOCKING_HINTS.has(value)) throw new Refusal(`the table hint ${value} is refused: it takes or holds locks other sessions wait on`);
  }
  if (node.server) throw new Refusal('a four-part name reaches a linked server; only tables of this database can be read');
  if (node.type === 'select') {
    if (isNode(node.for) && node.for.type !== 'for json' && node.for.type !== 'for xml') {
      throw new Refusal(`SELECT … ${String(node.for.type).toUpperCase()} is refused; FOR JSON and FOR XML are allowed`);
    }
    // SELECT @x = col assigns a variable; SELECT total = SUM(x) is only an alias.
    for (const column of Array.isArray(node.columns) ? node.columns : []) {
      const expr = isNode(column) ? column.expr : undefined;
      if (isNode(expr) && expr.type === 'binary_expr' && expr.operator === '=' && isNode(expr.left) && String(expr.left.column).startsWith('@')) {
        throw new Refusal('SELECT @variable = … assigns a variable; send a plain SELECT');
      }
    }
  }
}

/**
 * T-SQL needs no separator between statements: `SELECT 1 DELETE FROM t` is two. And a locking hint is refused
 * wherever it stands in a read, whatever the parser made of it (`FROM t AS x (UPDLOCK)` reads as a column list).
 */
function checkSecondStatement(tokens: readonly Token[], verdict: StatementVerdict): void {
  const isRead = verdict.kind === 'read';
  const words = isRead ? STATEMENT_WORDS : NEVER_INSIDE_A_STATEMENT;
  for (const [i, token] of tokens.entries()) {
    if (token.kind !== 'word') continue;
    if (isRead && LOCKING_HINTS.has(token.value)) throw new Refusal(`the table hint ${token.value} is refused: it takes or holds locks other sessions wait on`);
    // OPTION (USE HINT ('…')) is a query hint, not USE db.
    if (i === 0 || (token.value === 'USE' && tokens[i + 1]?.value === 'HINT')) continue;
    if (words.has(token.value)) {
      throw new Refusal(`${token.value} starts a second statement (T-SQL needs no separator between statements); send one statement at a time`);
    }
  }
}


function diagnoseMssql(tokens: readonly Token[], parsesBefore: (index: number) => boolean): void {
  const isQuery = ['SELECT', '('].includes(mainStatementWord(tokens));
  tokens.forEach((token, i) => {
    if (token.kind !== 'word') return;
    if (LOCKING_HINTS.has(token.value)) throw new Refusal(`the table hint ${token.value} is refused: it takes or holds locks other sessions wait on`);
    if (token.value === 'NEXT' && tokens[i + 1]?.value === 'VALUE' && tokens[i + 2]?.value === 'FOR') {
      throw new Refusal('NEXT VALUE FOR is refused: it advances a sequence');
    }
    // The grammar lacks SELECT … INTO schema.table; it is refused all the same.
    if (isQuery && token.value === 'INTO') throw new Refusal('SELECT … INTO is refused: INTO a table creates and fills a table');
  });
  checkSecondStatement(tokens, { kind: isQuery ? 'read' : 'write', isDestructive: false });
  // `SELECT 1 SELECT 2`: if the text before a statement keyword parses alone, the keyword starts a second statement.
  // A CTE's own query is skipped: the grammar accepts a WITH list alone.
  let skip = tokens[0]!.value === 'WITH' ? 1 : 0;
  let tries = 0;
  for (let i = 1; i < tokens.length && tries < 8; i++) {
    const token = tokens[i]!;
    // Not WITH: a CTE needs the statement before it ended with a semicolon, and `OPENJSON(…) WITH (…)` is one statement.
    if (token.depth !== 0 || !['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(token.value)) continue;
    if (['UNION', 'ALL', 'EXCEPT', 'INTERSECT'].includes(tokens[i - 1]!.value)) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    tries++;
    if (parsesBefore(i)) throw new Refusal(`${token.value} starts a second statement (T-SQL needs no separator between statements); send one statement at a time`);
  }
}
