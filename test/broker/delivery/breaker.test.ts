/**
 * The circuit breaker's rules with an injected clock: no waiting, no timers.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerSettings } from '../../../broker/delivery/breaker.js';

const settings: BreakerSettings = { windowMs: 1_000, minCalls: 4, failureRatio: 0.5, openMs: 500, halfOpenProbes: 1 };

function make(over: Partial<BreakerSettings> = {}) {
  const clock = { now: 10_000 };
  const breaker = new CircuitBreaker({ ...settings, ...over }, () => clock.now);
  const call = (ok: boolean) => {
    const t = breaker.tryAcquire();
    if (t === null) throw new Error('breaker refused a call');
    breaker.record(t, ok);
  };
  return { clock, breaker, call };
}

describe('circuit breaker', () => {
  it('breaker - stays closed below the minimum of calls, whatever the ratio', () => {
    const { breaker, call } = make();
    for (let i = 0; i < 3; i++) call(false);
    expect(breaker.state).toBe('closed');
    // Below minCalls it still reports the endpoint as failing, for the bulkhead.
    expect(breaker.health()).toBe('failing');
    call(false);
    expect(breaker.state).toBe('open');
  });

  it('breaker - opens at the failure ratio over the window, not below it', () => {
    const { breaker, call } = make();
    for (const ok of [true, true, true, false, false]) call(ok);
    expect(breaker.state).toBe('closed'); // 2/5 < 0.5
    expect(breaker.health()).toBe('healthy');
    call(false); // 3/6
    expect(breaker.state).toBe('open');
    expect(breaker.health()).toBe('open');
    expect(breaker.tryAcquire()).toBeNull();
    expect(breaker.retryAt).toBe(10_000 + 500);
  });

  it('breaker - old outcomes slide out of the window', () => {
    const { breaker, call, clock } = make();
    for (let i = 0; i < 3; i++) call(false);
    clock.now += 1_100; // past the window: those failures are forgotten
    expect(breaker.window()).toEqual({ calls: 0, failures: 0 });
    expect(breaker.health()).toBe('healthy');
    call(false);
    expect(breaker.state).toBe('closed');
    expect(breaker.window()).toEqual({ calls: 1, failures: 1 });
  });

  it('breaker - after the cool-down one probe goes through; its success closes it with a fresh window', () => {
    const { breaker, call, clock } = make();
    for (let i = 0; i < 4; i++) call(false);
    clock.now += 499;
    expect(breaker.state).toBe('open');
    clock.now += 1;
    expect(breaker.state).toBe('half_open');
    expect(breaker.health()).toBe('failing');
    const probe = breaker.tryAcquire();
    expect(probe).toBe('probe');
    expect(breaker.tryAcquire()).toBeNull(); // one probe at a time
    breaker.record(probe!, true);
    expect(breaker.state).toBe('closed');
    expect(breaker.window()).toEqual({ calls: 0, failures: 0 });
    expect(breaker.isIdle()).toBe(true);
  });

  it('breaker - a failed probe opens it for another cool-down', () => {
    const { breaker, call, clock } = make();
    for (let i = 0; i < 4; i++) call(false);
    clock.now += 600;
    const probe = breaker.tryAcquire()!;
    breaker.record(probe, false);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAt).toBe(clock.now + 500);
  });

  it('breaker - a call started before it opened does not decide for the probe', () => {
    const { breaker, call, clock } = make();
    const slow = breaker.tryAcquire()!; // e.g. a request that will time out
    for (let i = 0; i < 4; i++) call(false);
    clock.now += 600;
    const probe = breaker.tryAcquire()!;
    breaker.record(slow, true); // ends now: too late to matter
    expect(breaker.state).toBe('half_open');
    breaker.record(probe, true);
    expect(breaker.state).toBe('closed');
  });

  it('breaker - an abandoned probe frees its slot and decides nothing', () => {
    const { breaker, call, clock } = make({ halfOpenProbes: 2 });
    for (let i = 0; i < 4; i++) call(false);
    clock.now += 600;
    const a = breaker.tryAcquire()!;
    const b = breaker.tryAcquire()!;
    expect(breaker.tryAcquire()).toBeNull();
    breaker.abandon(a);
    expect(breaker.state).toBe('half_open');
    expect(breaker.tryAcquire()).toBe('probe');
    breaker.record(b, false);
    expect(breaker.state).toBe('open');
  });

  it('breaker - bad settings are refused at construction', () => {
    expect(() => new CircuitBreaker({ ...settings, failureRatio: 0 }, Date.now)).toThrow(/failureRatio/);
    expect(() => new CircuitBreaker({ ...settings, minCalls: 0 }, Date.now)).toThrow(/minCalls/);
  });
});
