/**
 * The cross-thread name registry (SPEC.md §1 "Names"): Erlang's `register/whereis/unregister`
 * over ONE SharedArrayBuffer that every scheduler thread opens, so a name registered on one
 * thread is visible to all of them the moment `register` returns.
 *
 * ```
 *  thread A (writer)                 shared memory                    thread B (reader)
 *  register / unregister ─┐   ┌───────────────────────────┐   ┌─ whereis / nameOf / names
 *    CAS LOCK 0 → me      ├──►│ LOCK  (one writer at once)│   │
 *    probe (no writes)    │   │ SEQ   (seqlock counter)   │◄──┤  s = SEQ      (retry if odd)
 *    SEQ += 1  (odd)      │   │ COUNT                     │   │  probe slots  (Atomics.load)
 *    write slot words     ├──►│ slots: open addressing,   │◄──┤  SEQ == s ?   use the result
 *    STATE = FULL / move  │   │ linear probing, Knuth's   │   │               : retry
 *    SEQ += 1  (even)     │   │ deletion (no tombstones)  │   │  after 32 failed tries: read
 *                         │   └───────────────────────────┘   │
 *    LOCK = 0, notify     ┘   (layout: shared-names-layout)   └─ under LOCK like a writer
 * ```
 *
 * Why it is correct:
 * - Every access to the shared words, reads included, is an Atomics operation, so the program
 *   has no data races and the JS memory model makes all of them one sequentially consistent
 *   order. The arguments below are in that order.
 * - Writers exclude each other with LOCK (compareExchange 0 → threadId + 1), so the check
 *   "name free?" and the insert are one atomic step: of threads racing for a name, one wins.
 * - A writer makes SEQ odd before its first slot store and even again after its last. A reader
 *   that loads the same even SEQ before and after its probe saw no writer store in between
 *   (each would have moved SEQ), and none was half-done when it started (SEQ was even), so
 *   what it read is a state the table really had. Garbage from a torn read is only looked at
 *   within bounds (lengths are clamped, loops bounded by the slot count) and then discarded.
 * - Readers never block writers and writers hold LOCK for microseconds; a reader retries at
 *   most 32 times, then takes LOCK itself, so it always finishes.
 * - Visibility: `register` returns after its stores; a message sent later travels through
 *   SharedArrayBuffer queues with Atomics, later in the same total order, so the receiving
 *   thread's `whereis` sees the name.
 *
 * Deletion moves later names of the probe chain back into the gap (Knuth's Algorithm R)
 * instead of leaving tombstones, so a table with name churn never silts up with tombstones
 * (which would make every miss scan the whole table).
 *
 * Crash tolerance: a worker can be terminated at any point, also while holding LOCK. Every
 * store sequence keeps the table answering correctly when cut short: slot words are written
 * before STATE publishes them, a moved name is published at its new place before the old one
 * is retired. What a dead writer can leave (a tombstone, a name twice with the same pid, COUNT
 * one off) is repaired by `releaseDeadOwner(threadId)`, which whoever replaces the thread calls.
 * A thread that waits longer than `stallMs` for LOCK throws NameTableStalledError instead of
 * hanging (the main thread must get back to its event loop to learn that the worker died).
 *
 * Waiting: lock holds are tiny, so a waiter spins with a doubling backoff; a worker then parks
 * in Atomics.wait on LOCK in 1 ms slices. The main thread never blocks in Atomics.wait (it
 * would stall its event loop and is refused in browsers); it keeps spinning.
 */
