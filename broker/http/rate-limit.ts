/**
 * Per-key throttling (SPEC §3: `ratePerSec`, else the server's default rate): a token bucket
 * per key id that refills at `rate` tokens a second and holds at most one second's worth (at
 * least one token), so a key may burst up to its rate and averages its rate.
 *
 * Time comes from the injected clock, so tests step it instead of sleeping. A bucket is updated
 * lazily on each request (no timers). The operator's bootstrap admin key is never throttled:
 * it is the key that can repair a misconfigured rate.
 */
import { LRUCache } from 'lru-cache';
import type { Principal } from './auth.js';

interface Bucket {
  tokens: number;
  updatedAt: number;
  readonly rate: number;
}

export class RateLimiter {
  readonly #defaultRatePerSec: number | null;
  readonly #now: () => number;
  /** Bounded so keys that stopped calling do not accumulate; an evicted bucket restarts full. */
  readonly #buckets = new LRUCache<string, Bucket>({ max: 100_000 });

  constructor(defaultRatePerSec: number | null, now: () => number) {
    if (defaultRatePerSec !== null && !(defaultRatePerSec > 0)) {
      throw new RangeError(`expected defaultRatePerSec to be a positive number or null, got: ${defaultRatePerSec}`);
    }
    this.#defaultRatePerSec = defaultRatePerSec;
    this.#now = now;
  }

  /** Takes one token for this caller: 0 when the request may go on, else the whole seconds
   * to wait before one token is there again (the Retry-After value, at least 1). */
  take(principal: Principal): number {
    if (principal.kind === 'bootstrap') return 0;
    const rate = principal.ratePerSec ?? this.#defaultRatePerSec;
    if (rate === null) return 0;
    const now = this.#now();
    const capacity = Math.max(1, rate);
    let bucket = this.#buckets.get(principal.id);
    if (bucket === undefined || bucket.rate !== rate) {
      bucket = { tokens: capacity, updatedAt: now, rate };
      this.#buckets.set(principal.id, bucket);
    } else {
      // A clock that steps back must not refill (or drain) the bucket.
      const elapsed = Math.max(0, now - bucket.updatedAt);
      bucket.tokens = Math.min(capacity, bucket.tokens + (elapsed * rate) / 1000);
      bucket.updatedAt = Math.max(bucket.updatedAt, now);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
  }

  /** Forgets a deleted key's bucket. */
  forget(keyId: string): void {
    this.#buckets.delete(keyId);
  }
}
