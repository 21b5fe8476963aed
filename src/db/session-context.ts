/**
 * The caller's values as every dialect hands them to its database, written once: which values there are, in which
 * order, and the checks they pass before any dialect builds SQL from them.
 */
import { ForbiddenError } from '../errors.js';
import type { SessionContext } from './dialect.js';

/**
 * The longest value passed on. SQL Server keeps a session-context value in a sql_variant of at most 8,000 bytes,
 * which is 4,000 UTF-16 characters; a user or client name is far shorter.
 */
export const MAX_SESSION_CONTEXT_CHARS = 4_000;

export type SessionContextName = 'user' | 'roles' | 'client';

/**
 * The values in a fixed order, by the name each dialect prefixes its own way: `sqlgate.user` (PostgreSQL),
 * `@sqlgate_user` (MySQL), `N'user'` (SQL Server), `sqlgate_user()` (SQLite).
 */
export function sessionContextEntries(context: SessionContext): [SessionContextName, string | null][] {
  return [
    ['user', context.user],
    ['roles', context.roles],
    ['client', context.client],
  ];
}

/**
 * Refuses values a database cannot hold exactly. PostgreSQL reads statement text as a C string, so a NUL would cut
 * the statement that sets the value; and a value SQL Server would have to truncate is no longer the caller. Row-level
 * security relies on these values, so the call fails rather than run with a different one.
 */
export function assertSessionContext(context: SessionContext): void {
  for (const [name, value] of sessionContextEntries(context)) {
    if (value === null) continue;
    if (value.includes('\u0000') || value.length > MAX_SESSION_CONTEXT_CHARS) {
      throw new ForbiddenError(`The caller's ${name} cannot be passed to the database: it holds a NUL character or is longer than ${MAX_SESSION_CONTEXT_CHARS} characters.`, {
        hint: 'Row-level security in this environment needs it (session_context: true); ask the operator to rename the user or client.',
      });
    }
  }
}