import { inspect } from 'node:util';
// The table is by nature the thread-shared part of the runtime: it needs this thread's id to
// mark LOCK, and whether it may block in Atomics.wait.
import { isMainThread, threadId } from 'node:worker_threads';
import { Pid } from './pid.js';
import {
  COUNT,
  HASH,
  HEADER_WORDS,
  KEY,
  KEY_WORDS,
  LAYOUT_VERSION,
  LENGTH,
  LOCK,
  MAGIC,
  MAGIC_VALUE,
  MAX_NAME_BYTES,
  MAX_NAMES,
  MAX_SLOTS,
  NODE,
  SCHEDULER,
  SEQ,
  SERIAL_HI,
  SERIAL_LO,
  SLOTS,
  SLOT_WORDS,
  STATE,
  STATE_EMPTY,
  STATE_FULL,
  STATE_TOMBSTONE,
  VERSION,
  WAITERS,
  DEFAULT_SLOTS,
  maxNamesFor,
  tableBytes,
} from './shared-names-layout.js';

/** Outcome of `register`; each failure is an expected result, not an exception. */
export type NameRegisterResult = 'ok' | 'name_taken' | 'table_full' | 'invalid_name';

export interface NameTableOptions {
  /** Longest wait for the table's lock before NameTableStalledError (default 2000 ms). */
  stallMs?: number;
}

export interface CreateNameTableOptions extends NameTableOptions {
  /** Number of slots (default 4096); at most three quarters of them hold names at once. */
  capacity?: number;
}

/**
 * The lock stayed taken for longer than `stallMs`: its holder most likely died inside a
 * write. Whoever replaces that thread calls `releaseDeadOwner(holderThreadId)`.
 */
export class NameTableStalledError extends Error {
  override name = 'NameTableStalledError';
  /** worker_threads `threadId` of the holder (0 = a main thread). */
  readonly holderThreadId: number;
  constructor(holderThreadId: number, waitedMs: number) {
    super(
      `shared name table: lock held by thread ${holderThreadId} for over ${waitedMs} ms ` +
        `(if that thread died, call releaseDeadOwner(${holderThreadId}))`,
    );
    this.holderThreadId = holderThreadId;
  }
}

/** Optimistic read attempts before a reader takes the lock instead. */
const OPTIMISTIC_TRIES = 32;
/** Longest busy-wait between two looks at LOCK (iterations). */
const MAX_SPIN = 1024;
const DEFAULT_STALL_MS = 2000;
/** This thread's mark in LOCK; threadIds are never reused within a process. */
const OWNER = threadId + 1;
const SERIAL_SPLIT = 2 ** 32;

/**
 * One thread's handle on the shared name table. Every thread builds its own with `open`;
 * handles are cheap and hold only per-thread scratch space.
 */
export class SharedNameTable {
  readonly #buffer: SharedArrayBuffer;
  readonly #m: Int32Array;
  readonly #slots: number;
  readonly #stallMs: number;
  /** Scratch for the name being looked up: UTF-8 bytes, then zero padding to a whole word. */
  readonly #scratch = new ArrayBuffer(KEY_WORDS * 4);
  readonly #bytes = new Uint8Array(this.#scratch);
  /** 255 bytes: encodeInto stops short (read < length) on a longer name. */
  readonly #encodeTarget = new Uint8Array(this.#scratch, 0, MAX_NAME_BYTES);
  readonly #words = new Int32Array(this.#scratch);
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();
  /** Hash of the name last encoded by #encode. */
  #hash = 0;

  private constructor(buffer: SharedArrayBuffer, stallMs: number) {
    this.#buffer = buffer;
    this.#m = new Int32Array(buffer);
    // Header line 0 is written once, before the buffer is handed to any other thread, so
    // plain reads of it (here and in maxNames) cannot race.
    this.#slots = this.#m[SLOTS]!;
    this.#stallMs = stallMs;
  }

