/**
 * The table/column policy of one environment as it applies to one caller: the environment's deny and mask
 * patterns less the exceptions of the caller's named roles. Patterns (config/policy-schema.ts) are one to three
 * dot-separated parts with `*` globs, compared case-insensitively (which can only deny or mask more):
 *
 * - `payroll`: the table payroll in any schema.
 * - `a.b`: both the table b in schema a, and the column b of table a in any schema. Denying both readings is the
 *   safe way to read a name that could be either (`hr.*` is every table of schema hr; `customers.ssn` the column);
 *   a mask is always the column reading.
 * - `s.t.c`: the column c of table t in schema s.
 *
 * SQLite's main database has no schema name in the catalog: patterns meet it as `main`.
 */
import type { MaskKind, PolicyConfig } from '../config/policy-schema.js';

/** A relation as the catalog names it (schema null: SQLite's main database). */
export interface RelationName {
  readonly schema: string | null;
  readonly name: string;
}

/** What the policy says of one column: denied, masked (and how), or nothing. */
export type ColumnRule = { readonly kind: 'deny' } | { readonly kind: 'mask'; readonly mask: MaskKind } | null;

export class TablePolicy {
  private readonly deny: readonly CompiledPattern[];
  private readonly allow: readonly CompiledPattern[];
  private readonly masks: readonly { readonly pattern: CompiledPattern; readonly kind: MaskKind }[];
  private readonly unmask: readonly CompiledPattern[];

  /** The caller's policy, or null when the environment denies and masks nothing (no statement needs checking). */
  static for(config: PolicyConfig | undefined, roles: readonly string[]): TablePolicy | null {
    if (!config || (config.deny.length === 0 && config.mask.length === 0)) return null;
    return new TablePolicy(config, roles);
  }

  private constructor(config: PolicyConfig, roles: readonly string[]) {
    const exceptions = roles.flatMap((role) => {
      const exception = config.roles.get(role);
      return exception ? [exception] : [];
    });
    this.deny = config.deny.map(compilePattern);
    this.allow = exceptions.flatMap((e) => e.allow).map(compilePattern);
    this.masks = config.mask.map((m) => ({ pattern: compilePattern(m.pattern), kind: m.kind }));
    this.unmask = exceptions.flatMap((e) => e.unmask).map(compilePattern);
  }

  /**
   * Whether a relation is denied. `names` are the names it goes by for the policy: its own and, in PostgreSQL, the
   * tables it inherits from or is a partition of (a partition of a denied table is denied).
   */
  isTableDenied(names: readonly RelationName[]): boolean {
    return names.some((relation) => this.deny.some((p) => matchesTable(p, relation)) && !this.allow.some((p) => matchesTable(p, relation)));
  }

  /** The rule for one column of a relation going by `names`; deny beats mask. */
  columnRule(names: readonly RelationName[], column: string): ColumnRule {
    let mask: MaskKind | undefined;
    for (const relation of names) {
      if (this.deny.some((p) => matchesColumn(p, relation, column)) && !this.allow.some((p) => matchesColumn(p, relation, column))) {
        return { kind: 'deny' };
      }
      const masked = this.masks.find((m) => matchesColumn(m.pattern, relation, column));
      if (masked && !this.unmask.some((p) => matchesColumn(p, relation, column))) mask ??= masked.kind;
    }
    return mask ? { kind: 'mask', mask } : null;
  }
}

/** A pattern's parts as anchored, case-insensitive regular expressions. */
type CompiledPattern = readonly RegExp[];

function compilePattern(pattern: string): CompiledPattern {
  return pattern.split('.').map((part) => new RegExp(`^${part.split('*').map(escapeRegExp).join('.*')}$`, 'is'));
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

function matchesTable(pattern: CompiledPattern, relation: RelationName): boolean {
  if (pattern.length === 1) return pattern[0]!.test(relation.name);
  if (pattern.length === 2) return pattern[0]!.test(relation.schema ?? 'main') && pattern[1]!.test(relation.name);
  return false;
}

function matchesColumn(pattern: CompiledPattern, relation: RelationName, column: string): boolean {
  if (pattern.length === 2) return pattern[0]!.test(relation.name) && pattern[1]!.test(column);
  if (pattern.length === 3) return pattern[0]!.test(relation.schema ?? 'main') && pattern[1]!.test(relation.name) && pattern[2]!.test(column);
  return false;
}
