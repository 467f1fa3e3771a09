/**
 * The permit semaphore grows with the backlog (full claims) and shrinks when idle (empty ones).
 */
import { describe, expect, it } from 'vitest';
import { AdaptivePermits } from '../../../broker/delivery/permits.js';

describe('adaptive permits', () => {
  it('permits - grow ×2 on full claims up to max, shrink ÷2 on empty ones down to min', () => {
    const p = new AdaptivePermits({ min: 2, max: 20 });
    expect(p.limit).toBe(2);
    const seen = [];
    for (let i = 0; i < 5; i++) {
      p.observe(p.limit, p.limit);
      seen.push(p.limit);
    }
    expect(seen).toEqual([4, 8, 16, 20, 20]);
    p.observe(10, 3); // partly full: no change
    expect(p.limit).toBe(20);
    const down = [];
    for (let i = 0; i < 5; i++) {
      p.observe(4, 0);
      down.push(p.limit);
    }
    expect(down).toEqual([10, 5, 3, 2, 2]);
  });

  it('permits - take never exceeds the limit; a shrink below what is in use stops new grants', () => {
    const p = new AdaptivePermits({ min: 2, max: 16 });
    p.observe(2, 2);
    p.observe(4, 4); // limit 8
    expect(p.take(5)).toBe(5);
    expect(p.take(5)).toBe(3);
    expect(p.take(1)).toBe(0);
    p.observe(1, 0); // limit 4, 8 in use
    p.give(3);
    expect(p.available()).toBe(0);
    p.give(2);
    expect(p.take(10)).toBe(1);
    expect(() => p.give(10)).toThrow(/give back/);
  });

  it('permits - bad bounds are refused', () => {
    expect(() => new AdaptivePermits({ min: 0, max: 4 })).toThrow(/minPermits/);
    expect(() => new AdaptivePermits({ min: 4, max: 2 })).toThrow(/maxPermits/);
  });
});
