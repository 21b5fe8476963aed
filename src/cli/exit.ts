/**
 * The one place an error becomes a command-line failure: the message and hint on stderr, an exit code, and no
 * stack trace (unexpected errors print theirs only with SQLGATE_DEBUG=1).
 */
import { ConfigError, SqlgateError } from '../errors.js';

export const EXIT_CONFIG = 78; // EX_CONFIG from sysexits.h
export const EXIT_FAILURE = 1;

export function reportCliError(err: unknown, write: (text: string) => void, isDebug: boolean): number {
  if (err instanceof SqlgateError) {
    write(`sqlgate: ${err.message}\n${err.hint ? `${err.hint}\n` : ''}`);
    return err instanceof ConfigError ? EXIT_CONFIG : EXIT_FAILURE;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`sqlgate: unexpected error: ${message}\n${isDebug && err instanceof Error ? `${err.stack}\n` : 'Run with SQLGATE_DEBUG=1 for details.\n'}`);
  return EXIT_FAILURE;
}
