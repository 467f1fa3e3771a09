/**
 * What Process keeps in shared fields instead of fields of its own (an idle actor's size,
 * SPEC.md §4 R3-spawn): its kind, derived from what was spawned; an async receive's held-back
 * message, kept in `input`; the generator or the async receive's resolver, in one `driver`; the
 * run-queue flag, a bit of the status word.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { start, TIMEOUT, type ActorSystem, type Context, type Pid } from '../../runtime/index.js';
import { Idle, IdleGen } from '../fixtures/actors.js';
import { assertReceive } from '../support/receive.js';

let system: ActorSystem | undefined;

afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

/** Messages with values a sentinel could be confused with. */
const MESSAGES: unknown[] = [undefined, null, 0, 'a', { n: 1 }, false, undefined, [2], 3, 'last'];

describe('process fields', () => {
  it('kind - from what was spawned, before and after the actor starts, and for an inbox', async () => {
    system = await start({ logLevel: 'silent', shutdownTimeoutMs: 200 });
    const me = system.inbox();
    const spawned: [Pid, string][] = [
      [system.spawn(Idle), 'async'],
      [system.spawn(IdleGen), 'generator'],
      [system.spawn(async (ctx: Context) => void (await ctx.receive())), 'async'],
      [
        system.spawn(function* (ctx: Context) {
          yield ctx.receive();
        }),
        'generator',
      ],
    ];
    for (const [pid, kind] of spawned) expect(system.info(pid)).toMatchObject({ status: 'runnable', kind });
    await new Promise((r) => setTimeout(r, 5));
    for (const [pid, kind] of spawned) expect(system.info(pid)).toMatchObject({ status: 'waiting', kind });
    expect(system.info(me.self)!.kind).toBe('inbox');
  });

  it.each([
    ['inbox', false],
    ['async actor', true],
  ])('held receive - a message a receive held back for the budget comes next, in order, counted as queued (%s)', async (_what, actor) => {
    // A tiny slice: most receives that find their message must hold it and yield first.
    system = await start({ logLevel: 'silent', shutdownTimeoutMs: 200, sliceBudget: 3 });
    const sys = system;
    const me = sys.inbox();
    const check = async (ctx: Context, report: Pid | null): Promise<{ got: unknown[]; held: number }> => {
      const got: unknown[] = [];
      let held = 0;
      for (let i = 0; i < MESSAGES.length; i++) {
        const pending = ctx.receive();
        const info = sys.info(ctx.self)!;
        // Not running after a receive that had its message at hand: the message was held back,
        // and it still counts as queued.
        const wasHeld = info.status !== 'running';
        if (wasHeld) held++;
        const left = MESSAGES.length - i - (wasHeld ? 0 : 1);
        if (info.messageQueueLength !== left) throw new Error(`queue length ${info.messageQueueLength} at ${i}, expected ${left}`);
        got.push(await pending);
      }
      if (report !== null) ctx.send(report, { got, held });
      return { got, held };
    };
    let result: { got: unknown[]; held: number };
    if (actor) {
      const pid = sys.spawn(async (ctx: Context, report: Pid) => {
        await ctx.receive((m) => m === 'go');
        await check(ctx, report);
      }, me.self);
      for (const m of MESSAGES) sys.send(pid, m);
      sys.send(pid, 'go'); // after the others: they all wait in the mailbox when its receives start
      result = await assertReceive(me, (m) => typeof m === 'object' && m !== null && 'held' in m);
    } else {
      for (const m of MESSAGES) sys.send(me.self, m);
      await new Promise((r) => setTimeout(r, 5));
      result = await check(me, null);
    }
    expect(result.got).toEqual(MESSAGES);
    expect(result.held).toBeGreaterThan(0);
  });

  it.each([
    ['generator', true],
    ['async', false],
  ])('status and queued - one word: woken, runnable until it runs, then waiting again, many times (%s)', async (_kind, generator) => {
    system = await start({ logLevel: 'silent', shutdownTimeoutMs: 200 });
    const sys = system;
    const me = sys.inbox();
    const echo = generator
      ? sys.spawn(function* (ctx: Context, to: Pid) {
          for (;;) {
            const m: unknown = yield ctx.receive(undefined, 1_000);
            ctx.send(to, m === TIMEOUT ? 'timeout' : m);
          }
        }, me.self)
      : sys.spawn(async (ctx: Context, to: Pid) => {
          for (;;) {
            const m: unknown = await ctx.receive(undefined, 1_000);
            ctx.send(to, m === TIMEOUT ? 'timeout' : m);
          }
        }, me.self);
    expect(sys.info(echo)).toMatchObject({ status: 'runnable', kind: _kind });
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 1));
      expect(sys.info(echo)).toMatchObject({ status: 'waiting', kind: _kind });
      sys.send(echo, i);
      sys.send(echo, -i); // a second message to an actor already queued
      expect(sys.info(echo)!.status).toBe('runnable');
      expect(await assertReceive(me, (m) => m === i)).toBe(i);
      expect(await assertReceive(me, (m) => m === -i)).toBe(-i);
    }
    // Its receive times out (1 s) with nothing sent: woken by the timer, not by a message.
    expect(await assertReceive(me, undefined, 3_000)).toBe('timeout');
    sys.exit(echo, 'kill');
    await new Promise((r) => setTimeout(r, 1));
    expect(sys.info(echo)).toBeUndefined();
  });

  it('layout - the fields a hop touches come first, the mailbox arrays and the rare ones last', async () => {
    system = await start({ logLevel: 'silent', shutdownTimeoutMs: 200 });
    // V8 lays an object's fields out in the order they are first set (Object.keys shows it).
    const pid = system.spawn(IdleGen);
    const keys = Object.keys((pid as unknown as { local: object }).local);
    expect(keys.slice(0, 6)).toEqual(['solo', 'inboxEnd', 'arrivals', 'head', 'end', 'scanAt']);
    expect(keys.slice(-3)).toEqual(['inbox', 'items', 'scars']);
    expect(keys.indexOf('input')).toBeGreaterThan(keys.indexOf('receiveTimer'));
    expect(keys).toHaveLength(22); // each field is 8 bytes of every idle actor (R3-spawn)
  });
});

