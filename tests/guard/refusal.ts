/** The ReadOnlyError a gate call throws; any other outcome fails the test. */
import { ReadOnlyError } from '../../src/errors.js';

export function refusal(run: () => unknown): ReadOnlyError {
  try {
    run();
  } catch (err) {
    if (err instanceof ReadOnlyError) return err;
    throw err;
  }
  throw new Error('expected a ReadOnlyError');
}
