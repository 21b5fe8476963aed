/**
 * What the MySQL/MariaDB, SQL Server and SQLite statement gates share once the text is lexed (sql-parser-text.ts):
 * the function allow-list check, one walk over node-sql-parser's tree, and the order of the checks. The statement's
 * shape for the table/column policy (sql-parser-shape.ts) is built from the very tree these checks walk.
 *
 * A dialect (rules/<dialect>-rules.ts) supplies lexer flags, its function catalogue, statements it recognises from
 * tokens (SHOW, PRAGMA …), narrow rewrites where node-sql-parser lacks syntax, and extra node checks.
 */
import type { DialectName } from '../../db/dialect.js';
import { InvalidInputError, ReadOnlyError } from '../../errors.js';
import { adviseOnSyntax, adviseOnText, unknownFunctionError, type AdviceTarget } from '../dialect-advice.js';
import type { GateOptions, StatementRules, StatementVerdict } from '../statement-gate.js';
import type { StatementShape } from '../statement-shape.js';
import { fromItems, functionName, isNode, type AstNode } from './sql-parser-node.js';
import { buildParserShape } from './sql-parser-shape.js';
import { readShapeHints, tokenStatementName } from './sql-parser-shape-hints.js';
import { lexSql, mainStatementWord, parserText, Refusal, Unparseable, type Edits, type LexerRules, type Token } from './sql-parser-text.js';

export { functionName, isNode, type AstNode } from './sql-parser-node.js';

/** A dialect's functions. Names are lower-case. */
export interface FunctionCatalogue {
  /** Built-in scalar, aggregate and window functions known to be free of side effects. */
  readonly scalar: ReadonlySet<string>;
  /** Built-in table-valued functions allowed in FROM. */
  readonly table: ReadonlySet<string>;
  /** Refused in every mode, with the reason; allowed_functions cannot allow them again. */
  readonly refused: ReadonlyMap<string, string>;
  /** Name prefixes refused in every mode (SQL Server: sp_, xp_), with the reason. */
  readonly refusedPrefixes: ReadonlyMap<string, string>;
}

/**
 * Throws a Refusal for a function refused in every mode, and the error of dialect-advice.ts for one that is neither
 * a built-in nor allowed, unless `parts` (schema…, name) names a function this environment may call.
 */
function checkFunction(parts: readonly string[], isTable: boolean, dialect: ParserDialect, allowed: ReadonlySet<string>): void {
  const catalogue = dialect.functions;
  const lower = parts.map((part) => part.toLowerCase());
  const name = lower.at(-1) ?? '';
  const reason = refusalReason(name, catalogue);
  if (reason) throw new Refusal(`${parts.join('.')}() is refused: ${reason}`);
  if (allowed.has(lower.join('.'))) return;
  const builtins = isTable ? catalogue.table : catalogue.scalar;
  if (lower.length === 1 && builtins.has(name)) return;
  throw unknownFunctionError(adviceTarget(dialect), { shown: parts.join('.'), isBuiltinPath: lower.length === 1, builtins });
}

function adviceTarget(dialect: ParserDialect): AdviceTarget {
  return { name: dialect.dialectName, displayName: dialect.name };
}

function isBuiltinOf(catalogue: FunctionCatalogue): (name: string) => boolean {
  return (name) => catalogue.scalar.has(name) || catalogue.table.has(name);
}

function refusalReason(name: string, catalogue: FunctionCatalogue): string | undefined {
  const lower = name.toLowerCase();
  const prefix = [...catalogue.refusedPrefixes.keys()].find((p) => lower.startsWith(p));
  return catalogue.refused.get(lower) ?? (prefix === undefined ? undefined : catalogue.refusedPrefixes.get(prefix));
}

/** Visits every object of the tree, parents before children. */
function walkAst(root: unknown, visit: (node: AstNode) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
    } else if (isNode(value)) {
      visit(value);
      for (const [key, child] of Object.entries(value)) {
        if (typeof child === 'object' && child !== null && key !== 'loc' && key !== 'tableList' && key !== 'columnList') stack.push(child);
      }
    }
  }
}

