/**
 * The table/column policy applied to one statement's shape (guard/statement-shape.ts): every table and column it
 * touches is resolved through its scopes, and the statement is refused when it
 * - names a denied table, or a view whose definition reaches a denied table or a table with denied or masked
 *   columns (views are not seen into column by column: refusing is the safe answer);
 * - uses a denied column anywhere (select list, WHERE, JOIN, ORDER BY, GROUP BY, HAVING, function arguments …);
 * - uses a masked column other than by selecting it as it is: filtering, joining, ordering, grouping or computing
 *   on it would reveal it bit by bit, and so would DISTINCT, a set operation other than UNION ALL, or copying it
 *   into a table;
 * - expands `*`, `t.*` or a whole row over a source with denied or masked columns (the message lists the columns
 *   the caller may name);
 * - contains what the check cannot see into: an opaque construct, a user-defined function (it may read any
 *   table), a statistics catalog (it holds sample values), a relation the catalog does not know.
 * It returns the output positions whose values sqlgate must mask before returning them.
 */
import type { MaskKind } from '../config/policy-schema.js';
import type { RelationFacts } from '../db/dialect.js';
import type {
  CteShape, ExprShape, QueryShape, SelectItemShape, SelectShape, SetOperationShape, SourceShape, StatementShape, TableSourceShape,
} from '../guard/statement-shape.js';
import type { LoadedCatalog } from './policy-catalog.js';
import { refuse, refuseColumn, refuseStar, refuseTable, refuseUnplacedMasks } from './policy-refusal.js';
import {
  catalogColumns, derivedSource, isToastTable, policyNames, rowsOf, STATISTICS_FUNCTIONS, STATISTICS_RELATIONS,
} from './policy-sources.js';
import { addRecursiveCtes, cteOutput } from './recursive-ctes.js';
import {
  CLEAN, columnOf, isNameInReach, hasRestrictedColumns, resolveColumn, Scope, sourcesQualifiedBy,
  type ColumnState, type OutputColumn, type QueryOutput, type Source,
} from './statement-scope.js';
import type { RelationName, TablePolicy } from './table-policy.js';

export interface PolicyCheckInput {
  readonly policy: TablePolicy;
  readonly catalog: LoadedCatalog;
  /** The environment's allowed_functions (lower-case): user code the check cannot see into. */
  readonly userFunctions: ReadonlySet<string>;
}

/** Output position (0-based) → how to mask its values. */
export type OutputMasks = ReadonlyMap<number, MaskKind>;

/** What the check found a statement it allows returns. */
export interface PolicyOutcome {
  readonly masks: OutputMasks;
  /**
   * How many columns the result must have, when the check knows (a `*` counted from the catalog): a result of
   * another width means the catalog changed under the check, and it is not returned.
   */
  readonly width: number | null;
}

export function checkStatement(shape: StatementShape, input: PolicyCheckInput): PolicyOutcome {
  return new StatementCheck(input).statement(shape);
}

/** Queries of WITH RECURSIVE lists checked for one statement, at most (recursive-ctes.ts checks them in rounds). */
const MAX_RECURSIVE_CHECKS = 500;

const NOTHING_RETURNED: PolicyOutcome = Object.freeze({ masks: new Map(), width: null });

type ExprContext = 'value' | 'condition';

class StatementCheck {
  private readonly policy: TablePolicy;
  private recursiveChecks = 0;

  constructor(private readonly input: PolicyCheckInput) {
    this.policy = input.policy;
  }

