/**
 * queueJob (runtime/microtask.ts): the scheduler's, the ring transport's and the receive timers'
 * way to queue a microtask. It must behave as queueMicrotask does where they rely on it: after
 * the current synchronous code, before any macrotask, in one FIFO with other microtasks.
 */
import { describe, expect, it } from 'vitest';
import { queueJob } from '../../runtime/microtask.js';

describe('queueJob', () => {
  it('runs after the current code, before timers, first in first out with queueMicrotask and promise reactions', async () => {
    const order: string[] = [];
    setTimeout(() => order.push('timeout'), 0);
    setImmediate(() => order.push('immediate'));
    queueJob(() => order.push('job 1'));
    queueMicrotask(() => order.push('microtask'));
    void Promise.resolve().then(() => order.push('reaction'));
    queueJob(() => {
      order.push('job 2');
      queueJob(() => order.push('job 3, queued by job 2'));
    });
    order.push('sync');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order.slice(0, 6)).toEqual(['sync', 'job 1', 'microtask', 'reaction', 'job 2', 'job 3, queued by job 2']);
    expect(order.slice(6).sort()).toEqual(['immediate', 'timeout']);
  });

  it('runs each job once, however many are queued in one turn', async () => {
    let runs = 0;
    for (let i = 0; i < 10_000; i++) queueJob(() => void runs++);
    expect(runs).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(10_000);
  });
});