/** One dialect on node-sql-parser. Hooks throw Refusal (→ ReadOnlyError) to refuse. */
export interface ParserDialect {
  /** "MySQL", "MariaDB", "SQL Server", "SQLite": used in messages. */
  readonly name: string;
  /** Whose equivalents advise on another dialect's functions and syntax (db/sql-equivalents.ts); MariaDB: mysql. */
  readonly dialectName: DialectName;
  readonly lexer: LexerRules;
  /** node-sql-parser's astify with the dialect's grammar; throws its SyntaxError. */
  readonly parse: (sql: string) => unknown;
  readonly functions: FunctionCatalogue;
  /** What a read-only environment accepts: the hint of every refusal. */
  readonly readHint: string;
  /** SQL Server's habit of `;WITH …`. */
  readonly allowsLeadingSemicolon: boolean;
  /** First words refused before parsing, with the reason. */
  readonly refusedStatements: ReadonlyMap<string, string>;
  /** Node `type` values a read may contain. Anything else is a construct the gate has not reviewed: refused. */
  readonly readNodeTypes: ReadonlySet<string>;
  /**
   * Statements read from tokens alone (SHOW, DESCRIBE, PRAGMA) return their verdict. An EXPLAIN prefix is edited
   * for the parser and reported as `explain`, so that what follows must be a read.
   */
  prepare?(tokens: readonly Token[], edits: Edits): { verdict?: StatementVerdict; explain?: boolean } | undefined;
  /** Narrow rewrites for syntax node-sql-parser lacks. Each must keep every expression visible to the walk. */
  rewrite?(tokens: readonly Token[], edits: Edits): void;
  /**
   * After parsing: puts back in the tree what a rewrite handed the parser in another form (marked with
   * rewriteMarker()), so that the checks and the shape see the construct itself. Throws Unparseable for a marked
   * node it cannot restore.
   */
  restore?(statement: AstNode, tokens: readonly Token[]): AstNode;
  checkNode?(node: AstNode): void;
  /** Checks that need the verdict (SQL Server: a second statement written without a separator). */
  checkTokens?(tokens: readonly Token[], verdict: StatementVerdict): void;
  /** After a parse failure: throw a Refusal when the tokens already show a refused construct. */
  diagnose?(tokens: readonly Token[], parsesBefore: (index: number) => boolean): void;
}

const READ: StatementVerdict = Object.freeze({ kind: 'read', isDestructive: false });
const WRITE_TYPES = new Set(['insert', 'replace', 'update', 'delete', 'merge']);
const DDL_TYPES = new Set(['create', 'alter', 'drop', 'truncate', 'rename', 'grant', 'revoke']);
const SEVERAL = 'several statements in one request are refused; send one statement at a time';
export const ASSIGNMENT = 'assigning a variable (@x := …) changes session state';
const allowedSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/**
 * Builds the StatementRules of a dialect. Parsing happens once per call and the tree is walked once; `classify` and
 * `shape` share every step up to the tree, so the shape describes exactly the text the gate checked.
 */
export function createParserGate(dialect: ParserDialect): StatementRules {
  return {
    classify(sql: string, options: GateOptions): StatementVerdict {
      let allowed = allowedSets.get(options.allowedFunctions);
      if (!allowed) allowedSets.set(options.allowedFunctions, (allowed = new Set(options.allowedFunctions.map((n) => n.toLowerCase()))));
      return withGateErrors(dialect, sql, () => classify(dialect, sql, allowed));
    },
    shape(sql: string): StatementShape {
      return withGateErrors(dialect, sql, () => {
        const parsed = parseStatement(dialect, sql);
        if (parsed.kind === 'tokens') return { kind: 'opaque', what: tokenStatementName(parsed.tokens) };
        const shape = buildParserShape(parsed.statement, readShapeHints(parsed.tokens, parsed.edits, dialect.lexer, dialect.dialectName));
        // SQLite's EXPLAIN is blanked for the parser; MySQL's stays and parses as an explain node of its own.
        return parsed.isExplain && shape.kind !== 'explain' ? { kind: 'explain', statement: shape } : shape;
      });
    },
  };
}

/** Refusals become ReadOnlyError with the dialect's hint, unparseable text InvalidInputError with advice. */
function withGateErrors<T>(dialect: ParserDialect, sql: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof Refusal) throw new ReadOnlyError(err.message, { hint: err.hint ?? dialect.readHint });
    if (err instanceof Unparseable) {
      const advice = adviseOnText(adviceTarget(dialect), sql, dialect.lexer, isBuiltinOf(dialect.functions));
      throw new InvalidInputError([`could not parse the ${dialect.name} statement: ${err.message}.`, ...advice].join(' '), {
        hint: `Only single ${dialect.name} statements are accepted.`,
      });
    }
    throw err;
  }
}

/**
 * What lexing, the dialect's reading of the tokens, its rewrites and the parser made of one statement: a verdict
 * from the tokens alone (SHOW, PRAGMA …), or the tree of exactly one statement.
 */