  statement(shape: StatementShape): PolicyOutcome {
    const root = new Scope(null, new Map());
    switch (shape.kind) {
      case 'select':
      case 'set':
      case 'values':
        return outcomeOf(this.query(shape, root));
      case 'explain':
        this.statement(shape.statement);
        return NOTHING_RETURNED;
      case 'insert': {
        const scope = this.withCtes(shape.ctes, root);
        const target = this.writeTarget(shape.target, scope);
        const written = shape.columns ?? target.ordered ?? [];
        if (shape.columns === null && written.some((c) => columnOf(target, c, this.policy).denied)) {
          refuseStar(target, this.policy, 'INSERT without a column list writes every column');
        }
        for (const column of written) this.checkWritten(target, column);
        if (shape.source) this.noMaskedOutput(this.query(shape.source, scope), 'inserting it would store it unmasked');
        const conflict = new Scope(scope, scope.ctes);
        conflict.sources.push(target, rowsOf(target));
        for (const column of shape.onConflictSets) this.checkWritten(target, column);
        for (const expr of shape.onConflictExprs) this.expr(expr, conflict, 'value');
        return outcomeOf(this.items(shape.returning, conflict));
      }
      case 'update': {
        const scope = this.withCtes(shape.ctes, root);
        const target = this.writeTarget(shape.target, scope);
        scope.sources.push(target, rowsOf(target));
        for (const source of shape.from) scope.sources.push(this.source(source, scope));
        for (const set of shape.sets) {
          this.checkWritten(target, set.column.name);
          this.expr(set.value, scope, 'value');
        }
        for (const condition of shape.conditions) this.expr(condition, scope, 'condition');
        return outcomeOf(this.items(shape.returning, scope));
      }
      case 'delete': {
        const scope = this.withCtes(shape.ctes, root);
        const target = this.writeTarget(shape.target, scope);
        scope.sources.push(target, rowsOf(target));
        for (const source of shape.from) scope.sources.push(this.source(source, scope));
        for (const condition of shape.conditions) this.expr(condition, scope, 'condition');
        return outcomeOf(this.items(shape.returning, scope));
      }
      case 'create-from-query': {
        this.checkTableName(shape.target);
        this.noMaskedOutput(this.query(shape.query, root), 'storing it in a new table or view would keep it unmasked');
        return NOTHING_RETURNED;
      }
      case 'ddl':
        // DDL that names no table creates code or changes the database (CREATE FUNCTION, CREATE SCHEMA …):
        // a function created here could later read what the policy denies.
        if (shape.tables.length === 0) {
          return refuse('Schema changes that name no table (functions, procedures, schemas, extensions …) are refused in an environment with a table/column policy: code created here could read what the policy denies.',
            'Ask the operator to make this change.');
        }
        for (const table of shape.tables) this.checkTableName(table);
        return NOTHING_RETURNED;
      case 'opaque':
        return refuse(`sqlgate cannot check ${shape.what} against this environment's table/column policy, so it is refused here.`,
          'Use list_tables and describe_table to see the tables and columns you may use, and query them with SELECT.');
    }
  }

  // ---- queries ----

  private query(shape: QueryShape, parent: Scope): QueryOutput {
    switch (shape.kind) {
      case 'select':
        return this.select(shape, parent);
      case 'set':
        return this.setOperation(shape, parent);
      case 'values': {
        for (const row of shape.rows) for (const expr of row) this.expr(expr, parent, 'value');
        const width = shape.rows[0]?.length ?? 0;
        return { columns: Array.from({ length: width }, () => ({ name: null, mask: null, origin: '' })), knownWidth: true };
      }
    }
  }

  private select(shape: SelectShape, parent: Scope): QueryOutput {
    const scope = this.withCtes(shape.ctes, parent);
    for (const source of shape.from) scope.sources.push(this.source(source, scope));
    for (const name of shape.usingColumns) {
      if (name === '*natural*') {
        const restricted = scope.sources.find((s) => hasRestrictedColumns(s, this.policy));
        if (restricted) refuseStar(restricted, this.policy, 'NATURAL JOIN compares every column the tables share');
      } else {
        this.column({ qualifier: [], name }, scope, 'condition');
      }
    }
    // SELECT * over JOIN … USING or NATURAL JOIN puts the joined columns first, once: sqlgate cannot order them.
    const isUsingStar = shape.usingColumns.length > 0 && shape.items.some((item) => item.kind === 'star' && item.qualifier === null);
    const items = this.items(shape.items, scope);
    const output = isUsingStar ? { ...items, knownWidth: false } : items;
    // From here on the clauses, and their subqueries, may name the select list's aliases (SQLite).
    scope.aliases.push(...output.columns);
    for (const condition of shape.conditions) this.expr(condition, scope, 'condition', output);
    this.checkPositions(shape.positions, output);
    if (shape.distinct) this.noMaskedOutput(output, 'DISTINCT compares the values');
    return output;
  }

  private setOperation(shape: SetOperationShape, parent: Scope): QueryOutput {
    const scope = this.withCtes(shape.ctes, parent);
    const branches = shape.branches.map((branch) => this.query(branch, scope));
    const first = branches[0] ?? { columns: [], knownWidth: true };
    const columns = first.columns.map((column, i) => {
      const masked = branches.map((b) => b.columns[i]).find((c) => c?.mask);
      return masked ? { ...column, mask: masked.mask, origin: masked.origin } : column;
    });
    const output = { columns, knownWidth: branches.every((b) => b.knownWidth) };
    refuseUnplacedMasks({ ...output, columns: branches.flatMap((b) => b.columns) }, shape.operators[0]!.toUpperCase());
    if (shape.operators.some((op) => op !== 'union all')) this.noMaskedOutput(output, `${shape.operators.find((op) => op !== 'union all')!.toUpperCase()} compares the values`);
    // SQLite: the ORDER BY of a compound may name an alias of any branch, which sorts on its position.
    const aliases = {
      columns: branches.flatMap((b) => b.columns.map((c, i) => ({ ...c, mask: columns[i]?.mask ?? null, origin: columns[i]?.origin ?? '' }))),
      knownWidth: false,
    };
    for (const condition of shape.conditions) this.expr(condition, scope, 'condition', aliases);
    this.checkPositions(shape.positions, output);
    return output;
  }

