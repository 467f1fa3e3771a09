import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { start, type ActorSystem, type Context, type Inbox, type Pid } from '../../runtime/index.js';
import { GenServer, Registry } from '../../actors/index.js';
import { assertReceive } from '../support/receive.js';
import { Counter } from './fixtures.js';

let system: ActorSystem;
let me: Inbox;

beforeEach(async () => {
  system = await start({ logLevel: 'silent', shutdownTimeoutMs: 500 });
  me = system.inbox();
  const r = await Registry.start(system, { name: 'reg' });
  if (!r.ok) throw new Error('registry did not start');
});

afterEach(async () => {
  await system.shutdown();
});

describe('Registry', () => {
  it('register/lookup/unregister - one pid per key; a taken key reports its holder', async () => {
    const a = system.spawn(async (ctx: Context) => void (await ctx.receive((m) => m === 'stop')));
    const b = system.spawn(async (ctx: Context) => void (await ctx.receive((m) => m === 'stop')));
    expect(await Registry.register(system, 'reg', 'k', a)).toEqual({ ok: true });
    expect(await Registry.register(system, 'reg', 'k', b)).toEqual({ ok: false, error: 'already_registered', pid: a });
    expect(await Registry.register(system, 'reg', 7, a)).toEqual({ ok: true });
    expect((await Registry.lookup(system, 'reg', 'k'))?.equals(a)).toBe(true);
    expect(await Registry.keys(system, 'reg', a)).toEqual(['k', 7]);
    expect(await Registry.count(system, 'reg')).toBe(2);
    expect(await Registry.unregister(system, 'reg', 'k')).toBe(true);
    expect(await Registry.unregister(system, 'reg', 'k')).toBe(false);
    expect(await Registry.lookup(system, 'reg', 'k')).toBeUndefined();
  });

  it('exit - a name is freed when its holder exits', async () => {
    const a = system.spawn(async (ctx: Context) => void (await ctx.receive((m) => m === 'stop')));
    await Registry.register(system, 'reg', 'k', a);
    const exited = system.join(a);
    system.send(a, 'stop');
    await exited;
    // The registry has the DOWN before this call (it was sent first).
    expect(await Registry.lookup(system, 'reg', 'k')).toBeUndefined();
    expect(await Registry.count(system, 'reg')).toBe(0);
  });

  it('register - an actor registers itself by default', async () => {
    system.spawn(async (ctx: Context, report: Pid) => {
      ctx.send(report, await Registry.register(ctx, 'reg', 'me'));
      await ctx.receive((m) => m === 'stop');
    }, me.self);
    expect(await assertReceive(me)).toEqual({ ok: true });
    expect(await Registry.lookup(system, 'reg', 'me')).toBeDefined();
  });

  it('via - GenServer start, call, cast and send by a via name', async () => {
    const name = Registry.via('reg', 'counter');
    const r = await GenServer.start(system, Counter, 1, { name });
    expect(r.ok).toBe(true);
    expect(await GenServer.start(system, Counter, 1, { name })).toMatchObject({ ok: false, error: 'already_started' });
    GenServer.cast(system, name, { add: 2 });
    Registry.send(system, 'reg', 'counter', { add: 3 });
    expect(GenServer.send(system, name, { add: 4 })).toBe(true);
    expect(await GenServer.call(system, name, 'get')).toBe(10);
    expect((await GenServer.whereis(system, name))?.equals((r as { pid: Pid }).pid)).toBe(true);
  });
});
