/** The SqlgateError a promise rejects with; fails the test when it resolves or rejects with anything else. */
import { expect } from 'vitest';
import { SqlgateError } from '../../src/errors.js';

export async function rejection(promise: Promise<unknown>): Promise<SqlgateError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SqlgateError);
    return err as SqlgateError;
  }
  throw new Error('expected a rejection');
}
