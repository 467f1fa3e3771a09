/**
 * SPEC.md §1 across threads: nothing a user can observe may depend on where an actor lives.
 * Actors here come from test/fixtures/actors.ts, a module every scheduler thread can import.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDownMessage, isExitMessage, start, type ActorSystem, type Inbox, type Pid } from '../../runtime/index.js';
import { threadsOf } from '../../runtime/internal.js';
import { AliasCaller, Echo, EchoGen, Forwarder, Idle, LinkedParent, NamedEcho, Sequencer, ThreadKiller } from '../fixtures/actors.js';
import { assertReceive, flush, refuteReceive } from '../support/receive.js';

let system: ActorSystem;
let me: Inbox;

beforeAll(async () => {
  system = await start({ logLevel: 'silent', schedulers: 2, shutdownTimeoutMs: 500, stallTimeoutMs: 600 });
  me = system.inbox();
});
afterAll(async () => {
  await system.shutdown();
  // Every scheduler thread has been joined.
  expect(threadsOf(system)!.liveThreads()).toBe(0);
});

describe('threads', () => {
  it('threads - spawn places actors on each scheduler and they answer', async () => {
    for (const scheduler of [0, 1, 2]) {
      for (const def of [Echo, EchoGen]) {
        const pid = system.spawnOpt(def, [], { scheduler });
        expect(pid.scheduler).toBe(scheduler);
        system.send(pid, { from: me.self, value: { n: scheduler, big: 12345678901234567890n, when: new Date(0), set: new Set([1]) } });
        const reply = await assertReceive(me);
        expect(reply.echo).toEqual({ n: scheduler, big: 12345678901234567890n, when: new Date(0), set: new Set([1]) });
        expect(reply.by.equals(pid)).toBe(true);
      }
    }
  });

  it('threads - spawn without a scheduler spreads definitions over the scheduler threads', () => {
    const placed = new Set(Array.from({ length: 4 }, () => system.spawn(Idle).scheduler));
    expect([...placed].sort()).toEqual([1, 2]);
  });

  it('threads - per-pair order holds with senders on several threads (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }), async (counts) => {
        const senders = counts.map((count, i) => system.spawnOpt(Sequencer, [i, me.self, count], { scheduler: i % 3 }));
        expect(senders.length).toBe(counts.length);
        const seen = counts.map(() => [] as number[]);
        let done = 0;
        while (done < counts.length) {
          const m = await assertReceive<{ from: number; seq?: number; done?: true }>(me, (x) => typeof x.from === 'number', 10_000);
          if (m.done) done++;
          else seen[m.from]!.push(m.seq!);
        }
        counts.forEach((count, i) => expect(seen[i]).toEqual(Array.from({ length: count }, (_, k) => k)));
      }),
      { numRuns: 15 },
    );
  });

  it('threads - a pid sent to another thread in the job that spawned it is reachable from there at once', async () => {
    // Main writes to thread 1 first, then spawns on thread 2, then hands the new pid to thread
    // 1 in the same job. Were main's batch for thread 1 pushed before the one holding the
    // spawn, the echo from thread 1 could reach thread 2 before the actor exists there, and be
    // dropped as if sent to a dead pid.
    const echo = system.spawnOpt(Echo, [], { scheduler: 1 });
    system.send(echo, { from: me.self, value: 'ready' });
    await assertReceive(me, (m) => m.echo === 'ready');
    for (let round = 0; round < 200; round++) {
      system.send(echo, { from: me.self, value: -round });
      const forwarder = system.spawnOpt(Forwarder, [me.self, false], { scheduler: 2 });
      system.send(echo, { from: forwarder, value: round });
      expect((await assertReceive(me, (m) => m.echo === -round)).echo).toBe(-round);
      expect((await assertReceive(me, (m) => m.echo === round)).echo).toBe(round);
      system.exit(forwarder, 'kill');
    }
  });

  it('threads - a message larger than the ring still arrives, in order with the others', async () => {
    // binaryThreshold Infinity: the 1 MiB array must cross as ring chunks both ways, not through the binary heap.
    const small = await start({ logLevel: 'silent', schedulers: 1, ringBytes: 64 * 1024, binaryThreshold: Infinity });
    try {
      const inbox = small.inbox();
      const echo = small.spawnOpt(Echo, [], { scheduler: 1 });
      const big = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);
      small.send(echo, { from: inbox.self, value: 'before' });
      small.send(echo, { from: inbox.self, value: big });
      small.send(echo, { from: inbox.self, value: 'after' });
      expect((await assertReceive(inbox)).echo).toBe('before');
      const got = (await assertReceive(inbox)).echo as Uint8Array;
      expect(got.length).toBe(big.length);
      expect(got.every((b, i) => b === (i & 0xff))).toBe(true);
      expect((await assertReceive(inbox)).echo).toBe('after');
    } finally {
      await small.shutdown();
    }
  });

  it('threads - links, trapped exits and kill across threads', async () => {
    me.trapExit(true);
    const child = me.spawnOpt(Echo, [], { scheduler: 1, link: true });
    system.send(child, { crash: 'remote crash' });
    const exit = await assertReceive(me, isExitMessage);
    expect(exit.from.equals(child)).toBe(true);
    expect((exit.reason as Error).message).toBe('remote crash');

    const victim = system.spawnOpt(Idle, [], { scheduler: 2 });
    me.link(victim);
    system.exit(victim, 'kill');
    expect((await assertReceive(me, (m) => isExitMessage(m) && m.from.equals(victim))).reason).toBe('killed');
    me.trapExit(false);
  });

  it('threads - monitors across threads, and noproc for dead remote pids', async () => {
    const pid = system.spawnOpt(EchoGen, [], { scheduler: 2 });
    const ref = me.monitor(pid);
    system.exit(pid, 'custom');
    const down = await assertReceive(me, isDownMessage);
    expect(down.ref.equals(ref) && down.pid.equals(pid)).toBe(true);
    expect(down.reason).toBe('custom');
    // The pid is dead now: a new monitor answers noproc, a send is dropped silently.
    me.monitor(pid);
    expect((await assertReceive(me, isDownMessage)).reason).toBe('noproc');
    expect(() => system.send(pid, 'nobody home')).not.toThrow();
    me.trapExit(true);
    me.link(pid);
    expect((await assertReceive(me, isExitMessage)).reason).toBe('noproc');
    me.trapExit(false);
  });

  it('threads - a monitor alias of an actor on this thread is answered from another thread it was sent to', async () => {
    // On its own thread a monitor's alias is reached through the ref object itself (Ref.monitor);
    // it enters the alias table only when encoded for another thread, here by the plain encoder
    // ({from, value}) and by the msgpackr fallback (a Map first makes the plain encoder give up).
    const target = system.spawnOpt(Idle, [], { scheduler: 0 });
    expect(target.scheduler).toBe(me.self.scheduler);
    const echo = system.spawnOpt(Echo, [], { scheduler: 1 });
    const once = me.monitor(target, { alias: 'reply_demonitor' });
    system.send(echo, { from: once, value: 1 });
    system.send(echo, { from: once, value: 2 });
    expect((await assertReceive(me, (m) => m.echo !== undefined)).echo).toBe(1);
    await refuteReceive(me); // the first reply ended the alias and the monitor
    expect(me.info()!.monitors).toEqual([]);
    expect(system.info(target)!.monitoredBy).toEqual([]);

    const viaFallback = me.monitor(target, { alias: 'reply_demonitor' });
    system.send(echo, { value: new Map([[1, 'a']]), from: viaFallback } as never);
    expect((await assertReceive(me, (m) => m.echo !== undefined)).echo).toEqual(new Map([[1, 'a']]));
    expect(me.info()!.monitors).toEqual([]);

    const kept = me.monitor(target, { alias: 'demonitor' });
    system.send(echo, { from: kept, value: 3 });
    system.send(echo, { from: kept, value: 4 });
    expect((await assertReceive(me, (m) => m.echo !== undefined)).echo).toBe(3);
    expect((await assertReceive(me, (m) => m.echo !== undefined)).echo).toBe(4);
    expect(me.unalias(kept)).toBe(true);
    system.send(echo, { from: kept, value: 5 });
    await refuteReceive(me);
    expect(me.demonitor(kept)).toBe(true);
    system.exit(echo, 'kill');
    system.exit(target, 'kill');
  });

  it('threads - a name registered on one thread resolves on every other', async () => {
    const named = system.spawnOpt(NamedEcho, ['remote-echo', me.self], { scheduler: 1 });
    expect(await assertReceive(me)).toEqual({ registered: { ok: true } });
    expect(system.whereis('remote-echo')?.equals(named)).toBe(true);
    system.send('remote-echo', { from: me.self, value: 'by name across threads' });
    expect((await assertReceive(me)).echo).toBe('by name across threads');
    // A second actor on another thread cannot take the name.
    system.spawnOpt(NamedEcho, ['remote-echo', me.self], { scheduler: 2 });
    expect(await assertReceive(me)).toEqual({ registered: { ok: false, error: 'name_taken' } });
    // Freed when its owner exits.
    const ref = me.monitor(named);
    system.exit(named, 'kill');
    await assertReceive(me, (m) => isDownMessage(m) && m.ref.equals(ref));
    expect(system.whereis('remote-echo')).toBeUndefined();
  });

  it('threads - timers aimed at remote pids fire', async () => {
    const echo = system.spawnOpt(Echo, [], { scheduler: 2 });
    system.sendAfter(10, echo, { from: me.self, value: 'timed' });
    expect((await assertReceive(me)).echo).toBe('timed');
  });
});

describe('scheduler faults', () => {
  it.each(['exit', 'fatal', 'stall'] as const)(
    'scheduler faults - a thread that dies by %s is replaced and its actors exit scheduler_down',
    async (how) => {
      await flush(me);
      const threads = threadsOf(system)!;
      const before = threads.restarts[2]!;
      const killer = system.spawnOpt(ThreadKiller, [how], { scheduler: 2 });
      const bystander = system.spawnOpt(Idle, [], { scheduler: 2 });
      const elsewhere = system.spawnOpt(Echo, [], { scheduler: 1 });
      // A monitor's alias ends with its monitor: a send through the ref itself is dropped.
      const aliased = me.monitor(bystander, { alias: 'demonitor' });
      const refs = [me.monitor(killer), me.monitor(bystander), aliased];
      me.trapExit(true);
      me.link(bystander);
      system.send(killer, 'go');
      for (const ref of refs) {
        const down = await assertReceive(me, (m) => isDownMessage(m) && m.ref.equals(ref), 10_000);
        expect(down.reason).toBe('scheduler_down');
      }
      expect((await assertReceive(me, isExitMessage, 10_000)).reason).toBe('scheduler_down');
      me.trapExit(false);
      system.send(aliased, 'through an ended alias');
      // The rest of the system kept running, and scheduler 2 is back.
      system.send(elsewhere, { from: me.self, value: 'still here' });
      await assertReceive(me, (m) => m.echo === 'still here');
      expect(threads.restarts[2]).toBe(before + 1);
      const fresh = system.spawnOpt(Echo, [], { scheduler: 2 });
      system.send(fresh, { from: me.self, value: 'new thread' });
      await assertReceive(me, (m) => m.echo === 'new thread', 10_000);
      await refuteReceive(me, (m) => isDownMessage(m) || isExitMessage(m) || m === 'through an ended alias');
    },
  );

  it('scheduler faults - a thread over its resourceLimits is replaced the same way', async () => {
    const limited = await start({ logLevel: 'silent', schedulers: 1, resourceLimits: { maxOldGenerationSizeMb: 48 } });
    try {
      const inbox = limited.inbox();
      const hog = limited.spawnOpt(ThreadKiller, ['oom'], { scheduler: 1 });
      const ref = inbox.monitor(hog);
      limited.send(hog, 'go');
      const down = await assertReceive(inbox, (m) => isDownMessage(m) && m.ref.equals(ref), 20_000);
      expect(down.reason).toBe('scheduler_down');
      const echo = limited.spawnOpt(Echo, [], { scheduler: 1 });
      limited.send(echo, { from: inbox.self, value: 'recovered' });
      expect((await assertReceive(inbox, undefined, 10_000)).echo).toBe('recovered');
    } finally {
      await limited.shutdown();
    }
  });

  it('scheduler faults - answers reach aliases made on a replacement thread, never those of the dead one', async () => {
    // A fresh system: the dead thread's refs and the replacement's would start from the same
    // serial if the replacement counted its own.
    const other = await start({ logLevel: 'silent', schedulers: 1, shutdownTimeoutMs: 300 });
    try {
      const inbox = other.inbox();
      const echo = other.spawnOpt(Echo, [], { scheduler: 0 });
      const before = other.spawnOpt(AliasCaller, [echo, inbox.self], { scheduler: 1 });
      other.send(before, { go: 'before' });
      const { alias: deadAlias } = await assertReceive(inbox, (m) => m.answered === 'before', 10_000);
      const ref = inbox.monitor(before);
      const killer = other.spawnOpt(ThreadKiller, ['exit'], { scheduler: 1 });
      other.send(killer, 'go');
      expect((await assertReceive(inbox, (m) => isDownMessage(m) && m.ref.equals(ref), 10_000)).reason).toBe('scheduler_down');

      // An actor of the replacement thread is answered through its alias (a call's reply)…
      const after = other.spawnOpt(AliasCaller, [echo, inbox.self], { scheduler: 1 });
      other.send(after, { go: 'after' });
      await assertReceive(inbox, (m) => m.answered === 'after', 10_000);
      // …and a late answer to an alias of the dead thread reaches no one (sent first, it would
      // be taken for the next answer).
      other.send(deadAlias, { echo: 'stale' });
      other.send(after, { go: 'again' });
      await assertReceive(inbox, (m) => m.answered === 'again', 10_000);
      await refuteReceive(inbox, (m) => m.answered !== undefined);
    } finally {
      await other.shutdown();
    }
  });
});

describe('shutdown', () => {
  it('shutdown - stops every actor on every thread and joins the threads', async () => {
    const other = await start({ logLevel: 'silent', schedulers: 2, shutdownTimeoutMs: 300 });
    const pids: Pid[] = [0, 1, 2].map((scheduler) => other.spawnOpt(Idle, [], { scheduler }));
    expect(pids.map((p) => p.scheduler)).toEqual([0, 1, 2]);
    await other.shutdown();
    expect(threadsOf(other)!.liveThreads()).toBe(0);
    expect(other.processes()).toEqual([]);
  });
});

describe('threads - bad input', () => {
  it('threads - an unsendable value to a remote pid throws at send, naming its path, and nothing is sent', async () => {
    const echo = system.spawnOpt(Echo, [], { scheduler: 1 });
    expect(() => system.send(echo, { from: me.self, value: { handlers: [1, 2, () => 3] } })).toThrow(/msg\.value\.handlers\[2\]/);
    expect(() => system.spawnOpt(Echo, [() => 1] as never, { scheduler: 2 })).toThrow(/UnsendableError|cannot send/);
    system.send(echo, { from: me.self, value: 'after the refusal' });
    expect((await assertReceive(me, (m) => 'echo' in m)).echo).toBe('after the refusal');
  });

  it('threads - a bare function cannot be spawned on another scheduler', () => {
    expect(() => system.spawnOpt(async () => {}, [], { scheduler: 1 })).toThrow(/bare function/);
  });
});

describe('threads - links across threads', () => {
  it('threads - a parent crash reaches its linked child on another thread', async () => {
    const parent = system.spawnOpt(LinkedParent, [2, me.self], { scheduler: 1 });
    const { child } = await assertReceive<{ child: Pid }>(me, (m) => 'child' in m);
    expect(child.scheduler).toBe(2);
    const ref = me.monitor(child);
    system.send(parent, 'crash');
    const down = await assertReceive(me, (m) => isDownMessage(m) && m.ref.equals(ref), 10_000);
    expect((down.reason as Error).message).toBe('parent crashed');
  });

  it('threads - after unlink, the other side\'s exit no longer arrives', async () => {
    me.trapExit(true);
    const other = system.spawnOpt(Echo, [], { scheduler: 2 });
    me.link(other);
    me.unlink(other);
    const ref = me.monitor(other);
    system.send(other, { crash: 'unlinked crash' });
    await assertReceive(me, (m) => isDownMessage(m) && m.ref.equals(ref), 10_000);
    await refuteReceive(me, isExitMessage, 100);
    me.trapExit(false);
  });
});
