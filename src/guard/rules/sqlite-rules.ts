/**
 * The statement gate for SQLite: node-sql-parser's SQLite grammar behind the shared lexer and walk of
 * sql-parser-ast.ts. The engine checks again underneath (a read-only connection, query_only and stmt.readonly in
 * db/sqlite/sqlite-worker.ts), but the engine reports ATTACH, transaction control and some PRAGMAs as read-only
 * and cannot see side effects of functions, so this gate refuses those. See docs/guard/sqlite.md.
 */
import type { StatementRules, StatementVerdict } from '../statement-gate.js';
import { createParserGate } from './sql-parser-ast.js';
import type { Edits, LexerRules, Token } from './sql-parser-text.js';
import { SQLITE_FUNCTIONS } from './sqlite-functions.js';
import { pragmaVerdict } from './sqlite-pragmas.js';
import { rewriteForSqliteParser } from './sqlite-rewrites.js';
import { restoreValues } from './sqlite-values.js';

const LEXER: LexerRules = {
  hashComments: false,
  dashCommentNeedsSpace: false,
  nestedComments: false,
  backslashEscapes: false,
  doubleQuote: 'identifier',
  brackets: true,
  backticks: true,
  executableComments: false,
  wordChars: '$',
  // node-sql-parser's grammar reads # as a comment; SQLite does not.
  refusedChars: '#',
};

const TRANSACTION = 'transaction control is refused: every statement runs in its own transaction';

const REFUSED_STATEMENTS = new Map<string, string>([
  ['ATTACH', 'ATTACH opens another database file'],
  ['DETACH', 'DETACH changes the databases of the connection'],
  ['VACUUM', 'VACUUM rewrites the database file (VACUUM INTO writes a new file)'],
  ['BEGIN', TRANSACTION],
  ['COMMIT', TRANSACTION],
  ['END', TRANSACTION],
  ['ROLLBACK', TRANSACTION],
  ['SAVEPOINT', TRANSACTION],
  ['RELEASE', TRANSACTION],
  ['REINDEX', 'REINDEX rebuilds indexes; maintenance is not run through sqlgate'],
  ['ANALYZE', 'ANALYZE writes statistics tables; maintenance is not run through sqlgate'],
]);

const READ_NODE_TYPES = new Set([
  'select', 'column_ref', 'expr', 'expr_list', 'binary_expr', 'unary_expr', 'function', 'aggr_func', 'case', 'when',
  'else', 'cast', 'window', 'collate', 'var', 'star', 'number', 'bool', 'boolean', 'null', 'origin', 'default', 'param',
  'single_quote_string', 'double_quote_string', 'backticks_quote_string', 'hex_string', 'full_hex_string', 'bit_string',
  'string', 'date', 'datetime', 'time', 'timestamp', 'ASC', 'DESC', 'datatype', 'ESCAPE',
  // VALUES as a query (sqlite-values.ts): its rows are expressions, walked and checked like any other.
  'values',
]);

export async function createSqliteRules(): Promise<StatementRules> {
  const grammar = await import('node-sql-parser/build/sqlite.js');
  const parser = new grammar.default.Parser();
  return createParserGate({
    name: 'SQLite',
    dialectName: 'sqlite',
    lexer: LEXER,
    parse: (sql) => parser.astify(sql, { database: 'Sqlite' }),
    functions: SQLITE_FUNCTIONS,
    readHint: 'Read-only SQLite statements are one SELECT (CTEs, UNION/INTERSECT/EXCEPT, subqueries, window and JSON functions), EXPLAIN [QUERY PLAN] of a SELECT, and read-only pragmas such as PRAGMA table_info(t).',
    allowsLeadingSemicolon: false,
    refusedStatements: REFUSED_STATEMENTS,
    readNodeTypes: READ_NODE_TYPES,
    prepare: prepareSqlite,
    rewrite: rewriteForSqliteParser,
    restore: restoreValues,
  });
}

function prepareSqlite(tokens: readonly Token[], edits: Edits): { verdict?: StatementVerdict; explain?: boolean } | undefined {
  const first = tokens[0]!.value;
  if (first === 'PRAGMA') return { verdict: pragmaVerdict(tokens) };
  if (first !== 'EXPLAIN') return undefined;
  // The grammar has no EXPLAIN: hand it the statement after EXPLAIN [QUERY PLAN], which must then be a read.
  edits.set(0, '');
  if (tokens[1]?.value === 'QUERY' && tokens[2]?.value === 'PLAN') edits.set(1, '').set(2, '');
  return { explain: true };
}
