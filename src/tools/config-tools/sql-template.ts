/**
 * A configured tool's SQL, split at its `:name` placeholders, and put back together with the dialect's positional
 * markers ($1, ?, @p1). Values are never written into the text: each placeholder becomes a marker and its value a
 * bound parameter. Only identifiers (names the configuration or the catalog vouched for) are written in, quoted by
 * the dialect.
 *
 * The scanner skips what a placeholder cannot be inside of — string literals, quoted names and comments, read the
 * way each engine reads them — and `::` casts, `:=` assignments and `[1:2]` slices. It only has to find the
 * placeholders: whatever it produces still goes through the statement gate before it runs.
 */
import type { DialectName } from '../../db/dialect.js';
import { InternalError } from '../../errors.js';

/** Literal SQL text, or a placeholder. */
export type TemplatePart = string | { readonly parameter: string };

/** A tool's SQL as scanned once at start: its text between placeholders, and the placeholders it names. */
export interface SqlTemplate {
  readonly parts: readonly TemplatePart[];
  /** The parameters the SQL names, each once, in order of first use. */
  readonly parameters: readonly string[];
}

/** What a placeholder is replaced by. */
export type BoundPart =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'list'; readonly values: readonly unknown[] }
  /** Already quoted by the dialect. */
  | { readonly kind: 'identifier'; readonly sql: string };

interface Quoting {
  readonly backticks: boolean;
  readonly brackets: boolean;
  readonly hashComments: boolean;
  readonly backslashEscapes: boolean;
  readonly dollarQuotes: boolean;
  readonly nestedComments: boolean;
  /** PostgreSQL's E'…' strings take backslash escapes. */
  readonly escapeStrings: boolean;
  /** MySQL: `--` starts a comment only before white space (`5--1` is arithmetic). */
  readonly dashCommentNeedsSpace: boolean;
}

const QUOTING: Record<DialectName, Quoting> = {
  postgres: { backticks: false, brackets: false, hashComments: false, backslashEscapes: false, dollarQuotes: true, nestedComments: true, escapeStrings: true, dashCommentNeedsSpace: false },
  mysql: { backticks: true, brackets: false, hashComments: true, backslashEscapes: true, dollarQuotes: false, nestedComments: false, escapeStrings: false, dashCommentNeedsSpace: true },
  sqlite: { backticks: true, brackets: true, hashComments: false, backslashEscapes: false, dollarQuotes: false, nestedComments: false, escapeStrings: false, dashCommentNeedsSpace: false },
  mssql: { backticks: false, brackets: true, hashComments: false, backslashEscapes: false, dollarQuotes: false, nestedComments: true, escapeStrings: false, dashCommentNeedsSpace: false },
};

const NAME = /[a-z][a-z0-9_]*/iy;
const DOLLAR_TAG = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/y;

export function parseSqlTemplate(sql: string, dialect: DialectName): SqlTemplate {
  const quoting = QUOTING[dialect];
  const parts: TemplatePart[] = [];
  const parameters: string[] = [];
  let literalStart = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1] ?? '';
    if (ch === "'") i = skipQuoted(sql, i, "'", quoting.backslashEscapes || (quoting.escapeStrings && isEscapeStringPrefix(sql, i)));
    else if (ch === '"') i = skipQuoted(sql, i, '"', quoting.backslashEscapes);
    else if (ch === '`' && quoting.backticks) i = skipQuoted(sql, i, '`', false);
    else if (ch === '[' && quoting.brackets) i = skipQuoted(sql, i, ']', false);
    else if ((ch === '-' && next === '-' && (!quoting.dashCommentNeedsSpace || /^\s?$/.test(sql[i + 2] ?? ''))) || (ch === '#' && quoting.hashComments)) i = endOfLine(sql, i);
    else if (ch === '/' && next === '*') i = skipBlockComment(sql, i, quoting.nestedComments);
    else if (ch === '$' && quoting.dollarQuotes && !/\w/.test(sql[i - 1] ?? '')) i = skipDollarQuoted(sql, i);
    else if (ch === ':' && next === ':') i += 2;
    else if (ch === ':' && sql[i - 1] !== ':' && /[a-z]/i.test(next)) {
      NAME.lastIndex = i + 1;
      // `:=` (MySQL's assignment, PostgreSQL's named argument) never gets here: its colon is followed by `=`, not
      // a letter. `:name=` is a placeholder followed by an operator (`WHERE :id=id`).
      const name = NAME.exec(sql)![0];
      if (i > literalStart) parts.push(sql.slice(literalStart, i));
      parts.push({ parameter: name });
      if (!parameters.includes(name)) parameters.push(name);
      i += 1 + name.length;
      literalStart = i;
    } else i++;
  }
  if (literalStart < sql.length) parts.push(sql.slice(literalStart));
  return { parts, parameters };
}

/**
 * The statement to run: each value placeholder becomes the dialect's next positional marker (a list becomes one
 * marker per item), each identifier its quoted text. Every placeholder must have a bound part.
 */
export function renderSqlTemplate(
  template: SqlTemplate,
  bound: ReadonlyMap<string, BoundPart>,
  placeholder: (position: number) => string,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const marker = (value: unknown) => {
    params.push(value);
    return placeholder(params.length);
  };
  const sql = template.parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const value = bound.get(part.parameter);
      // buildConfigTool checked that every placeholder is a declared parameter, and each is bound on every call.
      if (value === undefined) throw new InternalError(`no value bound for :${part.parameter}`);
      if (value.kind === 'identifier') return value.sql;
      if (value.kind === 'list') return value.values.map(marker).join(', ');
      return marker(value.value);
    })
    .join('');
  return { sql, params };
}

/** `E'` or `e'` with no word character before the E. */
function isEscapeStringPrefix(sql: string, quote: number): boolean {
  return /[eE]/.test(sql[quote - 1] ?? '') && !/\w/.test(sql[quote - 2] ?? '');
}

/** The index just past a literal or quoted name that opens at `start` and closes with `close` (doubled: escaped). */
function skipQuoted(sql: string, start: number, close: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    if (backslashEscapes && sql[i] === '\\') i += 2;
    else if (sql[i] === close) {
      if (sql[i + 1] === close) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

function endOfLine(sql: string, start: number): number {
  const end = sql.indexOf('\n', start);
  return end === -1 ? sql.length : end + 1;
}

function skipBlockComment(sql: string, start: number, nested: boolean): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth = nested ? depth + 1 : 1;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      i += 2;
      if (--depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

/** PostgreSQL's $tag$ … $tag$ strings; a `$1` marker is not one. */
function skipDollarQuoted(sql: string, start: number): number {
  DOLLAR_TAG.lastIndex = start;
  const tag = DOLLAR_TAG.exec(sql);
  if (!tag) return start + 1;
  const end = sql.indexOf(tag[0], start + tag[0].length);
  return end === -1 ? sql.length : end + tag[0].length;
}
