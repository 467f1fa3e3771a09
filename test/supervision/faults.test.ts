/**
 * Fault injection (OTP supervisor_SUITE style): crashes in init, in a callback and in terminate;
 * a shutdown that stalls ends `killed`; restart intensity escalates to the parent; the orders of
 * rest_for_one, one_for_all and of shutdown; nested trees.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDownMessage, start, type ActorSystem, type Context, type Inbox, type Pid } from '../../runtime/index.js';
import { GenServer, Supervisor, type ChildSpec, type Strategy } from '../../actors/index.js';
import { assertReceive, flush } from '../support/receive.js';
import { Probe, Worker } from '../actors/fixtures.js';
import { captureLog, childPid, children, exitAndWait, startSupervisor, type CapturedLog } from './support.js';

let system: ActorSystem;
let me: Inbox;
let log: CapturedLog;

beforeEach(async () => {
  log = captureLog();
  system = await start({ logger: log.logger, shutdownTimeoutMs: 500 });
  me = system.inbox();
});

afterEach(async () => {
  await system.shutdown();
});

/** Trapping probes a..d that report {started} and {stopping}. */
function probes(ids: string[], report: Pid): ChildSpec[] {
  return ids.map((id) => ({ id, start: { actor: Probe, args: [id, report, true] } }));
}

/** The ids of the next `n` events of `kind` ('started' | 'stopping'), in order. */
async function events(inbox: Inbox, kind: 'started' | 'stopping', n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await assertReceive(inbox, (m) => m[kind] !== undefined))[kind]);
  return out;
}

describe('supervisor - crash in init', () => {
  it('init - a child that fails to start fails the supervisor start; those started are stopped', async () => {
    const r = await Supervisor.start(system, {
      children: [
        { id: 'a', start: { server: Worker, args: { id: 'a', report: me.self, trap: true } } },
        { id: 'b', start: { server: Worker, args: { id: 'b', initFail: 'throw' } } },
        { id: 'c', start: { server: Worker, args: { id: 'c', report: me.self } } },
      ],
    });
    expect(r.ok).toBe(false);
    const error = (r as { error: any }).error;
    expect(error.shutdown.failedToStartChild).toBe('b');
    expect(error.shutdown.reason.message).toBe('init of b failed');
    expect(await assertReceive(me, (m) => m.started)).toMatchObject({ started: 'a' });
    expect(await assertReceive(me, (m) => m.terminated)).toMatchObject({ terminated: 'a', reason: 'shutdown' });
    expect((await flush(me)).filter((m: any) => m.started === 'c')).toEqual([]);
    expect(log.reports('start_error')[0]).toMatchObject({ child: { id: 'b' } });
  });

  it('init - a restart whose init fails is retried and counts toward intensity, then the supervisor gives up', async () => {
    let starts = 0;
    const sup = await startSupervisor(system, {
      intensity: 3,
      periodMs: 60_000,
      children: [
        {
          id: 'flaky',
          start: (ctx: Context) =>
            GenServer.startLink(ctx, Worker, { id: 'flaky', report: me.self, initFail: starts++ === 0 ? undefined : 'throw' }),
        },
      ],
    });
    const { pid } = await assertReceive(me, (m) => m.started === 'flaky');
    const supExit = system.join(sup);
    system.exit(pid, 'kill');
    expect(await supExit).toBe('shutdown');
    expect(starts).toBe(4); // the first start, then 3 failed restarts; the 4th restart exceeds intensity 3
    expect(log.reports('start_error').length).toBe(3);
    expect(log.reports('reached_max_restart_intensity').length).toBe(1);
  });

  it('init - a child returning ignore is kept as a spec, not running', async () => {
    const sup = await startSupervisor(system, {
      children: [{ id: 'i', start: { server: Worker, args: { id: 'i', initFail: 'ignore' } } }],
    });
    const c = await children(system, sup);
    expect(c.get('i')).toMatchObject({ id: 'i', pid: undefined });
  });
});

