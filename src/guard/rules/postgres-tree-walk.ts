/**
 * One walk over a statement's parse tree: every nested node is visited, whatever field it hangs from, so a
 * function hidden in a subquery, a CTE, a LATERAL call, a window frame, a FILTER or an ORDER BY is seen like one in
 * the select list. The walk is iterative (an explicit stack), so a deeply nested expression cannot overflow the
 * JavaScript stack and slip through as an internal error.
 *
 * Strict walks (SELECT and DML) refuse any node type that postgres-nodes.ts does not list. Loose walks (DDL, whose
 * many node types describe objects rather than compute) visit everything but still check every function call,
 * operator and TABLESAMPLE method, and refuse nested statements that are refused at the top.
 */
import { checkPostgresFunction, checkPostgresOperator, checkPostgresTablesample, type AllowedFunctions } from './postgres-function-check.js';
import { postgresNodes } from './postgres-nodes.js';
import { postgresRefusal } from './postgres-refusal.js';
import { postgresStatementRule, statementRefusal } from './postgres-statements.js';

/** What a walk found that makes a statement more than a read. */
export interface TreeEffects {
  /** Why the statement writes (first reason found), if it does. */
  writeReason: string | undefined;
  /** Why the statement changes the schema, if it does. */
  ddlReason: string | undefined;
  isDestructive: boolean;
}

export interface WalkOptions {
  readonly allowed: AllowedFunctions;
  /** Refuse node types that are not on the allow-list (reads and DML). */
  readonly isStrict: boolean;
}

type Body = Record<string, unknown>;

interface Frame {
  readonly value: unknown;
  readonly parent: string;
  readonly field: string;
}

const LOCK_NAMES: Readonly<Record<string, string>> = {
  LCS_FORKEYSHARE: 'FOR KEY SHARE', LCS_FORSHARE: 'FOR SHARE', LCS_FORNOKEYUPDATE: 'FOR NO KEY UPDATE', LCS_FORUPDATE: 'FOR UPDATE',
};

const OPERATOR_KINDS = new Set([
  'AEXPR_OP', 'AEXPR_OP_ANY', 'AEXPR_OP_ALL', 'AEXPR_DISTINCT', 'AEXPR_NOT_DISTINCT', 'AEXPR_NULLIF', 'AEXPR_IN',
  'AEXPR_LIKE', 'AEXPR_ILIKE', 'AEXPR_SIMILAR',
]);
/** BETWEEN forms carry their keyword as the name and expand to built-in comparisons. */
const BETWEEN_KINDS = new Set(['AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_BETWEEN_SYM', 'AEXPR_NOT_BETWEEN_SYM']);

/** Node type names start upper-case; struct field names never do. */
const isTypeName = (key: string): boolean => key.charCodeAt(0) >= 65 && key.charCodeAt(0) <= 90;

/** `[{ String: { sval: 'pg_catalog' } }, { String: { sval: 'lower' } }]` → `['pg_catalog', 'lower']`. */
function nameParts(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const sval = (item as { String?: { sval?: unknown } }).String?.sval;
    return typeof sval === 'string' ? sval : '*';
  });
}

/** True when `node` (any part of a tree) mentions a column: a WHERE without one keeps or drops every row alike. */
function referencesColumn(node: unknown): boolean {
  return someNode(node, (value) => 'ColumnRef' in value);
}

/** True when some object anywhere under `node` (arrays walked through) satisfies `predicate`. */
function someNode(node: unknown, predicate: (value: object) => boolean): boolean {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    if (predicate(value)) return true;
    stack.push(...Object.values(value));
  }
  return false;
}

/**
 * pg_settings is SET by another name: PUBLIC may UPDATE it, and its rule calls set_config(name, setting, false).
 * Writing to it (directly, or through a view over it, which PostgreSQL rewrites into the same UPDATE) changes for
 * the rest of the statement what the gate refuses to SET: statement_timeout, search_path, settings that row-level
 * security reads. Unqualified counts too: pg_catalog comes first on the search_path.
 */
function isPgSettings(relation: unknown): boolean {
  const { schemaname, relname } = (relation ?? {}) as { schemaname?: unknown; relname?: unknown };
  return relname === 'pg_settings' && (schemaname === undefined || schemaname === 'pg_catalog');
}

function refusePgSettings(what: string): never {
  throw postgresRefusal(
    `${what} is refused: its rule changes settings of the session (set_config), like SET, which the environment owns.`,
    'Read settings with SHOW <name>, current_setting(\'<name>\') or SELECT … FROM pg_settings.',
  );
}

/** True when a RangeVar anywhere under `node` names pg_settings. */
function mentionsPgSettings(node: unknown): boolean {
  return someNode(node, (value) => 'RangeVar' in value && isPgSettings((value as { RangeVar: unknown }).RangeVar));
}

function noteWrite(effects: TreeEffects, reason: string, isDestructive = false): void {
  effects.writeReason ??= reason;
  effects.isDestructive ||= isDestructive;
}

