import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadArgError, start, type ActorSystem, type Context, type Inbox, type Pid } from '../../runtime/index.js';
import { GenServer, Task, TaskExitError, TaskTimeoutError } from '../../actors/index.js';
import { assertReceive, flush } from '../support/receive.js';
import { Counter } from './fixtures.js';

let system: ActorSystem;
let me: Inbox;

beforeEach(async () => {
  system = await start({ logLevel: 'silent', shutdownTimeoutMs: 500 });
  me = system.inbox();
});

afterEach(async () => {
  await system.shutdown();
});

const Square = Task.define(import.meta.url, 'Square', async (_ctx: Context, n: number) => n * n);

describe('Task', () => {
  it('async/await - from outside code, with a function and a defined task', async () => {
    const t = Task.async(system, async (_ctx: Context, a: number, b: number) => a + b, 2, 3);
    expect(await Task.await(system, t)).toBe(5);
    expect(await Task.await(system, Task.async(system, Square, 7))).toBe(49);
  });

  it('async/await - the task is an actor: it can call servers', async () => {
    const c = (await GenServer.start(system, Counter, 10)) as { pid: Pid };
    const t = Task.async(system, (ctx: Context) => GenServer.call(ctx, c.pid, { add: 5 }));
    expect(await Task.await(system, t)).toBe(15);
  });

  it('async/await - generator tasks and generator owners', async () => {
    system.spawn(function* (ctx: Context, report: Pid) {
      const t = Task.async(ctx, function* (tctx: Context) {
        const m: unknown = yield tctx.receive(undefined, 1);
        return typeof m === 'symbol' ? 'waited' : 'got';
      });
      const v: string = yield* Task.await(ctx, t);
      ctx.send(report, v);
    }, me.self);
    expect(await assertReceive(me)).toBe('waited');
  });

  it('crash - an unlinked task\'s crash rejects the awaiter with the reason', async () => {
    const t = Task.asyncNolink(me, async () => {
      throw new Error('task failed');
    });
    const e = await Task.await(me, t).then(() => null, (x) => x);
    expect(e).toBeInstanceOf(TaskExitError);
    expect(e.reason.message).toBe('task failed');
    expect(await flush(me)).toEqual([]);
  });

  it('crash - a linked task\'s crash reaches a trapping owner as EXIT and rejects its await', async () => {
    system.spawn(async (ctx: Context, report: Pid) => {
      ctx.trapExit(true);
      const t = Task.async(ctx, async () => {
        throw new Error('linked task failed');
      });
      try {
        await Task.await(ctx, t);
      } catch (e) {
        ctx.send(report, { rejected: ((e as TaskExitError).reason as Error).message });
      }
      const exit = await ctx.receive((m) => m.type === 'EXIT', 1_000);
      ctx.send(report, { exit: (exit as { reason: Error }).reason.message });
    }, me.self);
    expect(await assertReceive(me)).toEqual({ rejected: 'linked task failed' });
    expect(await assertReceive(me)).toEqual({ exit: 'linked task failed' });
  });

  it('crash - a linked task\'s crash takes a non-trapping owner down (Erlang links)', async () => {
    const owner = system.spawn(async (ctx: Context) => {
      const t = Task.async(ctx, async () => {
        throw new Error('boom');
      });
      await Task.await(ctx, t);
    });
    expect(((await system.join(owner)) as Error).message).toBe('boom');
  });

  it('timeout - await gives up, kills the task, and no late result lands in the mailbox', async () => {
    const t = Task.asyncNolink(me, async (ctx: Context) => {
      await ctx.receive(() => false, 30);
      return 'late';
    });
    await expect(Task.await(me, t, 5)).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(await system.join(t.pid)).toBe('noproc'); // already killed
    expect(await flush(me)).toEqual([]);
  });

  it('yield - undefined while running, then the outcome', async () => {
    const t = Task.asyncNolink(me, async (ctx: Context) => {
      await ctx.receive((m) => m === 'go');
      return 'done';
    });
    expect(await Task.yield(me, t, 5)).toBeUndefined();
    me.send(t.pid, 'go');
    expect(await Task.yield(me, t, 2_000)).toEqual({ ok: true, value: 'done' });
  });

  it('shutdown - stops a running task', async () => {
    const t = Task.asyncNolink(me, async (ctx: Context) => ctx.receive(() => false));
    const exited = system.join(t.pid);
    expect(await Task.shutdown(me, t)).toBeUndefined();
    expect(await exited).toBe('shutdown');
  });

  it('misuse - only the owner may await', async () => {
    const t = Task.async(me, async () => 1);
    expect(() => Task.await(system, t)).toThrow(BadArgError);
    expect(await Task.await(me, t)).toBe(1);
  });
});
