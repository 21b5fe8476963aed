/**
 * The text the MySQL/MariaDB, SQL Server and SQLite gates hand to node-sql-parser, and the lexer behind it.
 *
 * The parser is not trusted to agree with the server about where comments and literals end: a parser that takes
 * `--x` or `/*!50000 … *\/` for a comment while the server runs it would wave the hidden part through. So the lexer
 * below follows each server's rules, refuses what could be read two ways, and the parser only ever sees that
 * lexer's view of the text: comments replaced by spaces and string literals emptied to `'xxx'`. Whatever the parser
 * does with comments and escapes, it cannot see less code than the server runs.
 *
 * The token helpers at the end serve the dialects' rewrites (rules/<dialect>-rewrites.ts) of syntax node-sql-parser
 * lacks. The checks that use all this are in sql-parser-ast.ts.
 */
export interface Token {
  readonly kind: 'word' | 'quoted' | 'string' | 'number' | 'punct';
  /** As written. */
  readonly text: string;
  /** Words: upper-case text. Quoted identifiers: the name inside the quotes. Otherwise: the text. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** Parenthesis depth; a `(` and its `)` carry the depth outside them. */
  readonly depth: number;
  /** True when only whitespace precedes the token on its line. */
  readonly startsLine: boolean;
}

/** How a server reads comments, literals and identifiers. */
export interface LexerRules {
  /** MySQL: `#` comments; `1--1` is arithmetic and `-- x` a comment; backslash escapes. */
  readonly hashComments: boolean;
  readonly dashCommentNeedsSpace: boolean;
  readonly backslashEscapes: boolean;
  /** SQL Server: block comments nest. */
  readonly nestedComments: boolean;
  /** MySQL reads "…" as a string (unless ANSI_QUOTES), the others as a name; [name] and `name` quote names. */
  readonly doubleQuote: 'string' | 'identifier';
  readonly brackets: boolean;
  readonly backticks: boolean;
  /** MySQL/MariaDB run `/*! … *\/` and `/*M! … *\/`, and read optimizer hints `/*+ … *\/`. */
  readonly executableComments: boolean;
  /** Characters besides letters, digits and `_` that continue a bare word. */
  readonly wordChars: string;
  /** Characters the server rejects but node-sql-parser might read as quotes or comments. */
  readonly refusedChars: string;
  /** PostgreSQL: `$$…$$` and `$tag$…$tag$` are string literals (only the PostgreSQL gate's advice lexes with it). */
  readonly dollarQuotes?: boolean;
}

/** A refusal raised by a check; the gate adds the dialect's hint and turns it into a ReadOnlyError. */
export class Refusal extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** Text that cannot be a statement: the gate answers InvalidInputError. */
export class Unparseable extends Error {}

// Outside literals, only ASCII and non-ASCII letters, digits and marks (prénom) are accepted: invisible or
// look-alike characters (zero-width joiners, no-break spaces, bidi controls, fullwidth quotes and semicolons) could
// make the text read differently to a person, the parser and the server.
const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;
const MAX_DEPTH = 200;
/** `$$` or `$tag$` (PostgreSQL: a tag is a name, at most 63 characters here). */
const DOLLAR_TAG = /^\$(?:[A-Za-z_][A-Za-z0-9_]{0,62})?\$/;

