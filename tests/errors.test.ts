import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ReadOnlyError, SqlgateError } from '../src/errors.js';

describe('error catalogue', () => {
  it('documents every code in docs/errors.md, and nothing else', () => {
    const doc = fs.readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `(SG_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    const catalogued = Object.entries(ERROR_CATALOGUE).map(([code, { status }]) => [code, status]);
    expect(documented.sort()).toEqual(catalogued.sort());
  });

  it('keeps the hint and the log-only detail apart from the message', () => {
    const error = new ReadOnlyError('read-only', { hint: 'run reads', detail: 'role reader on db1.internal' });
    expect(error).toBeInstanceOf(SqlgateError);
    expect(error.code).toBe('SG_READ_ONLY');
    expect(error.status).toBe(403);
    expect(error.publicText).toBe('read-only\nrun reads');
    expect(error.publicText).not.toContain('db1.internal');
  });
});