  private withCtes(ctes: readonly CteShape[], parent: Scope): Scope {
    if (ctes.length === 0) return new Scope(parent, parent.ctes);
    const visible = new Map(parent.ctes);
    const check = (query: QueryShape, seen: ReadonlyMap<string, QueryOutput>): QueryOutput => this.query(query, new Scope(parent, new Map(seen)));
    if (!ctes.some((cte) => cte.recursive)) {
      for (const cte of ctes) visible.set(cte.name.toLowerCase(), cteOutput(cte, check(cte.query, visible)));
      return new Scope(parent, visible);
    }
    addRecursiveCtes(ctes, visible, (query, seen) => {
      // Recursive lists nested in recursive lists multiply their rounds: the whole statement gets one budget.
      if (++this.recursiveChecks > MAX_RECURSIVE_CHECKS) refuse('The WITH RECURSIVE queries of this statement are too intricate for this environment\'s table/column policy to follow, so it is refused.');
      return check(query, seen);
    });
    return new Scope(parent, visible);
  }

  // ---- sources ----

  private source(shape: SourceShape, scope: Scope): Source {
    switch (shape.kind) {
      case 'table':
        return this.tableSource(shape, scope);
      case 'query': {
        const output = this.query(shape.query, scope);
        if (shape.columns) refuseUnplacedMasks(output, 'a column list');
        return derivedSource(shape.alias ? `subquery ${shape.alias}` : 'subquery', shape.alias, output, shape.columns);
      }
      case 'function': {
        this.function(shape.name);
        for (const arg of shape.args) this.expr(arg, scope, 'value');
        const label = shape.name.join('.');
        return { label, names: [[(shape.alias ?? shape.name.at(-1) ?? '').toLowerCase()]], columns: null, ordered: null };
      }
      case 'opaque':
        return refuse(`sqlgate cannot check ${shape.what} in FROM against this environment's table/column policy, so it is refused here.`,
          'Read the tables directly with SELECT, naming the columns you need.');
    }
  }

  /**
   * The table a write changes. A CTE of the statement never stands for it in PostgreSQL, SQLite or MySQL (they write
   * the table of that name), while SQL Server writes through the CTE to the table it reads: `WITH customers AS
   * (SELECT 1 AS id) UPDATE customers … RETURNING ssn` must not be checked as a write to the CTE, so a target named
   * like a CTE is refused.
   */
  private writeTarget(shape: TableSourceShape, scope: Scope): Source {
    if (shape.parts.length === 1 && scope.cte(shape.parts[0]!)) {
      refuse(`${shape.parts[0]} names both a CTE of the statement and the table it writes, which engines read differently; this environment's table/column policy refuses it.`,
        'Give the CTE another name.');
    }
    return this.tableSource(shape, scope);
  }

  /** A table, view or CTE a statement names, with everything the policy says of it checked. */
  private tableSource(shape: TableSourceShape, scope: Scope): Source {
    const alias = shape.alias?.toLowerCase();
    if (shape.parts.length === 1) {
      const cte = scope.cte(shape.parts[0]!);
      if (cte) return derivedSource(shape.parts[0]!, alias ?? shape.parts[0]!.toLowerCase(), cte);
    }
    const facts = this.relation(shape);
    const names = alias ? [[alias]] : [shape.parts.map((p) => p.toLowerCase()), [(facts.schema ?? '').toLowerCase(), facts.name.toLowerCase()]];
    return { label: shape.parts.join('.'), names, policyNames: policyNames(facts), columns: catalogColumns(facts), ordered: facts.columns };
  }