describe('supervisor - crash in a callback and in terminate', () => {
  it('callback - a GenServer child that crashes in handleCall is replaced and answers', async () => {
    const sup = await startSupervisor(system, {
      children: [{ id: 'w', start: { server: Worker, args: { id: 'w' } } }],
    });
    const before = await childPid(system, sup, 'w');
    await expect(GenServer.call(system, before, 'crash')).rejects.toMatchObject({ name: 'CallExitError' });
    const after = await childPid(system, sup, 'w');
    expect(after.equals(before)).toBe(false);
    expect(await GenServer.call(system, after, 'ping')).toBe('pong');
    const [crash] = log.reports('child_terminated');
    expect(crash).toMatchObject({ child: { id: 'w', pid: before.toString() }, reason: 'Error: w crashed on request' });
    expect(crash!.stack).toContain('w crashed on request');
    expect(log.reports('child_restarted')[0]).toMatchObject({ child: { id: 'w', pid: after.toString() }, previousPid: before.toString() });
  });

  it('terminate - a child whose terminate throws still stops; the supervisor reports it', async () => {
    const sup = await startSupervisor(system, {
      children: [{ id: 't', start: { server: Worker, args: { id: 't', trap: true, terminateFault: 'throw' } } }],
    });
    const pid = await childPid(system, sup, 't');
    const exited = system.join(pid);
    expect(await Supervisor.terminateChild(system, sup, 't')).toEqual({ ok: true });
    expect(((await exited) as Error).message).toBe('terminate of t failed');
    expect(log.reports('shutdown_error')[0]).toMatchObject({ child: { id: 't' }, reason: 'Error: terminate of t failed' });
    expect((await children(system, sup)).get('t')?.pid).toBeUndefined();
  });

  it('shutdown - a child that stalls in terminate is killed after its shutdown timeout', async () => {
    const sup = await startSupervisor(system, {
      children: [{ id: 's', shutdown: 20, start: { server: Worker, args: { id: 's', trap: true, terminateFault: 'stall' } } }],
    });
    const pid = await childPid(system, sup, 's');
    const exited = system.join(pid);
    await Supervisor.terminateChild(system, sup, 's');
    expect(await exited).toBe('killed');
    expect(log.reports('shutdown_error')[0]).toMatchObject({ child: { id: 's' }, reason: 'killed' });
  });

  it('shutdown - brutal_kill kills at once, terminate does not run', async () => {
    const sup = await startSupervisor(system, {
      children: [{ id: 'b', shutdown: 'brutal_kill', start: { server: Worker, args: { id: 'b', report: me.self, trap: true } } }],
    });
    await assertReceive(me, (m) => m.started);
    const pid = await childPid(system, sup, 'b');
    const exited = system.join(pid);
    await Supervisor.terminateChild(system, sup, 'b');
    expect(await exited).toBe('killed');
    expect((await flush(me)).filter((m: any) => m.terminated)).toEqual([]);
    expect(log.reports('shutdown_error')).toEqual([]);
  });
});

describe('supervisor - intensity', () => {
  it('intensity - more than `intensity` restarts in the period: the supervisor exits shutdown', async () => {
    const sup = await startSupervisor(system, {
      intensity: 2,
      periodMs: 60_000,
      children: [{ id: 'p', start: { actor: Probe, args: ['p', me.self] } }],
    });
    const supExit = system.join(sup);
    for (let i = 0; i < 3; i++) {
      const { pid } = await assertReceive(me, (m) => m.started === 'p');
      system.exit(pid, 'kill');
    }
    expect(await supExit).toBe('shutdown');
    expect(log.reports('child_restarted').length).toBe(2);
    expect(log.reports('reached_max_restart_intensity')[0]).toMatchObject({ intensity: 2 });
  });

  it('intensity - escalates: the parent restarts the nested supervisor that gave up', async () => {
    const root = await startSupervisor(system, {
      intensity: 5,
      children: [
        {
          id: 'inner',
          start: { supervisor: { intensity: 0, children: [{ id: 'leaf', start: { actor: Probe, args: ['leaf', me.self] } }] } },
        },
      ],
    });
    const innerBefore = await childPid(system, root, 'inner');
    const { pid: leaf } = await assertReceive(me, (m) => m.started === 'leaf');
    const innerExit = system.join(innerBefore);
    system.exit(leaf, 'kill'); // intensity 0: the first restart is one too many
    expect(await innerExit).toBe('shutdown');
    await assertReceive(me, (m) => m.started === 'leaf'); // the new inner supervisor started a new leaf
    const innerAfter = await childPid(system, root, 'inner');
    expect(innerAfter.equals(innerBefore)).toBe(false);
    expect((await children(system, innerAfter)).get('leaf')?.pid).toBeDefined();
    // The inner supervisor's exit was orderly (shutdown): not a crash report for 'inner'.
    expect(log.reports('child_terminated').map((r) => r.child.id)).toEqual(['leaf']);
  });
});

