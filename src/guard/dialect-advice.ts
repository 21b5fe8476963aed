/**
 * The statement gate's errors for SQL written for another dialect. Both gates route through here: the
 * node-sql-parser gates (rules/sql-parser-ast.ts) and PostgreSQL's (rules/postgres-function-check.ts,
 * rules/postgres-rules.ts). A refused function or a parse failure names the dialect and, where the statement holds
 * another dialect's function or syntax, what to write instead (the tables are in db/sql-equivalents.ts).
 *
 * Advice only words errors: every function this builds an error for is one the gate refuses anyway, and every
 * parse failure stays a failure. Constructs are found in the guard's own lexer tokens, so words inside string
 * literals, quoted names and comments never trigger advice.
 */
import { adviseOnConstruct, adviseOnFunction, canHaveUserFunctions, type AdviceTarget, type ForeignConstruct } from '../db/sql-equivalents.js';
import { InvalidInputError, ReadOnlyError, type SqlgateError } from '../errors.js';
import { closestMatches } from '../util/closest-matches.js';
import { lexSql, type LexerRules, type Token } from './rules/sql-parser-text.js';

export type { AdviceTarget };

/** What the gate knows about a refused call. */
export interface RefusedCall {
  /** The name as written, schema-qualified if it was (`NOW`, `dbo.fn`). */
  readonly shown: string;
  /** True when the name resolves to the built-ins (unqualified; PostgreSQL: also `pg_catalog.`). */
  readonly isBuiltinPath: boolean;
  /** The built-ins the gate knows, for "similar functions". */
  readonly builtins: Iterable<string>;
  /** Replaces the default hint (PostgreSQL: allowed_functions lists the name under a schema). */
  readonly hint?: string;
}

/** At most this many advice sentences in one error, and this many similar names. */
const MAX_ADVICE = 3;
const MAX_SIMILAR = 5;

/**
 * The error for a call to a function that is neither a known built-in nor allowed by the environment:
 * - another dialect's function (`date_trunc` on SQLite): InvalidInputError saying what to write instead;
 * - SQLite, which has no functions beyond its built-ins here: InvalidInputError naming similar built-ins;
 * - elsewhere: ReadOnlyError leaving both readings open (a typo, or a function of the database's own whose side
 *   effects the gate cannot know; the operator may allow that one in allowed_functions).
 */
export function unknownFunctionError(target: AdviceTarget, call: RefusedCall): SqlgateError {
  const bareName = call.shown.split('.').at(-1) ?? call.shown;
  const advice = call.isBuiltinPath ? adviseOnFunction(target, bareName) : undefined;
  const hasUserFunctions = canHaveUserFunctions(target.name);
  if (advice !== undefined) {
    return new InvalidInputError(advice, {
      hint: hasUserFunctions ? `If this database has a function of its own named ${call.shown}() that only reads, the operator can allow it in allowed_functions.` : undefined,
    });
  }
  // A built-in much shorter than the name is a substring of it (min in admin_fn), not what was meant.
  const similar = call.isBuiltinPath
    ? closestMatches(bareName, [...call.builtins].filter((name) => name.length * 2 >= bareName.length), MAX_SIMILAR)
    : [];
  const similarText = similar.length > 0 ? ` Similar ${target.displayName} built-ins: ${similar.map((name) => `${name}()`).join(', ')}.` : '';
  if (!hasUserFunctions) {
    return new InvalidInputError(`${target.displayName} has no function ${call.shown}(): it is not a built-in, and sqlgate adds only sqlgate_user(), sqlgate_roles() and sqlgate_client().${similarText}`, {
      hint: `A function compiled into this ${target.displayName} build (such as FTS5's bm25) runs only if the operator lists it in allowed_functions.`,
    });
  }
  return new ReadOnlyError(
    `${target.displayName} has no built-in function ${call.shown}() that the gate knows. If it is defined in this database, it is not known to be free of side effects; ask the operator to allow it in allowed_functions if it only reads.${similarText}`,
    { hint: call.hint ?? 'Built-in aggregate, window, math, string, date/time, JSON, conditional and casting functions are allowed; user-defined ones only when the environment lists them in allowed_functions.' },
  );
}

/**
 * Advice for a statement the dialect's parser rejected: one sentence per construct or function of another dialect
 * found in `tokens` (at most three), or none. `isBuiltin` tells this dialect's own functions (lower-case) apart.
 */
