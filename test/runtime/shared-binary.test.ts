/**
 * SPEC.md §1 "Shared binaries" (issue 5): SharedBinary handles over the shared heap, zero copy
 * across threads, reference counts released explicitly, by exit, by thread death and by GC;
 * the allocator's contract on its own (BinaryHeap) against a model.
 * Actors come from test/fixtures/binary-actors.ts (importable on every scheduler thread).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ReleasedBinaryError,
  SealedBinaryError,
  SharedBinary,
  SharedMemoryLimitError,
  sharedMemoryInfo,
  start,
  type ActorSystem,
  type Inbox,
  type Pid,
} from '../../runtime/index.js';
import { BinaryHeap, threadsOf } from '../../runtime/internal.js';
import { BinaryProbe, type BinaryReport, type ProbeCommand } from '../fixtures/binary-actors.js';
import { Echo, Idle } from '../fixtures/actors.js';
import { assertReceive, eventually, refuteReceive } from '../support/receive.js';

const KiB = 1024;
const MiB = 1024 * 1024;

let system: ActorSystem;
let me: Inbox;

beforeAll(async () => {
  system = await start({ logLevel: 'silent', schedulers: 2, sharedMemoryBytes: 512 * MiB, shutdownTimeoutMs: 500, stallTimeoutMs: 2_000 });
  me = system.inbox();
});
afterAll(async () => {
  await system.shutdown();
  expect(threadsOf(system)!.liveThreads()).toBe(0);
});

/** A probe command without its `from` (ask adds it). */
type Ask = ProbeCommand extends infer C ? (C extends { from: Pid } ? Omit<C, 'from'> : never) : never;

/** Sends a probe command and waits for its reply (rejects on an `{ error }` reply). */
async function ask<T = any>(probe: Pid, command: Ask, inbox = me, sys = system): Promise<T> {
  sys.send(probe, { ...command, from: inbox.self });
  const reply = await assertReceive<any>(inbox, (m) => typeof m === 'object' && m !== null && ('ok' in m || 'error' in m), 10_000);
  if ('error' in reply) throw Object.assign(new Error(reply.message), { name: reply.error });
  return reply as T;
}

async function hold(probe: Pid, value: unknown, inbox = me, sys = system): Promise<BinaryReport> {
  return (await ask<{ report: BinaryReport }>(probe, { cmd: 'hold', value }, inbox, sys)).report;
}

const live = (sys = system) => sys.sharedMemoryInfo().liveBinaries;

function patterned(length: number, seed = 0): Uint8Array {
  const a = new Uint8Array(length);
  for (let i = 0; i < length; i++) a[i] = (i * 31 + seed) & 0xff;
  return a;
}

