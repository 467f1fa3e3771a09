/**
 * Fault injection and load shape, on a real actor system with two schedulers: killing a delivery
 * task, a retriever or the dispatcher mid-traffic loses nothing (at-least-once: leases stay in
 * flight in the store and come back at their deadline), and the permit count grows with a
 * backlog and shrinks when idle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GenServer, Supervisor } from '../../../actors/index.js';
import { deliveryStats } from '../../../broker/delivery/index.js';
import { RECORDER } from '../../../broker/delivery/recorder.js';
import { isDownMessage, type Pid } from '../../../runtime/index.js';
import { assertReceive } from '../../support/receive.js';
import { eventually, Hook, Slice } from './support.js';

let slice: Slice | undefined;
let hooks: Hook[] = [];

afterEach(async () => {
  await slice?.stop();
  slice = undefined;
  for (const h of hooks.splice(0)) await h.close();
});

async function hook(...args: Parameters<typeof Hook.start>): Promise<Hook> {
  const h = await Hook.start(...args);
  hooks.push(h);
  return h;
}

async function child(sup: Pid, id: string): Promise<Pid> {
  const c = (await Supervisor.whichChildren(slice!.system, sup)).find((x) => x.id === id);
  if (!c?.pid) throw new Error(`no running child ${id}`);
  return c.pid;
}

/** Kills `pid` and waits until it is gone. */
async function kill(pid: Pid): Promise<void> {
  const me = slice!.system.inbox();
  try {
    const ref = me.monitor(pid);
    slice!.system.exit(pid, 'kill');
    await assertReceive(me, (m) => isDownMessage(m) && m.ref.equals(ref), 5_000);
  } finally {
    me.close();
  }
}