  /** A new, empty table; share `table.buffer` with other threads and `open` it there. */
  static create(options: CreateNameTableOptions = {}): SharedNameTable {
    const slots = options.capacity ?? DEFAULT_SLOTS;
    if (!Number.isInteger(slots) || slots < 1 || slots > MAX_SLOTS) {
      throw new RangeError(`expected capacity to be an integer from 1 to ${MAX_SLOTS}, got: ${describe(slots)}`);
    }
    const buffer = new SharedArrayBuffer(tableBytes(slots));
    const m = new Int32Array(buffer);
    // Plain stores: nobody else can see the buffer until it is handed over (postMessage is
    // a happens-before edge to the receiving thread).
    m[MAGIC] = MAGIC_VALUE;
    m[VERSION] = LAYOUT_VERSION;
    m[SLOTS] = slots;
    m[MAX_NAMES] = maxNamesFor(slots);
    return new SharedNameTable(buffer, stallMsOf(options));
  }

  /** A handle on a table made by `create` (on any thread). */
  static open(buffer: SharedArrayBuffer, options: NameTableOptions = {}): SharedNameTable {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new TypeError(`expected a SharedArrayBuffer from SharedNameTable.create, got: ${describe(buffer)}`);
    }
    const m = buffer.byteLength >= HEADER_WORDS * 4 ? new Int32Array(buffer, 0, HEADER_WORDS) : undefined;
    if (m === undefined || m[MAGIC] !== MAGIC_VALUE || m[VERSION] !== LAYOUT_VERSION) {
      throw new TypeError(`expected a SharedArrayBuffer from SharedNameTable.create, got: other memory of ${buffer.byteLength} bytes`);
    }
    const slots = m[SLOTS]!;
    if (slots < 1 || slots > MAX_SLOTS || buffer.byteLength !== tableBytes(slots)) {
      throw new TypeError(`expected a name table of ${tableBytes(slots)} bytes, got: ${buffer.byteLength} bytes`);
    }
    return new SharedNameTable(buffer, stallMsOf(options));
  }

  /** The shared memory; pass it to other threads (postMessage, workerData) to `open` there. */
  get buffer(): SharedArrayBuffer {
    return this.#buffer;
  }

  /** Number of slots. */
  get capacity(): number {
    return this.#slots;
  }

  /** Most names held at once; `register` answers 'table_full' beyond it. */
  get maxNames(): number {
    return this.#m[MAX_NAMES]!;
  }

  /** Names registered right now (may be stale by the time the caller looks at it). */
  get size(): number {
    return Atomics.load(this.#m, COUNT); // a single word: any value it had is a true count
  }

  /**
   * Registers `name` for `pid`, atomically across threads. Names are 1..255 bytes of UTF-8
   * (well-formed strings); others give 'invalid_name'. It does not check that `pid` is alive
   * or holds no other name: that is the caller's (see `nameOf`).
   */
  register(name: string, pid: Pid): NameRegisterResult {
    const length = this.#encode(name);
    checkPid(pid, 'pid');
    if (length < 0) return 'invalid_name';
    const m = this.#m;
    this.#lock();
    try {
      // Probe under the lock (stable: only lock holders write): the name must be absent; the
      // insert goes to the EMPTY slot ending the chain, or to a tombstone a dead writer left.
      const slots = this.#slots;
      let slot = (this.#hash >>> 0) % slots;
      let free = -1;
      for (let n = 0; n < slots; n++) {
        const state = Atomics.load(m, slotBase(slot) + STATE); // under LOCK: sees the last writer's stores
        if (state === STATE_EMPTY) {
          if (free < 0) free = slot;
          break;
        }
        if (state === STATE_TOMBSTONE) {
          if (free < 0) free = slot;
        } else if (this.#keyAt(slot, length)) {
          return 'name_taken';
        }
        if (++slot === slots) slot = 0;
      }
      if (free < 0 || Atomics.load(m, COUNT) >= m[MAX_NAMES]!) return 'table_full'; // COUNT: only lock holders change it
      const base = slotBase(free);
      Atomics.add(m, SEQ, 1); // SEQ odd before the first slot store: optimistic readers will retry
      Atomics.store(m, base + HASH, this.#hash); // slot words first, STATE last: a writer that
      Atomics.store(m, base + LENGTH, length); //   dies in between leaves the slot invisible
      Atomics.store(m, base + NODE, pid.node | 0);
      Atomics.store(m, base + SCHEDULER, pid.scheduler | 0);
      Atomics.store(m, base + SERIAL_LO, pid.serial % SERIAL_SPLIT | 0);
      Atomics.store(m, base + SERIAL_HI, Math.floor(pid.serial / SERIAL_SPLIT) | 0);
      const words = (length + 3) >>> 2;
      for (let w = 0; w < words; w++) Atomics.store(m, base + KEY + w, this.#words[w]!); // key before publish
      Atomics.store(m, base + STATE, STATE_FULL); // publish: from here whereis finds it
      Atomics.add(m, COUNT, 1); // after publish: a crash in between is fixed by the recount
      Atomics.add(m, SEQ, 1); // SEQ even again after the last store: readers may now validate
      return 'ok';
    } finally {
      this.#unlock();
    }
  }

  /** The pid holding `name`, or undefined. Allocates only the returned Pid. */
  whereis(name: string): Pid | undefined {
    const length = this.#encode(name);
    if (length < 0) return undefined;
    const m = this.#m;
    for (let attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
      const seq = Atomics.load(m, SEQ); // SC load: every probe load below comes after it
      if ((seq & 1) !== 0) {
        this.#pause(attempt); // a writer is inside: its stores are not all done yet
        continue;
      }
      const slot = this.#find(length);
      let node = 0;
      let scheduler = 0;
      let lo = 0;
      let hi = 0;
      if (slot >= 0) {
        const base = slotBase(slot);
        node = Atomics.load(m, base + NODE); // validated by the SEQ re-check below
        scheduler = Atomics.load(m, base + SCHEDULER);
        lo = Atomics.load(m, base + SERIAL_LO);
        hi = Atomics.load(m, base + SERIAL_HI);
      }
      // Same even SEQ after the probe: no writer stored anything in between (SC order).
      if (Atomics.load(m, SEQ) === seq) return slot < 0 ? undefined : pidOf(node, scheduler, lo, hi);
    }
    this.#lock();
    try {
      const slot = this.#find(length);
      return slot < 0 ? undefined : this.#pidAt(slot);
    } finally {
      this.#unlock();
    }
  }

  /**
   * Frees `name`; with `owner`, only while `owner` holds it (what an exiting actor wants).
   * True when this call freed it.
   */
  unregister(name: string, owner?: Pid): boolean {
    const length = this.#encode(name);
    if (owner !== undefined) checkPid(owner, 'owner');
    if (length < 0) return false;
    this.#lock();
    try {
      const slot = this.#find(length);
      if (slot < 0 || (owner !== undefined && !this.#heldBy(slot, owner))) return false;
      this.#free(slot);
      return true;
    } finally {
      this.#unlock();
    }
  }

  /**
   * Frees the name `pid` holds, if any, and returns it. Scans every slot (O(capacity)): call
   * it when the name is not known; `unregister(name, pid)` is the fast form. If a pid holds
   * several names (the caller's rule forbids it), frees one of them.
   */
  unregisterPid(pid: Pid): string | undefined {
    checkPid(pid, 'pid');
    this.#lock();
    try {
      const slot = this.#slotOf(pid);
      if (slot < 0) return undefined;
      const name = this.#nameAt(slot);
      this.#free(slot);
      return name;
    } finally {
      this.#unlock();
    }
  }

  /**
   * Frees every name held by a pid of scheduler `scheduler` on node `node` (its thread died:
   * SPEC.md "scheduler_down") and returns them. O(capacity).
   */
  unregisterScheduler(node: number, scheduler: number): string[] {
    if (!isUint32(node) || !isUint32(scheduler)) {
      throw new TypeError(`expected node and scheduler to be integers 0..2^32-1, got: ${describe(node)}, ${describe(scheduler)}`);
    }
    const m = this.#m;
    const freed: string[] = [];
    this.#lock();
    try {
      // Collect first: freeing moves names between slots, so a scan that frees could skip one.
      for (let slot = 0; slot < this.#slots; slot++) {
        const base = slotBase(slot);
        if (
          Atomics.load(m, base + STATE) === STATE_FULL && // under LOCK: stable
          Atomics.load(m, base + NODE) === (node | 0) &&
          Atomics.load(m, base + SCHEDULER) === (scheduler | 0)
        ) {
          freed.push(this.#nameAt(slot));
        }
      }
      for (const name of freed) this.#free(this.#find(this.#encode(name)));
    } finally {
      this.#unlock();
    }
    return freed;
  }

  /** The name `pid` holds, or undefined. Scans every slot (O(capacity)). */
  nameOf(pid: Pid): string | undefined {
    checkPid(pid, 'pid');
    for (let attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
      const seq = Atomics.load(this.#m, SEQ); // SC load before the scan
      if ((seq & 1) !== 0) {
        this.#pause(attempt);
        continue;
      }
      const slot = this.#slotOf(pid);
      const length = slot < 0 ? 0 : this.#copyKey(slot);
      // Unchanged even SEQ: the slot and the copied key belong to one real state.
      if (Atomics.load(this.#m, SEQ) === seq) return slot < 0 ? undefined : this.#decode(length);
    }
    this.#lock();
    try {
      const slot = this.#slotOf(pid);
      return slot < 0 ? undefined : this.#nameAt(slot);
    } finally {
      this.#unlock();
    }
  }

  /** A snapshot of the registered names (one moment's state, in no particular order). */
  names(): string[] {
    // O(capacity) with a decode per name: under LOCK, so it cannot be starved by writers.
    const names: string[] = [];
    this.#lock();
    try {
      for (let slot = 0; slot < this.#slots; slot++) {
        // under LOCK: no writer is active, so each FULL slot is complete
        if (Atomics.load(this.#m, slotBase(slot) + STATE) === STATE_FULL) names.push(this.#nameAt(slot));
      }
    } finally {
      this.#unlock();
    }
    return names;
  }

  /**
   * Repairs the table after the thread with worker_threads id `deadThreadId` died holding its
   * lock, and releases the lock. False when that thread did not hold it (nothing to do).
   * Call it only for a thread that has exited: the table cannot tell dead from slow.
   */
  releaseDeadOwner(deadThreadId: number): boolean {
    if (!Number.isInteger(deadThreadId) || deadThreadId < 0 || deadThreadId === threadId) {
      throw new TypeError(`expected the threadId of another, dead thread, got: ${describe(deadThreadId)}`);
    }
    const m = this.#m;
    // CAS: take the lock over only if the dead thread still has it, so a live holder is never robbed.
    if (Atomics.compareExchange(m, LOCK, deadThreadId + 1, OWNER) !== deadThreadId + 1) return false;
    try {
      // If the dead writer left SEQ odd we stay inside its write section; else open our own,
      // so readers that overlap the recount retry either way.
      if ((Atomics.load(m, SEQ) & 1) === 0) Atomics.add(m, SEQ, 1); // odd before the first repair
      this.#repair();
      Atomics.add(m, SEQ, 1); // even: the repaired state is complete
    } finally {
      this.#unlock();
    }
    return true;
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * Undoes what a writer that died mid-way may have left (call under LOCK, SEQ odd): a name
   * twice (a move half done: the later copy goes), tombstones (closed like a free), and COUNT
   * one off (recounted). Every step is itself safe to die in; running it again finishes it.
   */
  #repair(): void {
    const m = this.#m;
    const slots = this.#slots;
    for (let slot = 0; slot < slots; slot++) {
      const base = slotBase(slot);
      if (Atomics.load(m, base + STATE) !== STATE_FULL) continue; // under LOCK: stable
      const length = this.#copyKey(slot);
      this.#hash = Atomics.load(m, base + HASH);
      // The copy nearer the name's home is the one lookups find; drop the other.
      if (this.#find(length) !== slot) Atomics.store(m, base + STATE, STATE_TOMBSTONE);
    }
    for (let slot = 0; slot < slots; slot++) {
      if (Atomics.load(m, slotBase(slot) + STATE) === STATE_TOMBSTONE) this.#closeHole(slot); // stable
    }
    let count = 0;
    for (let slot = 0; slot < slots; slot++) {
      if (Atomics.load(m, slotBase(slot) + STATE) === STATE_FULL) count++; // under LOCK: stable
    }
    Atomics.store(m, COUNT, count); // may have been one off if the writer died around a publish
  }

  /**
   * Encodes `name` into the scratch words (zero-padded) and sets #hash. Returns its length in
   * bytes, or -1 when no such name can be registered (empty, over 255 bytes, ill-formed).
   */
  #encode(name: string): number {
    if (typeof name !== 'string') throw new TypeError(`expected a name (a string), got: ${describe(name)}`);
    // Over 255 UTF-16 units is over 255 bytes; a lone surrogate would encode as U+FFFD and
    // collide with a real U+FFFD name.
    if (name.length === 0 || name.length > MAX_NAME_BYTES || !isWellFormed(name)) return -1;
    const { read, written } = this.#encoder.encodeInto(name, this.#encodeTarget);
    if (read < name.length) return -1;
    const end = (written + 3) & ~3;
    for (let i = written; i < end; i++) this.#bytes[i] = 0;
    // FNV-1a over the words, then murmur3's finalizer for avalanche.
    let h = 0x811c9dc5 ^ written;
    for (let w = 0; w < end >>> 2; w++) h = Math.imul(h ^ this.#words[w]!, 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    this.#hash = h ^ (h >>> 16);
    return written;
  }

  /**
   * The slot holding the encoded name, or -1. Safe to run without the lock: it only loads,
   * stays in bounds whatever it reads, and its caller validates the result with SEQ.
   */
  #find(length: number): number {
    const m = this.#m;
    const slots = this.#slots;
    let slot = (this.#hash >>> 0) % slots;
    for (let n = 0; n < slots; n++) {
      const state = Atomics.load(m, slotBase(slot) + STATE); // see #find's contract
      if (state === STATE_EMPTY) return -1;
      if (state === STATE_FULL && this.#keyAt(slot, length)) return slot;
      if (++slot === slots) slot = 0;
    }
    return -1;
  }

  /** True when `slot` holds the encoded name (its hash, length and key words). */
  #keyAt(slot: number, length: number): boolean {
    const m = this.#m;
    const base = slotBase(slot);
    // Loads only; a torn answer is caught by the caller's SEQ check (or cannot occur under LOCK).
    if (Atomics.load(m, base + HASH) !== this.#hash || Atomics.load(m, base + LENGTH) !== length) return false;
    const words = (length + 3) >>> 2;
    for (let w = 0; w < words; w++) {
      if (Atomics.load(m, base + KEY + w) !== this.#words[w]) return false;
    }
    return true;
  }

  /** The FULL slot whose pid equals `pid`, or -1 (a full scan). */
  #slotOf(pid: Pid): number {
    const m = this.#m;
    const node = pid.node | 0;
    const scheduler = pid.scheduler | 0;
    const lo = pid.serial % SERIAL_SPLIT | 0;
    const hi = Math.floor(pid.serial / SERIAL_SPLIT) | 0;
    for (let slot = 0; slot < this.#slots; slot++) {
      const base = slotBase(slot);
      // Loads only: validated by the caller's SEQ check, or stable under LOCK.
      if (
        Atomics.load(m, base + STATE) === STATE_FULL &&
        Atomics.load(m, base + SERIAL_LO) === lo &&
        Atomics.load(m, base + SERIAL_HI) === hi &&
        Atomics.load(m, base + SCHEDULER) === scheduler &&
        Atomics.load(m, base + NODE) === node
      ) {
        return slot;
      }
    }
    return -1;
  }

  #heldBy(slot: number, pid: Pid): boolean {
    return this.#pidAt(slot).equals(pid);
  }

  /** The pid in `slot` (call under LOCK). */
  #pidAt(slot: number): Pid {
    const m = this.#m;
    const base = slotBase(slot);
    return pidOf(
      Atomics.load(m, base + NODE), // under LOCK: stable
      Atomics.load(m, base + SCHEDULER),
      Atomics.load(m, base + SERIAL_LO),
      Atomics.load(m, base + SERIAL_HI),
    );
  }

  /** Copies the key of `slot` into the scratch words; returns its length (clamped to 255). */
  #copyKey(slot: number): number {
    const m = this.#m;
    const base = slotBase(slot);
    // Loads only; outside LOCK the length may be torn, so clamp it to stay in bounds.
    const length = Math.min(Math.max(Atomics.load(m, base + LENGTH), 0), MAX_NAME_BYTES);
    const words = (length + 3) >>> 2;
    for (let w = 0; w < words; w++) this.#words[w] = Atomics.load(m, base + KEY + w);
    return length;
  }

  #decode(length: number): string {
    return this.#decoder.decode(this.#bytes.subarray(0, length));
  }

  /** The name in `slot` (call under LOCK). */
  #nameAt(slot: number): string {
    return this.#decode(this.#copyKey(slot));
  }

  /**
   * Removes the name in FULL `slot` inside a SEQ write section (call under LOCK): it becomes a
   * tombstone, then #closeHole fills the gap, so tombstones never pile up.
   */
  #free(slot: number): void {
    const m = this.#m;
    Atomics.add(m, SEQ, 1); // odd before the first store: optimistic readers will retry
    Atomics.store(m, slotBase(slot) + STATE, STATE_TOMBSTONE); // unpublish: the name is gone
    Atomics.sub(m, COUNT, 1); // after the unpublish: a crash in between is fixed by the recount
    this.#closeHole(slot);
    Atomics.add(m, SEQ, 1); // even after the last store: readers may validate again
  }

  /**
   * Knuth's deletion for linear probing (Algorithm R): walks the chain after tombstone `hole`
   * and moves back each name whose probe path crosses the hole; the last hole becomes EMPTY.
   * Each move publishes the copy before it unpublishes the original, so a writer dying
   * mid-way leaves at worst one name twice (same pid; the earlier copy is the one found),
   * which releaseDeadOwner removes. Call under LOCK, inside a SEQ write section.
   */
  #closeHole(hole: number): void {
    const m = this.#m;
    const slots = this.#slots;
    let j = hole;
    for (let n = 1; n < slots; n++) {
      if (++j === slots) j = 0;
      const from = slotBase(j);
      const state = Atomics.load(m, from + STATE); // under LOCK: stable
      if (state === STATE_EMPTY) {
        Atomics.store(m, slotBase(hole) + STATE, STATE_EMPTY); // no path crosses the hole any more
        return;
      }
      if (state !== STATE_FULL) continue;
      const home = (Atomics.load(m, from + HASH) >>> 0) % slots; // under LOCK: stable
      // The hole is on this name's path (home .. j) when it is no further from j than home is.
      if ((j - hole + slots) % slots > (j - home + slots) % slots) continue;
      const to = slotBase(hole);
      const words = KEY + ((Atomics.load(m, from + LENGTH) + 3) >>> 2); // under LOCK: stable
      for (let w = HASH; w < words; w++) Atomics.store(m, to + w, Atomics.load(m, from + w)); // copy while invisible
      Atomics.store(m, to + STATE, STATE_FULL); // publish the copy first: the name is never missing
      Atomics.store(m, from + STATE, STATE_TOMBSTONE); // then retire the original: j is the new hole
      hole = j;
    }
    // No EMPTY slot (a table of one slot): the hole stays a tombstone, which register reuses.
  }

  /** Takes LOCK: CAS, then spin with doubling backoff, then (workers only) park; bounded by stallMs. */
  #lock(): void {
    // CAS 0 → OWNER: SC, so our later loads see every store of the previous holder.
    if (Atomics.compareExchange(this.#m, LOCK, 0, OWNER) !== 0) this.#lockSlow();
  }

  #lockSlow(): void {
    const m = this.#m;
    const deadline = performance.now() + this.#stallMs;
    let spin = 1;
    for (;;) {
      const holder = Atomics.load(m, LOCK); // who to wait for (and the value to park on)
      if (holder === 0) {
        if (Atomics.compareExchange(m, LOCK, 0, OWNER) === 0) return; // as in #lock
        continue;
      }
      if (holder === OWNER) throw new Error('shared name table: this thread already holds the lock (re-entered)');
      if (spin < MAX_SPIN || isMainThread) {
        for (let i = 0; i < spin; i++) {
          if (Atomics.load(m, LOCK) === 0) break; // just a hint; the CAS above decides
        }
        if (spin < MAX_SPIN) spin *= 2;
      } else {
        // Count ourselves before checking LOCK in wait: the releaser stores 0 and then reads
        // WAITERS, so either it sees us and notifies, or our wait sees 0 and returns at once.
        Atomics.add(m, WAITERS, 1);
        Atomics.wait(m, LOCK, holder, 1);
        Atomics.sub(m, WAITERS, 1); // no longer parked: releasers may skip the notify
      }
      if (performance.now() > deadline) throw new NameTableStalledError(holder - 1, this.#stallMs);
    }
  }

  #unlock(): void {
    Atomics.store(this.#m, LOCK, 0); // SC store: all our slot stores come before it
    // Read WAITERS after the store (see #lockSlow): notify only when someone may be parked.
    if (Atomics.load(this.#m, WAITERS) > 0) Atomics.notify(this.#m, LOCK, 1);
  }

  /** A short busy-wait while a writer is inside, longer with each failed attempt. */
  #pause(attempt: number): void {
    const spins = 1 << Math.min(attempt, 10);
    for (let i = 0; i < spins; i++) {
      if ((Atomics.load(this.#m, SEQ) & 1) === 0) return; // a hint; the caller re-reads SEQ
    }
  }
}

function slotBase(slot: number): number {
  return HEADER_WORDS + slot * SLOT_WORDS;
}

function pidOf(node: number, scheduler: number, lo: number, hi: number): Pid {
  return new Pid(node >>> 0, scheduler >>> 0, (hi >>> 0) * SERIAL_SPLIT + (lo >>> 0));
}

/** Misuse check: a Pid whose fields fit the layout (uint32 node and scheduler, serial < 2^53). */
function checkPid(pid: unknown, what: string): asserts pid is Pid {
  if (
    !(pid instanceof Pid) ||
    !isUint32(pid.node) ||
    !isUint32(pid.scheduler) ||
    !Number.isSafeInteger(pid.serial) ||
    pid.serial < 0
  ) {
    throw new TypeError(
      `expected ${what} to be a Pid (node and scheduler 0..2^32-1, serial 0..2^53-1), got: ${describe(pid)}`,
    );
  }
}

function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < SERIAL_SPLIT;
}

function stallMsOf(options: NameTableOptions): number {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  if (typeof stallMs !== 'number' || !(stallMs > 0)) {
    throw new RangeError(`expected stallMs to be a positive number of milliseconds, got: ${describe(stallMs)}`);
  }
  return stallMs;
}

/** `String.prototype.isWellFormed` (Node 20; not in TypeScript's ES2023 lib). */
function isWellFormed(name: string): boolean {
  return (name as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function describe(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity, maxStringLength: 80 });
}
