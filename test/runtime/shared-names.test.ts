/**
 * The cross-thread name table (runtime/shared-names.ts): its contract on one thread, a
 * fast-check model test, repair after a writer died holding the lock, and real threads
 * (test/fixtures/shared-names-worker.ts) racing for names. Every worker started here is
 * terminated before its test ends; every wait has a deadline.
 */
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Pid } from '../../runtime/pid.js';
import { nextMessage } from '../support/workers.js';
import {
  COUNT,
  HASH,
  HEADER_WORDS,
  LOCK,
  SEQ,
  SLOT_WORDS,
  STATE,
  STATE_FULL,
  STATE_TOMBSTONE,
} from '../../runtime/shared-names-layout.js';
import { NameTableStalledError, SharedNameTable } from '../../runtime/shared-names.js';
import {
  SERIAL_BASE,
  stressName,
  stressPid,
  type Owner,
  type Request,
} from '../fixtures/shared-names-protocol.js';

const pid = (serial: number, scheduler = 0): Pid => new Pid(0, scheduler, serial);

describe('SharedNameTable - one thread', () => {
  it('names - register, whereis, nameOf, names, size, unregister', () => {
    const table = SharedNameTable.create();
    expect(table.capacity).toBe(4096);
    expect(table.register('logger', pid(1))).toBe('ok');
    expect(table.register('broker', pid(2 ** 40 + 7, 3))).toBe('ok');
    expect(table.whereis('logger')).toEqual(pid(1));
    const broker = table.whereis('broker')!;
    expect([broker.node, broker.scheduler, broker.serial]).toEqual([0, 3, 2 ** 40 + 7]);
    expect(table.whereis('nobody')).toBeUndefined();
    expect(table.nameOf(pid(1))).toBe('logger');
    expect(table.nameOf(pid(99))).toBeUndefined();
    expect(table.names().sort()).toEqual(['broker', 'logger']);
    expect(table.size).toBe(2);
    expect(table.unregister('logger')).toBe(true);
    expect(table.unregister('logger')).toBe(false);
    expect(table.whereis('logger')).toBeUndefined();
    expect(table.size).toBe(1);
  });

  it('names - a taken name is refused, whoever asks', () => {
    const table = SharedNameTable.create({ capacity: 16 });
    expect(table.register('db', pid(1))).toBe('ok');
    expect(table.register('db', pid(2))).toBe('name_taken');
    expect(table.register('db', pid(1))).toBe('name_taken');
    expect(table.whereis('db')).toEqual(pid(1));
  });

  it('names - unregister with an owner frees only that owner’s name; unregisterPid frees by pid', () => {
    const table = SharedNameTable.create({ capacity: 16 });
    table.register('a', pid(1));
    table.register('b', pid(2));
    expect(table.unregister('a', pid(2))).toBe(false);
    expect(table.whereis('a')).toEqual(pid(1));
    expect(table.unregister('a', pid(1))).toBe(true);
    expect(table.unregisterPid(pid(2))).toBe('b');
    expect(table.unregisterPid(pid(2))).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it('names - unregisterScheduler frees every name of one scheduler', () => {
    const table = SharedNameTable.create({ capacity: 64 });
    for (let i = 0; i < 20; i++) table.register(`n${i}`, pid(i, i % 3));
    const freed = table.unregisterScheduler(0, 1).sort();
    expect(freed).toEqual(['n1', 'n10', 'n13', 'n16', 'n19', 'n4', 'n7']);
    for (let i = 0; i < 20; i++) expect(table.whereis(`n${i}`)).toEqual(i % 3 === 1 ? undefined : pid(i, i % 3));
    expect(table.size).toBe(13);
  });

  it('names - 1..255 bytes of well-formed UTF-8; others are invalid_name', () => {
    const table = SharedNameTable.create({ capacity: 64 });
    const valid = ['a'.repeat(255), 'é'.repeat(127), '€'.repeat(85), '😀'.repeat(63) + 'abc', '名前', 'x', '\u{FFFD}'];
    for (const [i, name] of valid.entries()) {
      expect(table.register(name, pid(i))).toBe('ok');
      expect(table.whereis(name)).toEqual(pid(i));
    }
    expect(table.names().sort()).toEqual([...valid].sort());
    // 256 bytes: 'a' x256, 'é' x128 (2 bytes each), '€' x86 is 258, one emoji too many.
    const invalid = ['', 'a'.repeat(256), 'é'.repeat(128), '€'.repeat(86), '😀'.repeat(64), '\uD800', 'a\uDC00b'];
    for (const name of invalid) {
      expect(table.register(name, pid(100))).toBe('invalid_name');
      expect(table.whereis(name)).toBeUndefined();
      expect(table.unregister(name)).toBe(false);
    }
    // A lone surrogate would encode as U+FFFD: it must not find the real U+FFFD name.
    expect(table.whereis('\uDFFF')).toBeUndefined();
    expect(table.size).toBe(valid.length);
  });

  it('names - misuse throws "expected X, got: Y"', () => {
    const table = SharedNameTable.create({ capacity: 8 });
    expect(() => table.register(42 as unknown as string, pid(1))).toThrow(/expected a name \(a string\), got: 42/);
    expect(() => table.whereis(undefined as unknown as string)).toThrow(/expected a name/);
    expect(() => table.unregister(null as unknown as string)).toThrow(/expected a name/);
    const badPids: unknown[] = [
      { node: 0, scheduler: 0, serial: 1 },
      new Pid(-1, 0, 1),
      new Pid(0, 1.5, 1),
      new Pid(0, 0, 2 ** 53),
      new Pid(0, 2 ** 32, 1),
      undefined,
    ];
    for (const bad of badPids) {
      expect(() => table.register('x', bad as Pid)).toThrow(/expected pid to be a Pid .*got: /);
    }
    expect(() => table.unregister('x', 'pid' as unknown as Pid)).toThrow(/expected owner to be a Pid/);
    expect(() => SharedNameTable.create({ capacity: 0 })).toThrow(/expected capacity to be an integer from 1 to \d+, got: 0/);
    expect(() => SharedNameTable.create({ capacity: 2.5 })).toThrow(/expected capacity/);
    expect(() => SharedNameTable.create({ stallMs: -1 })).toThrow(/expected stallMs/);
    expect(() => SharedNameTable.open(new ArrayBuffer(1024) as unknown as SharedArrayBuffer)).toThrow(
      /expected a SharedArrayBuffer from SharedNameTable.create, got: ArrayBuffer/,
    );
    expect(() => SharedNameTable.open(new SharedArrayBuffer(4096))).toThrow(/got: other memory of 4096 bytes/);
    expect(() => table.releaseDeadOwner(-1)).toThrow(/expected the threadId of another, dead thread/);
    expect(table.size).toBe(0);
  });

  it('names - table_full at three quarters of the slots, and room again after a free', () => {
    const table = SharedNameTable.create({ capacity: 8 });
    expect(table.maxNames).toBe(6);
    for (let i = 0; i < 6; i++) expect(table.register(`n${i}`, pid(i))).toBe('ok');
    expect(table.register('n6', pid(6))).toBe('table_full');
    expect(table.register('n0', pid(6))).toBe('name_taken'); // taken is reported before full
    expect(table.unregister('n3')).toBe(true);
    expect(table.register('n6', pid(6))).toBe('ok');
    for (const i of [0, 1, 2, 4, 5, 6]) expect(table.whereis(`n${i}`)).toEqual(pid(i));

    const one = SharedNameTable.create({ capacity: 1 });
    expect(one.maxNames).toBe(1);
    expect(one.register('only', pid(1))).toBe('ok');
    expect(one.register('other', pid(2))).toBe('table_full');
    expect(one.whereis('other')).toBeUndefined();
    expect(one.unregister('only')).toBe(true);
    expect(one.register('other', pid(2))).toBe('ok');
  });

  it('names - freed slots are reused: 10,000 names through a table of 8 slots, no tombstones left', () => {
    const table = SharedNameTable.create({ capacity: 8 });
    const words = new Int32Array(table.buffer);
    const live: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      if (live.length === table.maxNames) {
        // Free from the middle of the collision chains, not only the ends.
        const [victim] = live.splice(i % live.length, 1);
        expect(table.unregister(victim!)).toBe(true);
      }
      expect(table.register(`name-${i}`, pid(i))).toBe('ok');
      live.push(`name-${i}`);
    }
    for (const name of live) expect(table.whereis(name)).toEqual(pid(Number(name.slice(5))));
    expect(table.names().sort()).toEqual([...live].sort());
    const states = Array.from({ length: 8 }, (_, slot) => words[HEADER_WORDS + slot * SLOT_WORDS + STATE]);
    expect(states).not.toContain(STATE_TOMBSTONE);
  });

  it('names - a handle opened on the same buffer sees the same table', () => {
    const table = SharedNameTable.create({ capacity: 32 });
    const other = SharedNameTable.open(table.buffer);
    expect(other.capacity).toBe(32);
    table.register('shared', pid(5));
    expect(other.whereis('shared')).toEqual(pid(5));
    expect(other.unregister('shared')).toBe(true);
    expect(table.whereis('shared')).toBeUndefined();
  });
});

describe('SharedNameTable - model', () => {
  type Op =
    | { kind: 'register'; name: number; pid: number }
    | { kind: 'unregister'; name: number; owner: number | null }
    | { kind: 'unregisterPid'; pid: number }
    | { kind: 'whereis'; name: number }
    | { kind: 'nameOf'; pid: number };
  // A small pool so names collide, get taken, freed and reused; some are non-ASCII or long.
  const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'ñ', '名', '😀', 'x'.repeat(255), 'y'.repeat(254)];
  const PIDS = 8;
  const name = fc.integer({ min: 0, max: NAMES.length - 1 });
  const pidIndex = fc.integer({ min: 0, max: PIDS - 1 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('register' as const), name, pid: pidIndex }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('unregister' as const), name, owner: fc.option(pidIndex) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('unregisterPid' as const), pid: pidIndex }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('whereis' as const), name }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('nameOf' as const), pid: pidIndex }) },
  );
  // Serials above 2^32 on odd pids, to cover the high word.
  const pidOf = (i: number): Pid => new Pid(i % 2, i % 3, i % 2 === 1 ? 2 ** 33 + i : i);

  it('model - random register/unregister/unregisterPid/whereis agree with a Map', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 5, 8, 13), fc.array(op, { maxLength: 120 }), (capacity, ops) => {
        const table = SharedNameTable.create({ capacity });
        const model = new Map<string, number>(); // name -> pid index
        const modelNameOf = (p: number): string | undefined => [...model].find(([, q]) => q === p)?.[0];
        for (const o of ops) {
          switch (o.kind) {
            case 'register': {
              // The runtime's rule, checked by the caller: one name per pid.
              if (table.nameOf(pidOf(o.pid)) !== undefined) break;
              const key = NAMES[o.name]!;
              const expected = model.has(key) ? 'name_taken' : model.size >= table.maxNames ? 'table_full' : 'ok';
              expect(table.register(key, pidOf(o.pid))).toBe(expected);
              if (expected === 'ok') model.set(key, o.pid);
              break;
            }
            case 'unregister': {
              const key = NAMES[o.name]!;
              const holder = model.get(key);
              const expected = holder !== undefined && (o.owner === null || o.owner === holder);
              expect(table.unregister(key, o.owner === null ? undefined : pidOf(o.owner))).toBe(expected);
              if (expected) model.delete(key);
              break;
            }
            case 'unregisterPid': {
              const expected = modelNameOf(o.pid);
              expect(table.unregisterPid(pidOf(o.pid))).toBe(expected);
              if (expected !== undefined) model.delete(expected);
              break;
            }
            case 'whereis': {
              const holder = model.get(NAMES[o.name]!);
              expect(table.whereis(NAMES[o.name]!)).toEqual(holder === undefined ? undefined : pidOf(holder));
              break;
            }
            case 'nameOf':
              expect(table.nameOf(pidOf(o.pid))).toBe(modelNameOf(o.pid));
          }
          expect(table.size).toBe(model.size);
        }
        expect(table.names().sort()).toEqual([...model.keys()].sort());
        for (const key of NAMES) {
          const holder = model.get(key);
          expect(table.whereis(key)).toEqual(holder === undefined ? undefined : pidOf(holder));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('SharedNameTable - repair after a writer died holding the lock', () => {
  /** A thread id no live thread has: the "dead" writer. */
  const DEAD = 999_999;
  const slotWord = (slot: number, word: number): number => HEADER_WORDS + slot * SLOT_WORDS + word;

  /** Marks the lock as held by DEAD in the middle of a write section. */
  function dieHoldingLock(words: Int32Array): void {
    words[LOCK] = DEAD + 1;
    if ((words[SEQ]! & 1) === 0) words[SEQ]!++;
  }

  it('repair - a stalled lock throws NameTableStalledError; releaseDeadOwner fixes COUNT and frees it', () => {
    const table = SharedNameTable.create({ capacity: 16, stallMs: 50 });
    const words = new Int32Array(table.buffer);
    table.register('a', pid(1));
    table.register('b', pid(2));
    dieHoldingLock(words);
    words[COUNT] = 3; // one too high, as when a writer dies between unpublishing a name and counting down
    const error = (() => {
      try {
        table.register('c', pid(3));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(NameTableStalledError);
    expect((error as NameTableStalledError).holderThreadId).toBe(DEAD);
    expect(() => table.whereis('a')).toThrow(NameTableStalledError); // SEQ stays odd: readers cannot validate
    expect(table.releaseDeadOwner(DEAD + 1)).toBe(false); // not the holder: nothing happens
    expect(table.releaseDeadOwner(DEAD)).toBe(true);
    expect(table.releaseDeadOwner(DEAD)).toBe(false);
    expect(words[SEQ]! & 1).toBe(0);
    expect(table.size).toBe(2);
    expect(table.register('c', pid(3))).toBe('ok');
    expect(table.names().sort()).toEqual(['a', 'b', 'c']);
  });

  it('repair - a half-done move (a name twice) and a left tombstone are cleaned up', () => {
    // Find a name that collided, so that it sits after its home slot.
    const table = SharedNameTable.create({ capacity: 8 });
    const words = new Int32Array(table.buffer);
    let displaced = -1;
    for (let i = 0; i < table.maxNames && displaced < 0; i++) {
      table.register(`k${i}`, pid(i));
      for (let slot = 0; slot < 8; slot++) {
        const home = (words[slotWord(slot, HASH)]! >>> 0) % 8;
        if (words[slotWord(slot, STATE)] === STATE_FULL && home !== slot) displaced = slot;
      }
    }
    expect(displaced).toBeGreaterThanOrEqual(0); // deterministic for these names
    const home = (words[slotWord(displaced, HASH)]! >>> 0) % 8;
    const before = table.names();
    const moved = before.find((n) => slotOf(n) === displaced)!;
    const victim = before.find((n) => slotOf(n) === home)!;
    // A writer removing `victim` died after copying `moved` into the hole, before retiring
    // the original: `moved` is in the table twice, COUNT not yet lowered.
    dieHoldingLock(words);
    for (let w = HASH; w < SLOT_WORDS; w++) words[slotWord(home, w)] = words[slotWord(displaced, w)]!;
    words[slotWord(home, STATE)] = STATE_FULL;
    expect(table.releaseDeadOwner(DEAD)).toBe(true);
    const expected = before.filter((n) => n !== victim).sort();
    expect(table.names().sort()).toEqual(expected);
    expect(table.size).toBe(expected.length);
    expect(table.unregister(moved)).toBe(true);
    expect(table.whereis(moved)).toBeUndefined(); // the second copy is gone too

    // A writer died right after unpublishing a name: a tombstone, COUNT one too high.
    const left = table.names();
    const gone = left[0]!;
    const goneSlot = slotOf(gone);
    dieHoldingLock(words);
    words[slotWord(goneSlot, STATE)] = STATE_TOMBSTONE;
    expect(table.releaseDeadOwner(DEAD)).toBe(true);
    expect(table.names().sort()).toEqual(left.slice(1).sort());
    expect(table.size).toBe(left.length - 1);
    for (let slot = 0; slot < 8; slot++) expect(words[slotWord(slot, STATE)]).not.toBe(STATE_TOMBSTONE);

    function slotOf(name: string): number {
      for (let slot = 0; slot < 8; slot++) {
        if (words[slotWord(slot, STATE)] !== STATE_FULL) continue;
        const bytes = new Uint8Array(table.buffer, slotWord(slot, 8) * 4, words[slotWord(slot, 2)]);
        if (Buffer.from(bytes).toString() === name) return slot;
      }
      return -1;
    }
  });
});

describe('SharedNameTable - threads', () => {
  const bootstrap = new URL('../fixtures/shared-names-bootstrap.mjs', import.meta.url);
  const workerModule = new URL('../fixtures/shared-names-worker.ts', import.meta.url).href;
  const started: Worker[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((worker) => worker.terminate()));
  });

  /** Starts a worker and waits (with a deadline) until it is ready for requests. */
  async function startWorker(): Promise<Worker> {
    const worker = new Worker(bootstrap, { execArgv: ['--conditions=source'], workerData: { module: workerModule } });
    started.push(worker);
    expect(await nextMessage(worker, 20_000)).toBe('ready');
    return worker;
  }

  function request<T>(worker: Worker, message: Request, ms = 20_000): Promise<T> {
    const answer = nextMessage(worker, ms);
    worker.postMessage(message);
    return answer as Promise<T>;
  }


  const ownerOf = (found: Pid | undefined): Owner => (found === undefined ? null : [found.node, found.scheduler, found.serial]);

  it('threads - 3 workers and the main thread race for 200 names: one owner each, all threads agree', async () => {
    const workers = await Promise.all([1, 2, 3].map(() => startWorker()));
    const names = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? `rennen-${i}-ü` : `race-${i}`));
    for (let round = 0; round < 3; round++) {
      const table = SharedNameTable.create({ capacity: 512 });
      const go = new SharedArrayBuffer(8);
      const flags = new Int32Array(go);
      const answers = workers.map((worker, w) =>
        request<string[]>(worker, { op: 'race', buffer: table.buffer, go, names, scheduler: w + 1 }),
      );
      // Wait until every worker spins on the go flag, then start everyone at once.
      const deadline = performance.now() + 20_000;
      while (Atomics.load(flags, 1) < workers.length) {
        if (performance.now() > deadline) throw new Error('race: workers not at the start line within 20 s');
        await new Promise((resolve) => setImmediate(resolve));
      }
      Atomics.store(flags, 0, 1); // workers spin on this word (no notify needed)
      const mine = names.map((name, i) => table.register(name, new Pid(0, 0, SERIAL_BASE + i)));
      const results = [mine, ...(await Promise.all(answers))];

      const expectedOwners: Owner[] = names.map((_, i) => {
        const winners = results.flatMap((r, scheduler) => (r[i] === 'ok' ? [scheduler] : []));
        expect(winners, `name ${names[i]}`).toHaveLength(1);
        for (const r of results) expect(['ok', 'name_taken']).toContain(r[i]);
        return [0, winners[0]!, SERIAL_BASE + i];
      });
      expect(names.map((name) => ownerOf(table.whereis(name)))).toEqual(expectedOwners);
      const seen = await Promise.all(
        workers.map((worker) => request<Owner[]>(worker, { op: 'whereis', buffer: table.buffer, names })),
      );
      for (const owners of seen) expect(owners).toEqual(expectedOwners);
      expect(table.size).toBe(200);
      expect(table.names().sort()).toEqual([...names].sort());
    }
  });

  it('threads - concurrent register/unregister of distinct names, with readers checking every answer', async () => {
    const workers = await Promise.all([1, 2, 3].map(() => startWorker()));
    const count = 60;
    const rounds = 150;
    // 4 threads x 60 names in 512 slots (at most 384 names): long collision chains, many moves.
    const table = SharedNameTable.create({ capacity: 512 });
    let pending = workers.length;
    const answers = workers.map((worker, w) =>
      request<string[]>(worker, { op: 'stress', buffer: table.buffer, scheduler: w + 1, count, rounds }, 60_000).finally(
        () => pending--,
      ),
    );

    // Meanwhile this thread churns its own names and checks every whereis of the workers'
    // names: a name is either free or held by its own pid, never a torn mix.
    const errors: string[] = [];
    const deadline = performance.now() + 60_000;
    let reads = 0;
    for (let op = 0; pending > 0; op++) {
      if (performance.now() > deadline) throw new Error(`stress: workers not done within 60 s (${reads} reads)`);
      const scheduler = 1 + (op % 3);
      const k = (op * 7) % count;
      const found = table.whereis(stressName(scheduler, k));
      reads++;
      if (found !== undefined && (found.node !== 0 || found.scheduler !== scheduler || found.serial % 2 ** 32 !== k)) {
        errors.push(`whereis ${stressName(scheduler, k)}: ${String(found)}`);
      }
      const mineName = `main-${op % 40}`;
      const minePid = new Pid(0, 0, op);
      if (table.register(mineName, minePid) !== 'ok') errors.push(`main register ${mineName} failed`);
      if (!table.unregister(mineName, minePid)) errors.push(`main unregister ${mineName} failed`);
      if (op % 200 === 0) await new Promise((resolve) => setImmediate(resolve)); // let worker answers arrive
    }
    expect(errors.slice(0, 5)).toEqual([]);
    for (const workerErrors of await Promise.all(answers)) expect(workerErrors).toEqual([]);

    // Final state: each worker left its even names, held by its last-round pids.
    const expected = new Map<string, Owner>();
    for (const scheduler of [1, 2, 3]) {
      for (let k = 0; k < count; k += 2) {
        const p = stressPid(scheduler, rounds, k);
        expected.set(stressName(scheduler, k), [p.node, p.scheduler, p.serial]);
      }
    }
    const names = [...expected.keys()];
    expect(table.names().sort()).toEqual([...names].sort());
    expect(table.size).toBe(names.length);
    expect(names.map((name) => ownerOf(table.whereis(name)))).toEqual([...expected.values()]);
    const seen = await Promise.all(workers.map((worker) => request<Owner[]>(worker, { op: 'whereis', buffer: table.buffer, names })));
    for (const owners of seen) expect(owners).toEqual([...expected.values()]);
  }, 120_000);

  it('threads - a worker that dies holding the lock: others get NameTableStalledError, releaseDeadOwner recovers', async () => {
    const worker = await startWorker();
    const deadThreadId = worker.threadId; // -1 once it has exited
    const table = SharedNameTable.create({ capacity: 64, stallMs: 100 });
    table.register('alive', pid(1));
    expect(await request(worker, { op: 'hold-lock', buffer: table.buffer, scheduler: 5 })).toBe('locked');
    await worker.terminate();
    expect(() => table.register('next', pid(2))).toThrow(NameTableStalledError);
    expect(table.releaseDeadOwner(deadThreadId)).toBe(true);
    expect(table.register('next', pid(2))).toBe('ok');
    expect(table.whereis('held-by-dead')).toEqual(new Pid(0, 5, SERIAL_BASE));
    expect(table.unregisterScheduler(0, 5)).toEqual(['held-by-dead']); // its actors are scheduler_down
    expect(table.names().sort()).toEqual(['alive', 'next']);
    expect(table.size).toBe(2);
  });

  it('threads - workers terminated in the middle of register/unregister leave a table that repairs', async () => {
    const table = SharedNameTable.create({ capacity: 128 });
    let heldAtDeath = 0;
    for (let attempt = 0; attempt < 6; attempt++) {
      const worker = await startWorker();
      const deadThreadId = worker.threadId;
      const scheduler = 10 + attempt;
      worker.postMessage({ op: 'churn', buffer: table.buffer, scheduler } satisfies Request);
      expect(await nextMessage(worker, 20_000)).toBe('churning');
      await worker.terminate(); // wherever it is: often inside the lock
      if (table.releaseDeadOwner(deadThreadId)) heldAtDeath++;
      // Consistent whatever the moment of death: every listed name is found, held by that
      // worker, the count is right, and the table still works.
      const names = table.names();
      expect(new Set(names).size).toBe(names.length);
      expect(table.size).toBe(names.length);
      for (const name of names) {
        const found = table.whereis(name)!;
        expect(found, name).toBeDefined();
        expect(name).toBe(`churn-${found.scheduler}-${(found.serial - SERIAL_BASE) % 50}`); // op's pid, op's name
        expect(table.nameOf(found)).toBe(name);
      }
      const freed = table.unregisterScheduler(0, scheduler).sort();
      expect(freed).toEqual(names.filter((name) => name.startsWith(`churn-${scheduler}-`)).sort());
      expect(table.size).toBe(0);
      expect(table.register(`after-${attempt}`, pid(attempt))).toBe('ok');
      expect(table.unregister(`after-${attempt}`)).toBe(true);
    }
    // How often the lock was held at the moment of death is luck, not a contract.
    console.info(`shared-names: ${heldAtDeath} of 6 terminated workers died holding the lock`);
  }, 120_000);
});
