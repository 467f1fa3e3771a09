import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffCeiling, backoffDelay, DEFAULT_BACKOFF, parseBackoff, type BackoffPolicy } from '../../broker/delivery/backoff.js';

const policyArb: fc.Arbitrary<BackoffPolicy> = fc
  .record({
    initialMs: fc.integer({ min: 1, max: 3_600_000 }),
    extra: fc.integer({ min: 0, max: 86_400_000 }),
    multiplier: fc.double({ min: 1, max: 100, noNaN: true }),
  })
  .map(({ initialMs, extra, multiplier }) => ({ initialMs, maxMs: Math.min(86_400_000, initialMs + extra), multiplier }));
const attemptArb = fc.integer({ min: 1, max: 2000 });
const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('backoff', () => {
  it('backoff - every delay lies between 50% and 100% of the capped ceiling', () => {
    fc.assert(
      fc.property(policyArb, attemptArb, randomArb, (policy, attempt, r) => {
        const ceiling = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** (attempt - 1));
        expect(backoffCeiling(policy, attempt)).toBe(ceiling);
        const delay = backoffDelay(policy, attempt, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
        // A bound on the computed delay (no clock is read): never above the policy's cap.
        const cap = policy.maxMs;
        expect(delay).toBeLessThanOrEqual(cap);
      }),
      { numRuns: 2000 },
    );
  });

  it('backoff - the delay grows with the random draw and the ceiling with the attempt', () => {
    fc.assert(
      fc.property(policyArb, attemptArb, randomArb, randomArb, (policy, attempt, r1, r2) => {
        const [lo, hi] = r1 <= r2 ? [r1, r2] : [r2, r1];
        expect(backoffDelay(policy, attempt, () => lo)).toBeLessThanOrEqual(backoffDelay(policy, attempt, () => hi));
        expect(backoffCeiling(policy, attempt)).toBeLessThanOrEqual(backoffCeiling(policy, attempt + 1));
      }),
    );
  });

  it('backoff - the extremes of the draw reach both ends of the range', () => {
    expect(backoffDelay(DEFAULT_BACKOFF, 1, () => 0)).toBe(500);
    expect(backoffDelay(DEFAULT_BACKOFF, 1, () => 0.999999)).toBe(1000);
    expect(backoffDelay(DEFAULT_BACKOFF, 3, () => 0)).toBe(2000);
    expect(backoffCeiling(DEFAULT_BACKOFF, 7)).toBe(60_000);
    expect(backoffCeiling(DEFAULT_BACKOFF, 10_000)).toBe(60_000);
  });

  it('backoff - misuse throws: attempt below 1, a random source out of range', () => {
    expect(() => backoffDelay(DEFAULT_BACKOFF, 0)).toThrow(/attempt/);
    expect(() => backoffDelay(DEFAULT_BACKOFF, 1.5)).toThrow(/attempt/);
    expect(() => backoffDelay(DEFAULT_BACKOFF, 1, () => 1)).toThrow(/random source/);
    expect(() => backoffDelay(DEFAULT_BACKOFF, 1, () => NaN)).toThrow(/random source/);
  });
});

describe('backoff - validation', () => {
  it('backoff - omitted fields take the defaults', () => {
    expect(parseBackoff(undefined)).toEqual({ ok: true, policy: DEFAULT_BACKOFF });
    expect(parseBackoff({})).toEqual({ ok: true, policy: DEFAULT_BACKOFF });
    expect(parseBackoff({ multiplier: 3 })).toEqual({ ok: true, policy: { initialMs: 1000, maxMs: 60_000, multiplier: 3 } });
    expect(parseBackoff({ initialMs: 120_000 })).toEqual({ ok: true, policy: { initialMs: 120_000, maxMs: 120_000, multiplier: 2 } });
  });

  const bad: Array<[unknown, string]> = [
    [null, 'backoff'],
    [[1], 'backoff'],
    ['fast', 'backoff'],
    [{ initialMs: 0 }, 'backoff.initialMs'],
    [{ initialMs: 1.5 }, 'backoff.initialMs'],
    [{ initialMs: '1000' }, 'backoff.initialMs'],
    [{ initialMs: 5000, maxMs: 4000 }, 'backoff.maxMs'],
    [{ maxMs: 1e12 }, 'backoff.maxMs'],
    [{ multiplier: 0.5 }, 'backoff.multiplier'],
    [{ multiplier: Infinity }, 'backoff.multiplier'],
    [{ multiplier: NaN }, 'backoff.multiplier'],
    [{ jitter: true }, 'backoff.jitter'],
  ];
  it.each(bad)('backoff - refuses %j naming %s', (input, field) => {
    const result = parseBackoff(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.field).toBe(field);
      expect(result.message).toContain(field === 'backoff' ? 'backoff' : field.split('.')[1]);
    }
  });
});
