/**
 * The policy's refusals, worded once. A denied table or column is answered as "no such …, or not yours to read":
 * the caller learns neither that it exists nor that it is hidden, just as list_tables and describe_table show
 * nothing of it. A masked column is named, since the caller can see it (masked) anyway.
 */
import { PolicyDeniedError } from '../errors.js';
import { columnOf, type QueryOutput, type Source } from './statement-scope.js';
import type { TablePolicy } from './table-policy.js';

export function refuse(message: string, hint?: string): never {
  throw new PolicyDeniedError(message, { hint: hint ?? 'Use list_tables and describe_table to see what you may read here.' });
}

export function refuseTable(shown: string): never {
  return refuse(`There is no table or view ${shown} that you may read in this environment.`);
}

/** `why`: what the statement did with a masked column that reveals it. */
export function refuseColumn(shown: string, kind: 'denied' | 'masked' = 'denied', why?: string): never {
  if (kind === 'denied') {
    return refuse(`There is no column ${shown} that you may use in this environment.`, 'describe_table lists the columns you may use.');
  }
  return refuse(
    `${shown} is masked in this environment: it may be selected as it is (sqlgate masks its values), but not filtered, joined, ordered, grouped or computed on${why ? `; ${why}` : ''}.`,
    'Select the column plainly, and filter, join, group and order on other columns.',
  );
}

/** A `*`, whole row or NATURAL JOIN over a source some of whose columns the caller may not see whole. */
export function refuseStar(source: Source, policy: TablePolicy, why: string): never {
  const names = source.ordered ?? [...(source.columns?.keys() ?? [])];
  const usable = names.flatMap((name) => {
    const state = columnOf(source, name, policy);
    return state.denied ? [] : [state.mask ? `${name} (masked)` : name];
  });
  return refuse(
    `${source.label} has columns you may not see whole in this environment, and ${why}.`,
    usable.length > 0 ? `Name the columns instead; you may use: ${usable.join(', ')}.` : 'Name the columns you need instead.',
  );
}

/**
 * Refuses to place `output`'s masks by position when its positions are not known. After a `*` whose columns sqlgate
 * cannot count (a function's) or order (over JOIN … USING), the n-th column it counts is not the n-th the database
 * returns: ORDER BY n, a column list (`AS s(a, b)`) or a set operation would pin a mask on the wrong column, and
 * leave the masked one bare. `how` says what matches by position.
 */
export function refuseUnplacedMasks(output: QueryOutput, how: string): void {
  const masked = output.columns.find((c) => c.mask);
  if (output.knownWidth || !masked) return;
  refuse(`${masked.origin} is masked, and ${how} matches columns by position after a * whose columns sqlgate cannot count or order, so it could not tell which column is masked; the statement is refused.`,
    'Name the columns instead of using *.');
}