/** Splits `sql` into tokens the way the server reads it. Throws Refusal or Unparseable. */
export function lexSql(sql: string, rules: LexerRules): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let lineHasToken = false;
  let i = 0;
  const push = (kind: Token['kind'], end: number, value?: string) => {
    const text = sql.slice(i, end);
    if (text === ')') depth--;
    tokens.push({ kind, text, value: value ?? (kind === 'word' ? text.toUpperCase() : text), start: i, end, depth, startsLine: !lineHasToken });
    // The parser recurses per level; real queries nest a few dozen levels at most.
    if (text === '(' && ++depth > MAX_DEPTH) throw new Unparseable(`parentheses are nested more than ${MAX_DEPTH} levels deep`);
    lineHasToken = true;
    i = end;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1] ?? '';
    if (ch === '\n' || ch === '\r') {
      lineHasToken = false;
      i++;
    } else if (ch === ' ' || ch === '\t') {
      i++;
    } else if (ch === '-' && next === '-') {
      if (rules.dashCommentNeedsSpace && i + 2 < sql.length && !/\s/.test(sql[i + 2]!)) {
        throw new Refusal('"--" followed by a non-space is arithmetic to MySQL but a comment to the parser; write "-- " for a comment or "- -" for two minus signs');
      }
      i = lineEnd(sql, i);
    } else if (ch === '#' && rules.hashComments) {
      i = lineEnd(sql, i);
    } else if (ch === '/' && next === '*') {
      if (rules.executableComments && /^\/\*(?:!|\+|[Mm]!)/.test(sql.slice(i, i + 4))) {
        throw new Refusal('a versioned or optimizer-hint comment (/*! … */, /*M! … */, /*+ … */): MySQL and MariaDB execute its content, so it is refused');
      }
      i = blockCommentEnd(sql, i, rules.nestedComments);
    } else if (ch === '$' && rules.dollarQuotes && DOLLAR_TAG.test(sql.slice(i, i + 66))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 66))![0];
      const close = sql.indexOf(tag, i + tag.length);
      if (close < 0) throw new Unparseable(`a ${tag}…${tag} literal is not closed`);
      push('string', close + tag.length);
    } else if (ch === "'" || (ch === '"' && rules.doubleQuote === 'string')) {
      push('string', quoteEnd(sql, i, ch, rules.backslashEscapes));
    } else if (ch === '"' || (ch === '`' && rules.backticks) || (ch === '[' && rules.brackets)) {
      const end = quoteEnd(sql, i, ch === '[' ? ']' : ch, false);
      push('quoted', end, quotedName(sql.slice(i + 1, end - 1)));
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(next))) {
      push('number', numberEnd(sql, i, rules.wordChars));
    } else if (isWordChar(ch, rules.wordChars)) {
      let end = i + 1;
      while (end < sql.length && isWordChar(sql[end]!, rules.wordChars)) end++;
      push('word', end);
    } else if (ch < ' ' || ch >= '\x7f') {
      const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new Refusal(`the statement contains the invisible, control or look-alike character ${code} outside a string literal or quoted name`);
    } else if (rules.refusedChars.includes(ch)) {
      throw new Unparseable(`the character ${ch} is not valid here`);
    } else {
      push('punct', i + 1);
    }
  }
  return tokens;
}

function isWordChar(ch: string, extra: string): boolean {
  return /[A-Za-z0-9_]/.test(ch) || extra.includes(ch) || (ch > '\x7f' && NON_ASCII_WORD.test(ch));
}

/** MySQL and SQLite end a line comment at \n, SQL Server at \r too: ending at either never hides code. */
function lineEnd(sql: string, from: number): number {
  let i = from;
  while (i < sql.length && sql[i] !== '\n' && sql[i] !== '\r') i++;
  return i;
}

function blockCommentEnd(sql: string, from: number, nested: boolean): number {
  let level = 0;
  for (let i = from; i < sql.length - 1; i++) {
    if (sql[i] === '/' && sql[i + 1] === '*' && (nested || level === 0)) {
      level++;
      i++;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      i++;
      if (--level === 0) return i + 1;
    }
  }
  throw new Unparseable('a /* comment is not closed');
}

/** End of a quoted string or name; a doubled quote stays inside. */
function quoteEnd(sql: string, from: number, quote: string, backslash: boolean): number {
  for (let i = from + 1; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === '\0') throw new Refusal('the statement contains a NUL character');
    if (backslash && ch === '\\') {
      // Under ANSI_QUOTES "…" is a name, where a backslash escapes nothing: the two readings would disagree.
      if (quote === '"') throw new Refusal('a backslash inside "…" reads differently with and without ANSI_QUOTES; use single quotes for strings');
      i++;
    } else if (ch === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i++;
    }
  }
  throw new Unparseable(`a ${quote === ']' ? '[' : quote}…${quote} literal is not closed`);
}

/**
 * Quoted names go to the parser as written, so they must not hide quotes, escapes or control characters. (That no
 * name of the statement holds a quote is also what makes rewriteMarker() names unforgeable.)
 */
