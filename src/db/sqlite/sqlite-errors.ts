/** SQLite result codes → sqlgate errors. SQLite messages name no hosts; file paths are kept out of them. */
import {
  BusyError,
  QueryFailedError,
  ReadOnlyError,
  SqlgateError,
  UnavailableError,
} from '../../errors.js';
import { adviseOnConstruct, adviseOnFunction, type AdviceTarget } from '../sql-equivalents.js';
import { SqliteWorkerGoneError } from './sqlite-connection.js';

const SQLITE: AdviceTarget = { name: 'sqlite', displayName: 'SQLite' };

export function sqliteToError(err: unknown): SqlgateError {
  if (err instanceof SqlgateError) return err;
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof SqliteWorkerGoneError) {
    return new UnavailableError('The SQLite connection was stopped before the statement finished.', { detail: message });
  }
  // Extended codes (SQLITE_IOERR_READ, SQLITE_READONLY_DBMOVED) are grouped by their primary code.
  const primaryCode = typeof code === 'string' ? (/^SQLITE_[A-Z]+/.exec(code)?.[0] ?? code) : '';
  // From a statement (ATTACH of another file), not from opening this environment's database.
  if (primaryCode === 'SQLITE_CANTOPEN' && (err as { isStatementError?: boolean }).isStatementError) {
    return new QueryFailedError(`SQLite: ${message}`, { hint: 'Only this environment\'s database can be queried.' });
  }
  switch (primaryCode) {
    case 'SQLITE_READONLY':
      return new ReadOnlyError('This environment is read-only; the statement would write.', {
        hint: 'Only reading statements (SELECT, WITH … SELECT, EXPLAIN) run here.',
        detail: message,
      });
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new BusyError('The SQLite database is locked by another writer.', { hint: 'Retry in a moment.', detail: message });
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
    case 'SQLITE_IOERR':
      return new UnavailableError('The SQLite database file cannot be opened.', {
        hint: 'Ask the operator to check that the file exists and is readable by sqlgate.',
        detail: message,
      });
    default:
      return new QueryFailedError(`SQLite: ${message}`, {
        hint: otherDialectAdvice(message) ?? 'Check table and column names with list_tables and describe_table.',
        detail: typeof code === 'string' ? code : undefined,
      });
  }
}

/**
 * What to write instead, when SQLite rejects another dialect's function (one the environment allowed, or one this
 * SQLite is too old for) or the `::` cast, which the gate's parser accepts but SQLite does not.
 */
function otherDialectAdvice(message: string): string | undefined {
  const missingFunction = /^no such function: ([\w$]+)/.exec(message)?.[1];
  if (missingFunction !== undefined) return adviseOnFunction(SQLITE, missingFunction);
  if (message === 'unrecognized token: ":"') return adviseOnConstruct(SQLITE, 'cast-operator');
  return undefined;
}
