import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ActorExitedError,
  BadArgError,
  TIMEOUT,
  UnsendableError,
  isDownMessage,
  isExitMessage,
  start,
  type ActorSystem,
  type Context,
  type Inbox,
  type Pid,
} from '../../runtime/index.js';
import { Pid as RealPid, Ref as RealRef } from '../../runtime/index.js';
import { Process, isPid, isProcess, isRef } from '../../runtime/internal.js';
import { Echo, EchoGen, Forwarder, Idle, IdleGen, echoForms } from '../fixtures/actors.js';
import { assertReceive, flush, refuteReceive } from '../support/receive.js';

let system: ActorSystem;
let me: Inbox;

beforeEach(async () => {
  system = await start({ logLevel: 'silent', shutdownTimeoutMs: 200 });
  me = system.inbox();
});

afterEach(async () => {
  await system.shutdown();
});

describe.each(echoForms)('spawn, send, receive (%s form)', (_form, def) => {
  it('spawn - returns a pid at once and the actor answers', async () => {
    const pid = system.spawn(def);
    expect(pid.toString()).toMatch(/^<0\.0\.\d+>$/);
    system.send(pid, { from: me.self, value: 42 });
    const reply = await assertReceive(me);
    expect(reply.echo).toBe(42);
    expect(reply.by.equals(pid)).toBe(true);
  });

  it('exit - a returning actor exits normal', async () => {
    const pid = system.spawn(def);
    system.send(pid, { stop: true });
    expect(await system.join(pid)).toBe('normal');
  });

  it('exit - a throwing actor exits with its error as reason', async () => {
    const pid = system.spawn(def);
    system.send(pid, { crash: 'boom' });
    const reason = await system.join(pid);
    expect(reason).toBeInstanceOf(Error);
    expect((reason as Error).message).toBe('boom');
  });

  it('exit - kill ends it with killed', async () => {
    const pid = system.spawn(def);
    const exited = system.join(pid);
    system.exit(pid, 'kill');
    expect(await exited).toBe('killed');
    expect(system.info(pid)).toBeUndefined();
  });

  it('exit - exit(pid, reason) ends a non-trapping actor with that reason', async () => {
    const pid = system.spawn(def);
    const exited = system.join(pid);
    system.exit(pid, 'bye');
    expect(await exited).toBe('bye');
  });

  it('exit - exit(pid, normal) is ignored by another actor', async () => {
    const pid = system.spawn(def);
    system.exit(pid, 'normal');
    system.send(pid, { from: me.self, value: 'still here' });
    expect((await assertReceive(me)).echo).toBe('still here');
  });
});

describe('self and exit from inside', () => {
  it('self - is the pid spawn returned', async () => {
    const pid = system.spawn(async (ctx, to: Pid) => ctx.send(to, ctx.self), me.self);
    const self = await assertReceive<Pid>(me);
    expect(self.equals(pid)).toBe(true);
  });

  it('exit - ctx.exit(reason) ends the actor with that reason and runs nothing after it', async () => {
    const pid = system.spawn(async (ctx, to: Pid) => {
      ctx.exit('my_reason');
      ctx.send(to, 'unreachable');
    }, me.self);
    expect(await system.join(pid)).toBe('my_reason');
    await refuteReceive(me);
  });

  it('exit - an async actor killed while awaiting I/O cannot act afterwards', async () => {
    let afterKill: unknown;
    const pid = system.spawn(async (ctx, to: Pid) => {
      await new Promise((r) => setTimeout(r, 30));
      try {
        ctx.send(to, 'late');
      } catch (e) {
        afterKill = e;
      }
    }, me.self);
    const exited = system.join(pid);
    await new Promise((r) => setTimeout(r, 5));
    system.exit(pid, 'kill');
    expect(await exited).toBe('killed');
    await new Promise((r) => setTimeout(r, 60));
    expect(afterKill).toBeInstanceOf(ActorExitedError);
    await refuteReceive(me);
  });
});

