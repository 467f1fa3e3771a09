import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compileFilter,
  InvalidFilterError,
  matchesOptionalFilter,
  routingKeyWords,
  validateFilter,
} from '../../broker/routing/topic-filter.js';

/** The definition, written as directly as possible: exponential, but obviously right. */
function referenceMatch(filterWords: readonly string[], keyWords: readonly string[]): boolean {
  if (filterWords.length === 0) return keyWords.length === 0;
  const [head, ...rest] = filterWords;
  if (head === '#') {
    for (let take = 0; take <= keyWords.length; take++) {
      if (referenceMatch(rest, keyWords.slice(take))) return true;
    }
    return false;
  }
  if (keyWords.length === 0) return false;
  if (head === '*' || head === keyWords[0]) return referenceMatch(rest, keyWords.slice(1));
  return false;
}

describe('topic filter - AMQP documented examples', () => {
  // The RabbitMQ tutorial 5 bindings ("<speed>.<colour>.<species>") and its answers.
  const table: Array<[filter: string, key: string, expected: boolean]> = [
    ['*.orange.*', 'quick.orange.rabbit', true],
    ['*.*.rabbit', 'quick.orange.rabbit', true],
    ['*.orange.*', 'lazy.orange.elephant', true],
    ['lazy.#', 'lazy.orange.elephant', true],
    ['*.orange.*', 'quick.orange.fox', true],
    ['lazy.#', 'lazy.brown.fox', true],
    ['*.*.rabbit', 'lazy.pink.rabbit', true],
    ['lazy.#', 'lazy.pink.rabbit', true],
    ['*.orange.*', 'quick.brown.fox', false],
    ['*.*.rabbit', 'quick.brown.fox', false],
    ['lazy.#', 'quick.brown.fox', false],
    ['*.orange.*', 'orange', false],
    ['*.orange.*', 'quick.orange.male.rabbit', false],
    ['*.*.rabbit', 'quick.orange.male.rabbit', false],
    ['lazy.#', 'lazy.orange.male.rabbit', true],
    ['lazy.#', 'lazy', true],
    // Beyond the tutorial: `#` alone, `#` in the middle, exact filters, the empty key.
    ['#', 'anything.at.all', true],
    ['#', '', true],
    ['#.#', '', true],
    ['*', '', false],
    ['a', '', false],
    ['a.#.b', 'a.b', true],
    ['a.#.b', 'a.x.y.b', true],
    ['a.#.b', 'a.x.y.c', false],
    ['#.b', 'b', true],
    ['#.b', 'x.b.b', true],
    ['a.*.#', 'a', false],
    ['a.*.#', 'a.b', true],
    ['orders.created', 'orders.created', true],
    ['orders.created', 'orders.created.eu', false],
    ['orders', 'orders.created', false],
  ];
  it.each(table)('topic filter - %s against "%s" is %s', (filter, key, expected) => {
    expect(compileFilter(filter).matches(key)).toBe(expected);
  });

  it('topic filter - no filter matches every message, including the empty key', () => {
    expect(matchesOptionalFilter(undefined, '')).toBe(true);
    expect(matchesOptionalFilter(null, 'a.b')).toBe(true);
    expect(matchesOptionalFilter(compileFilter('a'), 'b')).toBe(false);
  });

  it('topic filter - the empty routing key has zero words', () => {
    expect(routingKeyWords('')).toEqual([]);
    expect(routingKeyWords('a.b')).toEqual(['a', 'b']);
  });
});

describe('topic filter - validation', () => {
  const bad: Array<[unknown, string]> = [
    ['', 'empty'],
    ['a..b', 'empty_word'],
    ['.a', 'empty_word'],
    ['a.', 'empty_word'],
    ['a*', 'partial_wildcard'],
    ['a.#b', 'partial_wildcard'],
    ['x'.repeat(1025), 'too_long'],
    [42, 'not_a_string'],
    [null, 'not_a_string'],
  ];
  it.each(bad)('topic filter - refuses %j (%s)', (filter, reason) => {
    const result = validateFilter(filter);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(InvalidFilterError);
      expect(result.error.reason).toBe(reason);
      expect(result.error.message.length).toBeGreaterThan(10);
    }
    if (typeof filter === 'string') expect(() => compileFilter(filter)).toThrow(InvalidFilterError);
  });

  it('topic filter - accepts topic-name patterns', () => {
    for (const ok of ['orders', 'orders.*', 'billing-eu_2.#', '#', '*.*']) expect(validateFilter(ok)).toEqual({ ok: true });
  });
});

describe('topic filter - against the reference matcher', () => {
  // A small alphabet so that literal words collide often and wildcards have work to do.
  const word = fc.constantFrom('a', 'b', 'c');
  const filterWord = fc.constantFrom('a', 'b', 'c', '*', '#');
  const filterArb = fc.array(filterWord, { minLength: 1, maxLength: 7 });
  const keyArb = fc.array(word, { minLength: 0, maxLength: 8 });

  it('topic filter - compiled matching equals the definition', () => {
    fc.assert(
      fc.property(filterArb, keyArb, (filterWords, keyWords) => {
        const matcher = compileFilter(filterWords.join('.'));
        expect(matcher.matches(keyWords.join('.'))).toBe(referenceMatch(filterWords, keyWords));
      }),
      { numRuns: 2000 },
    );
  });

  it('topic filter - a key built to fit the filter always matches', () => {
    fc.assert(
      fc.property(filterArb, fc.array(keyArb, { minLength: 7, maxLength: 7 }), (filterWords, fills) => {
        // Replace `*` by one word and `#` by any number of words: the result must match.
        const key = filterWords.flatMap((w, i) => (w === '*' ? ['z'] : w === '#' ? fills[i] : [w]));
        expect(compileFilter(filterWords.join('.')).matches(key.join('.'))).toBe(true);
      }),
    );
  });
});
