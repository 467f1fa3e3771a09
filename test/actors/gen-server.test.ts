import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BadArgError,
  TIMEOUT,
  isDownMessage,
  isExitMessage,
  start,
  type ActorSystem,
  type Context,
  type Inbox,
  type Pid,
} from '../../runtime/index.js';
import {
  BadReturnValueError,
  CallExitError,
  CallTimeoutError,
  GenServer,
  NoProcError,
  Registry,
  isBadReturnValue,
  type From,
} from '../../actors/index.js';
import { assertReceive, flush, refuteReceive } from '../support/receive.js';
import { Counter, GenCaller, Worker, type WorkerArgs } from './fixtures.js';

let system: ActorSystem;
let me: Inbox;

beforeEach(async () => {
  system = await start({ logLevel: 'silent', shutdownTimeoutMs: 500 });
  me = system.inbox();
});

afterEach(async () => {
  await system.shutdown();
});

async function startWorker(args: Partial<WorkerArgs> = {}, caller: Context | ActorSystem = system): Promise<Pid> {
  const r = await GenServer.start(caller, Worker, { id: 'w', ...args });
  if (!r.ok) throw new Error(`worker did not start: ${String(r.error)}`);
  return r.pid;
}

describe('GenServer - start', () => {
  it('start - resolves with the pid once init has returned', async () => {
    const r = await GenServer.start(system, Counter, 5);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(await GenServer.call(system, r.pid, 'get')).toBe(5);
  });

  it('start - a name is registered before init, and a taken name reports the holder', async () => {
    const a = await GenServer.start(system, Counter, 1, { name: 'counter' });
    expect(a.ok).toBe(true);
    expect(await GenServer.call(system, 'counter', 'get')).toBe(1);
    const b = await GenServer.start(system, Counter, 2, { name: 'counter' });
    expect(b).toEqual({ ok: false, error: 'already_started', pid: (a as { pid: Pid }).pid });
  });

  it('init failure - a throw is the start result, not an exit signal to a linked starter', async () => {
    const starter = system.spawn(async (ctx: Context, report: Pid) => {
      const r = await GenServer.startLink(ctx, Worker, { id: 'x', initFail: 'throw' });
      ctx.send(report, { result: r });
      await ctx.receive((m) => m === 'stop');
    }, me.self);
    const { result } = await assertReceive(me, (m) => m.result !== undefined);
    expect(result.ok).toBe(false);
    expect(result.error).toBeInstanceOf(Error);
    expect(result.error.message).toBe('init of x failed');
    expect(system.info(starter)).toBeDefined(); // the starter was not taken down
  });

  it('init failure - {stop}, {ignore} and a bad return', async () => {
    expect(await GenServer.start(system, Worker, { id: 'x', initFail: 'stop' })).toEqual({ ok: false, error: 'init_refused' });
    expect(await GenServer.start(system, Worker, { id: 'x', initFail: 'ignore' })).toEqual({ ok: false, error: 'ignore' });
    const bad = await GenServer.start(system, Worker, { id: 'x', initFail: 'bad' });
    expect(bad.ok).toBe(false);
    // The start result was sent: the error arrives as an Error named BadReturnValueError.
    expect(isBadReturnValue((bad as { error: unknown }).error)).toBe(true);
  });

  it('start - an inline callback module (async form) runs too', async () => {
    const r = await GenServer.start(system, {
      init: async (n: number) => ({ ok: true, state: n * 2 }),
      handleCall: async (_req: unknown, _from: From, s: number) => ({ reply: s, state: s }),
    }, 21);
    expect(r.ok && (await GenServer.call(system, r.pid, 'x'))).toBe(42);
  });

  it('start - timeoutMs kills a slow init and reports timeout', async () => {
    const r = await GenServer.start(system, { *init(_a: unknown, ctx: Context) { yield ctx.receive(() => false); return { ok: true, state: 0 }; } }, undefined, { timeoutMs: 20 });
    expect(r).toEqual({ ok: false, error: 'timeout' });
  });

  it('misuse - throws at the call with what was expected', () => {
    expect(() => GenServer.start(system, {} as never)).toThrow(BadArgError);
    expect(() => GenServer.start(system, Counter, 0, { name: 42 as never })).toThrow(/expected name/);
  });
});