/** Checks one node by type; records what makes the statement more than a read. */
function visit(type: string, body: Body, options: WalkOptions, effects: TreeEffects): void {
  switch (type) {
    case 'FuncCall': {
      const effect = checkPostgresFunction(nameParts(body['funcname']), options.allowed);
      if (effect !== undefined) noteWrite(effects, effect.writes);
      return;
    }
    case 'A_Expr': {
      const kind = String(body['kind']);
      if (BETWEEN_KINDS.has(kind)) return;
      if (!OPERATOR_KINDS.has(kind)) throw postgresRefusal(`The ${kind} expression is not known to the gate.`);
      checkPostgresOperator(nameParts(body['name']));
      return;
    }
    case 'SortBy':
      if (body['useOp'] !== undefined) checkPostgresOperator(nameParts(body['useOp']));
      return;
    case 'RangeTableSample':
      checkPostgresTablesample(nameParts(body['method']), options.allowed);
      return;
    case 'SelectStmt': {
      if (body['intoClause'] !== undefined) effects.ddlReason ??= 'SELECT … INTO creates a table';
      const locks = Array.isArray(body['lockingClause']) ? body['lockingClause'] : [];
      for (const lock of locks) {
        const strength = String((lock as { LockingClause?: { strength?: unknown } }).LockingClause?.strength);
        noteWrite(effects, `SELECT … ${LOCK_NAMES[strength] ?? 'FOR UPDATE'} locks rows`);
      }
      return;
    }
    case 'InsertStmt':
      if (isPgSettings(body['relation'])) refusePgSettings('INSERT INTO pg_settings');
      noteWrite(effects, 'INSERT writes rows');
      return;
    case 'UpdateStmt':
    case 'DeleteStmt': {
      const verb = type === 'UpdateStmt' ? 'UPDATE' : 'DELETE';
      if (isPgSettings(body['relation'])) refusePgSettings(`${verb} pg_settings`);
      noteWrite(effects, `${verb} writes rows`, !referencesColumn(body['whereClause']));
      return;
    }
    case 'ViewStmt':
      // A simple view over pg_settings is updatable, and its UPDATE becomes one of pg_settings.
      if (mentionsPgSettings(body['query'])) refusePgSettings('A view over pg_settings');
      return;
    case 'MergeStmt': {
      if (isPgSettings(body['relation'])) refusePgSettings('MERGE INTO pg_settings');
      const clauses = Array.isArray(body['mergeWhenClauses']) ? body['mergeWhenClauses'] : [];
      const deletes = clauses.some((c) => (c as { MergeWhenClause?: { commandType?: unknown } }).MergeWhenClause?.commandType === 'CMD_DELETE');
      noteWrite(effects, 'MERGE writes rows', deletes);
      return;
    }
    default:
      return;
  }
}

/** In loose walks, a statement nested in DDL (CREATE SCHEMA … CREATE TRIGGER …) obeys the top-level rules. */
function checkNestedStatement(type: string, body: Body): void {
  if (!type.endsWith('Stmt')) return;
  const rule = postgresStatementRule(type);
  if (rule === undefined || rule.handling === 'refused') throw statementRefusal(type, body, rule);
}

/**
 * Walks the tree under `root` (a wrapper such as `{ SelectStmt: { … } }`), throwing a ReadOnlyError at the first
 * node it refuses, and returns the effects that make the statement a write or DDL.
 */
export function walkPostgresTree(root: unknown, options: WalkOptions): TreeEffects {
  const effects: TreeEffects = { writeReason: undefined, ddlReason: undefined, isDestructive: false };
  const stack: Frame[] = [{ value: root, parent: '', field: '' }];
  while (stack.length > 0) {
    const { value, parent, field } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent, field });
      continue;
    }
    const keys = Object.keys(value);
    // An empty object is a NULL node (a missing coldeflist in ROWS FROM): nothing to check.
    if (keys.length === 0) continue;
    let type: string;
    let body: Body;
    if (keys.length === 1 && isTypeName(keys[0]!)) {
      type = keys[0]!;
      body = (value as Record<string, Body>)[type]!;
    } else {
      const inline = postgresNodes.inlineFields.get(`${parent}.${field}`);
      if (inline === undefined && options.isStrict) {
        throw postgresRefusal(`The ${field} part of ${postgresNodes.sqlName(parent)} is not known to the gate; it refuses what it does not know.`);
      }
      type = inline ?? '';
      body = value as Body;
    }
    if (options.isStrict && !postgresNodes.allowed.has(type)) {
      throw postgresRefusal(`${postgresNodes.sqlName(type)} is not known to the gate to be read-only; it refuses what it does not know.`);
    }
    if (!options.isStrict) checkNestedStatement(type, body);
    visit(type, body, options, effects);
    if (body === null || typeof body !== 'object') continue;
    const entries = Object.entries(body);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (child !== null && typeof child === 'object') stack.push({ value: child, parent: type, field: key });
    }
  }
  return effects;
}