describe('copy on send', () => {
  it('copy - mutating after send does not change what the receiver sees', async () => {
    const pid = system.spawn(Echo);
    const value = { list: [1, 2, 3], nested: { a: 'x' }, map: new Map([['k', 1]]) };
    system.send(pid, { from: me.self, value });
    value.list.push(4);
    value.nested.a = 'changed';
    value.map.set('k', 2);
    const reply = await assertReceive(me);
    expect(reply.echo.list).toEqual([1, 2, 3]);
    expect(reply.echo.nested.a).toBe('x');
    expect(reply.echo.map.get('k')).toBe(1);
  });

  it('copy - an unsendable value throws at send and nothing is delivered', async () => {
    expect(() => system.send(me.self, { ok: 1, handler: () => 1 })).toThrow(UnsendableError);
    expect(() => system.send(me.self, [Symbol('s')])).toThrow(/\[0\]/);
    class Secret {
      #hidden = 1;
      get hidden() {
        return this.#hidden;
      }
    }
    expect(() => system.send(me.self, { s: new Secret() })).toThrow(UnsendableError);
    await refuteReceive(me);
  });

  it('copy - an actor sending an unsendable value gets the error at its send', async () => {
    const pid = system.spawn(async (ctx, to: Pid) => {
      try {
        ctx.send(to, { f: () => 0 });
      } catch (e) {
        ctx.send(to, { refused: (e as Error).name });
      }
    }, me.self);
    expect(await assertReceive(me)).toEqual({ refused: 'UnsendableError' });
    await system.join(pid);
  });
});

