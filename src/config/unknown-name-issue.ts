/**
 * The issue for a name that refers to nothing configured: an environment a role names, a role an upstream group
 * mapping names. It says which name and the nearest configured one, and configErrorFromZod shows it without a
 * "(got …)": the value there is the whole mapping or list the name sits in, which would add nothing.
 */
import type { z } from 'zod';
import { closestMatches } from '../util/closest-matches.js';

/** Set in an issue's params: configErrorFromZod shows the message alone, without the value at the path. */
export const SHOWS_NO_VALUE = 'showsNoValue';

/** `there is no environment named "analytix" — did you mean "analytics"?`, at `path` (the mapping or list). */
export function unknownNameIssue(path: readonly PropertyKey[], kind: string, name: string, known: readonly string[]): z.core.$ZodSuperRefineIssue {
  const [closest] = closestMatches(name, known, 1);
  const suggestion = closest !== undefined ? ` — did you mean "${closest}"?`
    : known.length > 0 ? ` (the ${kind}s are ${known.join(', ')})`
      : ` (no ${kind}s are configured)`;
  return { code: 'custom', path: [...path], message: `there is no ${kind} named "${name.slice(0, 80)}"${suggestion}`, params: { [SHOWS_NO_VALUE]: true } };
}
