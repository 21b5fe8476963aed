/**
 * The table/column policy as the catalog tools (list_tables, describe_table, get_table_sample) apply it: a denied
 * relation is hidden as if it did not exist, a denied column is left out of a description together with every key
 * and index that names it, and a masked column is marked. A relation goes by its own name and, in PostgreSQL, those
 * of the tables it inherits from or is a partition of (Introspector.relationFacts), so a child of a denied table is
 * hidden too, and a parent's column rules reach its children's columns.
 *
 * Cost: most tables are decided by their own name, with no catalog query. Parents are looked up only when the
 * policy denies something, only for tables (a view has no parents) that their own name did not already hide, a few
 * at a time, and at most once per relation per tool call.
 */
import type { MaskKind } from '../config/policy-schema.js';
import type { ColumnInfo, ForeignKeyInfo, Introspector, TableDetail, TableRef, TableSummary } from '../db/dialect.js';
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';
import { PolicyDeniedError } from '../errors.js';
import type { StatementRules } from '../guard/statement-gate.js';
import type { SelectShape } from '../guard/statement-shape.js';
import { checkStatement } from './check-statement.js';
import { loadCatalog } from './policy-catalog.js';
import { policyFor } from './statement-policy-check.js';
import type { RelationName, TablePolicy } from './table-policy.js';

/** Parent look-ups in flight at once for one list: enough to overlap round trips, few enough to leave the pool to others. */
const LOOKUPS_AT_ONCE = 4;

/** A column as the caller may see it: `masked` says how its values are shown, when they are masked. */
export interface VisibleColumn extends ColumnInfo {
  readonly masked?: MaskKind;
}

/** A table description with what the policy hides taken out. Without a policy, the description as it is. */
export interface VisibleTableDetail extends Omit<TableDetail, 'columns'> {
  readonly columns: readonly VisibleColumn[];
}

export class CatalogPolicy {
  /** Policy names by relation; null when the catalog does not know the relation. Built for one tool call. */
  private readonly names = new Map<string, Promise<readonly RelationName[] | null>>();

  /** The caller's catalog policy here; null when the environment denies and masks nothing (then nothing changes). */
  static for(environment: Environment, identity: Identity | undefined): CatalogPolicy | null {
    const policy = policyFor(environment, identity);
    if (!policy) return null;
    const deniesSomething = (environment.config.policy?.deny.length ?? 0) > 0;
    return new CatalogPolicy(policy, environment.dialect.introspector(), environment.rules, deniesSomething, new Set(environment.config.allowedFunctions));
  }

  private constructor(
    private readonly policy: TablePolicy,
    private readonly introspector: Introspector,
    private readonly rules: StatementRules,
    private readonly deniesSomething: boolean,
    private readonly userFunctions: ReadonlySet<string>,
  ) {}

  /**
   * Whether the caller must not see the relation: it or a parent is denied. A table the catalog no longer knows is
   * hidden too (fail closed: its parents cannot be checked).
   */
  async isHidden(table: TableRef & { readonly kind?: TableSummary['kind'] }): Promise<boolean> {
    if (this.policy.isTableDenied([table])) return true;
    // A view that reads a restricted table cannot be queried here: it is hidden like a denied table.
    if (table.kind === 'view') return this.isUnreadableView(table);
    // Without deny patterns nothing is hidden.
    if (!this.deniesSomething) return false;
    const names = await this.namesOf(table);
    return names === null || this.policy.isTableDenied(names);
  }

  /** The tables the caller may see, in their order. */
  async visible<T extends TableSummary>(tables: readonly T[]): Promise<T[]> {
    const hidden: boolean[] = [];
    let next = 0;
    const work = async () => {
      while (next < tables.length) {
        const i = next++;
        hidden[i] = await this.isHidden(tables[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, tables.length) }, work));
    return tables.filter((_, i) => !hidden[i]);
  }

  /**
   * The description as the caller may see it, or null when the relation is hidden. Left out: denied columns; the
   * primary key and each index that include one (a key shown without a column would claim a uniqueness it lacks);
   * foreign keys, both ways, that include a denied column on either side or link to a hidden table.
   */
  async describe(detail: TableDetail): Promise<VisibleTableDetail | null> {
    if (detail.kind === 'view' && (await this.isUnreadableView(detail))) return null;
    const names = await this.namesOf(detail);
    if (names === null || this.policy.isTableDenied(names)) return null;
    const isDenied = (column: string) => this.policy.columnRule(names, column)?.kind === 'deny';
    const columns = detail.columns.flatMap((c): VisibleColumn[] => {
      const rule = this.policy.columnRule(names, c.name);
      if (rule?.kind === 'deny') return [];
      return [rule?.kind === 'mask' ? { ...c, masked: rule.mask } : c];
    });
    const [foreignKeys, referencedBy] = await Promise.all([
      this.keepKeys(detail.foreignKeys, (fk) => !fk.columns.some(isDenied), (fk) => ({ table: fk.toTable, columns: fk.toColumns })),
      this.keepKeys(detail.referencedBy, (fk) => !fk.toColumns.some(isDenied), (fk) => ({ table: fk.fromTable, columns: fk.columns })),
    ]);
    return {
      ...detail,
      columns,
      primaryKey: detail.primaryKey.some(isDenied) ? [] : detail.primaryKey,
      indexes: detail.indexes.filter((i) => !i.columns.some(isDenied)),
      foreignKeys,
      referencedBy,
    };
  }

  /** The foreign keys whose own side passes `isKept` and whose other side is a visible table with no denied column. */
  private async keepKeys(
    keys: readonly ForeignKeyInfo[],
    isKept: (fk: ForeignKeyInfo) => boolean,
    otherSide: (fk: ForeignKeyInfo) => { table: TableRef; columns: readonly string[] },
  ): Promise<ForeignKeyInfo[]> {
    const kept = await Promise.all(
      keys.map(async (fk) => {
        if (!isKept(fk)) return false;
        const other = otherSide(fk);
        if (this.policy.isTableDenied([other.table])) return false;
        const names = await this.namesOf(other.table);
        if (names === null || this.policy.isTableDenied(names)) return false;
        return !other.columns.some((column) => this.policy.columnRule(names, column)?.kind === 'deny');
      }),
    );
    return keys.filter((_, i) => kept[i]);
  }

  /** Whether reading the view is refused: by the statement check itself, as `SELECT FROM view` would be. */
  private async isUnreadableView(view: TableRef): Promise<boolean> {
    const shape: SelectShape = {
      kind: 'select', ctes: [], items: [], conditions: [], usingColumns: [], positions: [], distinct: false,
      from: [{ kind: 'table', parts: view.schema === null ? [view.name] : [view.schema, view.name], alias: null }],
    };
    try {
      checkStatement(shape, { policy: this.policy, catalog: await loadCatalog(shape, this.introspector, this.rules), userFunctions: this.userFunctions });
      return false;
    } catch (err) {
      if (err instanceof PolicyDeniedError) return true;
      throw err;
    }
  }

  /** The names the relation goes by for the policy: its own, then its parents (nearest first). */
  private namesOf(table: TableRef): Promise<readonly RelationName[] | null> {
    const key = `${table.schema ?? ''}\u0000${table.name}`;
    let names = this.names.get(key);
    if (!names) {
      const own: RelationName = { schema: table.schema, name: table.name };
      names = this.introspector.relationFacts(own).then((facts) => (facts ? [own, ...facts.parents] : null));
      this.names.set(key, names);
    }
    return names;
  }
}
