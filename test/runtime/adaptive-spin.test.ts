/**
 * The spin policy of idle scheduler threads (runtime/adaptive-spin.ts), fed the park durations a
 * thread would see. Pure logic: no timing is asserted, the durations are given.
 */
import { describe, expect, it } from 'vitest';
import { AdaptiveSpin, spinFor } from '../../runtime/adaptive-spin.js';

const SHORT = 0.1; // ms: a peer answered within a wake-up's time
const LONG = 5; // ms: sparse traffic

describe('adaptive spin', () => {
  it('adaptive spin - a thread that only parks long never spins', () => {
    const s = new AdaptiveSpin();
    for (let i = 0; i < 100; i++) {
      s.parked(LONG, s.budget);
      expect(s.budget).toBe(0);
    }
  });

  it('adaptive spin - a short park starts spinning, a missed spin doubles the budget up to its cap', () => {
    const s = new AdaptiveSpin();
    s.parked(SHORT, 0);
    const start = s.budget;
    expect(start).toBeGreaterThan(0);
    s.parked(SHORT, s.budget); // spun, missed, parked briefly: spin longer
    expect(s.budget).toBe(start * 2);
    s.caught(); // a catch forgets the misses
    s.parked(SHORT, s.budget);
    s.caught();
    s.parked(SHORT, s.budget);
    s.caught();
    s.parked(SHORT, s.budget);
    expect(s.budget).toBeLessThanOrEqual(100);
    expect(s.budget).toBeGreaterThan(start);
  });

  it('adaptive spin - spins that keep missing rest, longer each time, and a catch ends the backoff', () => {
    const s = new AdaptiveSpin();
    s.parked(SHORT, 0);
    // Three misses in a row: spinning stops.
    s.parked(SHORT, s.budget);
    s.parked(SHORT, s.budget);
    s.parked(SHORT, s.budget);
    expect(s.budget).toBe(0);
    // It rests for a number of waits, even though the parks are short.
    let rested = 0;
    while (s.budget === 0 && rested < 10_000) {
      s.parked(SHORT, 0);
      rested++;
    }
    expect(rested).toBeGreaterThan(1);
    // Missing again rests longer.
    s.parked(SHORT, s.budget);
    s.parked(SHORT, s.budget);
    s.parked(SHORT, s.budget);
    let restedAgain = 0;
    while (s.budget === 0 && restedAgain < 10_000) {
      s.parked(SHORT, 0);
      restedAgain++;
    }
    expect(restedAgain).toBeGreaterThan(rested);
    // A catch resets the misses: one more miss does not rest.
    s.caught();
    s.parked(SHORT, s.budget);
    expect(s.budget).toBeGreaterThan(0);
  });

  it('adaptive spin - a long park stops spinning', () => {
    const s = new AdaptiveSpin();
    s.parked(SHORT, 0);
    expect(s.budget).toBeGreaterThan(0);
    s.parked(LONG, s.budget);
    expect(s.budget).toBe(0);
  });

  it('adaptive spin - spinFor returns as soon as the condition holds, and false when it never does', () => {
    let calls = 0;
    expect(spinFor(() => ++calls === 3, 1_000_000)).toBe(true);
    expect(calls).toBe(3);
    expect(spinFor(() => false, 50)).toBe(false);
  });
});
