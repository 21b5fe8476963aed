import { describe, expect, it } from 'vitest';
import { JsonDepthScanner } from '../../src/util/json-depth-scanner.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('JsonDepthScanner', () => {
  it('counts nesting up to its limit and reports the first level past it', () => {
    expect(new JsonDepthScanner(3).isTooDeepAfter(bytes('[{"a":[1]}]'))).toBe(false);
    expect(new JsonDepthScanner(3).isTooDeepAfter(bytes('[{"a":[[1]]}]'))).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included, across chunks', () => {
    const scanner = new JsonDepthScanner(2);
    expect(scanner.isTooDeepAfter(bytes('{"q":"[[[[\\"'))).toBe(false);
    expect(scanner.isTooDeepAfter(bytes('[[[[ still text"}'))).toBe(false);
    expect(scanner.isTooDeepAfter(bytes('[[[1]]]'))).toBe(true);
  });

  it('cannot be lowered below zero by closing brackets first', () => {
    expect(new JsonDepthScanner(2).isTooDeepAfter(bytes(']]]]][[['))).toBe(true);
  });
});