describe('supervisor - strategies and orders', () => {
  async function crashB(strategy: Strategy): Promise<{ stopping: string[]; started: string[]; sup: Pid }> {
    const sup = await startSupervisor(system, { strategy, children: probes(['a', 'b', 'c', 'd'], me.self) });
    expect(await events(me, 'started', 4)).toEqual(['a', 'b', 'c', 'd']);
    const b = await childPid(system, sup, 'b');
    await exitAndWait(system, b, () => system.send(b, 'crash'));
    await children(system, sup); // the restart is done when the supervisor answers
    const all = await flush(me);
    return {
      stopping: all.filter((m: any) => m.stopping).map((m: any) => m.stopping),
      started: all.filter((m: any) => m.started).map((m: any) => m.started),
      sup,
    };
  }

  it('one_for_one - only the crashed child is restarted', async () => {
    expect(await crashB('one_for_one')).toMatchObject({ stopping: [], started: ['b'] });
  });

  it('rest_for_one - the children after it are stopped newest first, then all restarted in order', async () => {
    expect(await crashB('rest_for_one')).toMatchObject({ stopping: ['d', 'c'], started: ['b', 'c', 'd'] });
  });

  it('one_for_all - every other child is stopped newest first, then all restarted in order', async () => {
    const r = await crashB('one_for_all');
    expect(r).toMatchObject({ stopping: ['d', 'c', 'a'], started: ['a', 'b', 'c', 'd'] });
    expect(log.reports('child_restarted').map((x) => x.child.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('shutdown order - children stop in reverse start order, with reason shutdown', async () => {
    const sup = await startSupervisor(system, { children: probes(['a', 'b', 'c', 'd'], me.self) });
    await events(me, 'started', 4);
    await GenServer.stop(system, sup, 'shutdown');
    const stops = (await flush(me)).filter((m: any) => m.stopping);
    expect(stops.map((m: any) => m.stopping)).toEqual(['d', 'c', 'b', 'a']);
    expect(stops.every((m: any) => m.reason === 'shutdown')).toBe(true);
  });

  it('nested trees - system.shutdown stops the whole tree, deepest last-started first', async () => {
    const sup = await startSupervisor(system, {
      children: [
        { id: 'a', start: { actor: Probe, args: ['a', me.self, true] } },
        { id: 'inner', start: { supervisor: { children: probes(['b', 'c'], me.self) } } },
        { id: 'd', start: { actor: Probe, args: ['d', me.self, true] } },
      ],
    });
    const started = await Promise.all([0, 1, 2, 3].map(() => assertReceive(me, (m) => m.started !== undefined)));
    expect(started.map((m) => m.started)).toEqual(['a', 'b', 'c', 'd']);
    // Exits resolve their joins in the order they happen.
    const order: string[] = [];
    const inner = await childPid(system, sup, 'inner');
    const joins = [...started.map((m) => [m.started, m.pid] as const), ['inner', inner] as const, ['root', sup] as const].map(
      ([id, pid]) => system.join(pid).then((reason) => order.push(`${id}:${String(reason)}`)),
    );
    await system.shutdown();
    await Promise.all(joins);
    expect(order).toEqual(['d:shutdown', 'c:shutdown', 'b:shutdown', 'inner:shutdown', 'a:shutdown', 'root:shutdown']);
  });

  it('parent exit - a supervisor linked to an actor stops its children when that actor dies', async () => {
    const owner = system.spawn(async (ctx: Context, report: Pid) => {
      const r = await Supervisor.startLink(ctx, { children: [{ id: 'x', start: { actor: Probe, args: ['x', report, true] } }] });
      ctx.send(report, { sup: r.ok });
      await ctx.receive((m) => m === 'die');
      throw new Error('owner died');
    }, me.self);
    await assertReceive(me, (m) => m.started === 'x');
    await assertReceive(me, (m) => m.sup === true);
    const sup = system.info(owner)!.links[0]!;
    const supExit = system.join(sup);
    system.send(owner, 'die');
    // The supervisor gets its parent's exit as an EXIT (it traps), stops its children, exits with that reason.
    expect(await assertReceive(me, (m) => m.stopping === 'x')).toMatchObject({ reason: 'shutdown' });
    expect(((await supExit) as Error).message).toBe('owner died');
  });
});

describe('supervisor - misuse', () => {
  it('misuse - bad specs throw at the call', () => {
    expect(() => Supervisor.start(system, { children: [{ id: 'a', start: 42 as never }] })).toThrow(/expected start/);
    expect(() => Supervisor.start(system, { strategy: 'one_for_none' as never, children: [] })).toThrow(/expected strategy/);
    expect(() => Supervisor.start(system, { children: [{ id: 'a', start: () => me.self }, { id: 'a', start: () => me.self }] })).toThrow(/unique child ids/);
    expect(() => Supervisor.start(system, { strategy: 'simple_one_for_one', children: [] })).toThrow(/exactly one child spec/);
  });

  it('monitors - a supervisor never leaves DOWN messages behind', async () => {
    const sup = await startSupervisor(system, { children: probes(['a', 'b'], me.self) });
    await events(me, 'started', 2);
    await Supervisor.terminateChild(system, sup, 'a');
    await Supervisor.restartChild(system, sup, 'a');
    const info = system.info(sup)!;
    expect(info.monitors).toEqual([]);
    expect(info.messageQueueLength).toBe(0);
    expect((await flush(me)).some((m) => isDownMessage(m))).toBe(false);
  });
});