describe('ordering and selective receive', () => {
  it('ordering - messages from one sender arrive in send order', async () => {
    const pid = system.spawn(async (ctx, to: Pid) => {
      for (let i = 0; i < 1000; i++) ctx.send(to, i);
    }, me.self);
    await system.join(pid);
    expect(await flush(me)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('selective receive - returns the first match in arrival order and leaves the rest in order', async () => {
    for (const m of ['a1', 'b1', 'a2', 'b2', 'c1']) system.send(me.self, m);
    expect(await me.receive((m: string) => m.startsWith('b'))).toBe('b1');
    expect(await me.receive((m: string) => m.startsWith('c'))).toBe('c1');
    expect(await flush(me)).toEqual(['a1', 'a2', 'b2']);
  });

  it('selective receive - a waiting receive tests each message at most once', async () => {
    for (let i = 0; i < 100; i++) system.send(me.self, { n: i });
    let calls = 0;
    const waiting = me.receive((m: { n: number }) => {
      calls++;
      return m.n === -1;
    });
    expect(calls).toBe(100);
    for (let i = 100; i < 150; i++) {
      system.send(me.self, { n: i });
      await Promise.resolve();
    }
    system.send(me.self, { n: -1 });
    expect(await waiting).toEqual({ n: -1 });
    expect(calls).toBe(151);
  });

  it('selective receive - a reply matched after a fresh ref skips messages older than the ref', async () => {
    for (let i = 0; i < 1000; i++) system.send(me.self, { noise: i });
    const ref = me.makeRef();
    system.send(me.self, { noise: 'new' });
    system.send(me.self, { reply: ref });
    let calls = 0;
    const got = await me.receive(
      (m: { reply?: unknown }) => {
        calls++;
        return ref.equals(m.reply);
      },
      1000,
      ref,
    );
    expect(got).toEqual({ reply: ref });
    expect(calls).toBe(2);
    expect((await flush(me)).length).toBe(1001);
  });

  it('generator - a yielded promise resumes it with its value, or throws its rejection in at the yield', async () => {
    const boom = new Error('boom');
    const pid = system.spawn(function* (ctx, to: Pid) {
      const value: unknown = yield Promise.resolve(new Error('a value, not a throw'));
      ctx.send(to, { value: value instanceof Error ? value.message : value });
      try {
        yield Promise.reject(new Error('caught'));
        ctx.send(to, 'not thrown');
      } catch (e) {
        ctx.send(to, { caught: (e as Error).message });
      }
      const after: unknown = yield ctx.receive();
      ctx.send(to, { after });
      yield Promise.reject(boom);
    }, me.self);
    expect(await assertReceive(me)).toEqual({ value: 'a value, not a throw' });
    expect(await assertReceive(me)).toEqual({ caught: 'caught' });
    const exited = system.join(pid);
    system.send(pid, 'next');
    expect(await assertReceive(me)).toEqual({ after: 'next' });
    expect(await exited).toBe(boom);
  });

  it('receive - timeout 0 polls and the timeout value is distinct from any message', async () => {
    expect(await me.receive(undefined, 0)).toBe(TIMEOUT);
    system.send(me.self, 'x');
    expect(await me.receive(undefined, 0)).toBe('x');
    expect(() => system.send(me.self, TIMEOUT)).toThrow(UnsendableError);
  });

  it('receive - times out after the given ms in both forms', async () => {
    const pid = system.spawn(function* (ctx, to: Pid) {
      const got = yield ctx.receive(undefined, 20);
      ctx.send(to, got === TIMEOUT ? 'gen-timeout' : 'gen-message');
    }, me.self);
    const apid = system.spawn(async (ctx, to: Pid) => {
      const got = await ctx.receive(undefined, 20);
      ctx.send(to, got === TIMEOUT ? 'async-timeout' : 'async-message');
    }, me.self);
    const got = [await assertReceive(me), await assertReceive(me)].sort();
    expect(got).toEqual(['async-timeout', 'gen-timeout']);
    await Promise.all([system.join(pid), system.join(apid)]);
  });

  it('receive - bad arguments are refused with a clear error', () => {
    expect(() => me.receive('x' as never)).toThrow(BadArgError);
    expect(() => me.receive(undefined, -1)).toThrow(/timeout/);
    for (const bad of [null, {}, { a: {} }, { a: [1] }, [1], new Map()]) {
      expect(() => me.receive(bad as never)).toThrow(/pattern/);
    }
  });

  it('receive by pattern - the first plain object with those own values, in both forms', async () => {
    const Tagged = function* (ctx: Context, to: Pid): Generator<unknown, void, unknown> {
      ctx.send(to, { gen: yield ctx.receive({ type: 'reply', n: 2 }) });
      ctx.send(to, { gen: yield ctx.receive({ type: 'reply' }, 0) });
    };
    const AsyncTagged = async (ctx: Context, to: Pid) => {
      ctx.send(to, { async: await ctx.receive({ type: 'reply', n: 2 }) });
      ctx.send(to, { async: await ctx.receive({ type: 'reply' }, 0) });
    };
    for (const [key, body] of [['gen', Tagged], ['async', AsyncTagged]] as const) {
      const pid = system.spawn(body as typeof Tagged, me.self);
      for (const m of [['reply', 2], { type: 'reply', n: '2' }, { type: 'other', n: 2 }, { n: 2, type: 'reply', x: 1 }, { type: 'reply', n: 2 }]) {
        system.send(pid, m);
      }
      expect(await assertReceive(me)).toEqual({ [key]: { n: 2, type: 'reply', x: 1 } });
      expect(await assertReceive(me)).toEqual({ [key]: { type: 'reply', n: '2' } });
      await system.join(pid);
    }
  });
});

describe('links', () => {
  it('links - a linked crash takes the other actor down with the same reason', async () => {
    const parent = system.spawn(async (ctx) => {
      ctx.spawnLink(async () => {
        throw new Error('child died');
      });
      await ctx.receive();
    });
    const reason = await system.join(parent);
    expect((reason as Error).message).toBe('child died');
  });

  it('links - a trapping actor receives EXIT {from, reason} instead of dying', async () => {
    me.trapExit(true);
    const child = me.spawnLink(Echo);
    system.send(child, { crash: 'oops' });
    const exit = await assertReceive(me, isExitMessage);
    expect(exit.from.equals(child)).toBe(true);
    expect((exit.reason as Error).message).toBe('oops');
  });

  it('links - a normal exit does not propagate', async () => {
    const child = me.spawnLink(Echo);
    system.send(child, { stop: true });
    expect(await system.join(child)).toBe('normal');
    expect(system.info(me.self)).toBeDefined();
  });

  it('links - kill cannot be trapped and linked actors see killed', async () => {
    me.trapExit(true);
    const victim = system.spawn(async (ctx) => {
      ctx.trapExit(true);
      await ctx.receive(() => false);
    });
    me.link(victim);
    const exited = system.join(victim);
    system.exit(victim, 'kill');
    expect(await exited).toBe('killed');
    const exit = await assertReceive(me, isExitMessage);
    expect(exit.reason).toBe('killed');
  });

  it('links - linking to a dead actor fires at once with noproc', async () => {
    const dead = system.spawn(async () => {});
    await system.join(dead);
    me.trapExit(true);
    me.link(dead);
    const exit = await assertReceive(me, isExitMessage);
    expect(exit).toMatchObject({ type: 'EXIT', reason: 'noproc' });
    me.trapExit(false);
    expect(() => me.link(dead)).toThrow(ActorExitedError);
    expect(await system.join(me.self)).toBe('noproc');
  });

  it('links - are bidirectional and removed by unlink', async () => {
    const a = system.spawn(Idle);
    const b = system.spawn(async (ctx, other: Pid) => {
      ctx.link(other);
      await ctx.receive(() => false);
    }, a);
    await new Promise((r) => setTimeout(r, 10));
    expect(system.info(a)!.links.map(String)).toEqual([b.toString()]);
    const exited = system.join(b);
    system.exit(a, 'crash');
    expect(await exited).toBe('crash');
  });

  it('links - a trapping actor gets an EXIT per exit signal sent with exit/2', async () => {
    const fwd = system.spawn(Forwarder, me.self, true);
    await new Promise((r) => setTimeout(r, 5));
    system.exit(fwd, 'custom');
    system.exit(fwd, 'normal');
    expect((await assertReceive(me)).reason).toBe('custom');
    expect((await assertReceive(me)).reason).toBe('normal');
  });
});

describe('monitors', () => {
  it('monitors - exactly one DOWN with ref, pid and reason', async () => {
    const pid = system.spawn(Echo);
    const ref = me.monitor(pid);
    system.send(pid, { crash: 'x' });
    const down = await assertReceive(me, isDownMessage);
    expect(down.ref.equals(ref)).toBe(true);
    expect(down.pid.equals(pid)).toBe(true);
    expect((down.reason as Error).message).toBe('x');
    await refuteReceive(me, isDownMessage);
  });

  it('monitors - a dead target gives DOWN noproc at once', async () => {
    const pid = system.spawn(async () => {});
    await system.join(pid);
    me.monitor(pid);
    expect((await assertReceive(me, isDownMessage)).reason).toBe('noproc');
  });

  it('monitors - demonitor removes the monitor, and flush removes a DOWN already there', async () => {
    const a = system.spawn(Idle);
    const refA = me.monitor(a);
    expect(me.demonitor(refA)).toBe(true);
    system.exit(a, 'kill');
    await system.join(a);
    await refuteReceive(me, isDownMessage);

    const b = system.spawn(IdleGen);
    const refB = me.monitor(b);
    system.exit(b, 'kill');
    await system.join(b);
    expect(me.demonitor(refB, { flush: true })).toBe(false);
    await refuteReceive(me, isDownMessage);
  });

  it('monitors - spawnMonitor monitors before the child can run', async () => {
    const { pid, ref } = me.spawnMonitor(async () => {
      throw new Error('instant');
    });
    const down = await assertReceive(me, isDownMessage);
    expect(down.ref.equals(ref) && down.pid.equals(pid)).toBe(true);
  });
});

describe('names', () => {
  it('names - register, whereis, send by name, unregister', async () => {
    const pid = system.spawn(EchoGen);
    expect(system.register('echo', pid)).toEqual({ ok: true });
    expect(system.whereis('echo')?.equals(pid)).toBe(true);
    system.send('echo', { from: me.self, value: 'by name' });
    expect((await assertReceive(me)).echo).toBe('by name');
    expect(system.info(pid)!.registeredName).toBe('echo');
    expect(system.unregister('echo')).toBe(true);
    expect(system.whereis('echo')).toBeUndefined();
  });

  it('names - a taken name, a second name or a dead pid fail', async () => {
    const a = system.spawn(Idle);
    const b = system.spawn(Idle);
    expect(system.register('svc', a)).toEqual({ ok: true });
    expect(system.register('svc', b)).toEqual({ ok: false, error: 'name_taken' });
    expect(system.register('other', a)).toEqual({ ok: false, error: 'already_named' });
    const dead = system.spawn(async () => {});
    await system.join(dead);
    expect(system.register('dead', dead)).toEqual({ ok: false, error: 'noproc' });
  });

  it('names - freed when the actor exits', async () => {
    const pid = system.spawn(Echo);
    system.register('temp', pid);
    system.send('temp', { stop: true });
    await system.join(pid);
    expect(system.whereis('temp')).toBeUndefined();
    expect(system.register('temp', system.spawn(Idle))).toEqual({ ok: true });
  });

  it('names - sending to a name nobody holds throws; to a dead pid is silently dropped', async () => {
    expect(() => system.send('nobody', 1)).toThrow(BadArgError);
    const dead = system.spawn(async () => {});
    await system.join(dead);
    expect(() => system.send(dead, 1)).not.toThrow();
  });
});

describe('timers', () => {
  it('timers - sendAfter delivers; cancelTimer tells whether it was pending', async () => {
    const t1 = system.sendAfter(10, me.self, 'tick');
    expect(await assertReceive(me)).toBe('tick');
    expect(system.cancelTimer(t1)).toBe(false);
    const t2 = system.sendAfter(10_000, me.self, 'never');
    expect(system.cancelTimer(t2)).toBe(true);
    expect(system.cancelTimer(t2)).toBe(false);
  });

  it('timers - a timer is cancelled when its destination exits', async () => {
    const pid = system.spawn(Idle);
    const t = system.sendAfter(10_000, pid, 'late');
    system.exit(pid, 'kill');
    await system.join(pid);
    expect(system.cancelTimer(t)).toBe(false);
  });

  it('timers - still fires when only the actor that started it has exited', async () => {
    const starter = system.spawn(async (ctx, to: Pid) => {
      ctx.sendAfter(20, to, 'from the grave');
    }, me.self);
    await system.join(starter);
    expect(await assertReceive(me)).toBe('from the grave');
  });

  it('timers - the message is copied when the timer is set', async () => {
    const value = { n: 1 };
    system.sendAfter(5, me.self, value);
    value.n = 2;
    expect(await assertReceive(me)).toEqual({ n: 1 });
  });
});

describe('crash isolation and process info', () => {
  it('crash isolation - a throwing actor does not disturb others on the thread', async () => {
    const survivor = system.spawn(Echo);
    for (let i = 0; i < 50; i++) {
      system.spawn(async () => {
        throw new Error(`crash ${i}`);
      });
    }
    await new Promise((r) => setTimeout(r, 10));
    system.send(survivor, { from: me.self, value: 'alive' });
    expect((await assertReceive(me)).echo).toBe('alive');
  });

  it('process info - mailbox length, status, links, monitors, name, counters', async () => {
    const pid = system.spawn(Idle);
    me.link(pid);
    const ref = me.monitor(pid);
    system.register('observed', pid);
    for (let i = 0; i < 3; i++) system.send(pid, i);
    await new Promise((r) => setTimeout(r, 5));
    const info = system.info(pid)!;
    expect(info).toMatchObject({
      status: 'waiting',
      kind: 'async',
      messageQueueLength: 3,
      registeredName: 'observed',
      trapExit: false,
      received: 0,
    });
    expect(info.definition).toMatch(/actors\.ts#Idle$/);
    expect(info.links.map(String)).toEqual([me.self.toString()]);
    expect(info.monitoredBy.map(String)).toEqual([me.self.toString()]);
    expect(system.info(me.self)!.monitors[0]!.ref.equals(ref)).toBe(true);
    system.send(pid, 'stop');
    await system.join(pid);
    expect(system.info(pid)).toBeUndefined();
  });
});

describe('aliases', () => {
  it('aliases - a message to an active alias arrives; after unalias it is dropped', async () => {
    const alias = me.alias();
    system.send(alias, 'via alias');
    expect(await assertReceive(me)).toBe('via alias');
    expect(me.unalias(alias)).toBe(true);
    expect(me.unalias(alias)).toBe(false);
    system.send(alias, 'too late');
    await refuteReceive(me);
  });

  it('aliases - a reply alias takes one message only', async () => {
    const alias = me.alias({ reply: true });
    const replier = system.spawn(async (ctx, to: typeof alias) => {
      ctx.send(to, 'first');
      ctx.send(to, 'second');
    }, alias);
    await system.join(replier);
    expect(await flush(me)).toEqual(['first']);
  });

  it('monitor alias - reply_demonitor: the first message ends the alias and the monitor', async () => {
    const target = system.spawn(Idle);
    const ref = me.monitor(target, { alias: 'reply_demonitor' });
    expect(me.info()!.monitors.map((m) => m.ref)).toEqual([ref]);
    const replier = system.spawn(async (ctx, to: typeof ref) => {
      ctx.send(to, 'first');
      ctx.send(to, 'second');
    }, ref);
    await system.join(replier);
    expect(await flush(me)).toEqual(['first']);
    expect(me.info()!.monitors).toEqual([]);
    expect(system.info(target)!.monitoredBy).toEqual([]);
    expect(me.demonitor(ref)).toBe(false);
    system.exit(target, 'kill');
    await system.join(target);
    await refuteReceive(me); // no DOWN: the monitor ended with the reply
  });

  it('monitor alias - demonitor: messages arrive until demonitor, then are dropped', async () => {
    const target = system.spawn(Idle);
    const ref = me.monitor(target, { alias: 'demonitor' });
    system.send(ref, 1);
    system.send(ref, 2);
    expect(await flush(me)).toEqual([1, 2]);
    expect(me.demonitor(ref)).toBe(true);
    system.send(ref, 3);
    await refuteReceive(me);
    expect(system.info(target)!.monitoredBy).toEqual([]);
  });

  it('monitor alias - a DOWN ends the alias (a dead target too); unalias keeps the monitor', async () => {
    const target = system.spawn(Idle);
    const ref = me.monitor(target, { alias: 'reply_demonitor' });
    system.exit(target, 'kill');
    const down = await assertReceive(me, isDownMessage);
    expect(down.ref).toBe(ref);
    expect(down.reason).toBe('killed');
    system.send(ref, 'after DOWN');
    await refuteReceive(me);
    expect(me.unalias(ref)).toBe(false);

    const dead = me.monitor(target, { alias: 'demonitor' });
    expect((await assertReceive(me, isDownMessage)).reason).toBe('noproc');
    system.send(dead, 'to a dead target');
    await refuteReceive(me);

    const other = system.spawn(Idle);
    const kept = me.monitor(other, { alias: 'demonitor' });
    expect(me.unalias(kept)).toBe(true);
    system.send(kept, 'after unalias');
    await refuteReceive(me);
    system.exit(other, 'kill');
    expect((await assertReceive(me, isDownMessage)).ref).toBe(kept);
    expect(() => me.monitor(other, { alias: 'bogus' as 'demonitor' })).toThrow(BadArgError);
  });

  it('monitor alias - the watcher exiting ends its monitors and their aliases', async () => {
    const target = system.spawn(Idle);
    const other = system.inbox();
    const ref = other.monitor(target, { alias: 'reply_demonitor' });
    other.close();
    expect(system.info(target)!.monitoredBy).toEqual([]);
    expect(() => system.send(ref, 'x')).not.toThrow();
  });

  it('aliases - are removed when their actor exits', async () => {
    const other = system.inbox();
    const alias = other.alias();
    other.close();
    expect(() => system.send(alias, 'x')).not.toThrow();
  });
});

describe('kind tests on hot paths', () => {
  // isPid and isProcess read `constructor`, then compare the prototype (faster than instanceof
  // or a bare getPrototypeOf in V8), and must answer exactly as instanceof does, for anything.
  it('isPid, isRef and isProcess - answer as instanceof: pids, subclasses, refs, look-alikes', () => {
    class MyPid extends RealPid {}
    class MyRef extends RealRef {}
    const pid = new RealPid(0, 0, 1);
    const values: unknown[] = [
      pid,
      new MyPid(0, 0, 2),
      Object.create(RealPid.prototype),
      new RealRef(0, 0, 1),
      { constructor: RealPid, node: 0, scheduler: 0, serial: 1 },
      Object.assign(Object.create(null), { constructor: RealPid }),
      null,
      undefined,
      'pid',
      1,
      me,
      system,
      { constructor: Process },
      Object.defineProperty(new RealPid(0, 0, 3), 'constructor', { value: Object }),
      Object.defineProperty(new MyPid(0, 0, 4), 'constructor', { value: RealPid }),
      Object.defineProperty(system.inbox(), 'constructor', { value: Object }),
      new MyRef(0, 0, 5),
      Object.defineProperty(new RealRef(0, 0, 6), 'constructor', { value: RealPid }),
      { constructor: RealRef, node: 0, scheduler: 0, serial: 1 },
      Object.create(RealRef.prototype),
    ];
    for (const v of values) {
      expect(isPid(v)).toBe(v instanceof RealPid);
      expect(isProcess(v)).toBe(v instanceof Process);
      expect(isRef(v)).toBe(v instanceof RealRef);
    }
    expect(isPid(pid)).toBe(true);
    expect(isProcess(me)).toBe(true);
  });

  it('equals - same kind and same numbers, whatever `constructor` an object shows', () => {
    const pid = new RealPid(0, 1, 7);
    const hidden = Object.defineProperty(new RealPid(0, 1, 7), 'constructor', { value: Object });
    expect(pid.equals(new RealPid(0, 1, 7))).toBe(true);
    expect(pid.equals(hidden)).toBe(true);
    expect(hidden.equals(pid)).toBe(true);
    expect(pid.equals(new RealRef(0, 1, 7))).toBe(false);
    expect(new RealRef(0, 1, 7).equals(pid)).toBe(false);
    expect(pid.equals({ constructor: RealPid, node: 0, scheduler: 1, serial: 7 })).toBe(false);
    expect(pid.equals(Object.assign(Object.create(RealPid.prototype), { node: 0, scheduler: 1, serial: 7 }))).toBe(true);
    for (const other of [new RealPid(1, 1, 7), new RealPid(0, 2, 7), new RealPid(0, 1, 8), null, undefined, '<0.1.7>', 7]) {
      expect(pid.equals(other)).toBe(false);
    }
  });
});
