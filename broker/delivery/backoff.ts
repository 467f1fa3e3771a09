/**
 * Retry delays for failed delivery attempts (SPEC §3 "Backoff"): exponential growth capped at
 * `maxMs`, with "equal jitter" — each delay is drawn uniformly between 50% and 100% of
 *
 *     ceiling(attempt) = min(maxMs, initialMs × multiplier^(attempt − 1))
 *
 * Jitter keeps many subscriptions that failed together (one endpoint down) from retrying in
 * lock-step; keeping half of the ceiling guarantees the delay still grows.
 * `attempt` is the number of the attempt that just failed (1 for the first), so the first
 * retry waits about `initialMs`.
 */

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: 1000, maxMs: 60_000, multiplier: 2 });

/** Upper limits, so a typo cannot park a message for years: one hour to start, one day at most. */
export const BACKOFF_LIMITS = Object.freeze({ maxInitialMs: 3_600_000, maxMaxMs: 86_400_000, maxMultiplier: 100 });

/** A uniform random number in [0, 1); injectable so tests can pin the jitter. */
export type RandomSource = () => number;

export type BackoffResult = { ok: true; policy: BackoffPolicy } | { ok: false; field: string; message: string };

/**
 * Validates a user-supplied backoff (the `backoff` field of a subscription); omitted fields
 * take the defaults. Returns a result naming the bad field (expected outcome: a 400), never throws.
 */
export function parseBackoff(input: unknown): BackoffResult {
  if (input === undefined) return { ok: true, policy: DEFAULT_BACKOFF };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, field: 'backoff', message: `expected backoff to be an object, got: ${describe(input)}` };
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (key !== 'initialMs' && key !== 'maxMs' && key !== 'multiplier') {
      return { ok: false, field: `backoff.${key}`, message: `unknown backoff field "${key}" (expected initialMs, maxMs, multiplier)` };
    }
  }
  const initialMs = raw.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const multiplier = raw.multiplier ?? DEFAULT_BACKOFF.multiplier;
  if (!isIntegerIn(initialMs, 1, BACKOFF_LIMITS.maxInitialMs)) {
    return { ok: false, field: 'backoff.initialMs', message: `expected backoff.initialMs to be an integer from 1 to ${BACKOFF_LIMITS.maxInitialMs}, got: ${describe(initialMs)}` };
  }
  // maxMs defaults to the larger of the default and initialMs, so `{initialMs: 120000}` alone is valid.
  const maxMs = raw.maxMs ?? Math.max(DEFAULT_BACKOFF.maxMs, initialMs);
  if (!isIntegerIn(maxMs, initialMs, BACKOFF_LIMITS.maxMaxMs)) {
    return { ok: false, field: 'backoff.maxMs', message: `expected backoff.maxMs to be an integer from initialMs (${initialMs}) to ${BACKOFF_LIMITS.maxMaxMs}, got: ${describe(maxMs)}` };
  }
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1 || multiplier > BACKOFF_LIMITS.maxMultiplier) {
    return { ok: false, field: 'backoff.multiplier', message: `expected backoff.multiplier to be a number from 1 to ${BACKOFF_LIMITS.maxMultiplier}, got: ${describe(multiplier)}` };
  }
  return { ok: true, policy: { initialMs, maxMs, multiplier } };
}

/** The ceiling for the delay after failed attempt `attempt` (≥ 1); never above `maxMs`. */
export function backoffCeiling(policy: BackoffPolicy, attempt: number): number {
  assertAttempt(attempt);
  // multiplier^(attempt-1) overflows to Infinity for large attempts; min() then gives maxMs.
  return Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.multiplier, attempt - 1));
}

/**
 * The delay in whole milliseconds before retrying after failed attempt `attempt`:
 * in [ceil(ceiling / 2), floor(ceiling)], drawn with `random`. Does not decide whether
 * to retry at all (that is `maxAttempts`, the caller's business).
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: RandomSource = Math.random): number {
  const ceiling = backoffCeiling(policy, attempt);
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`expected the random source to return a number in [0, 1), got: ${r}`);
  const low = Math.ceil(ceiling / 2);
  const high = Math.floor(ceiling);
  return Math.min(high, low + Math.floor(r * (high - low + 1)));
}

function assertAttempt(attempt: number): void {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`expected attempt to be an integer ≥ 1, got: ${attempt}`);
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
