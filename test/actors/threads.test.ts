/**
 * The GenServer, Task and Registry contracts across scheduler threads: the same guarantees as
 * on one thread (call by pid and name, timeouts without stray replies, noproc, exits mid-call,
 * deferred replies, start results, parents), with the servers placed on other schedulers.
 */
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { TIMEOUT, isDownMessage, start, type ActorSystem, type Context, type Inbox, type Pid } from '../../runtime/index.js';
import { CallExitError, CallTimeoutError, GenServer, NoProcError, Registry, Task, TaskExitError } from '../../actors/index.js';
import { assertReceive, flush } from '../support/receive.js';
import { Counter, DemonitorWatch, FailingTask, GenCaller, RemoteTask, Worker, type WorkerArgs } from './fixtures.js';

let system: ActorSystem;
let me: Inbox;

beforeAll(async () => {
  system = await start({ logLevel: 'silent', schedulers: 2, shutdownTimeoutMs: 1_000 });
});
afterAll(async () => {
  await system.shutdown();
});
beforeEach(() => {
  me = system.inbox();
});
afterEach(() => {
  me.close();
});


async function worker(scheduler: number, args: Partial<WorkerArgs> = {}): Promise<Pid> {
  const r = await GenServer.start(system, Worker, { id: `w${scheduler}`, ...args }, { scheduler });
  if (!r.ok) throw new Error(`worker did not start: ${String(r.error)}`);
  expect(r.pid.scheduler).toBe(scheduler);
  return r.pid;
}

/** The exit reason of `pid`, from a monitor set up now. */
function exitOf(pid: Pid): Promise<unknown> {
  const w = system.inbox();
  const ref = w.monitor(pid);
  return assertReceive(w, (m) => isDownMessage(m) && m.ref.equals(ref), 5_000).then((m) => {
    w.close();
    return m.reason;
  });
}

