/**
 * What the policy check makes of the relations and subqueries a statement reads: sources with their columns'
 * states, the names a relation goes by for the policy, and the relations whose rows no policy can filter
 * (statistics samples, TOAST chunks).
 */
import type { RelationFacts } from '../db/dialect.js';
import { CLEAN, type ColumnState, type QueryOutput, type Source } from './statement-scope.js';
import type { RelationName } from './table-policy.js';

/** Relations that hold samples of column values (most common values, histograms, bounds). */
export const STATISTICS_RELATIONS = new Set([
  'pg_stats', 'pg_stats_ext', 'pg_stats_ext_exprs', 'pg_statistic', 'pg_statistic_ext_data',
  'column_statistics', 'column_stats', 'sqlite_stat3', 'sqlite_stat4',
]);
/**
 * PostgreSQL's TOAST tables (pg_toast.pg_toast_<oid>) hold every long value of a table's columns, denied ones too,
 * readable as chunks by anyone who may read the table they belong to.
 */
export const isToastTable = (facts: RelationFacts): boolean => /^pg_toast(_temp_\d+)?$/i.test(facts.schema ?? '');
/** Functions that read statistics samples. */
export const STATISTICS_FUNCTIONS = new Set(['pg_mcv_list_items', 'dm_db_stats_histogram', 'dm_db_stats_properties']);

export function derivedSource(label: string, alias: string | null | undefined, output: QueryOutput, renamed?: readonly string[]): Source {
  const ordered = output.columns.map((c, i) => renamed?.[i] ?? c.name ?? `?column${i + 1}?`);
  const columns = new Map<string, ColumnState>();
  output.columns.forEach((c, i) => {
    const name = ordered[i]!.toLowerCase();
    const state: ColumnState = c.mask ? { denied: false, mask: c.mask, origin: c.origin } : CLEAN;
    // Two outputs of one name: the masked one counts.
    if (!columns.get(name)?.mask) columns.set(name, state);
  });
  return { label, names: alias ? [[alias.toLowerCase()]] : [], columns, ordered: output.knownWidth ? ordered : null };
}

/**
 * The target's rows under the names a write gives them: PostgreSQL's EXCLUDED (ON CONFLICT) and OLD/NEW
 * (RETURNING), SQL Server's INSERTED/DELETED (OUTPUT). Their columns are the target's, under the same policy.
 */
export function rowsOf(target: Source): Source {
  return { ...target, names: [['excluded'], ['old'], ['new'], ['inserted'], ['deleted']], isPseudo: true };
}

export function policyNames(facts: RelationFacts): RelationName[] {
  return [{ schema: facts.schema, name: facts.name }, ...facts.parents];
}

export function catalogColumns(facts: RelationFacts): ReadonlyMap<string, ColumnState> {
  return new Map(facts.columns.map((c) => [c.toLowerCase(), CLEAN]));
}
