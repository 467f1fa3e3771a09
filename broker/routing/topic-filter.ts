/**
 * AMQP topic-exchange matching (RabbitMQ's `topic` exchange), used twice in the broker:
 * a subscription's `filter` over a message's `routingKey`, and an API key's `topics`
 * patterns over topic names.
 *
 *   compileFilter('orders.*.eu.#')  ──►  FilterMatcher ──► matches('orders.new.eu') → true
 *        (validates once, throws InvalidFilterError)         (called per message, no allocation
 *                                                              beyond splitting the key)
 *
 * Words are split on `.`; `*` stands for exactly one word, `#` for zero or more words.
 * The empty routing key has zero words, so only a filter that is nothing but `#` words
 * matches it (SPEC §3 "Routing"); "no filter" is not a filter at all and is handled by
 * `matchesOptionalFilter`.
 */

/** The longest filter accepted; a topic name is at most 256 characters, so any exact
 * topic name fits as a pattern with room to spare. */
export const MAX_FILTER_LENGTH = 1024;

/** A filter that was validated; `.source` is the text it was compiled from. */
export interface FilterMatcher {
  readonly source: string;
  /** True when `routingKey` matches; the empty string is the key with no words. */
  matches(routingKey: string): boolean;
}

/** Why a filter string was refused; `reason` is a stable code for the HTTP layer. */
export type FilterProblem = 'empty' | 'too_long' | 'empty_word' | 'partial_wildcard' | 'not_a_string';

/** A filter string that cannot be compiled; the message names the offending part. */
export class InvalidFilterError extends Error {
  override readonly name = 'InvalidFilterError';
  constructor(
    readonly filter: unknown,
    readonly reason: FilterProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Checks a filter without compiling it: `{ ok: true }` or the problem (expected outcome,
 * so it is a result, not a throw — the frontend turns it into a 400). */
export function validateFilter(filter: unknown): { ok: true } | { ok: false; error: InvalidFilterError } {
  if (typeof filter !== 'string') {
    return fail(filter, 'not_a_string', `expected a filter string, got: ${describe(filter)}`);
  }
  if (filter.length === 0) return fail(filter, 'empty', 'a filter must have at least one word (omit it to match every message)');
  if (filter.length > MAX_FILTER_LENGTH) {
    return fail(filter, 'too_long', `a filter is at most ${MAX_FILTER_LENGTH} characters, got ${filter.length}`);
  }
  const words = filter.split('.');
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    // RabbitMQ tolerates empty words, but in a filter they are almost always a typo
    // ("a..b", "a.") and would silently never match the keys people meant.
    if (word.length === 0) {
      return fail(filter, 'empty_word', `filter "${filter}" has an empty word at position ${i + 1} (check for "..", or a leading or trailing ".")`);
    }
    // RabbitMQ would treat "a*" as a literal word; refusing it is kinder than a filter
    // that looks like a wildcard and never matches.
    if (word !== '*' && word !== '#' && (word.includes('*') || word.includes('#'))) {
      return fail(filter, 'partial_wildcard', `filter "${filter}": word "${word}" mixes a wildcard with text; "*" and "#" must be whole words`);
    }
  }
  return { ok: true };
}

/** Compiles `filter` once; throws InvalidFilterError for a bad filter (misuse at the boundary:
 * callers are expected to have run `validateFilter` on user input first). */
export function compileFilter(filter: string): FilterMatcher {
  const checked = validateFilter(filter);
  if (!checked.ok) throw checked.error;
  const words = filter.split('.');
  if (!words.includes('*') && !words.includes('#')) return new ExactMatcher(filter);
  return new WildcardMatcher(filter, normalise(words));
}

/** Matches with an optional filter: no filter (undefined or null) matches every message. */
export function matchesOptionalFilter(matcher: FilterMatcher | null | undefined, routingKey: string): boolean {
  return matcher == null ? true : matcher.matches(routingKey);
}

/** Splits a routing key into words; the empty key has none (so `*` cannot match it). */
export function routingKeyWords(routingKey: string): string[] {
  return routingKey.length === 0 ? [] : routingKey.split('.');
}

class ExactMatcher implements FilterMatcher {
  constructor(readonly source: string) {}
  matches(routingKey: string): boolean {
    return routingKey === this.source;
  }
}

const STAR = 0;
const HASH = 1;
type Token = typeof STAR | typeof HASH | string;

class WildcardMatcher implements FilterMatcher {
  constructor(
    readonly source: string,
    private readonly tokens: readonly Token[],
  ) {}

  /**
   * Glob matching over words with backtracking to the most recent `#` only: `#` plays the
   * role of glob `*` and `*` of glob `?`. Because `#.#` was collapsed at compile time, this is
   * O(words × tokens) in the worst case and linear for the usual filters.
   */
  matches(routingKey: string): boolean {
    const words = routingKeyWords(routingKey);
    const tokens = this.tokens;
    let w = 0;
    let t = 0;
    let hashAt = -1; // token index of the last `#` seen
    let hashWord = 0; // word index that `#` would absorb up to, on backtrack
    while (w < words.length) {
      const token = t < tokens.length ? tokens[t] : undefined;
      if (token === HASH) {
        hashAt = t;
        hashWord = w;
        t++;
      } else if (token !== undefined && (token === STAR || token === words[w])) {
        t++;
        w++;
      } else if (hashAt >= 0) {
        // Let the last `#` swallow one more word and retry from just after it.
        t = hashAt + 1;
        hashWord++;
        w = hashWord;
      } else {
        return false;
      }
    }
    while (t < tokens.length && tokens[t] === HASH) t++;
    return t === tokens.length;
  }
}

/** Turns words into tokens and collapses runs of `#` (`#.#` ≡ `#`), which keeps matching
 * from backtracking over equivalent choices. */
function normalise(words: readonly string[]): Token[] {
  const tokens: Token[] = [];
  for (const word of words) {
    const token: Token = word === '*' ? STAR : word === '#' ? HASH : word;
    if (token === HASH && tokens[tokens.length - 1] === HASH) continue;
    tokens.push(token);
  }
  return tokens;
}

function fail(filter: unknown, reason: FilterProblem, message: string) {
  return { ok: false as const, error: new InvalidFilterError(filter, reason, message) };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