describe.each([1, 2])('GenServer across threads (server on scheduler %i)', (scheduler) => {
  it('call - by pid and by a registered name', async () => {
    const r = await GenServer.start(system, Counter, 3, { scheduler, name: `counter-${scheduler}` });
    expect(r.ok).toBe(true);
    expect(await GenServer.call(me, (r as { pid: Pid }).pid, { add: 1 })).toBe(4);
    expect(await GenServer.call(me, `counter-${scheduler}`, 'get')).toBe(4);
    await GenServer.stop(me, `counter-${scheduler}`);
  });

  it('call - the reply ends the call\'s monitor on both threads: no DOWN follows the server\'s exit', async () => {
    const server = await worker(scheduler);
    expect(await GenServer.call(me, server, 'ping')).toBe('pong');
    expect(me.info()!.monitors).toEqual([]);
    // The server's side of that monitor was removed too (the demonitor went ahead of this call,
    // whose own monitor is the one left).
    expect(await GenServer.call(me, server, 'monitoredBy')).toBe(1);
    const exited = exitOf(server);
    system.exit(server, 'kill');
    expect(await exited).toBe('killed');
    expect(await flush(me)).toEqual([]);
  });

  it('call - a call on the server\'s own thread, to its pid received from another thread, leaves no monitor behind', async () => {
    // The caller's pid of the server is a copy made by the decoder (no Pid.local): the reply
    // must still remove the server's side of the call's monitor, or a DOWN would follow later.
    const server = await worker(scheduler);
    system.spawnOpt(GenCaller, [server, 'monitoredBy', 3, me.self], { scheduler });
    expect(await assertReceive(me, (m) => m.ok !== undefined || m.error !== undefined, 10_000)).toEqual({ ok: 1 });
    system.exit(server, 'kill');
  });

  it('call - the demonitor that a reply triggers is pushed even when the caller sends nothing after it', async () => {
    // The reply is read by the caller's ring consumer, which writes the DEMONITOR there; it must
    // leave this thread although nothing else is sent to the server's thread after it.
    const server = await worker(scheduler);
    const pending = GenServer.call(me, server, 'defer');
    system.spawnOpt(DemonitorWatch, [server, me.self], { scheduler });
    expect(await pending).toBe('released');
    expect(await assertReceive(me, (m) => m === 'clean', 10_000)).toBe('clean');
    system.exit(server, 'kill');
  });

  it('timeout - no late reply reaches the caller', async () => {
    const server = await worker(scheduler);
    await expect(GenServer.call(me, server, { sleep: 30 }, 5)).rejects.toBeInstanceOf(CallTimeoutError);
    expect(await GenServer.call(me, server, { sleep: 40 }, 5_000)).toBe('woke');
    expect(await flush(me)).toEqual([]);
    system.exit(server, 'kill');
  });

  it('noproc and crash mid-call - reasons cross threads', async () => {
    const server = await worker(scheduler);
    const e = await GenServer.call(me, server, 'crash').then(() => null, (x) => x);
    expect(e).toBeInstanceOf(CallExitError);
    expect(e.reason.message).toBe(`w${scheduler} crashed on request`);
    await expect(GenServer.call(me, server, 'ping')).rejects.toBeInstanceOf(NoProcError);
    expect(await flush(me)).toEqual([]);
  });

  it('deferred reply - from a later cast', async () => {
    const server = await worker(scheduler);
    const pending = GenServer.call(me, server, 'defer').then((v) => v);
    expect(await GenServer.call(system, server, 'ping')).toBe('pong');
    GenServer.cast(system, server, 'release');
    expect(await pending).toBe('released');
    system.exit(server, 'kill');
  });

  it('start - an init failure on another thread is the start result', async () => {
    const r = await GenServer.start(system, Worker, { id: 'x', initFail: 'throw' }, { scheduler });
    expect(r.ok).toBe(false);
    expect(((r as { error: Error }).error).message).toBe('init of x failed');
  });

  it('parent exit - terminate runs on the child\'s thread with the parent\'s reason', async () => {
    const parent = system.spawnOpt(async (ctx: Context, report: Pid, s: number) => {
      // Give the parent a link first: the runtime records a remote linked spawn on the parent's
      // side only when it already has a link (ring-transport spawn: `links?.set`; reported).
      ctx.spawnLink(async (c: Context) => void (await c.receive(() => false)));
      const r = await GenServer.startLink(ctx, Worker, { id: 'child', report, trap: true }, { scheduler: s });
      ctx.send(report, { linked: r.ok });
      await ctx.receive((m) => m === 'die');
      ctx.exit('shutdown');
    }, [me.self, scheduler], { scheduler: 0 });
    await assertReceive(me, (m) => m.started === 'child', 5_000);
    expect(await assertReceive(me, (m) => m.linked !== undefined, 5_000)).toEqual({ linked: true });
    system.send(parent, 'die');
    expect(await assertReceive(me, (m) => m.terminated, 5_000)).toMatchObject({ terminated: 'child', reason: 'shutdown' });
  });

  it('task - runs on the chosen scheduler; a crash rejects the awaiter', async () => {
    const t = Task.asyncOpt(me, RemoteTask, [41], { scheduler });
    expect(await Task.await(me, t)).toEqual({ n: 42, on: scheduler });
    const f = Task.asyncOpt(me, FailingTask, [], { scheduler });
    const e = await Task.await(me, f).then(() => null, (x) => x);
    expect(e).toBeInstanceOf(TaskExitError);
    expect(e.reason?.message ?? e.reason).toBe('remote task failed');
  });

  it('registry - via names held by servers on other threads, freed when they exit', async () => {
    const reg = await Registry.start(system, { scheduler, name: `reg-${scheduler}` });
    expect(reg.ok).toBe(true);
    const name = Registry.via(`reg-${scheduler}`, 'counter');
    const c = await GenServer.start(system, Counter, 1, { name, scheduler: 3 - scheduler });
    expect(c.ok).toBe(true);
    expect(await GenServer.call(me, name, { add: 1 })).toBe(2);
    const exited = exitOf((c as { pid: Pid }).pid);
    system.exit((c as { pid: Pid }).pid, 'kill');
    await exited;
    // The DOWN reaches the registry from another thread: poll (with a deadline) until it has.
    const deadline = Date.now() + 5_000;
    while ((await Registry.lookup(me, `reg-${scheduler}`, 'counter')) !== undefined) {
      if (Date.now() > deadline) throw new Error('the registry did not free the name');
      const r = await me.receive(() => false, 5);
      expect(r).toBe(TIMEOUT);
    }
    await GenServer.stop(me, `reg-${scheduler}`);
  });
});
