import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineActor, start, type ActorSystem, type Inbox, type Pid } from '../../runtime/index.js';
import { FlooderGen, PongerGen, SinkGen } from '../fixtures/actors.js';
import { assertReceive } from '../support/receive.js';

/** Counts `n` messages, then reports to `to`. */
const Counter = defineActor(import.meta.url, 'Counter', function* (ctx, n: number, to: Pid) {
  for (let i = 0; i < n; i++) yield ctx.receive();
  ctx.send(to, 'flood done');
});

/** Ping-pongs with its peer forever: an endless flood on this thread. */
const Ponger = defineActor(import.meta.url, 'Ponger', function* (ctx) {
  for (;;) {
    const m: { from: Pid; n: number } = yield ctx.receive();
    ctx.send(m.from, { from: ctx.self, n: m.n + 1 });
  }
});

const AsyncPonger = defineActor(import.meta.url, 'AsyncPonger', async (ctx) => {
  for (;;) {
    const m: { from: Pid; n: number } = await ctx.receive();
    ctx.send(m.from, { from: ctx.self, n: m.n + 1 });
  }
});

let system: ActorSystem;
let me: Inbox;

beforeEach(async () => {
  system = await start({ logLevel: 'silent' });
  me = system.inbox();
});
afterEach(() => system.shutdown());

describe('fairness', () => {
  it('fairness - a flood of 1,000,000 messages to one actor does not stop another actor\'s timer', async () => {
    const counter = system.spawn(Counter, 1_000_000, me.self);
    system.spawn(async (ctx, to: Pid) => {
      await ctx.sleep(1);
      ctx.send(to, 'timer fired');
    }, me.self);
    for (let i = 0; i < 1_000_000; i++) system.send(counter, i);
    // The timer's message must come before the flood has been worked off.
    expect(await assertReceive(me, undefined, 60_000)).toBe('timer fired');
    expect(await assertReceive(me, undefined, 60_000)).toBe('flood done');
  });

  it.each([
    ['generator', Ponger],
    ['async', AsyncPonger],
  ] as const)('fairness - endless ping-pong (%s form) does not starve timers or an HTTP server on the thread', async (_form, def) => {
    const server: Server = createServer((_req, res) => res.end('served'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const a = system.spawn(def);
      const b = system.spawn(def);
      system.send(a, { from: b, n: 0 });
      system.sendAfter(5, me.self, 'tick');
      expect(await assertReceive(me, undefined, 10_000)).toBe('tick');
      const { port } = server.address() as AddressInfo;
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(body).toBe('served');
      // The flood really was running the whole time.
      expect(system.info(a)!.received).toBeGreaterThan(1000);
      system.exit(a, 'kill');
      system.exit(b, 'kill');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it.each([
    ['ping-pong', 'adaptive spin', undefined, undefined],
    ['ping-pong', 'fixed 1 ms spin', 1_000, undefined],
    // No slice limit: only the consume loop's own bound (FAST_PATH_MS) gives the event loop a
    // turn while the answers keep coming back within the spin.
    ['ping-pong', 'fixed 1 ms spin, no slice limit', 1_000, 1e15],
    ['flood', 'adaptive spin', undefined, undefined],
  ] as const)(
    'fairness - endless %s between threads (%s) does not starve timers or an HTTP server on the main thread',
    async (traffic, _spin, spinMicros, sliceBudget) => {
      // Endless traffic from another thread (RingTransport.consume drains it, the actors it wakes
      // answer) must leave timers and I/O of the main thread their turns.
      const threaded = await start({ logLevel: 'silent', schedulers: 1, spinMicros, sliceBudget });
      const server: Server = createServer((_req, res) => res.end('served'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const inbox = threaded.inbox();
        let a: Pid;
        let b: Pid;
        if (traffic === 'ping-pong') {
          a = threaded.spawnOpt(PongerGen, [], { scheduler: 0 });
          b = threaded.spawnOpt(PongerGen, [], { scheduler: 1 });
          threaded.send(a, { from: b, n: 0 });
        } else {
          a = threaded.spawnOpt(SinkGen, [], { scheduler: 0 });
          b = threaded.spawnOpt(FlooderGen, [a], { scheduler: 1 });
        }
        // Wait until the traffic runs (the thread loads the actor's module first).
        while (threaded.info(a)!.received < 100) await new Promise((r) => setTimeout(r, 1));
        const before = threaded.info(a)!.received;
        await new Promise((r) => setTimeout(r, 5));
        threaded.sendAfter(5, inbox.self, 'tick');
        expect(await assertReceive(inbox, undefined, 10_000)).toBe('tick');
        const { port } = server.address() as AddressInfo;
        const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
        expect(body).toBe('served');
        // The traffic really was running the whole time.
        expect(threaded.info(a)!.received).toBeGreaterThan(before);
        threaded.exit(a, 'kill');
        threaded.exit(b, 'kill');
      } finally {
        await new Promise((r) => server.close(r));
        await threaded.shutdown();
      }
    },
    30_000,
  );
});