  /** The catalog facts of a named relation; refuses denied tables, statistics, unknown names and views over restricted tables. */
  private relation(shape: TableSourceShape): RelationFacts {
    const shown = shape.parts.join('.');
    if (shape.parts.length > 2) {
      return refuse(`${shown}: names of more than two parts (another database or server) are not checked by this environment's table/column policy, so they are refused here.`,
        'Name tables as schema.table in this database.');
    }
    const facts = this.input.catalog.facts(shape.parts);
    if (!facts || this.policy.isTableDenied(policyNames(facts))) return refuseTable(shown);
    if (STATISTICS_RELATIONS.has(facts.name.toLowerCase())) {
      return refuse(`${shown} holds samples of column values (statistics), which this environment's table/column policy cannot filter, so it is refused here.`,
        'Ask for counts and distributions with SELECT over the tables instead.');
    }
    if (isToastTable(facts)) {
      return refuse(`${shown} holds the long values of another table's columns, stored apart, which this environment's table/column policy cannot filter, so it is refused here.`);
    }
    if (facts.kind === 'view') {
      const reached = this.input.catalog.viewReach(facts);
      // A view over pg_stats or a TOAST table shows what they hold as well as they would.
      const restricted = reached?.find((r) => this.isRestricted(r) || STATISTICS_RELATIONS.has(r.name.toLowerCase()) || isToastTable(r));
      if (reached === null || restricted) {
        return refuse(`The view ${shown} reads ${restricted ? `${restricted.name}, which` : 'tables that'} this environment's table/column policy restricts; sqlgate does not see into views column by column, so it is refused here.`,
          'Query the tables the view reads directly, naming the columns you may use (describe_table lists them).');
      }
    }
    return facts;
  }

  private isRestricted(facts: RelationFacts): boolean {
    const names = policyNames(facts);
    return this.policy.isTableDenied(names) || facts.columns.some((c) => this.policy.columnRule(names, c) !== null);
  }

  /** DDL and CREATE … AS targets: denied tables, and tables with denied or masked columns, are not changed here. */
  private checkTableName(shape: TableSourceShape): void {
    const facts = shape.parts.length <= 2 ? this.input.catalog.facts(shape.parts) : null;
    const names: RelationName[] = facts ? policyNames(facts) : [{ schema: shape.parts.length === 2 ? shape.parts[0]! : null, name: shape.parts.at(-1)! }];
    if (this.policy.isTableDenied(names)) refuseTable(shape.parts.join('.'));
    if (facts && this.isRestricted(facts)) {
      refuse(`${shape.parts.join('.')} has columns this environment's table/column policy denies or masks; schema changes to it are refused here.`,
        'Ask the operator to make this change.');
    }
  }

  /**
   * A write may not name a denied column; nor a masked one: with a unique constraint on it, whether an INSERT or
   * UPDATE of a guessed value fails would tell whether that value is there.
   */
  private checkWritten(target: Source, column: string): void {
    const state = columnOf(target, column, this.policy);
    if (state.denied) refuseColumn(`${target.label}.${column}`);
    if (state.mask) refuseColumn(state.origin, 'masked', 'writing it is refused too (a unique constraint would confirm a guessed value)');
  }

  // ---- select lists and expressions ----

  private items(items: readonly SelectItemShape[], scope: Scope): QueryOutput {
    const columns: OutputColumn[] = [];
    let knownWidth = true;
    for (const item of items) {
      if (item.kind === 'star') {
        const sources = item.qualifier ? sourcesQualifiedBy(scope, item.qualifier) : scope.sources.filter((s) => !s.isPseudo);
        if (item.qualifier && sources.length === 0) this.unresolved(`${item.qualifier.join('.')}.*`);
        for (const source of sources) {
          if (hasRestrictedColumns(source, this.policy)) refuseStar(source, this.policy, `${item.qualifier ? `${item.qualifier.join('.')}.*` : '*'} would include them`);
          if (source.ordered === null) knownWidth = false;
          for (const name of source.ordered ?? []) columns.push({ name, mask: null, origin: '' });
        }
      } else if (item.expr.bare) {
        const state = this.column(item.expr.bare, scope, 'select');
        columns.push({ name: item.alias ?? item.expr.bare.name, mask: state.mask, origin: state.origin });
      } else {
        this.expr(item.expr, scope, 'value');
        columns.push({ name: item.alias, mask: null, origin: '' });
      }
    }
    return { columns, knownWidth };
  }

  /** Checks every reference of an expression; `output` is the SELECT's own output, which ORDER BY may name. */
  private expr(expr: ExprShape, scope: Scope, context: ExprContext, output?: QueryOutput): void {
    for (const ref of expr.columns) {
      const alias = ref.qualifier.length === 0 ? output?.columns.find((c) => c.name?.toLowerCase() === ref.name.toLowerCase()) : undefined;
      if (alias?.mask) refuseColumn(alias.origin, 'masked');
      this.column(ref, scope, context, alias !== undefined);
    }
    for (const qualifier of expr.wholeRows) {
      const sources = sourcesQualifiedBy(scope, qualifier);
      // `(home).city`, `(a.home).city`: no source goes by that name, so it is a composite column, checked above.
      if (sources.length === 0 && !this.isColumn(qualifier, expr, scope)) this.unresolved(qualifier.join('.'));
      const restricted = sources.find((s) => hasRestrictedColumns(s, this.policy));
      if (restricted) refuseStar(restricted, this.policy, `the whole row ${qualifier.join('.')} would include them`);
    }
    for (const subquery of expr.subqueries) this.noMaskedOutput(this.query(subquery, scope), 'a subquery may not pass it on as a value');
    for (const name of expr.functions) this.function(name);
  }

