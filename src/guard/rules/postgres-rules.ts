/**
 * The PostgreSQL statement gate: PostgreSQL 18's own parser (libpg-query, compiled to WASM) turns the text into a
 * tree, and the gate accepts exactly one statement whose kind, node types and functions it knows (see
 * docs/guard/postgres.md). Parsing the real grammar is what defeats obfuscation: case, comments inside the text,
 * dollar quoting, U&"…" escapes and odd whitespace all reach the gate already resolved into names and literals.
 *
 * Reads are classified `read`; DML `write`; schema changes and maintenance `ddl` — refusing those in read-only
 * environments is the caller's decision. Transaction control, session state, COPY, code, server administration and
 * dangerous functions are refused here, in every environment.
 */
import { hasSqlDetails, loadModule, parseSync } from 'libpg-query';
import { InvalidInputError } from '../../errors.js';
import { adviseOnText } from '../dialect-advice.js';
import type { GateOptions, StatementRules, StatementVerdict } from '../statement-gate.js';
import type { StatementShape } from '../statement-shape.js';
import type { AllowedFunctions } from './postgres-function-check.js';
import { postgresFunctions } from './postgres-functions.js';
import { POSTGRES_ADVICE, postgresRefusal, READ_KINDS_HINT } from './postgres-refusal.js';
import { postgresShape } from './postgres-shape.js';
import { postgresStatementRule, statementRefusal, type StatementBody } from './postgres-statements.js';
import { walkPostgresTree, type TreeEffects } from './postgres-tree-walk.js';
import type { LexerRules } from './sql-parser-text.js';

/** The verdict, plus why a statement is not a read (for the caller's refusal message). */
export interface PostgresVerdict extends StatementVerdict {
  /** Why the statement writes or changes the schema ("SELECT … FOR UPDATE locks rows"); absent for reads. */
  readonly reason?: string;
}

const PARSE_HINT = 'Send one PostgreSQL statement per call; check the syntax near that position.';

/**
 * How PostgreSQL reads comments and literals, for finding another dialect's syntax in a statement its parser
 * rejected (dialect-advice.ts). Only the advice uses these tokens: libpg-query alone decides what the text is.
 */
const ADVICE_LEXER: LexerRules = {
  hashComments: false,
  dashCommentNeedsSpace: false,
  nestedComments: true,
  backslashEscapes: false,
  doubleQuote: 'identifier',
  brackets: false,
  backticks: false,
  executableComments: false,
  wordChars: '$',
  refusedChars: '',
  dollarQuotes: true,
};

const isPostgresBuiltin = (name: string): boolean => postgresFunctions.safe.has(name) || postgresFunctions.writes.has(name);

function parseStatements(sql: string): unknown[] {
  if (sql.trim() === '') throw new InvalidInputError('The statement is empty.', { hint: READ_KINDS_HINT });
  // The WASM parser reads a C string: it would stop at a NUL and check only the text before it.
  if (sql.includes('\u0000')) {
    throw new InvalidInputError('The statement contains a NUL character, which PostgreSQL does not accept in statement text.', {
      hint: PARSE_HINT,
    });
  }
  let stmts: unknown[];
  try {
    stmts = parseSync(sql).stmts ?? [];
  } catch (err) {
    // A tree deep enough to overflow the stack while libpg-query turns it into objects: refuse it as input.
    if (err instanceof RangeError) {
      throw new InvalidInputError('The statement is nested too deeply to check.', { hint: PARSE_HINT, cause: err });
    }
    if (!hasSqlDetails(err)) throw err;
    // libpg-query reports a 0-based offset; PostgreSQL's own messages count characters from 1.
    const position = (err.sqlDetails?.cursorPosition ?? 0) + 1;
    const advice = adviseOnText(POSTGRES_ADVICE, sql, ADVICE_LEXER, isPostgresBuiltin);
    throw new InvalidInputError([`Could not parse the PostgreSQL statement: ${err.message} (at character ${position}).`, ...advice].join(' '), {
      hint: PARSE_HINT,
      cause: err,
    });
  }
  if (stmts.length === 0) {
    throw new InvalidInputError('The text holds no statement, only comments or semicolons.', { hint: READ_KINDS_HINT });
  }
  if (stmts.length > 1) {
    throw postgresRefusal(
      `Several statements in one call are refused: the text holds ${stmts.length} statements.`,
      'Send one statement per call; a trailing semicolon or comment is fine.',
    );
  }
  return stmts;
}

function unwrap(wrapper: unknown): [string, StatementBody] {
  const [type] = Object.keys(wrapper ?? {});
  if (type === undefined) throw postgresRefusal('An empty statement is not known to the gate.');
  return [type, (wrapper as Record<string, StatementBody>)[type]!];
}

function verdictOf(effects: TreeEffects): PostgresVerdict {
  if (effects.ddlReason !== undefined) return { kind: 'ddl', isDestructive: effects.isDestructive, reason: effects.ddlReason };
  if (effects.writeReason !== undefined) return { kind: 'write', isDestructive: effects.isDestructive, reason: effects.writeReason };
  return { kind: 'read', isDestructive: false };
}

/** EXPLAIN runs its statement only with ANALYZE; any ANALYZE option counts, even `ANALYZE false` (fail safe). */
function isAnalyze(body: StatementBody): boolean {
  const options = Array.isArray(body['options']) ? body['options'] : [];
  return options.some((o) => (o as { DefElem?: { defname?: unknown } }).DefElem?.defname === 'analyze');
}

function classifyStatement(wrapper: unknown, allowed: AllowedFunctions): PostgresVerdict {
  const [type, body] = unwrap(wrapper);
  const rule = postgresStatementRule(type);
  if (rule === undefined) throw statementRefusal(type, body);
  switch (rule.handling) {
    case 'select':
    case 'dml':
      return verdictOf(walkPostgresTree(wrapper, { allowed, isStrict: true }));
    case 'show':
      return { kind: 'read', isDestructive: false };
    case 'explain': {
      const inner = classifyStatement(body['query'], allowed);
      if (inner.reason === undefined) return inner;
      if (isAnalyze(body)) return { ...inner, reason: `EXPLAIN ANALYZE runs its statement: ${inner.reason}` };
      // Plain EXPLAIN only plans: PostgreSQL runs it even in a READ ONLY transaction, so EXPLAIN of DML is a read.
      // EXPLAIN of CREATE TABLE AS keeps its kind: the gate does not rely on how PostgreSQL explains utility commands.
      return inner.kind === 'write' ? { kind: 'read', isDestructive: false } : inner;
    }
    case 'ddl': {
      walkPostgresTree(wrapper, { allowed, isStrict: false });
      return { kind: 'ddl', isDestructive: rule.isDestructive(body), reason: `${rule.name(body)} changes the schema or maintains tables` };
    }
    case 'refused':
      throw statementRefusal(type, body, rule);
  }
}

/** Loads the parser once and returns the PostgreSQL rules; `classify` is then synchronous and pure. */
export async function createPostgresRules(): Promise<StatementRules> {
  await loadModule();
  return {
    classify(sql: string, options: GateOptions): PostgresVerdict {
      const allowed = new Set(options.allowedFunctions.map((name) => name.trim().toLowerCase()));
      const [stmt] = parseStatements(sql);
      return classifyStatement((stmt as { stmt?: unknown }).stmt, allowed);
    },
    shape(sql: string): StatementShape {
      const [stmt] = parseStatements(sql);
      return postgresShape((stmt as { stmt?: unknown }).stmt);
    },
  };
}