type ParsedStatement =
  | { readonly kind: 'tokens'; readonly verdict: StatementVerdict; readonly tokens: readonly Token[] }
  | { readonly kind: 'tree'; readonly statement: AstNode; readonly tokens: readonly Token[]; readonly edits: Edits; readonly isExplain: boolean };

function parseStatement(dialect: ParserDialect, sql: string): ParsedStatement {
  const tokens = singleStatement(lexSql(sql, dialect.lexer), dialect.allowsLeadingSemicolon);
  const first = tokens[0];
  if (!first) throw new Unparseable('the statement is empty');
  const refused = first.kind === 'word' ? dialect.refusedStatements.get(first.value) : undefined;
  if (refused) throw new Refusal(refused);
  const edits: Edits = new Map();
  const prepared = dialect.prepare?.(tokens, edits);
  if (prepared?.verdict) return { kind: 'tokens', verdict: prepared.verdict, tokens };
  dialect.rewrite?.(tokens, edits);
  const text = parserText(sql, tokens, edits);
  let ast: unknown;
  try {
    ast = dialect.parse(text.text);
  } catch (err) {
    diagnoseRefusedFunctions(tokens, dialect.functions);
    dialect.diagnose?.(tokens, (index) => parses(dialect, parserText(sql, tokens.slice(0, index), edits).text));
    if (['SELECT', '('].includes(mainStatementWord(tokens))) diagnoseNestedWrite(tokens);
    throw parseFailure(err, sql, text.toOriginal, dialect, adviseOnSyntax(adviceTarget(dialect), tokens, isBuiltinOf(dialect.functions)));
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  const parsed: unknown = statements[0];
  if (statements.length !== 1 || !isNode(parsed)) throw new Refusal(SEVERAL);
  const statement = dialect.restore?.(parsed, tokens) ?? parsed;
  return { kind: 'tree', statement, tokens, edits, isExplain: prepared?.explain === true };
}

function classify(dialect: ParserDialect, sql: string, allowed: ReadonlySet<string>): StatementVerdict {
  const parsed = parseStatement(dialect, sql);
  if (parsed.kind === 'tokens') return parsed.verdict;
  const { statement, tokens } = parsed;
  const verdict = topLevelVerdict(statement);
  if (parsed.isExplain && verdict.kind !== 'read') throw new Refusal('EXPLAIN is accepted only for a read statement');
  // In a read, `name(` can only be a call: a refused name is refused even if the parser made something else of it.
  if (verdict.kind === 'read') diagnoseRefusedFunctions(tokens, dialect.functions);
  checkTree(statement, verdict.kind === 'read', dialect, allowed);
  dialect.checkTokens?.(tokens, verdict);
  return verdict;
}

/** Drops one trailing `;` (and SQL Server's leading ones); any other `;` separates a second statement. */
function singleStatement(tokens: Token[], allowsLeadingSemicolon: boolean): Token[] {
  let start = 0;
  let end = tokens.length;
  if (allowsLeadingSemicolon) while (tokens[start]?.text === ';') start++;
  if (end > start && tokens[end - 1]!.text === ';') end--;
  const statement = tokens.slice(start, end);
  if (statement.some((token) => token.text === ';')) throw new Refusal(SEVERAL);
  return statement;
}

function parses(dialect: ParserDialect, text: string): boolean {
  try {
    dialect.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A refused function is named as the reason even where it stopped the parser (OPENDATASOURCE(…).db.t). */
function diagnoseRefusedFunctions(tokens: readonly Token[], catalogue: FunctionCatalogue): void {
  tokens.forEach((token, i) => {
    const reason = (token.kind === 'word' || token.kind === 'quoted') && tokens[i + 1]?.text === '(' ? refusalReason(token.value, catalogue) : undefined;
    if (reason) throw new Refusal(`${token.text}() is refused: ${reason}`);
  });
}

/** `WITH d AS (DELETE … RETURNING *) SELECT …`: the grammars lack data-modifying CTEs, which are refused anyway. */
function diagnoseNestedWrite(tokens: readonly Token[]): void {
  // REPLACE(…) and MySQL's INSERT(…) are string functions.
  const write = tokens.find((t, i) => t.kind === 'word' && WRITE_TYPES.has(t.value.toLowerCase()) && tokens[i + 1]?.text !== '(');
  if (write) throw new Refusal(`a data-modifying statement (${write.value}) inside a read is refused`);
}

/**
 * The parser's complaint with its position in the original text, naming the dialect. Where `advice` found another
 * dialect's syntax, the advice replaces the parser's list of expected tokens (which only says what it wanted there).
 */
function parseFailure(err: unknown, sql: string, toOriginal: (offset: number) => number, dialect: ParserDialect, advice: readonly string[]): InvalidInputError {
  const message = err instanceof Error ? err.message : String(err);
  const offset = (err as { location?: { start?: { offset?: number } } }).location?.start?.offset;
  const before = typeof offset === 'number' ? sql.slice(0, toOriginal(offset)).split('\n') : undefined;
  const where = before ? ` at line ${before.length}, column ${before.at(-1)!.length + 1}` : '';
  // The parser lists every token it expected; keep the first few and what it found.
  const match = /^Expected (.*) but (.*) found\.?$/s.exec(message);
  const expected = match?.[1]!.split(/, (?:or )?| or /) ?? [];
  const short = match ? `expected ${expected.slice(0, 6).join(', ')}${expected.length > 6 ? ' …' : ''} but ${match[2]} found` : message.slice(0, 300);
  const reason = advice.length > 0 ? advice.join(' ') : short;
  return new InvalidInputError(`could not parse the statement${where} (${dialect.name} syntax): ${reason}`, {
    hint: `This database is ${dialect.name}: write ${dialect.name} SQL, one statement per call. If the statement is valid ${dialect.name}, it may be one of the gate's known parser gaps (see the documentation).`,
    detail: message,
    cause: err,
  });
}

function topLevelVerdict(statement: AstNode): StatementVerdict {
  const type = typeof statement.type === 'string' ? statement.type : '';
  // VALUES (1), (2) alone: a query, which only SQLite's restore step produces (sqlite-values.ts).
  if (type === 'select' || type === 'values') return READ;
  if (type === 'explain' && isNode(statement.expr) && statement.expr.type === 'select') return READ;
  if (type === 'explain') throw new Refusal('EXPLAIN is accepted only for a read statement');
  if (WRITE_TYPES.has(type)) return { kind: 'write', isDestructive: (type === 'update' || type === 'delete') && !statement.where };
  if (DDL_TYPES.has(type)) {
    const dropsColumn = type === 'alter' && Array.isArray(statement.expr) && statement.expr.some((e) => isNode(e) && e.action === 'drop');
    return { kind: 'ddl', isDestructive: type === 'drop' || type === 'truncate' || dropsColumn };
  }
  // Each dialect refuses SET, CALL, transaction control … by their first word; this catches what slips past.
  throw new Refusal(`this kind of statement (${type || 'unrecognised'}) is not allowed`);
}

function checkTree(statement: AstNode, isRead: boolean, dialect: ParserDialect, allowed: ReadonlySet<string>): void {
  const tableFunctions = new WeakSet<AstNode>();
  walkAst(statement, (node) => {
    const type = typeof node.type === 'string' ? node.type : undefined;
    for (const item of fromItems(node.from)) {
      if (isNode(item) && isNode(item.expr) && item.expr.type === 'function') tableFunctions.add(item.expr);
    }
    if (type === 'function') checkFunction(functionName(node), tableFunctions.has(node), dialect, allowed);
    else if (type === 'aggr_func') checkFunction([String(node.name)], false, dialect, allowed);
    else if (type === 'assign') throw new Refusal(ASSIGNMENT);
    else if (type === 'select') checkSelect(node);
    if (isRead && type !== undefined && !dialect.readNodeTypes.has(type)) {
      if (WRITE_TYPES.has(type) || DDL_TYPES.has(type)) throw new Refusal(`a data-modifying statement (${type.toUpperCase()}) inside a read is refused`);
      throw new Refusal(`the statement uses a construct the gate has not reviewed (${type}); it is refused to be safe`);
    }
    dialect.checkNode?.(node);
  });
}

function checkSelect(node: AstNode): void {
  const into = node.into;
  if (isNode(into) && (into.expr != null || into.keyword != null || into.type != null)) {
    const keyword = String(into.keyword ?? '').toUpperCase();
    const target = keyword === 'OUTFILE' || keyword === 'DUMPFILE' ? `${keyword} writes a file on the server`
      : keyword === 'VAR' ? '@variable assigns session variables' : 'a table creates and fills a table';
    throw new Refusal(`SELECT … INTO is refused: INTO ${target}`);
  }
  if (node.locking_read) throw new Refusal(`a locking read (${String(node.locking_read).toUpperCase()}) is refused: it takes locks other sessions wait on`);
}