  /** Whether `parts` is one of the expression's column references, and names a column of a source in scope. */
  private isColumn(parts: readonly string[], expr: ExprShape, scope: Scope): boolean {
    const ref = expr.columns.find((c) => [...c.qualifier, c.name].join('.') === parts.join('.'));
    return ref !== undefined && (resolveColumn(ref, scope, this.policy)?.length ?? 0) > 0;
  }

  /** One column reference in `context`; returns what it selects (for a bare select-list column). */
  private column(ref: { readonly qualifier: readonly string[]; readonly name: string }, scope: Scope, context: ExprContext | 'select', isOutputName = false): ColumnState {
    const states = resolveColumn(ref, scope, this.policy);
    const shown = [...ref.qualifier, ref.name].join('.');
    if (states === null) return this.unresolved(shown);
    if (ref.qualifier.length === 0 && states.length === 0) {
      this.wholeRowByName(ref.name, scope);
      // A name no source in reach has: the engine reads something the check cannot see (a stale catalog, a word
      // the parser took for a column). Refused, unless it is an output alias, a row, or a known pseudo-column.
      if (!isOutputName && !isNameInReach(ref.name, scope)) return this.unresolved(shown);
    }
    const denied = states.find((s) => s.denied);
    if (denied) refuseColumn(denied.origin || shown);
    const masked = states.find((s) => s.mask);
    if (masked && context !== 'select') refuseColumn(masked.origin || shown, 'masked');
    return masked ?? states[0] ?? CLEAN;
  }

  /** PostgreSQL reads a bare `t` that is no column as the whole row of t. */
  private wholeRowByName(name: string, scope: Scope): void {
    const sources = sourcesQualifiedBy(scope, [name]);
    const restricted = sources.find((s) => hasRestrictedColumns(s, this.policy));
    if (restricted) refuseStar(restricted, this.policy, `the whole row ${name} would include them`);
  }

  private function(name: readonly string[]): void {
    const lower = name.map((p) => p.toLowerCase());
    if (this.input.userFunctions.has(lower.join('.')) || (lower.length > 1 && this.input.userFunctions.has(lower.at(-1)!))) {
      refuse(`${name.join('.')}() is a user-defined function: it may read any table, and this environment's table/column policy cannot see inside it, so it is refused here.`,
        'Write the query with built-in functions over the tables you may read.');
    }
    if (STATISTICS_FUNCTIONS.has(lower.at(-1)!)) {
      refuse(`${name.join('.')}() returns samples of column values (statistics), which this environment's table/column policy cannot filter, so it is refused here.`);
    }
  }

  private checkPositions(positions: readonly number[], output: QueryOutput): void {
    if (positions.length > 0) refuseUnplacedMasks(output, 'ORDER BY or GROUP BY n');
    for (const position of positions) {
      const column = output.columns[position - 1];
      if (column?.mask) refuseColumn(column.origin, 'masked');
      if (!column && output.columns.some((c) => c.mask)) this.unresolved(`position ${position}`);
    }
  }

  private noMaskedOutput(output: QueryOutput, why: string): void {
    const masked = output.columns.find((c) => c.mask);
    if (masked) refuseColumn(masked.origin, 'masked', why);
  }

  private unresolved(what: string): never {
    return refuse(`sqlgate cannot tell which table ${what} belongs to, so this environment's table/column policy refuses the statement.`,
      'Qualify every column with its table\'s name or alias, and name only tables and aliases of the statement.');
  }
}

/** Output positions to mask; refused when a `*` of unknown width comes before a masked column. */
function outcomeOf(output: QueryOutput): PolicyOutcome {
  const masks = new Map<number, MaskKind>();
  output.columns.forEach((column, i) => {
    if (column.mask) masks.set(i, column.mask);
  });
  if (masks.size > 0 && !output.knownWidth) {
    refuse('The statement selects a masked column together with a * whose columns sqlgate cannot count, so it could not mask the right column; it is refused.',
      'Name the columns instead of using *.');
  }
  return { masks, width: output.knownWidth && output.columns.length > 0 ? output.columns.length : null };
}