describe('delivery faults', () => {
  it('faults - a delivery task killed mid-request loses nothing: the lease comes back at its deadline', async () => {
    let first = true;
    const h = await hook(() => (first ? ((first = false), 'hold') : 200));
    slice = await Slice.start({ store: { backend: 'memory' }, schedulers: 1, delivery: { schedulers: [1], deliveryTimeoutMs: 300, leaseMarginMs: 300 } });
    await slice.topic('k');
    const sub = await slice.subscribe('k', h.url, h.secret);
    const [id] = await slice.publish('k', [{ json: 'precious' }]);
    await eventually(() => h.held.length === 1, 'the first attempt reached the endpoint');
    const { tasks } = await deliveryStats(slice.system);
    const task = tasks.find((t) => t.messageId === id && t.attempt === h.held[0].body.attempt);
    expect(task).toMatchObject({ subscriptionId: sub.id });
    expect(task!.pid.scheduler).toBe(1);
    await kill(task!.pid);
    h.releaseHeld(200); // the endpoint answers, but nobody is left to acknowledge

    await slice.until(sub.id, (s) => s.delivered === 1, 'redelivered and acknowledged');
    // Normally attempts 1 then 2; a loaded machine may let a short lease lapse once more.
    const got = h.notifications();
    expect(got.every((n) => n.id === id)).toBe(true);
    expect(got.map((n) => n.attempt)).toEqual(got.map((_, i) => i + 1));
    expect(got.length).toBeGreaterThanOrEqual(2);
    // The killed attempt counts as failed (it may have reached the endpoint), nothing is dead.
    expect(await slice.stats(sub.id)).toMatchObject({ pending: 0, inFlight: 0, delivered: 1, failed: got.length - 1, deadLettered: 0 });
    // The task that acknowledged reports to the dispatcher just after its store write.
    const deadline = Date.now() + 5_000;
    while ((await deliveryStats(slice.system)).tasks.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect((await deliveryStats(slice.system)).tasks).toEqual([]);
  });

  it('faults - killing retrievers and the dispatcher mid-traffic loses nothing', async () => {
    const h = await hook();
    slice = await Slice.start({
      store: { backend: 'memory' },
      schedulers: 1,
      delivery: { schedulers: [0, 1], retrievers: 3, claimBatch: 5, minPermits: 2, deliveryTimeoutMs: 300, leaseMarginMs: 300 },
    });
    await slice.topic('k');
    const sub = await slice.subscribe('k', h.url, h.secret);
    const ids: string[] = [];
    const retrievers = await child(slice.delivery, 'retrievers');
    for (let round = 0; round < 6; round++) {
      ids.push(...(await slice.publish('k', Array.from({ length: 50 }, (_, i) => ({ json: { round, i } })))));
      if (round === 3) await kill(await child(slice.delivery, 'dispatcher'));
      else await kill(await child(await child(slice.delivery, 'retrievers'), `retriever-${round % 3}`));
    }
    await slice.until(sub.id, (s) => s.delivered === ids.length, `all ${ids.length} delivered`, 20_000);
    // At least once: every message arrived; repeats only with a later attempt number.
    const got = h.notifications();
    expect(new Set(got.map((n) => n.id))).toEqual(new Set(ids));
    const seen = new Set<string>();
    for (const n of got) {
      const key = `${n.id}/${n.attempt}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    expect(await slice.stats(sub.id)).toMatchObject({ pending: 0, inFlight: 0, delivered: ids.length, deadLettered: 0 });
    // The supervisor put everything back.
    expect(await child(slice.delivery, 'retrievers')).not.toEqual(retrievers);
    expect((await Supervisor.whichChildren(slice.system, await child(slice.delivery, 'retrievers'))).every((c) => c.pid)).toBe(true);
  });

  it('faults - killing the recorder mid-traffic loses nothing, and it comes back under its name', async () => {
    const h = await hook();
    slice = await Slice.start({ store: { backend: 'memory' }, schedulers: 1, delivery: { schedulers: [0, 1], deliveryTimeoutMs: 300, leaseMarginMs: 300 } });
    await slice.topic('r');
    const sub = await slice.subscribe('r', h.url, h.secret);
    const ids: string[] = [];
    for (let round = 0; round < 4; round++) {
      const recorder = await child(slice.delivery, 'recorder');
      // An actor child registers its name when it first runs, just after the supervisor started it.
      await eventually(() => slice!.system.whereis(RECORDER)?.equals(recorder) === true, 'the recorder registered');
      ids.push(...(await slice.publish('r', Array.from({ length: 50 }, (_, i) => ({ json: { round, i } })))));
      // Outcomes queued in the dead recorder's mailbox are gone; their leases come back.
      await kill(recorder);
    }
    await slice.until(sub.id, (s) => s.delivered === ids.length, `all ${ids.length} delivered`, 20_000);
    expect(new Set(h.notifications().map((n) => n.id))).toEqual(new Set(ids));
    expect(await slice.stats(sub.id)).toMatchObject({ pending: 0, inFlight: 0, delivered: ids.length, deadLettered: 0 });
    const recorder = await child(slice.delivery, 'recorder');
    await eventually(() => slice!.system.whereis(RECORDER)?.equals(recorder) === true, 'the restarted recorder registered');
  });

  it('shutdown - stopping the delivery tree lets a running attempt write its acknowledgement', async () => {
    const h = await hook(() => 'hold');
    slice = await Slice.start({ store: { backend: 'memory' }, schedulers: 1, delivery: { schedulers: [1], deliveryTimeoutMs: 5_000 } });
    await slice.topic('s');
    const sub = await slice.subscribe('s', h.url, h.secret);
    await slice.publish('s', [{ json: 1 }]);
    await eventually(() => h.held.length === 1, 'the attempt reached the endpoint');
    const me = slice.system.inbox();
    try {
      const ref = me.monitor(await child(slice.delivery, 'retrievers'));
      let stopped = false;
      const stopping = GenServer.stop(slice.system, slice.delivery).then(() => (stopped = true));
      await assertReceive(me, (m) => isDownMessage(m) && m.ref.equals(ref), 5_000); // retrievers stop first
      await new Promise((r) => setTimeout(r, 100));
      expect(stopped).toBe(false); // the dispatcher waits for its running task
      h.releaseHeld(200);
      await stopping;
    } finally {
      me.close();
    }
    expect(await slice.stats(sub.id)).toMatchObject({ inFlight: 0, delivered: 1, failed: 0 });
  });

  it('bulkhead - an endpoint that hangs holds at most its share; a healthy one on the topic keeps receiving', async () => {
    const stuck = await hook(() => 'hold');
    const fine = await hook();
    slice = await Slice.start({
      store: { backend: 'memory' },
      delivery: { minPermits: 4, maxPermits: 16, perEndpointConcurrency: 4, maxQueuedPerEndpoint: 4, deliveryTimeoutMs: 10_000, holdBackMs: 20 },
    });
    await slice.topic('b');
    const a = await slice.subscribe('b', stuck.url, stuck.secret);
    const b = await slice.subscribe('b', fine.url, fine.secret);
    const ids = await slice.publish('b', Array.from({ length: 60 }, (_, i) => ({ json: i })));
    await slice.until(b.id, (s) => s.delivered === 60, 'the healthy endpoint got all 60');
    // Meanwhile the stuck endpoint answered nothing and never had more than 4 requests open.
    expect(stuck.held.length).toBeLessThanOrEqual(4);
    expect(new Set(fine.notifications().map((n) => n.id))).toEqual(new Set(ids));
    const ep = (await deliveryStats(slice.system)).endpoints.find((e) => e.endpoint === stuck.url);
    expect(ep).toMatchObject({ running: 4 });
    expect(await slice.stats(a.id)).toMatchObject({ delivered: 0, failed: 0 });
  });

  it('permits - grow with a backlog and shrink back to the minimum when idle', async () => {
    const h = await hook(() => 'hold');
    slice = await Slice.start({
      store: { backend: 'memory' },
      delivery: { minPermits: 2, maxPermits: 32, claimBatch: 4, perEndpointConcurrency: 64, maxQueuedPerEndpoint: 64, deliveryTimeoutMs: 5_000 },
    });
    await slice.topic('p');
    const sub = await slice.subscribe('p', h.url, h.secret);
    const ids = await slice.publish('p', Array.from({ length: 100 }, (_, i) => ({ json: i })));
    // Nothing completes while the endpoint holds its answers: each claim comes back full and
    // the limit doubles until it reaches the maximum.
    await eventually(() => h.held.length === 32, '32 requests held (the maximum of permits)');
    const during = await deliveryStats(slice.system);
    expect(during.permits).toMatchObject({ limit: 32, inUse: 32, min: 2, max: 32 });
    expect(during.tasks).toHaveLength(32);
    // Answer everything as it comes until all is delivered.
    h.answer = () => 200;
    h.releaseHeld(200);
    await slice.until(sub.id, (s) => s.delivered === 100, 'all delivered');
    expect(new Set(h.notifications().map((n) => n.id))).toEqual(new Set(ids));
    // Idle claims halve the limit down to the minimum. The store counts a delivery once its
    // ack is written, which can be before its task's done reaches the dispatcher: wait for both.
    let last = during.permits;
    const deadline = Date.now() + 10_000;
    while (!(last.limit === 2 && last.inUse === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      last = (await deliveryStats(slice.system)).permits;
    }
    expect(last).toMatchObject({ limit: 2, inUse: 0 });
  });
});