describe('GenServer - call', () => {
  it('call - by pid, by name and via a registry', async () => {
    const reg = await Registry.start(system, { name: 'reg' });
    expect(reg.ok).toBe(true);
    const r = await GenServer.start(system, Counter, 7, { name: Registry.via('reg', 'c7') });
    expect(r.ok).toBe(true);
    const pid = (r as { pid: Pid }).pid;
    system.register('c7', pid);
    expect(await GenServer.call(system, pid, 'get')).toBe(7);
    expect(await GenServer.call(system, 'c7', { add: 1 })).toBe(8);
    expect(await GenServer.call(system, Registry.via('reg', 'c7'), 'get')).toBe(8);
  });

  it('call - from an actor, and the reply leaves nothing behind', async () => {
    const server = await startWorker();
    expect(await GenServer.call(me, server, 'ping')).toBe('pong');
    expect(await flush(me)).toEqual([]);
  });

  it('copy on send - the request and the reply are copies on the same thread too', async () => {
    // Same-thread calls hand their envelopes over uncopied (sendOwned) and copy only the payload.
    type Box = { items: number[] };
    const r = await GenServer.start(system, {
      init: () => ({ ok: true, state: { items: [] } as Box }),
      handleCall(req: { keep?: Box; get?: true }, _from: From, state: Box) {
        if (req.keep) {
          state.items.push(...req.keep.items);
          req.keep.items.push(-1); // the caller must not see this
          return { reply: state, state };
        }
        return { reply: state.items.slice(), state };
      },
    });
    expect(r.ok).toBe(true);
    const pid = (r as { pid: Pid }).pid;
    const sent: Box = { items: [1, 2] };
    const got: Box = await GenServer.call(me, pid, { keep: sent });
    expect(sent.items).toEqual([1, 2]);
    expect(got.items).toEqual([1, 2]);
    sent.items.push(3); // the server's state must not see this…
    got.items.push(4); // …nor this
    expect(await GenServer.call(me, pid, { get: true })).toEqual([1, 2]);
    await expect(GenServer.call(me, pid, { keep: { items: [() => 1] } })).rejects.toThrow(/function/);
  });

  it('timeout - rejects with CallTimeoutError and the late reply never reaches the mailbox', async () => {
    const server = await startWorker();
    await expect(GenServer.call(me, server, { sleep: 30 }, 5)).rejects.toBeInstanceOf(CallTimeoutError);
    // The server replies later (it answers 'woke' after 30 ms); then prove it has done so.
    expect(await GenServer.call(me, server, { sleep: 40 }, 2_000)).toBe('woke');
    expect(await flush(me)).toEqual([]);
  });

  it('timeout - in a generator actor too', async () => {
    const server = await startWorker();
    system.spawn(function* (ctx: Context, report: Pid) {
      try {
        yield* GenServer.call(ctx, server, { sleep: 30 }, 5);
      } catch (e) {
        ctx.send(report, { timedOut: e instanceof CallTimeoutError });
      }
      const ok: string = yield* GenServer.call(ctx, server, { sleep: 40 }, 2_000);
      const left: unknown = yield ctx.receive(undefined, 0);
      ctx.send(report, { ok, left: left === TIMEOUT ? 'none' : left });
    }, me.self);
    expect(await assertReceive(me)).toEqual({ timedOut: true });
    expect(await assertReceive(me)).toEqual({ ok: 'woke', left: 'none' });
  });

  it('noproc - a dead pid, a name nobody holds, an unregistered via key', async () => {
    const server = await startWorker();
    const down = system.join(server);
    system.exit(server, 'kill');
    await down;
    const e = await GenServer.call(me, server, 'ping').then(() => null, (x) => x);
    expect(e).toBeInstanceOf(NoProcError);
    expect(e).toBeInstanceOf(CallExitError);
    expect(e.reason).toBe('noproc');
    await expect(GenServer.call(me, 'nobody', 'ping')).rejects.toBeInstanceOf(NoProcError);
    await Registry.start(system, { name: 'reg' });
    await expect(GenServer.call(me, Registry.via('reg', 'nope'), 'ping')).rejects.toBeInstanceOf(NoProcError);
    expect(await flush(me)).toEqual([]);
  });

  it('crash mid-call - rejects with the exit reason', async () => {
    const server = await startWorker();
    const e = await GenServer.call(me, server, 'crash').then(() => null, (x) => x);
    expect(e).toBeInstanceOf(CallExitError);
    expect(e.reason).toBeInstanceOf(Error);
    expect(e.reason.message).toBe('w crashed on request');
    expect(e.cause).toBe(e.reason);
    expect(await flush(me)).toEqual([]);
  });

  it('crash mid-call - a server killed while the call waits for a deferred reply', async () => {
    const server = await startWorker();
    const pending = GenServer.call(me, server, 'defer').then(() => null, (x) => x);
    expect(await GenServer.call(system, server, 'ping')).toBe('pong'); // the deferred call is in
    system.exit(server, 'kill');
    const e = await pending;
    expect(e).toBeInstanceOf(CallExitError);
    expect(e.reason).toBe('killed');
  });

  it('deferred reply - handleCall returns noreply and replies later', async () => {
    const server = await startWorker();
    const a = GenServer.call(system, server, 'defer');
    const b = GenServer.call(system, server, 'defer');
    const both = Promise.all([a, b]);
    expect(await GenServer.call(system, server, 'ping')).toBe('pong'); // both calls are in
    GenServer.cast(system, server, 'release');
    expect(await both).toEqual(['released', 'released']);
  });

  it('badReturnValue - a bad handleCall result ends the server', async () => {
    const server = await startWorker({ report: me.self });
    await assertReceive(me, (m) => m.started);
    const e = await GenServer.call(system, server, 'bad').then(() => null, (x) => x);
    expect(e).toBeInstanceOf(CallExitError);
    expect(e.reason).toBeInstanceOf(BadReturnValueError);
    expect(e.reason.callback).toBe('handleCall');
    // terminate ran with that reason
    const t = await assertReceive(me, (m) => m.terminated);
    expect(isBadReturnValue(t.reason)).toBe(true);
    expect(t.reason.callback).toBe('handleCall');
  });

  it('misuse - call yourself, await in a generator actor, an operation used twice', async () => {
    const server = await startWorker();
    const selfCall = await GenServer.start(system, {
      init: () => ({ ok: true, state: null }),
      *handleCall(_r: unknown, _f: From, s: null, ctx: Context) {
        try {
          yield* GenServer.call(ctx, ctx.self, 'x');
          return { reply: 'no error', state: s };
        } catch (e) {
          return { reply: e instanceof BadArgError ? 'badarg' : String(e), state: s };
        }
      },
    });
    expect(selfCall.ok && (await GenServer.call(system, selfCall.pid, 'go'))).toBe('badarg');

    system.spawn(function* (ctx: Context, report: Pid) {
      GenServer.call(ctx, server, 'ping').then(
        () => ctx.send(report, 'resolved'),
        (e) => ctx.send(report, e instanceof BadArgError ? 'badarg' : String(e)),
      );
      yield ctx.receive(() => false, 1_000);
    }, me.self);
    expect(await assertReceive(me)).toBe('badarg');

    const op = GenServer.call(me, server, 'ping');
    expect(await op).toBe('pong');
    expect(() => [...op]).toThrow(BadArgError);
  });
});