function quotedName(inner: string): string {
  if (!/[\\'"`[\]\p{Cc}\p{Cf}]/u.test(inner)) return inner;
  throw new Refusal('a quoted identifier contains quote, backslash or control characters; rename the object or use a view');
}

function numberEnd(sql: string, from: number, wordChars: string): number {
  let i = from;
  for (; i < sql.length; i++) {
    const ch = sql[i]!;
    const isExponentSign = (ch === '+' || ch === '-') && /^[0-9.]+[eE]$/.test(sql.slice(from, i)) && /[0-9]/.test(sql[i + 1] ?? '');
    if (!isExponentSign && ch !== '.' && !isWordChar(ch, wordChars)) break;
  }
  return i;
}

/** Token indexes → replacement text, collected before parsing. */
export type Edits = Map<number, string>;

/**
 * The text node-sql-parser sees: whitespace and comments become spaces (line breaks stay), string literals keep
 * their quotes but their content becomes `x`, and edits replace tokens. `toOriginal` maps an offset back.
 */
export function parserText(sql: string, tokens: readonly Token[], edits: Edits): { text: string; toOriginal(offset: number): number } {
  const parts: string[] = [];
  const starts: number[] = [];
  let length = 0;
  tokens.forEach((token, index) => {
    const gap = sql.slice(tokens[index - 1]?.end ?? 0, token.start).replace(/[^\n]/g, ' ');
    const text = edits.get(index) ?? (token.kind === 'string' ? emptiedString(token, tokens[index - 1]) : token.text);
    parts.push(gap, text);
    starts.push(length + gap.length);
    length += gap.length + text.length;
  });
  const toOriginal = (offset: number) => {
    let index = starts.length - 1;
    while (index > 0 && starts[index]! > offset) index--;
    const token = tokens[index];
    return token ? Math.min(token.start + Math.max(0, offset - starts[index]!), token.end) : 0;
  };
  return { text: parts.join(''), toOriginal };
}

function emptiedString(token: Token, previous: Token | undefined): string {
  const inner = token.text.slice(1, -1);
  // X'4142' and B'0101' keep their digits, which the parser validates and which cannot hide a quote.
  const prefix = previous?.end === token.start && previous.kind === 'word' ? previous.value : '';
  if ((prefix === 'X' && /^[0-9A-Fa-f]*$/.test(inner)) || (prefix === 'B' && /^[01]*$/.test(inner))) return token.text;
  return token.text[0] + inner.replace(/[^\n]/g, 'x') + token.text[0];
}

/** The first word of the statement proper: `WITH x AS (…) DELETE …` is a DELETE, `(SELECT …)` a `(`. */
export function mainStatementWord(tokens: readonly Token[]): string {
  if (tokens[0]?.value !== 'WITH') return tokens[0]?.value ?? '';
  const main = tokens.find((t) => t.depth === 0 && t.kind === 'word' && ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'MERGE'].includes(t.value));
  return main?.value ?? 'WITH';
}

/** Index of the `)` that closes the `(` at `open`, or -1. */
export function closingParen(tokens: readonly Token[], open: number): number {
  const depth = tokens[open]!.depth;
  for (let i = open + 1; i < tokens.length; i++) if (tokens[i]!.text === ')' && tokens[i]!.depth === depth) return i;
  return -1;
}

/** Index of the `(` that the `)` at `close` closes, or -1. */
export function openingParen(tokens: readonly Token[], close: number): number {
  const depth = tokens[close]!.depth;
  for (let i = close - 1; i >= 0; i--) if (tokens[i]!.text === '(' && tokens[i]!.depth === depth) return i;
  return -1;
}

/**
 * A name only a rewrite can put into the parser's text: `label` and a double quote, in backquotes. quotedName()
 * refuses a quote inside any quoted name of the statement itself, so the tree holds this name only where the rewrite
 * put it. A rewrite that hands the parser a construct in another form (rules/mysql-json-table.ts,
 * rules/sqlite-values.ts) marks it so, and its restore step finds exactly its own work again.
 */
export function rewriteMarker(label: string): { readonly text: string; readonly name: string } {
  return { text: `\`${label}"\``, name: `${label}"` };
}

/** True when tokens [from, to) hold no parenthesis, so no call: only names, literals, operators and keywords. */
export function hasNoParentheses(tokens: readonly Token[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (tokens[i]!.text === '(' || tokens[i]!.text === ')') return false;
  return from <= to;
}

/**
 * `WINDOW w AS (PARTITION BY c ORDER BY d)` … `OVER w`, for grammars without the WINDOW clause: when every named
 * window holds no parenthesis (so no call can hide in it), the clause is dropped and `OVER w` gets `inline`.
 */
export function rewriteNamedWindows(tokens: readonly Token[], edits: Edits, inline: string): void {
  const names = new Set<string>();
  tokens.forEach((token, at) => {
    if (token.kind !== 'word' || token.value !== 'WINDOW') return;
    const clause: string[] = [];
    let i = at + 1;
    do {
      if (clause.length > 0) i++;
      const close = tokens[i + 2]?.text === '(' ? closingParen(tokens, i + 2) : -1;
      if (tokens[i]?.kind !== 'word' || tokens[i + 1]?.value !== 'AS' || close < 0 || !hasNoParentheses(tokens, i + 3, close)) return;
      clause.push(tokens[i]!.value);
      i = close + 1;
    } while (tokens[i]?.text === ',');
    for (let j = at; j < i; j++) edits.set(j, '');
    for (const name of clause) names.add(name);
  });
  tokens.forEach((token, i) => {
    if (token.value === 'OVER' && tokens[i + 1]?.kind === 'word' && names.has(tokens[i + 1]!.value)) edits.set(i + 1, inline);
  });
}

/**
 * True when tokens [from, to) are a count that cannot call or read anything: numbers, strings, parameters
 * (`?`, `@p1`, `:n`, `$n`), arithmetic and parentheses. Such a count may be replaced by `1` where a grammar only
 * takes a literal (TOP (@n), OFFSET @p ROWS, LIMIT ?).
 */
export function isInertCount(tokens: readonly Token[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const token = tokens[i]!;
    const previous = tokens[i - 1];
    const isParameterName = token.kind === 'word'
      && (/^[@$]/.test(token.text) || (previous?.end === token.start && (previous.text === ':' || previous.text === '@')));
    if (!(token.kind === 'number' || token.kind === 'string' || isParameterName || '+-*/%(),?:@'.includes(token.text))) return false;
  }
  return from < to;
}

/** Replaces tokens [from, to) by a single `1` (see isInertCount). */
export function replaceByOne(edits: Edits, from: number, to: number): void {
  edits.set(from, '1');
  for (let i = from + 1; i < to; i++) edits.set(i, '');
}

/**
 * Drops a window frame (`ROWS|RANGE|GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW`, `RANGE INTERVAL 1 DAY PRECEDING`)
 * that a grammar cannot parse, when it holds only keywords, numbers and signs: nothing in it can call anything.
 * `starts` are the frame keywords to drop; `open` is the `(` after OVER.
 */
export function blankWindowFrame(tokens: readonly Token[], open: number, edits: Edits, starts: ReadonlySet<string>): void {
  const close = closingParen(tokens, open);
  let frame = open + 1;
  while (frame < close && !(tokens[frame]!.depth === tokens[open]!.depth + 1 && tokens[frame]!.kind === 'word' && starts.has(tokens[frame]!.value))) frame++;
  if (close < 0 || frame >= close) return;
  for (let i = frame; i < close; i++) if (tokens[i]!.kind === 'punct' && tokens[i]!.text !== '-' && tokens[i]!.text !== '+') return;
  for (let i = frame; i < close; i++) edits.set(i, '');
}

/** Blanks `DISTINCT` in `SUM(DISTINCT x)` & co., which some grammars only accept for COUNT. */
export function rewriteAggregateDistinct(tokens: readonly Token[], edits: Edits, aggregates: ReadonlySet<string>): void {
  tokens.forEach((token, i) => {
    if (token.value === 'DISTINCT' && tokens[i - 1]?.text === '(' && aggregates.has(tokens[i - 2]?.value ?? '')) edits.set(i, '');
  });
}

/** EXCEPT and INTERSECT → UNION where the grammar lacks them: the branches are parsed and checked all the same. */
export function rewriteSetOperations(tokens: readonly Token[], edits: Edits): void {
  tokens.forEach((token, i) => {
    if (token.kind === 'word' && (token.value === 'EXCEPT' || token.value === 'INTERSECT')) edits.set(i, 'UNION');
  });
}

