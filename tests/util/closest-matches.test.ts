import { describe, expect, it } from 'vitest';
import { closestMatches, editDistance } from '../../src/util/closest-matches.js';

describe('closestMatches', () => {
  const tables = ['customers', 'orders', 'order_items', 'products', 'payment_transactions', 'regions'];

  it('ranks substrings and near misses first', () => {
    expect(closestMatches('order', tables)).toEqual(['orders', 'order_items']);
    expect(closestMatches('custmers', tables)[0]).toBe('customers');
    expect(closestMatches('PRODUCT', tables)[0]).toBe('products');
  });

  it('suggests nothing for an unrelated name', () => {
    expect(closestMatches('zebra', tables)).toEqual([]);
  });

  it('computes edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
    // A swap of neighbours is one typo.
    expect(editDistance('mni', 'min')).toBe(1);
    expect(editDistance('mni', 'max')).toBe(2);
    expect(closestMatches('mni', ['max', 'min'])[0]).toBe('min');
  });
});