describe('GenServer - cast, info, callbacks', () => {
  it('cast and info - change the state; cast to a name nobody holds is dropped', async () => {
    const r = await GenServer.start(system, Counter, 0, { name: 'c' });
    const pid = (r as { pid: Pid }).pid;
    GenServer.cast(system, 'c', { add: 2 });
    GenServer.cast(system, pid, { add: 3 });
    system.send(pid, { add: 10 });
    GenServer.cast(system, 'nobody', { add: 1 });
    expect(await GenServer.call(system, pid, 'get')).toBe(15);
  });

  it('handleInfo - gets EXIT messages from linked actors that are not its parent', async () => {
    const server = await startWorker({ report: me.self, trap: true });
    await assertReceive(me, (m) => m.started);
    const r = await GenServer.call(system, server, 'self');
    expect(r.equals(server)).toBe(true);
    const other = system.spawn(async (ctx: Context, s: Pid, report: Pid) => {
      ctx.link(s);
      ctx.send(report, 'linked');
      await ctx.receive((m) => m === 'go');
      throw new Error('linked one died');
    }, server, me.self);
    await assertReceive(me, (m) => m === 'linked');
    system.send(other, 'go');
    const info = await assertReceive(me, (m) => m.info);
    expect(isExitMessage(info.msg)).toBe(true);
    expect(info.msg.reason.message).toBe('linked one died');
    expect(await GenServer.call(system, server, 'ping')).toBe('pong');
  });

  it('callbacks - generator callbacks yield* calls to other servers; async ones await them', async () => {
    const counter = (await GenServer.start(system, Counter, 100)) as { pid: Pid };
    const viaGen = await GenServer.start(system, {
      init: () => ({ ok: true, state: null }),
      *handleCall(req: number, _f: From, s: null, ctx: Context) {
        const n: number = yield* GenServer.call(ctx, counter.pid, { add: req });
        return { reply: n, state: s };
      },
    });
    const viaAsync = await GenServer.start(system, {
      init: async () => ({ ok: true, state: null }),
      async handleCall(req: number, _f: From, s: null, ctx: Context) {
        return { reply: await GenServer.call(ctx, counter.pid, { add: req }), state: s };
      },
    });
    expect(viaGen.ok && (await GenServer.call(system, viaGen.pid, 1))).toBe(101);
    expect(viaAsync.ok && (await GenServer.call(system, viaAsync.pid, 2))).toBe(103);
  });

  it('callbacks - a generator client actor calls with yield*', async () => {
    const counter = (await GenServer.start(system, Counter, 0)) as { pid: Pid };
    system.spawn(GenCaller, counter.pid, { add: 1 }, 100, me.self);
    expect(await assertReceive(me)).toEqual({ ok: 100 });
  });
});