export function adviseOnSyntax(target: AdviceTarget, tokens: readonly Token[], isBuiltin: (name: string) => boolean): string[] {
  const advice = new Set<string>();
  const seen = new Set<number>();
  tokens.forEach((_, i) => {
    for (const construct of constructsAt(tokens, i)) {
      const sentence = adviseOnConstruct(target, construct);
      if (sentence !== undefined) advice.add(sentence);
      seen.add(i);
    }
  });
  tokens.forEach((token, i) => {
    const isCall = token.kind === 'word' && tokens[i + 1]?.text === '(' && tokens[i - 1]?.text !== '.';
    if (!isCall || seen.has(i) || isBuiltin(token.value.toLowerCase())) return;
    const sentence = adviseOnFunction(target, token.text);
    if (sentence !== undefined) advice.add(sentence);
  });
  return [...advice].slice(0, MAX_ADVICE);
}

/**
 * The same for text the gate could not lex or parse as it stands: it is lexed again with `rules` but without
 * refused characters (so that a backtick on SQL Server becomes a token to advise on). No advice when even that
 * fails; the tokens serve only the advice, never a verdict.
 */
export function adviseOnText(target: AdviceTarget, sql: string, rules: LexerRules, isBuiltin: (name: string) => boolean): string[] {
  let tokens: Token[];
  try {
    tokens = lexSql(sql, { ...rules, refusedChars: '' });
  } catch {
    return [];
  }
  return adviseOnSyntax(target, tokens, isBuiltin);
}

/** MySQL's interval units, which may follow `INTERVAL '1'` (PostgreSQL accepts some of them there too). */
const INTERVAL_UNITS = new Set([
  'MICROSECOND', 'SECOND', 'MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR', 'SECOND_MICROSECOND',
  'MINUTE_MICROSECOND', 'MINUTE_SECOND', 'HOUR_MICROSECOND', 'HOUR_SECOND', 'HOUR_MINUTE', 'DAY_MICROSECOND',
  'DAY_SECOND', 'DAY_MINUTE', 'DAY_HOUR', 'YEAR_MONTH',
]);

/** Keywords after which `[` opens a name rather than a subscript. */
const BEFORE_A_NAME = new Set(['SELECT', 'DISTINCT', 'FROM', 'JOIN', 'WHERE', 'AND', 'OR', 'NOT', 'ON', 'BY', 'AS', 'WHEN', 'THEN', 'ELSE', 'HAVING', 'SET', 'INTO', 'UPDATE', 'TABLE']);

const isCount = (token: Token | undefined): boolean =>
  token !== undefined && (token.kind === 'number' || token.text === '(' || token.text === '?' || /^[@$:]/.test(token.text));

/** The constructs of other dialects that start at token `i`. Which of them a dialect lacks, the tables say. */
function constructsAt(tokens: readonly Token[], i: number): ForeignConstruct[] {
  const token = tokens[i]!;
  const previous = tokens[i - 1];
  const next = tokens[i + 1];
  if (token.kind === 'quoted') return token.text.startsWith('`') ? ['backticks'] : [];
  if (token.kind === 'punct') {
    if (token.text === ':' && next?.text === ':' && next.start === token.end && previous?.text !== ':') return ['cast-operator'];
    if (token.text === '`') return ['backticks'];
    if (token.text === '#') return ['hash-comment'];
    // `[name]` where brackets do not quote names; not a subscript (`a[1]`, `f(x)[1]`, `ARRAY[1]`).
    const isSubscript = previous !== undefined
      && ((previous.kind === 'word' && !BEFORE_A_NAME.has(previous.value)) || previous.kind === 'quoted' || previous.text === ')' || previous.text === ']');
    if (token.text === '[' && !isSubscript && next?.kind === 'word' && tokens[i + 2]?.text === ']') return ['brackets'];
    return [];
  }
  if (token.kind !== 'word') return [];
  switch (token.value) {
    case 'ILIKE':
      return ['ilike'];
    case 'EXTRACT':
      return next?.text === '(' && tokens[i + 3]?.value === 'FROM' ? ['extract'] : [];
    case 'INTERVAL': {
      const at = next?.text === '-' || next?.text === '+' ? i + 2 : i + 1;
      if (tokens[at]?.kind === 'number') return ['interval', 'interval-number'];
      if (tokens[at]?.kind !== 'string') return [];
      const unit = tokens[at + 1];
      return unit?.kind === 'word' && INTERVAL_UNITS.has(unit.value) ? ['interval'] : ['interval', 'interval-text'];
    }
    case 'TOP':
      return previous?.kind === 'word' && ['SELECT', 'DISTINCT', 'ALL'].includes(previous.value) && isCount(next) ? ['top'] : [];
    case 'LIMIT':
      if (!isCount(next)) return [];
      return tokens[i + 2]?.text === ',' ? ['limit', 'limit-comma'] : ['limit'];
    case 'FETCH':
      return next?.value === 'FIRST' || next?.value === 'NEXT' ? ['offset-fetch'] : [];
    case 'OFFSET':
      return tokens[i + 2]?.value === 'ROWS' || tokens[i + 2]?.value === 'ROW' ? ['offset-fetch'] : [];
    default:
      return [];
  }
}
