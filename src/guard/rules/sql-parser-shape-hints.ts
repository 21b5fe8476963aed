/**
 * What the shape builder (sql-parser-shape.ts) must know about the text that node-sql-parser's tree does not say,
 * or says wrongly: the gate's lexer and rewrites (sql-parser-text.ts, rules/<dialect>-rewrites.ts) change the text
 * before it is parsed, and the grammars misread a few things. All of it is read from the same tokens and edits the
 * parsed text was made from.
 */
import type { DialectName } from '../../db/dialect.js';
import type { Edits, LexerRules, Token } from './sql-parser-text.js';

export interface ShapeHints {
  /** SQLite and SQL Server read "x" as a name; their grammars give it as a string literal (double_quote_string). */
  readonly doubleQuotedAreNames: boolean;
  /**
   * An unquoted NATURAL before a join. The MySQL rewrite blanks it, and the SQLite and SQL Server grammars take it
   * for the alias of the table before it: either way the tree shows a join without a condition.
   */
  readonly hasNaturalJoin: boolean;
  /** Join keywords (NATURAL, CROSS) written before a join, which a grammar may have taken for an alias. */
  readonly joinWords: ReadonlySet<string>;
  /**
   * SQL Server's grammar gives `@p` as a column named "@p". It is a variable unless some quoted name in the
   * statement starts with @ (then a column of that name may exist, and it stays a column).
   */
  readonly atNamesAreVariables: boolean;
  /**
   * A quoted name holds `(`, `)` or `,`. SQL Server's grammar writes `AS v(a, b)` as the alias string "v(a, b)",
   * which can then not be split back for sure.
   */
  readonly hasListPunctuationInNames: boolean;
  /** Set operators as the parser spells them (after EXCEPT/INTERSECT → UNION) → as written, where unambiguous. */
  readonly setOperators: ReadonlyMap<string, string>;
  /**
   * The string literals as the parser sees them (sql-parser-text.ts empties them to `x…x`), with how often each
   * occurs. The grammars accept a string where a name goes (`FROM t 'y'`, SQLite's `SELECT * FROM 'users'`), and the
   * tree then holds the emptied text as the name (sql-parser-string-names.ts).
   */
  readonly emptiedStrings: ReadonlyMap<string, number>;
  /** A clause a rewrite dropped along with the names in it (a named WINDOW, WITHIN GROUP (ORDER BY …)). */
  readonly hiddenClause: string | null;
  /**
   * Which CTEs of its WITH clause a CTE's query can name. MySQL/MariaDB: the earlier ones, itself only under WITH
   * RECURSIVE. SQL Server: the earlier ones and itself (T-SQL has no RECURSIVE keyword). SQLite: every one, later
   * ones included (`WITH a AS (SELECT * FROM b), b AS (…)` reads the CTE b).
   */
  readonly cteVisibility: 'earlier' | 'earlier-and-self' | 'whole-clause';
  /** T-SQL: `SELECT total = SUM(x)` is `SUM(x) AS total`. */
  readonly selectEqualsIsAlias: boolean;
  /**
   * Unquoted words the grammar reads as a column that the server reads otherwise (upper-case): MySQL's prefix
   * operator BINARY (`SELECT BINARY email` parses as the column "BINARY" named email, and returns email's bytes). A
   * column reference of such a name is opaque.
   */
  readonly misreadColumnNames: ReadonlySet<string>;
  /**
   * SQLite: `$name` is a bound parameter. Elsewhere the grammar's `$name` variable is something the server resolves:
   * SQL Server's $IDENTITY and $ROWGUID (the table's identity or ROWGUIDCOL column), a MySQL column named `$name`.
   */
  readonly dollarNamesAreParameters: boolean;
}

const JOIN_WORDS = new Set(['NATURAL', 'CROSS']);
const JOIN_FOLLOWERS = new Set(['JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER', 'CROSS']);
const SET_OPERATORS = new Set(['UNION', 'EXCEPT', 'INTERSECT', 'MINUS']);
/** Words each dialect's grammar misreads as a column (ShapeHints.misreadColumnNames). */
const MISREAD_COLUMN_NAMES: Partial<Record<DialectName, ReadonlySet<string>>> = {
  mysql: new Set(['BINARY']),
};

