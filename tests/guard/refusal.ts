/** The error a gate call throws, of the expected class; any other outcome fails the test. */
import { InvalidInputError, ReadOnlyError } from '../../src/errors.js';

/** The ReadOnlyError a gate call throws: a refusal. */
export function refusal(run: () => unknown): ReadOnlyError {
  try {
    run();
  } catch (err) {
    if (err instanceof ReadOnlyError) return err;
    throw err;
  }
  throw new Error('expected a ReadOnlyError');
}

/** The InvalidInputError a gate call throws: text it cannot parse, or SQL of another dialect. */
export function invalidInput(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  throw new Error('expected an InvalidInputError');
}
