import { describe, expect, it } from 'vitest';
import { maskRows, maskValue } from '../../src/policy/mask-value.js';

describe('maskValue', () => {
  it('shows an email\'s first character and domain only', () => {
    expect(maskValue('alice@example.com', 'email')).toBe('a•••@example.com');
    expect(maskValue('not-an-email', 'email')).toBe('•••');
    expect(maskValue('@example.com', 'email')).toBe('•••');
    expect(maskValue('ünï@x.org', 'email')).toBe('ü•••@x.org');
  });

  it('keeps the last four characters of longer values only', () => {
    expect(maskValue('+1 555 123 4567', 'last4')).toBe('•••4567');
    expect(maskValue('1234', 'last4')).toBe('•••');
    expect(maskValue(123456789, 'last4')).toBe('•••6789');
  });

  it('redacts whole, and leaves NULL as NULL', () => {
    expect(maskValue('secret', 'redact')).toBe('•••');
    expect(maskValue({ a: 1 }, 'redact')).toBe('•••');
    expect(maskValue(null, 'email')).toBeNull();
  });

  it('masks the given columns of every row in place', () => {
    const rows = [['1', 'bob@x.io', '5551234'], ['2', null, '99']];
    maskRows(rows, new Map([[1, 'email'], [2, 'last4']]));
    expect(rows).toEqual([['1', 'b•••@x.io', '•••1234'], ['2', null, '•••']]);
  });
});
