/**
 * The gate's decisions: per-endpoint limits, breaker hold-backs, and the bulkhead that keeps a
 * failing endpoint from taking the permits a healthy one needs. Pure, with a fake clock; the
 * "main permits" are modelled the way the dispatcher does (one per admitted delivery).
 */
import { describe, expect, it } from 'vitest';
import { DeliveryGate, type GateActions, type GateSettings, type Started } from '../../../broker/delivery/gate.js';

interface Item {
  readonly id: string;
  readonly endpoint: string;
  readonly deadline: number;
}

const settings: GateSettings = {
  perEndpoint: 2,
  maxQueued: 3,
  failingLane: 2,
  holdBackMs: 100,
  minLeaseLeftMs: 50,
  breaker: { windowMs: 10_000, minCalls: 3, failureRatio: 0.5, openMs: 1_000, halfOpenProbes: 1 },
};

function harness(over: Partial<GateSettings> = {}) {
  const clock = { now: 1_000 };
  const gate = new DeliveryGate<Item>({ ...settings, ...over }, () => clock.now);
  let serial = 0;
  const running: Started<Item>[] = [];
  const heldBack: { item: Item; retryAt: number }[] = [];
  let permitsHeld = 0;
  const take = (a: GateActions<Item>) => {
    running.push(...a.start);
    heldBack.push(...a.holdBack);
    permitsHeld -= a.permitsFreed;
    return a;
  };
  const admit = (endpoint: string) => {
    permitsHeld++;
    return take(gate.admit({ id: `i${++serial}`, endpoint, deadline: clock.now + 10_000 }));
  };
  const finish = (endpoint: string, ok: boolean | null) => {
    const i = running.findIndex((s) => s.item.endpoint === endpoint);
    if (i < 0) throw new Error(`nothing running for ${endpoint}`);
    const [s] = running.splice(i, 1);
    return take(gate.finish(s, ok));
  };
  const runningAt = (endpoint: string) => running.filter((s) => s.item.endpoint === endpoint).length;
  return { clock, gate, admit, finish, running, heldBack, runningAt, permits: () => permitsHeld };
}

describe('delivery gate', () => {
  it('gate - at most perEndpoint run per endpoint; the rest wait, then start as others end', () => {
    const h = harness();
    for (let i = 0; i < 4; i++) h.admit('A');
    h.admit('B');
    expect(h.runningAt('A')).toBe(2);
    expect(h.runningAt('B')).toBe(1);
    expect(h.gate.snapshot().find((e) => e.endpoint === 'A')).toMatchObject({ running: 2, queued: 2 });
    h.finish('A', true);
    expect(h.runningAt('A')).toBe(2);
    h.finish('A', true);
    h.finish('A', true);
    h.finish('A', true);
    h.finish('B', true);
    expect(h.running).toEqual([]);
    expect(h.permits()).toBe(0); // every permit came back
    expect(h.gate.snapshot()).toEqual([]); // healthy idle endpoints are forgotten
  });

  it('gate - beyond maxQueued an endpoint\'s deliveries are held back for holdBackMs', () => {
    const h = harness();
    for (let i = 0; i < 7; i++) h.admit('A'); // 2 running + 3 queued + 2 over
    expect(h.runningAt('A')).toBe(2);
    expect(h.heldBack.map((x) => x.retryAt)).toEqual([1_100, 1_100]);
    expect(h.permits()).toBe(5);
  });

  it('gate - an open breaker holds deliveries back until it half-opens; one probe, then it closes', () => {
    const h = harness();
    for (let i = 0; i < 3; i++) {
      h.admit('A');
      h.finish('A', false);
    }
    expect(h.gate.snapshot()[0]).toMatchObject({ state: 'open', health: 'open' });
    h.admit('A');
    expect(h.heldBack.at(-1)).toMatchObject({ retryAt: 1_000 + 1_000 });
    expect(h.running).toEqual([]);
    h.clock.now += 1_000; // half-open
    h.admit('A');
    h.admit('A');
    expect(h.runningAt('A')).toBe(1); // the probe; the other waits for its answer
    expect(h.running[0].ticket).toBe('probe');
    h.finish('A', true);
    expect(h.gate.snapshot()[0]).toMatchObject({ state: 'closed' });
    expect(h.runningAt('A')).toBe(1); // the waiting one started once it closed
    h.finish('A', true);
    expect(h.permits()).toBe(0);
    expect(h.gate.failingInUse).toBe(0);
  });

  it('gate - when the breaker opens, deliveries waiting for that endpoint are held back at once', () => {
    const h = harness({ perEndpoint: 2, maxQueued: 10 });
    for (let i = 0; i < 6; i++) h.admit('A'); // 2 running, 4 waiting
    h.finish('A', false); // each end starts the next waiting one
    h.finish('A', false);
    expect(h.heldBack).toEqual([]);
    h.finish('A', false); // third failure: open, and the two still waiting go back
    expect(h.gate.snapshot()[0]).toMatchObject({ state: 'open', queued: 0 });
    expect(h.runningAt('A')).toBe(1); // started before it opened: its answer is still due
    expect(h.heldBack).toHaveLength(2);
    expect(h.heldBack.every((x) => x.retryAt === h.clock.now + 1_000)).toBe(true);
    h.finish('A', true); // too late to close it
    expect(h.gate.snapshot()[0]).toMatchObject({ state: 'open' });
    expect(h.permits()).toBe(0);
  });

  it('gate - bulkhead: a failing endpoint leaves the main permits and uses its own few slots', () => {
    const h = harness({ perEndpoint: 10, maxQueued: 10 });
    h.admit('bad');
    h.finish('bad', false); // one failure: 'failing' (below minCalls, not open)
    expect(h.gate.snapshot()[0]).toMatchObject({ state: 'closed', health: 'failing' });
    for (let i = 0; i < 5; i++) h.admit('bad');
    // Two failing-lane slots; the other three wait in the store. None holds a main permit.
    expect(h.runningAt('bad')).toBe(2);
    expect(h.heldBack).toHaveLength(3);
    expect(h.permits()).toBe(0);
    expect(h.gate.failingInUse).toBe(2);
    // A healthy endpoint is untouched by all that.
    for (let i = 0; i < 5; i++) h.admit('good');
    expect(h.runningAt('good')).toBe(5);
    expect(h.running.filter((s) => s.item.endpoint === 'good').every((s) => s.lane === 'main')).toBe(true);
    // A killed task (no answer) frees its slot and teaches the breaker nothing.
    h.finish('bad', null);
    expect(h.gate.failingInUse).toBe(1);
    expect(h.gate.snapshot().find((e) => e.endpoint === 'bad')).toMatchObject({ calls: 1, failures: 1 });
  });

  it('gate - a waiting delivery whose lease is nearly over goes back to the store instead of starting', () => {
    const h = harness({ perEndpoint: 1 });
    h.admit('A');
    h.admit('A');
    h.clock.now += 10_000 - 40; // the waiting one has 40 ms of lease left (< minLeaseLeftMs 50)
    h.finish('A', true);
    expect(h.running).toEqual([]);
    expect(h.heldBack).toEqual([{ item: expect.objectContaining({ id: 'i2' }), retryAt: h.clock.now }]);
    expect(h.permits()).toBe(0);
  });
});