export function readShapeHints(tokens: readonly Token[], edits: Edits, lexer: LexerRules, dialect: DialectName): ShapeHints {
  const joinWords = new Set<string>();
  tokens.forEach((token, i) => {
    if (token.kind === 'word' && JOIN_WORDS.has(token.value) && JOIN_FOLLOWERS.has(tokens[i + 1]?.value ?? '')) joinWords.add(token.value);
  });
  const quotedNames = tokens.filter((token) => token.kind === 'quoted').map((token) => token.value);
  const emptiedStrings = new Map<string, number>();
  for (const [i, token] of tokens.entries()) {
    // A string a rewrite replaced (JSON_TABLE's COLUMNS clause) never reached the parser.
    if (token.kind !== 'string' || edits.has(i)) continue;
    const emptied = token.text.slice(1, -1).replace(/[^\n]/g, 'x');
    emptiedStrings.set(emptied, (emptiedStrings.get(emptied) ?? 0) + 1);
  }
  return {
    doubleQuotedAreNames: lexer.doubleQuote === 'identifier',
    hasNaturalJoin: joinWords.has('NATURAL'),
    joinWords,
    atNamesAreVariables: lexer.wordChars.includes('@') && !quotedNames.some((name) => name.startsWith('@')),
    hasListPunctuationInNames: quotedNames.some((name) => /[(),]/.test(name)),
    setOperators: originalSetOperators(tokens, edits),
    emptiedStrings,
    hiddenClause: hiddenClause(tokens, edits),
    cteVisibility: dialect === 'sqlite' ? 'whole-clause' : dialect === 'mssql' ? 'earlier-and-self' : 'earlier',
    selectEqualsIsAlias: dialect === 'mssql',
    dollarNamesAreParameters: dialect === 'sqlite',
    misreadColumnNames: new Set(tokens.filter((t) => t.kind === 'word' && MISREAD_COLUMN_NAMES[dialect]?.has(t.value)).map((t) => t.value)),
  };
}

/**
 * SQLite's and SQL Server's rewrites turn EXCEPT and INTERSECT into UNION. Where every set operator the parser
 * spells one way was written the same way, that spelling maps back. Otherwise 'union' stays (it compares rows just
 * as EXCEPT and INTERSECT do), and 'union all' becomes the other spelling, which compares rows where UNION ALL
 * does not (neither engine runs EXCEPT ALL or INTERSECT ALL, so only the strictness matters).
 */
function originalSetOperators(tokens: readonly Token[], edits: Edits): Map<string, string> {
  const written = new Map<string, Set<string>>();
  let isRewritten = false;
  tokens.forEach((token, i) => {
    if (token.kind !== 'word' || !SET_OPERATORS.has(token.value)) return;
    const next = tokens[i + 1];
    const suffix = next?.kind === 'word' && (next.value === 'ALL' || next.value === 'DISTINCT') ? ` ${next.value}` : '';
    const parsed = `${edits.get(i) ?? token.value}${suffix}`.toLowerCase();
    if (edits.has(i)) isRewritten = true;
    written.set(parsed, (written.get(parsed) ?? new Set()).add(`${token.value}${suffix}`.toLowerCase()));
  });
  const spellings = new Map<string, string>();
  if (!isRewritten) return spellings;
  for (const [parsed, originals] of written) {
    const other = [...originals].find((original) => original !== parsed);
    if (originals.size === 1 || (parsed === 'union all' && other)) spellings.set(parsed, other ?? parsed);
  }
  return spellings;
}

/**
 * Rewrites may drop only clauses that hold no call (rules/<dialect>-rewrites.ts), but a dropped clause can hold
 * column names, which the policy must see: the named WINDOW clause (SQLite, MariaDB) and SQL Server's STRING_AGG
 * … WITHIN GROUP (ORDER BY …). MySQL's WITHIN GROUP rewrite keeps the sort key as an argument and is not one.
 */
function hiddenClause(tokens: readonly Token[], edits: Edits): string | null {
  for (const [i, token] of tokens.entries()) {
    if (token.kind !== 'word' || edits.get(i) !== '') continue;
    if (token.value === 'WINDOW') return 'a named WINDOW clause';
    if (token.value === 'WITHIN' && tokens[i + 3]?.value === 'ORDER' && edits.get(i + 5) === '') return 'WITHIN GROUP (ORDER BY …)';
  }
  return null;
}

/** What a statement decided from its tokens alone is, for OpaqueShape: "SHOW COLUMNS", "PRAGMA table_info", "DESCRIBE". */
export function tokenStatementName(tokens: readonly Token[]): string {
  const first = tokens[0]!;
  if (first.value === 'PRAGMA') {
    const name = tokens[2]?.text === '.' ? tokens[3] : tokens[1];
    return name ? `PRAGMA ${name.value.toLowerCase()}` : 'PRAGMA';
  }
  // MySQL's DESC t and EXPLAIN t are DESCRIBE t; an EXPLAIN of a query has a tree and never comes here.
  if (['DESC', 'DESCRIBE', 'EXPLAIN'].includes(first.value)) return 'DESCRIBE';
  if (first.value !== 'SHOW') return first.value;
  // SHOW's kind is its leading keywords: SHOW TABLES, SHOW FULL COLUMNS FROM t, SHOW CREATE TABLE t.
  const words = ['SHOW'];
  for (const token of tokens.slice(1, 3)) {
    if (token.kind !== 'word' || ['FROM', 'IN', 'LIKE', 'WHERE', 'FOR', 'LIMIT'].includes(token.value)) break;
    words.push(token.value);
  }
  return words.join(' ');
}
