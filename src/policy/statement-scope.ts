/**
 * Name resolution for the policy check: the sources a SELECT reads (tables, derived tables, CTEs, functions) and
 * which of them a column reference can mean, following SQL's scoping (the nearest SELECT that has the column wins,
 * then the enclosing ones). Where the engine's choice cannot be known for sure, every source it could choose counts:
 * the policy can only get stricter from that.
 */
import type { MaskKind } from '../config/policy-schema.js';
import type { ColumnRefShape } from '../guard/statement-shape.js';
import type { RelationName, TablePolicy } from './table-policy.js';

/** What one column of a source is, for the policy. */
export interface ColumnState {
  readonly denied: boolean;
  readonly mask: MaskKind | null;
  /** Where it comes from, for messages: `customers.email`. */
  readonly origin: string;
}

export const CLEAN: ColumnState = Object.freeze({ denied: false, mask: null, origin: '' });

/** One output column of a query: its name (null for an unnamed expression) and whether it carries a masked value. */
export interface OutputColumn {
  readonly name: string | null;
  readonly mask: MaskKind | null;
  readonly origin: string;
}

/** A query's output; `width` is null when a `*` over a source of unknown columns makes it unknown. */
export interface QueryOutput {
  readonly columns: readonly OutputColumn[];
  readonly knownWidth: boolean;
}

export interface Source {
  /** For messages: `customers`, `subquery s`. */
  readonly label: string;
  /** The names it may be qualified with, lower-case parts: its alias alone, or its name (and schema.name). */
  readonly names: readonly (readonly string[])[];
  /** Tables and views: the names the policy judges its columns by (itself and its parent tables). */
  readonly policyNames?: readonly RelationName[];
  /** Known columns, lower-case name → state; null when unknown (a function's, a system relation's). */
  readonly columns: ReadonlyMap<string, ColumnState> | null;
  /** Its columns in order, as a `*` would expand them (table order, or the derived table's output). */
  readonly ordered: readonly string[] | null;
  /** A write target's rows under another name (EXCLUDED, INSERTED …): a bare `*` does not expand it. */
  readonly isPseudo?: boolean;
}

export class Scope {
  readonly sources: Source[] = [];
  /**
   * The SELECT's output columns, once its select list is checked: SQLite lets WHERE, JOIN … ON, GROUP BY, HAVING
   * and ORDER BY name them, and so do the subqueries of those clauses (`WHERE id IN (SELECT … WHERE e LIKE …)`).
   */
  readonly aliases: OutputColumn[] = [];

  constructor(
    readonly parent: Scope | null,
    /** CTEs visible here (this query's own and those of enclosing queries), by lower-case name. */
    readonly ctes: ReadonlyMap<string, QueryOutput>,
  ) {}

  cte(name: string): QueryOutput | undefined {
    return this.ctes.get(name.toLowerCase());
  }
}

/** The state of column `name` of `source`: by its name for tables (whatever the catalog lists), else its output. */
export function columnOf(source: Source, name: string, policy: TablePolicy): ColumnState {
  const lower = name.toLowerCase();
  if (source.policyNames) {
    const rule = policy.columnRule(source.policyNames, lower);
    if (rule === null) return CLEAN;
    return { denied: rule.kind === 'deny', mask: rule.kind === 'mask' ? rule.mask : null, origin: `${source.label}.${name}` };
  }
  return (source.columns && derivedColumn(source.columns, lower)) ?? CLEAN;
}

/** Whether `source` certainly has a column `name` (as far as the catalog and the policy know). */
function certainlyHas(source: Source, name: string, policy: TablePolicy): boolean {
  const lower = name.toLowerCase();
  if (source.policyNames) return source.columns?.has(lower) === true || policy.columnRule(source.policyNames, lower) !== null;
  return source.columns !== null && derivedColumn(source.columns, lower) !== undefined;
}

/**
 * A column of a derived table or CTE by its lower-case name. SQLite names the second output of one name `name:1`,
 * the next `name:2` … (past three, a random number), and the query around may use those names: `SELECT
 * upper("email:1") FROM (SELECT email, email FROM customers)`. So `x:<digits>` is also every output named x.
 */