describe('GenServer - terminate', () => {
  it('stop - {stop} from handleCall replies, runs terminate, exits with the reason', async () => {
    const server = await startWorker({ report: me.self });
    await assertReceive(me, (m) => m.started);
    const exited = system.join(server);
    expect(await GenServer.call(system, server, { stop: 'done' })).toBe('stopping');
    expect(await assertReceive(me, (m) => m.terminated)).toMatchObject({ terminated: 'w', reason: 'done' });
    expect(await exited).toBe('done');
  });

  it('stop - GenServer.stop runs terminate and waits for the exit', async () => {
    const server = await startWorker({ report: me.self });
    await assertReceive(me, (m) => m.started);
    await GenServer.stop(system, server, 'shutdown');
    expect(await assertReceive(me, (m) => m.terminated)).toMatchObject({ reason: 'shutdown' });
    expect(system.info(server)).toBeUndefined();
    await expect(GenServer.stop(system, server)).rejects.toBeInstanceOf(NoProcError);
  });

  it('crash - a throwing callback runs terminate with the error', async () => {
    const server = await startWorker({ report: me.self });
    await assertReceive(me, (m) => m.started);
    const exited = system.join(server);
    GenServer.cast(system, server, 'crash');
    const t = await assertReceive(me, (m) => m.terminated);
    expect(t.reason.message).toBe('w crashed on cast');
    expect((await exited as Error).message).toBe('w crashed on cast');
  });

  it('terminate - a throw in terminate becomes the exit reason', async () => {
    const server = await startWorker({ report: me.self, terminateFault: 'throw' });
    const exited = system.join(server);
    await GenServer.stop(system, server, 'normal').catch(() => undefined);
    expect(((await exited) as Error).message).toBe('terminate of w failed');
  });

  it('parent exit - terminate runs when trapping exits, with the parent\'s reason', async () => {
    const parent = system.spawn(async (ctx: Context, report: Pid) => {
      const r = await GenServer.startLink(ctx, Worker, { id: 'child', report, trap: true });
      ctx.send(report, { linked: r.ok });
      await ctx.receive((m) => m === 'die');
      ctx.exit('shutdown');
    }, me.self);
    await assertReceive(me, (m) => m.started);
    expect(await assertReceive(me, (m) => m.linked !== undefined)).toEqual({ linked: true });
    system.send(parent, 'die');
    expect(await assertReceive(me, (m) => m.terminated)).toMatchObject({ terminated: 'child', reason: 'shutdown' });
  });

  it('parent exit - a top-level server treats the system\'s exit signal as its parent\'s', async () => {
    const server = await startWorker({ report: me.self, trap: true });
    await assertReceive(me, (m) => m.started);
    system.exit(server, 'shutdown');
    expect(await assertReceive(me, (m) => m.terminated)).toMatchObject({ reason: 'shutdown' });
  });

  it('kill - terminate does not run', async () => {
    const server = await startWorker({ report: me.self, trap: true });
    await assertReceive(me, (m) => m.started);
    const exited = system.join(server);
    system.exit(server, 'kill');
    expect(await exited).toBe('killed');
    await refuteReceive(me, (m) => m.terminated, 30);
  });

  it('ctx.exit in a callback - ends the server at once, without terminate', async () => {
    const server = await startWorker({ report: me.self });
    await assertReceive(me, (m) => m.started);
    const mon = me.monitor(server);
    await expect(GenServer.call(system, server, { exit: 'bye' })).rejects.toMatchObject({ reason: 'bye' });
    const down = await assertReceive(me, (m) => isDownMessage(m) && m.ref.equals(mon));
    expect(down.reason).toBe('bye');
    await refuteReceive(me, (m) => m.terminated, 30);
  });
});