describe('shared binaries: the handle', () => {
  it('SharedBinary - from(bytes) copies once into shared memory and is sealed', () => {
    const source = patterned(100 * KiB, 3);
    const b = SharedBinary.from(source);
    expect(b.byteLength).toBe(source.length);
    expect(b.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(b.bytes).equals(source)).toBe(true);
    source[0] = 255; // a copy: the source is the caller's
    expect(b.bytes[0]).toBe(3);
    expect(b.sealed).toBe(true);
    expect(() => b.writable).toThrow(SealedBinaryError);
    expect(SharedBinary.isSharedBinary(b)).toBe(true);
    expect(SharedBinary.isSharedBinary(source)).toBe(false);
    // Any view or buffer will do as a source.
    const others = [SharedBinary.from(new Float64Array([1.5])), SharedBinary.from(new ArrayBuffer(5))];
    expect(others.map((x) => x.byteLength)).toEqual([8, 5]);
    expect(() => SharedBinary.from('text' as never)).toThrow(/expected a typed array, DataView, ArrayBuffer or SharedArrayBuffer, got: string/);
    expect(() => new (SharedBinary as any)()).toThrow(/SharedBinary.from/);
    expect(String(b)).toBe(`SharedBinary(${100 * KiB} bytes)`);
    // (Every test releases what it makes: left to GC, it would be freed at a random moment.)
    for (const x of [b, ...others]) x.release();
    expect(String(b)).toBe(`SharedBinary(${100 * KiB} bytes, released)`);
  });

  it('SharedBinary - alloc fills in place: writable until sealed, zeroed, read view over the same bytes', () => {
    const b = SharedBinary.alloc(64 * KiB);
    expect(b.sealed).toBe(false);
    expect(b.bytes.every((x) => x === 0)).toBe(true);
    b.writable.set([1, 2, 3]);
    expect(b.bytes.subarray(0, 3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(b.seal()).toBe(b);
    expect(() => b.writable).toThrow(SealedBinaryError);

    const filled = SharedBinary.alloc(10, (w) => w.fill(9));
    expect(filled.sealed).toBe(true);
    expect([...filled.bytes]).toEqual(new Array(10).fill(9));

    const before = live();
    expect(() => SharedBinary.alloc(10, () => { throw new Error('fill failed'); })).toThrow('fill failed');
    expect(live()).toBe(before); // released when the fill throws
    expect(() => SharedBinary.alloc(-1)).toThrow(/expected a length of 0 or more bytes, got: -1/);
    const empty = SharedBinary.alloc(0);
    expect(empty.bytes.length).toBe(0);
    for (const x of [b, filled, empty]) x.release();
  });

  it('SharedBinary - release: reading or sending a released binary throws ReleasedBinaryError; nothing is sent', async () => {
    const b = SharedBinary.from(patterned(1000));
    expect(b.release()).toBe(true);
    expect(b.release()).toBe(false); // idempotent
    expect(b.released).toBe(true);
    expect(() => b.bytes).toThrow(ReleasedBinaryError);
    expect(() => b.bytes).toThrow(/cannot read a released binary/);
    expect(() => b.seal()).toThrow(ReleasedBinaryError);
    const echo = system.spawnOpt(Echo, [], { scheduler: 1 });
    const local = system.spawnOpt(Echo, [], { scheduler: 0 });
    expect(() => system.send(echo, { from: me.self, value: { deep: [b] } })).toThrow(ReleasedBinaryError);
    expect(() => system.send(local, { from: me.self, value: { deep: [b] } })).toThrow(ReleasedBinaryError);
    await refuteReceive(me, undefined, 100);
    for (const p of [echo, local]) system.exit(p, 'kill');
  });
});

describe('shared binaries: zero copy between threads', () => {
  it('shared binaries - a receiver on another thread views the same memory as the sender (no copy)', async () => {
    const b = SharedBinary.alloc(MiB);
    const w = b.writable; // kept on purpose, to write after the send (which the contract forbids)
    w.set(patterned(MiB, 1));
    const probe = system.spawnOpt(BinaryProbe, [], { scheduler: 1 });
    const got = await hold(probe, b);
    expect(got).toMatchObject({ kind: 'shared', byteLength: MiB, byteOffset: b.bytes.byteOffset, sharedBuffer: true, first: 1, sealed: true, scheduler: 1 });
    // The same region, not a copy: a byte written here is seen there.
    w[0] = 200;
    expect((await ask(probe, { cmd: 'read' })).report.first).toBe(200);
    // Sealed by the send: no writable view on either side.
    expect(() => b.writable).toThrow(SealedBinaryError);
    await expect(ask(probe, { cmd: 'writable' })).rejects.toMatchObject({ name: 'SealedBinaryError' });
    await ask(probe, { cmd: 'release' });
    b.release();
    system.exit(probe, 'kill');
  });

  it('shared binaries - a same-thread send shares the bytes too: a new handle over the same view', async () => {
    const b = SharedBinary.from(patterned(200 * KiB));
    system.send(me.self, { b });
    const { b: got } = await assertReceive<{ b: SharedBinary }>(me, (m) => m.b !== undefined);
    expect(got).toBeInstanceOf(SharedBinary);
    expect(got === b).toBe(false); // its own handle (its own reference)
    expect(got.bytes.buffer).toBe(b.bytes.buffer);
    expect(got.bytes.byteOffset).toBe(b.bytes.byteOffset);
    b.release();
    expect(got.bytes[1]).toBe(31); // still held by the receiver's handle
    got.release();
  });

  it('shared binaries - found anywhere in a message: objects, arrays, maps, sets, errors, spawn args', async () => {
    const b = SharedBinary.from(patterned(70 * KiB, 7));
    const echo = system.spawnOpt(Echo, [], { scheduler: 2 });
    const message = { a: [{ m: new Map<unknown, unknown>([['k', b], [b, 1]]) }], s: new Set([b]), e: new Error('x', { cause: b }) };
    system.send(echo, { from: me.self, value: message });
    const { echo: back } = await assertReceive<{ echo: typeof message }>(me, (m) => m.echo !== undefined);
    const found = [back.a[0]!.m.get('k'), [...back.a[0]!.m.keys()][1], [...back.s][0], back.e.cause] as SharedBinary[];
    for (const x of found) {
      expect(x).toBeInstanceOf(SharedBinary);
      expect(x.bytes.byteOffset).toBe(b.bytes.byteOffset);
      expect(x.bytes[0]).toBe(7);
    }
    // Spawn arguments, to another thread.
    const probe = system.spawnOpt(BinaryProbe, [], { scheduler: 1 });
    expect(await hold(probe, [b])).toMatchObject({ kind: 'shared', byteOffset: b.bytes.byteOffset });
    for (const x of [b, ...found]) x.release();
    await ask(probe, { cmd: 'release' });
    system.exit(echo, 'kill');
    system.exit(probe, 'kill');
  });

  it('shared binaries - a binary made on a scheduler thread reaches the main thread without a copy', async () => {
    const probe = system.spawnOpt(BinaryProbe, [], { scheduler: 2 });
    const reply = await ask<{ value: SharedBinary; report: BinaryReport }>(probe, { cmd: 'alloc', size: 300 * KiB, byte: 5 });
    expect(reply.value.bytes.byteOffset).toBe(reply.report.byteOffset);
    expect(reply.value.bytes.every((x) => x === 5)).toBe(true);
    reply.value.release();
    await ask(probe, { cmd: 'release' });
    system.exit(probe, 'kill');
  });

  it('shared binaries - a 100 MiB binary sent to 100 actors raises RSS by about 100 MiB, not 10 GiB', async () => {
    const baseline = live();
    const rssBefore = process.memoryUsage().rss;
    const b = SharedBinary.alloc(100 * MiB, (w) => {
      for (let i = 0; i < w.length; i += 4096) w[i] = 1; // touch every page
    });
    const probes = Array.from({ length: 100 }, (_, i) => system.spawnOpt(BinaryProbe, [], { scheduler: i % 3 }));
    for (const p of probes) system.send(p, { cmd: 'hold', from: me.self, value: b });
    for (let i = 0; i < probes.length; i++) {
      const { report } = await assertReceive<{ report: BinaryReport }>(me, (m) => m.ok === 'hold', 20_000);
      expect(report).toMatchObject({ kind: 'shared', byteLength: 100 * MiB, byteOffset: b.bytes.byteOffset, sample: 100 * 25_600 / 100 });
    }
    const grown = process.memoryUsage().rss - rssBefore;
    expect(grown).toBeLessThan(400 * MiB);
    expect(live()).toBe(baseline + 1);
    // Every probe exits: the references they held go with them.
    b.release();
    for (const p of probes) system.send(p, { cmd: 'stop' });
    await eventually(() => live() === baseline, 'the 100 MiB binary to be freed', 10_000);
  });
});

describe('shared binaries: reclamation', () => {
  it('release - the memory returns to the allocator when the last holder on every thread releases', async () => {
    const baseline = system.sharedMemoryInfo();
    const b = SharedBinary.from(patterned(512 * KiB));
    const offset = b.bytes.byteOffset;
    const probes = [0, 1, 2].map((scheduler) => system.spawnOpt(BinaryProbe, [], { scheduler }));
    for (const p of probes) expect((await hold(p, b)).byteOffset).toBe(offset);
    b.release();
    for (const p of probes) {
      expect(live()).toBe(baseline.liveBinaries + 1);
      await ask(p, { cmd: 'release' });
    }
    expect(system.sharedMemoryInfo()).toMatchObject({ liveBinaries: baseline.liveBinaries, usedBytes: baseline.usedBytes });
    // Reused: the next binary of that size takes the same place.
    const again = SharedBinary.alloc(512 * KiB);
    expect(again.bytes.byteOffset).toBe(offset);
    again.release();
    for (const p of probes) system.exit(p, 'kill');
  });

  it('exit - binaries an actor received (held or still in its mailbox) are released when it exits', async () => {
    const baseline = live();
    const b = SharedBinary.from(patterned(256 * KiB));
    const holder = system.spawnOpt(BinaryProbe, [], { scheduler: 1 });
    await hold(holder, { nested: [b] });
    const idle = system.spawnOpt(Idle, [], { scheduler: 2 }); // never receives it
    system.send(idle, { b });
    const local = system.spawnOpt(Idle, [], { scheduler: 0 });
    system.send(local, { b });
    const timed = system.spawnOpt(Idle, [], { scheduler: 0 });
    system.sendAfter(20, timed, { b }); // copied now, delivered later,
    system.send(local, 'unrelated'); // after another delivery here
    await eventually(() => system.info(timed)?.messageQueueLength === 1, 'the timer to fire');
    b.release();
    expect(live()).toBe(baseline + 1);
    for (const p of [holder, idle, local, timed]) system.exit(p, 'kill');
    await eventually(() => live() === baseline, 'the binary to be released by the exits');
  });

  it('exit - an inbox that closes releases what it received', async () => {
    const baseline = live();
    const inbox = system.inbox();
    const b = SharedBinary.from(patterned(100 * KiB));
    system.send(inbox.self, b);
    const got = await assertReceive<SharedBinary>(inbox);
    b.release();
    expect(got.bytes.length).toBe(100 * KiB);
    inbox.close();
    expect(got.released).toBe(true);
    expect(live()).toBe(baseline);
  });

  it('thread death - references held on a scheduler thread that dies are dropped', async () => {
    const baseline = live();
    const dropped = system.sharedMemoryInfo().droppedReferences;
    const b = SharedBinary.from(patterned(300 * KiB));
    const probe = system.spawnOpt(BinaryProbe, [], { scheduler: 2 });
    await hold(probe, b);
    // One made there and kept there only (never sent): held by that thread alone.
    const made = await ask<{ value: SharedBinary }>(probe, { cmd: 'alloc', size: 100 * KiB, byte: 1 });
    made.value.release();
    b.release();
    expect(live()).toBe(baseline + 2);
    const monitor = me.monitor(probe);
    await threadsOf(system)!.crash(2);
    await assertReceive(me, (m) => m.type === 'DOWN' && m.ref === monitor, 5_000);
    await eventually(() => live() === baseline, 'the dead thread\'s references to be dropped');
    expect(system.sharedMemoryInfo().droppedReferences).toBeGreaterThanOrEqual(dropped + 2);
    // The replacement thread works with the heap as before.
    await eventually(() => threadsOf(system)!.liveThreads() === 2, 'scheduler 2 to be replaced');
    const again = system.spawnOpt(BinaryProbe, [], { scheduler: 2 });
    const c = SharedBinary.from(patterned(100 * KiB, 9));
    expect(await hold(again, c)).toMatchObject({ kind: 'shared', first: 9 });
    c.release();
    system.exit(again, 'kill');
    await eventually(() => live() === baseline, 'the last binary to be released');
  });

  it('garbage collection - an unreleased handle is released when collected, on the main thread and on a scheduler thread', async () => {
    const script = fileURLToPath(new URL('../fixtures/binary-gc.ts', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--expose-gc', '--conditions=source', '--import', 'tsx', script],
        { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 60_000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result).toEqual({
      noHeap: 'NoBinaryHeapError',
      mainBefore: 1,
      mainCollected: true,
      viewKeepsAlive: true,
      viewCollected: true,
      workerBefore: 1,
      workerGcAvailable: true,
      workerCollected: true,
    });
  });
});

describe('shared binaries: plain Uint8Arrays and limits', () => {
  it('plain binaries - small ones are copied; large ones cross threads through the heap and arrive as private copies', async () => {
    const info = system.sharedMemoryInfo();
    const probe = system.spawnOpt(BinaryProbe, [], { scheduler: 1 });
    expect(await hold(probe, { small: patterned(1 * KiB, 4) })).toMatchObject({ kind: 'plain', byteLength: KiB, sharedBuffer: false, first: 4 });
    expect(system.sharedMemoryInfo().transported).toBe(info.transported);
    const big = patterned(256 * KiB, 6);
    const report = await hold(probe, { big });
    expect(report).toMatchObject({ kind: 'plain', byteLength: 256 * KiB, byteOffset: 0, sharedBuffer: false, first: 6 });
    expect(system.sharedMemoryInfo()).toMatchObject({ transported: info.transported + 1, liveBinaries: info.liveBinaries });
    // Copy on send still holds: a later write by the sender is not seen by the receiver.
    big[0] = 99;
    expect((await ask(probe, { cmd: 'read' })).report.first).toBe(6);

    // Same thread: a plain copy.
    system.send(me.self, { big });
    const { big: mine } = await assertReceive<{ big: Uint8Array }>(me, (m) => m.big !== undefined);
    expect(mine === big).toBe(false); // (not.toBe would diff 256 KiB of elements)
    expect(mine.buffer).toBeInstanceOf(ArrayBuffer);
    expect(mine[0]).toBe(99);
    system.exit(probe, 'kill');
  });

  it('limit - allocating beyond sharedMemoryBytes throws SharedMemoryLimitError at the call; nothing else is affected', async () => {
    const small = await start({ logLevel: 'silent', schedulers: 1, sharedMemoryBytes: 4 * MiB });
    try {
      const inbox = small.inbox();
      const probe = small.spawnOpt(BinaryProbe, [], { scheduler: 1 });
      const kept = SharedBinary.from(patterned(MiB, 2)); // `small` started last: its heap
      expect(small.sharedMemoryInfo().liveBinaries).toBe(1);
      let error: unknown;
      try {
        SharedBinary.alloc(8 * MiB);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SharedMemoryLimitError);
      expect(error).toMatchObject({ name: 'SharedMemoryLimitError', requested: 8 * MiB, limit: 4 * MiB });
      expect((error as Error).message).toMatch(/cannot allocate a binary of 8388608 bytes .* raise sharedMemoryBytes/);
      // On a scheduler thread too, and the actor lives on.
      await expect(ask(probe, { cmd: 'alloc', size: 8 * MiB, byte: 1 }, inbox, small)).rejects.toMatchObject({ name: 'SharedMemoryLimitError' });
      // Nothing else changed: the kept binary reads and sends as before; smaller ones still fit.
      expect(await hold(probe, kept, inbox, small)).toMatchObject({ kind: 'shared', first: 2 });
      const fits = SharedBinary.alloc(2 * MiB);
      // A plain array too big for what is left still gets through (copied through the ring).
      const transported = small.sharedMemoryInfo().transported;
      expect(await hold(probe, { big: patterned(2 * MiB, 8) }, inbox, small)).toMatchObject({ kind: 'plain', byteLength: 2 * MiB, first: 8 });
      expect(small.sharedMemoryInfo().transported).toBe(transported);
      fits.release();
      kept.release();
      await ask(probe, { cmd: 'release' }, inbox, small);
      expect(small.sharedMemoryInfo()).toMatchObject({ liveBinaries: 0, usedBytes: 0 });
    } finally {
      await small.shutdown();
    }
    expect(sharedMemoryInfo().limitBytes).toBe(512 * MiB); // back to `system`'s heap
  });

  it('threshold - binaryThreshold sets what goes through the heap (Infinity: nothing); schedulers: 0 shares too', async () => {
    const low = await start({ logLevel: 'silent', schedulers: 1, binaryThreshold: 1024 });
    try {
      // With two systems on the main thread, its sends cannot tell which heap a frame's
      // receiver has, so they copy; the scheduler thread (one heap) sends through it.
      const inbox = low.inbox();
      const echo = low.spawnOpt(Echo, [], { scheduler: 1 });
      low.send(echo, { from: inbox.self, value: patterned(2 * KiB, 5) });
      expect((await assertReceive<{ echo: Uint8Array }>(inbox)).echo[0]).toBe(5);
      expect(low.sharedMemoryInfo().transported).toBe(1);
      low.send(echo, { from: inbox.self, value: patterned(1023) });
      expect((await assertReceive<{ echo: Uint8Array }>(inbox)).echo.length).toBe(1023);
      expect(low.sharedMemoryInfo().transported).toBe(1);
    } finally {
      await low.shutdown();
    }
    const never = await start({ logLevel: 'silent', schedulers: 1, binaryThreshold: Infinity });
    try {
      const inbox = never.inbox();
      const probe = never.spawnOpt(BinaryProbe, [], { scheduler: 1 });
      expect(await hold(probe, patterned(MiB, 1), inbox, never)).toMatchObject({ byteLength: MiB, first: 1 });
      expect(never.sharedMemoryInfo().transported).toBe(0);
    } finally {
      await never.shutdown();
    }
    const lone = await start({ logLevel: 'silent' });
    try {
      const inbox = lone.inbox();
      const probe = lone.spawn(BinaryProbe);
      const b = SharedBinary.from(patterned(100 * KiB, 2));
      expect(await hold(probe, b, inbox, lone)).toMatchObject({ kind: 'shared', byteOffset: b.bytes.byteOffset, first: 2 });
      b.release();
      lone.exit(probe, 'kill');
      expect(lone.sharedMemoryInfo().liveBinaries).toBe(0);
    } finally {
      await lone.shutdown();
    }
    await expect(start({ binaryThreshold: -1 })).rejects.toThrow(/expected binaryThreshold to be 0 or more bytes/);
    await expect(start({ sharedMemoryBytes: 8 * 1024 * MiB })).rejects.toThrow(/expected sharedMemoryBytes from/);
  });

  it('shared binaries - allocations and releases racing on every thread leave a consistent heap', async () => {
    const baseline = system.sharedMemoryInfo();
    expect(baseline.liveBinaries).toBe(0); // the tests before released everything they made
    const probes = [0, 1, 2, 1, 2].map((scheduler) => system.spawnOpt(BinaryProbe, [], { scheduler }));
    for (let round = 0; round < 20; round++) {
      for (const p of probes) system.send(p, { cmd: 'alloc', from: me.self, size: 1000 + round * 7919, byte: round });
      const made: SharedBinary[] = [];
      for (let i = 0; i < probes.length; i++) made.push((await assertReceive<{ value: SharedBinary }>(me, (m) => m.ok === 'alloc', 10_000)).value);
      for (const p of probes) system.send(p, { cmd: 'release', from: me.self });
      for (let i = 0; i < probes.length; i++) await assertReceive(me, (m) => m.ok === 'release', 10_000);
      for (const b of made) b.release();
    }
    expect(system.sharedMemoryInfo()).toMatchObject({ liveBinaries: baseline.liveBinaries, usedBytes: baseline.usedBytes });
    // Free neighbours merged: one allocation of nearly everything in use before still fits.
    const whole = SharedBinary.alloc(system.sharedMemoryInfo().capacityBytes - 4 * KiB);
    whole.release();
    for (const p of probes) system.exit(p, 'kill');
  });
});

describe('BinaryHeap (the allocator on its own)', () => {
  it('BinaryHeap - first fit, split, merge of free neighbours, growth to the limit', () => {
    const heap = BinaryHeap.create({ limitBytes: 4 * MiB, slots: 2, initialBytes: 64 * KiB });
    expect(heap.info()).toMatchObject({ capacityBytes: 64 * KiB, usedBytes: 0, liveBinaries: 0 });
    const a = heap.alloc(1000);
    const b = heap.alloc(1000);
    expect(heap.payloadOffset(b)).toBeGreaterThan(heap.payloadOffset(a));
    heap.release(a, heap.serialOf(a));
    expect(heap.alloc(500)).toBe(a); // first fit takes the hole
    const big = heap.alloc(3 * MiB); // grows
    expect(heap.info().capacityBytes).toBeGreaterThan(3 * MiB);
    expect(() => heap.alloc(2 * MiB)).toThrow(SharedMemoryLimitError);
    heap.release(big, heap.serialOf(big));
    expect(heap.alloc(2 * MiB)).toBeGreaterThan(0); // merged back
    expect(() => heap.alloc(4.5 * MiB)).toThrow(SharedMemoryLimitError);
  });

  it('BinaryHeap - references: in flight, adopted on another slot, dropped when that slot dies', () => {
    const main = BinaryHeap.create({ limitBytes: MiB, slots: 3 });
    const other = BinaryHeap.open(main.buffer, 2);
    expect(other.id).toBe(main.id);
    const g = main.alloc(100);
    const serial = main.serialOf(g);
    main.acquireInFlight(g); // sent
    other.adopt(g); // received on slot 2
    other.acquire(g); // copied there
    main.release(g, serial);
    expect(main.info().liveBinaries).toBe(1);
    expect(main.dropSlot(2)).toEqual({ references: 2, freed: 1 });
    expect(main.info()).toMatchObject({ liveBinaries: 0, usedBytes: 0, droppedReferences: 2 });
    expect(main.holds(g, serial)).toBe(false);
  });

  it('BinaryHeap - a thread that died holding the lock, or before freeing, is cleaned up by dropSlot', () => {
    const main = BinaryHeap.create({ limitBytes: MiB, slots: 2 });
    const words = new Int32Array(main.buffer);
    const g = main.alloc(100);
    const serial = main.serialOf(g);
    // Slot 1 "died" between taking TOTAL to 0 and freeing the block, holding the lock.
    Atomics.store(words, g * 4 + 3, 0); // B_TOTAL
    Atomics.store(words, 2, 1 + 1); // LOCK held by slot 1
    expect(main.dropSlot(1)).toEqual({ references: 0, freed: 1 });
    expect(main.holds(g, serial)).toBe(false);
    expect(main.alloc(100)).toBe(g); // the lock is free again
  });

  it('BinaryHeap - open refuses other memory', () => {
    expect(() => BinaryHeap.open(new SharedArrayBuffer(1024), 0)).toThrow(/expected the growable SharedArrayBuffer/);
    const heap = BinaryHeap.create({ limitBytes: MiB, slots: 2 });
    expect(() => BinaryHeap.open(heap.buffer, 2)).toThrow(/expected a slot from 0 to 1, got: 2/);
    expect(() => heap.alloc(-1)).toThrow(RangeError);
  });

  it('BinaryHeap - random allocations and releases over several slots match a model (property)', () => {
    type Live = { g: number; serial: number; length: number; refs: number[]; byte: number };
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('alloc' as const), length: fc.integer({ min: 0, max: 40_000 }), slot: fc.integer({ min: 0, max: 2 }) }),
            fc.record({ op: fc.constant('share' as const), pick: fc.nat(), slot: fc.integer({ min: 0, max: 2 }) }),
            fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('die' as const), slot: fc.integer({ min: 1, max: 2 }) }),
          ),
          { maxLength: 120 },
        ),
        (ops) => {
          const main = BinaryHeap.create({ limitBytes: 512 * KiB, slots: 3, initialBytes: 16 * KiB });
          const views = [main, BinaryHeap.open(main.buffer, 1), BinaryHeap.open(main.buffer, 2)];
          const bytes = new Uint8Array(main.buffer);
          const blocks: Live[] = [];
          let byte = 0;
          for (const o of ops) {
            if (o.op === 'alloc') {
              let g: number;
              try {
                g = views[o.slot]!.alloc(o.length);
              } catch (e) {
                expect(e).toBeInstanceOf(SharedMemoryLimitError);
                continue;
              }
              const b: Live = { g, serial: views[o.slot]!.serialOf(g), length: o.length, refs: [o.slot], byte: ++byte & 0xff };
              bytes.fill(b.byte, main.payloadOffset(g), main.payloadOffset(g) + o.length);
              blocks.push(b);
            } else if (blocks.length > 0) {
              const b = blocks[(o as { pick: number }).pick % blocks.length]!;
              if (o.op === 'share') {
                views[b.refs[0]!]!.acquireInFlight(b.g);
                views[o.slot]!.adopt(b.g);
                b.refs.push(o.slot);
              } else if (o.op === 'release') {
                views[b.refs.pop()!]!.release(b.g, b.serial);
              }
            }
            if (o.op === 'die') {
              main.dropSlot(o.slot);
              for (const b of blocks) b.refs = b.refs.filter((s) => s !== o.slot);
            }
            for (let i = blocks.length - 1; i >= 0; i--) if (blocks[i]!.refs.length === 0) blocks.splice(i, 1);
            // Model check: every live block holds its bytes and its serial; none overlap.
            const spans = blocks.map((b) => [main.payloadOffset(b.g), main.payloadOffset(b.g) + b.length] as const).sort((x, y) => x[0] - y[0]);
            for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
            for (const b of blocks) {
              expect(main.holds(b.g, b.serial)).toBe(true);
              const at = main.payloadOffset(b.g);
              expect(b.length === 0 || (bytes[at] === b.byte && bytes[at + b.length - 1] === b.byte)).toBe(true);
            }
            expect(main.info().liveBinaries).toBe(blocks.length);
          }
          for (const b of blocks) while (b.refs.length > 0) views[b.refs.pop()!]!.release(b.g, b.serial);
          expect(main.info()).toMatchObject({ liveBinaries: 0, usedBytes: 0 });
          // Everything merges back: the largest block that fits at all fits again.
          const all = main.alloc(main.info().capacityBytes - 2 * 1024);
          main.release(all, main.serialOf(all));
        },
      ),
      { numRuns: 200 },
    );
  });
});
