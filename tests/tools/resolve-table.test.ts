import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { parseTableReference } from '../../src/tools/resolve-table.js';

describe('parseTableReference', () => {
  it('splits plain and schema-qualified names', () => {
    expect(parseTableReference('orders')).toEqual({ schema: null, name: 'orders' });
    expect(parseTableReference(' sales.orders ')).toEqual({ schema: 'sales', name: 'orders' });
  });

  it('honours every quoting style, with doubled quotes inside', () => {
    expect(parseTableReference('"My Schema"."Order Lines"')).toEqual({ schema: 'My Schema', name: 'Order Lines' });
    expect(parseTableReference('[dbo].[Orders]]x]')).toEqual({ schema: 'dbo', name: 'Orders]x' });
    expect(parseTableReference('`shop`.`a``b`')).toEqual({ schema: 'shop', name: 'a`b' });
    expect(parseTableReference('"a.b"')).toEqual({ schema: null, name: 'a.b' });
  });

  it('refuses malformed references with a clear message', () => {
    for (const bad of ['"unclosed', 'a.', 'a..b', 'a.b.c.d', '"x"y', '']) {
      expect(() => parseTableReference(bad), bad).toThrow(InvalidInputError);
    }
  });
});