function derivedColumn(columns: ReadonlyMap<string, ColumnState>, lower: string): ColumnState | undefined {
  const found = columns.get(lower);
  if (found) return found;
  const base = /^(.*):\d+$/s.exec(lower)?.[1];
  if (base === undefined) return undefined;
  const same = [...columns].filter(([name]) => name === base || name.replace(/:\d+$/, '') === base).map(([, state]) => state);
  return same.find((state) => state.mask) ?? same[0];
}

/** Whether a qualifier (`t`, `s.t`) names `source`: one is the other's tail, compared case-insensitively. */
export function isQualifiedBy(source: Source, qualifier: readonly string[]): boolean {
  const q = qualifier.map((p) => p.toLowerCase());
  return source.names.some((name) => {
    const n = Math.min(name.length, q.length);
    return n > 0 && name.slice(-n).every((part, i) => part === q[q.length - n + i]);
  });
}

/** The sources of the nearest scope that has any source `qualifier` names; [] when none does. */
export function sourcesQualifiedBy(scope: Scope, qualifier: readonly string[]): Source[] {
  for (let s: Scope | null = scope; s; s = s.parent) {
    const found = s.sources.filter((source) => isQualifiedBy(source, qualifier));
    if (found.length > 0) return found;
  }
  return [];
}

/**
 * What a column reference can mean. Qualified: that column of the nearest sources the qualifier names (empty when
 * nothing does: the caller refuses). Unqualified: the columns of that name in the nearest scope where a source
 * certainly has it, plus any source of unknown columns met on the way (each could be the one), plus the masked
 * select-list aliases of the scopes before it (Scope.aliases).
 */
export function resolveColumn(ref: ColumnRefShape, scope: Scope, policy: TablePolicy): ColumnState[] | null {
  if (ref.qualifier.length > 0) {
    const sources = sourcesQualifiedBy(scope, ref.qualifier);
    return sources.length === 0 ? null : sources.map((source) => columnOf(source, ref.name, policy));
  }
  const states: ColumnState[] = [];
  const lower = ref.name.toLowerCase();
  for (let s: Scope | null = scope; s; s = s.parent) {
    const certain = s.sources.filter((source) => certainlyHas(source, ref.name, policy));
    states.push(...certain.map((source) => columnOf(source, ref.name, policy)));
    if (certain.length > 0) return states;
    // SQLite tries a SELECT's aliases after its FROM columns. They hide nothing further out: other engines do not
    // see them there, so the outer column counts as well.
    for (const alias of s.aliases) {
      if (alias.mask && alias.name?.toLowerCase() === lower) states.push({ denied: false, mask: alias.mask, origin: alias.origin });
    }
  }
  return states;
}

/** Whether any column of `source` is denied or masked, so that a `*` or a whole-row value over it must be refused. */
export function hasRestrictedColumns(source: Source, policy: TablePolicy): boolean {
  if (source.policyNames && source.columns === null) return true;
  return [...(source.ordered ?? source.columns?.keys() ?? [])].some((name) => columnOf(source, name, policy) !== CLEAN);
}

/**
 * Columns every row has without the catalog listing them, and SQL words some grammars read as column names: an
 * unqualified name of these that no source has is no reason to refuse.
 */
const PSEUDO_COLUMNS = new Set([
  'ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid', 'oid', 'rowid', '_rowid_', '_rowid',
  'current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp', 'current_user', 'session_user',
  'system_user', 'user', 'current_role', 'current_catalog', 'current_schema', 'sysdate', 'utc_date', 'utc_time',
  'utc_timestamp', 'null', 'true', 'false', 'unknown', 'default',
]);

/**
 * Whether an unqualified name that no source certainly has may still be harmless: some source in reach has columns
 * the check does not know (a function's), a source or a select-list alias goes by that name, or it is a
 * pseudo-column.
 */
export function isNameInReach(name: string, scope: Scope): boolean {
  const lower = name.toLowerCase();
  if (PSEUDO_COLUMNS.has(lower)) return true;
  for (let s: Scope | null = scope; s; s = s.parent) {
    if (s.sources.some((source) => source.columns === null || source.names.some((n) => n.at(-1) === lower))) return true;
    if (s.aliases.some((alias) => alias.name?.toLowerCase() === lower)) return true;
  }
  return false;
}
