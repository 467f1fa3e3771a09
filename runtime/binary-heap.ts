/**
 * The allocator of shared binaries: blocks in one growable SharedArrayBuffer, shared by every
 * scheduler thread of a system, with reference counts in the blocks (layout: binary-heap-layout.ts).
 * It holds numbers only; the handles users see are in shared-binary.ts.
 *
 *   any thread                          the heap (SharedArrayBuffer)
 *   alloc(len) ──LOCK──▶ first fit over the block walk (merging free neighbours), else grow
 *                        END up to LIMIT, else SharedMemoryLimitError; split; publish SERIAL
 *   acquire / adopt / release ──────▶ Atomics on TOTAL and COUNTS[slot] (no lock)
 *   last release ───────────────────▶ compareExchange(SERIAL, serial, 0): the block is free
 *   main thread, a thread died ─LOCK─▶ dropSlot: TOTAL -= COUNTS[dead] in every block
 *
 * Reference protocol (why dropping a dead thread's references is safe):
 * - Every reference is in TOTAL. One held by a handle on slot s is also in COUNTS[s]; one in
 *   flight (inside a frame between threads) is in TOTAL only.
 * - TOTAL >= sum(COUNTS) at every instant: take adds TOTAL before COUNTS[s], release subtracts
 *   COUNTS[s] before TOTAL. A thread killed between the two steps leaves TOTAL one too high:
 *   the block leaks (safe), it is never freed under somebody's feet.
 * - Only a holder of a reference makes another (copy, send, adopt), so TOTAL never rises from 0.
 * - Whoever takes TOTAL to 0 frees the block; so does dropSlot for a block left at 0 by a thread
 *   that died before freeing it. The compareExchange on SERIAL lets exactly one of them win.
 */
import {
  B_COUNTS,
  B_LENGTH,
  B_SERIAL,
  B_SIZE,
  B_TOTAL,
  DROPPED,
  END,
  GRANULE,
  HEADER_GRANULES,
  HEAP_ID,
  LIMIT,
  LIVE,
  LOCK,
  MAGIC,
  MAGIC_VALUE,
  MAX_HEAP_BYTES,
  MAX_SLOTS,
  SERIAL,
  SLOTS,
  TRANSPORTED,
  USED,
  blockHeaderGranules,
} from './binary-heap-layout.js';
import { SharedMemoryBusyError, SharedMemoryLimitError } from './binary-errors.js';

/** Longest wait for the allocator lock before an allocation gives up (SharedMemoryBusyError). */
const LOCK_DEADLINE_MS = 1_000;
/** Spins before parking on the lock (its holders keep it for microseconds). */
const LOCK_SPINS = 64;
/** The heap grows in steps of at least this (growth only reserves; pages are touched on use). */
const GROW_STEP_GRANULES = (1024 * 1024) / GRANULE;
/** Largest payload: LENGTH is an Int32. */
export const MAX_BINARY_BYTES = 0x7fffffff;

/** What a heap holds now (all threads together). */
export interface SharedMemoryInfo {
  /** The most the heap may grow to (`sharedMemoryBytes`). */
  limitBytes: number;
  /** Bytes the heap spans now (it grows on demand; untouched pages cost no memory). */
  capacityBytes: number;
  /** Bytes in blocks of live binaries, headers included. */
  usedBytes: number;
  /** Live binaries (blocks in use), in flight or held. */
  liveBinaries: number;
  /** Plain Uint8Arrays sent across threads through the heap instead of the ring. */
  transported: number;
  /** References dropped because the scheduler thread holding them died. */
  droppedReferences: number;
}

/** The parts of a growable SharedArrayBuffer the ES2023 lib does not describe. */
interface Growable {
  readonly growable: boolean;
  readonly maxByteLength: number;
  grow(newLength: number): void;
}
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => SharedArrayBuffer;

export interface BinaryHeapOptions {
  /** Most bytes the heap may span (rounded down to 16; at most 4 GiB). */
  limitBytes: number;
  /** Threads that hold references: scheduler ids 0 .. slots - 1. */
  slots: number;
  /** Bytes reserved at once (default 1 MiB, or the limit if smaller). */
  initialBytes?: number;
}

export class BinaryHeap {
  readonly buffer: SharedArrayBuffer;
  /** Length-tracking views: they follow the buffer as any thread grows it. */
  private readonly words: Int32Array;
  readonly id: number;
  /** The slot (scheduler id) whose references this thread's handles hold. */
  readonly slot: number;
  readonly slots: number;
  /** Granules of a block header (payloads start this far into a block). */
  private readonly headerGranules: number;
  /** While the lock is held: start of the last block if it is free, else -1 (set by findFree). */
  private freeTail = -1;

  private constructor(buffer: SharedArrayBuffer, slot: number) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
    this.id = this.words[HEAP_ID]!;
    this.slots = this.words[SLOTS]!;
    this.slot = slot;
    this.headerGranules = blockHeaderGranules(this.slots);
  }

  /** Makes a heap (one free block) and opens it on this thread as slot 0. */
  static create(options: BinaryHeapOptions): BinaryHeap {
    const { limitBytes, slots } = options;
    if (!Number.isInteger(slots) || slots < 1 || slots > MAX_SLOTS) {
      throw new RangeError(`expected between 1 and ${MAX_SLOTS} slots, got: ${String(slots)}`);
    }
    const minBytes = (HEADER_GRANULES + blockHeaderGranules(slots) + 1) * GRANULE;
    if (typeof limitBytes !== 'number' || !(limitBytes >= minBytes) || limitBytes > MAX_HEAP_BYTES) {
      throw new RangeError(`expected sharedMemoryBytes from ${minBytes} to ${MAX_HEAP_BYTES}, got: ${String(limitBytes)}`);
    }
    const limit = Math.floor(limitBytes / GRANULE);
    const initial = Math.min(limit, Math.max(HEADER_GRANULES + blockHeaderGranules(slots) + 1, Math.ceil((options.initialBytes ?? 1024 * 1024) / GRANULE)));
    const buffer = new GrowableSharedArrayBuffer(initial * GRANULE, { maxByteLength: limit * GRANULE });
    const w = new Int32Array(buffer);
    w[HEAP_ID] = 1 + Math.floor(Math.random() * 0x7ffffffe);
    w[SLOTS] = slots;
    w[LIMIT] = limit;
    w[END] = initial;
    w[HEADER_GRANULES * 4 + B_SIZE] = initial - HEADER_GRANULES; // one free block (SERIAL 0)
    Atomics.store(w, MAGIC, MAGIC_VALUE); // last: `open` in another thread sees a whole header
    return new BinaryHeap(buffer, 0);
  }

  /** Opens a heap made by `create` (on another thread) for scheduler slot `slot`. */
  static open(buffer: SharedArrayBuffer, slot: number): BinaryHeap {
    if (!(buffer instanceof SharedArrayBuffer) || !(buffer as unknown as Growable).growable) {
      throw new TypeError(`expected the growable SharedArrayBuffer of BinaryHeap.create, got: ${Object.prototype.toString.call(buffer)}`);
    }
    const w = new Int32Array(buffer);
    if (Atomics.load(w, MAGIC) !== MAGIC_VALUE) throw new TypeError('expected the memory of a binary heap, got: other memory');
    if (!Number.isInteger(slot) || slot < 0 || slot >= w[SLOTS]!) {
      throw new RangeError(`expected a slot from 0 to ${w[SLOTS]! - 1}, got: ${String(slot)}`);
    }
    return new BinaryHeap(buffer, slot);
  }

  // ── blocks ──────────────────────────────────────────────────────────────────

  /**
   * A new block for `length` bytes holding one reference: this slot's, or (inFlight) one in
   * flight that the receiving thread adopts. The payload is not cleared. Throws
   * SharedMemoryLimitError if the heap cannot hold it within its limit (nothing changes then),
   * SharedMemoryBusyError if the lock stays taken (a stalled or dying thread).
   */
  alloc(length: number, inFlight = false): number {
    if (!Number.isInteger(length) || length < 0 || length > MAX_BINARY_BYTES) {
      throw new RangeError(`expected a binary length from 0 to ${MAX_BINARY_BYTES} bytes, got: ${String(length)}`);
    }
    const need = this.headerGranules + Math.ceil(length / GRANULE);
    this.lock();
    try {
      let g = this.findFree(need);
      if (g < 0) g = this.grow(need, length);
      this.take(g, need, length, inFlight);
      return g;
    } finally {
      this.unlock();
    }
  }

  /** Byte offset of a block's payload in `buffer`. */
  payloadOffset(block: number): number {
    return (block + this.headerGranules) * GRANULE;
  }

  /** The serial a live block was allocated with (0 if it is free). */
  serialOf(block: number): number {
    return Atomics.load(this.words, block * 4 + B_SERIAL);
  }

  /** Payload length of a live block. */
  lengthOf(block: number): number {
    return this.words[block * 4 + B_LENGTH]!;
  }

  /** True if `block` is inside the heap and still holds the allocation `serial`. */
  holds(block: number, serial: number): boolean {
    return (
      Number.isInteger(block) &&
      block >= HEADER_GRANULES &&
      block < Atomics.load(this.words, END) &&
      serial !== 0 &&
      this.serialOf(block) === serial
    );
  }

  /** One more reference for this slot; the caller holds one already. */
  acquire(block: number): void {
    const base = block * 4;
    Atomics.add(this.words, base + B_TOTAL, 1); // TOTAL first: TOTAL >= sum(COUNTS) throughout
    Atomics.add(this.words, base + B_COUNTS + this.slot, 1);
  }

  /** One more reference, in flight (carried by a frame); the caller holds one already. */
  acquireInFlight(block: number): void {
    Atomics.add(this.words, block * 4 + B_TOTAL, 1);
  }

  /** Turns a reference in flight into one of this slot (a frame carrying it was decoded here). */
  adopt(block: number): void {
    // TOTAL already counts it; only the attribution moves.
    Atomics.add(this.words, block * 4 + B_COUNTS + this.slot, 1);
  }

  /** Drops one reference of this slot; frees the block if it was the last. */
  release(block: number, serial: number): void {
    // COUNTS before TOTAL: dying in between leaks the block rather than freeing it early.
    Atomics.sub(this.words, block * 4 + B_COUNTS + this.slot, 1);
    this.dropTotal(block, serial, 1);
  }

  /** Drops one reference in flight (its frame was consumed without adopting it). */
  releaseInFlight(block: number, serial: number): void {
    this.dropTotal(block, serial, 1);
  }

  private dropTotal(block: number, serial: number, n: number): boolean {
    // sub returns the old value: n means this took TOTAL to 0, so this caller frees.
    return Atomics.sub(this.words, block * 4 + B_TOTAL, n) === n && this.free(block, serial);
  }

  /** Frees a block nobody references; false if someone else freed it first. */
  private free(block: number, serial: number): boolean {
    const w = this.words;
    const base = block * 4;
    const size = w[base + B_SIZE]!; // read while the block is ours: a used block never changes size
    // One compareExchange, no lock: exactly one freer wins, and a block reused since (another
    // serial) is left alone. The allocator merges it into its neighbours later, under the lock.
    if (Atomics.compareExchange(w, base + B_SERIAL, serial, 0) !== serial) return false;
    Atomics.sub(w, USED, size);
    Atomics.sub(w, LIVE, 1);
    return true;
  }

  /**
   * The scheduler thread of `slot` is dead (its 'exit' event has fired; its replacement has not
   * started): drop every reference it held, free what that leaves unreferenced (and blocks whose
   * last releaser died before freeing them). Returns the references dropped and blocks freed.
   * References it had put in flight stay: their frames are still decoded by its replacement.
   */
  dropSlot(slot: number): { references: number; freed: number } {
    const w = this.words;
    // It may have died holding the lock: every state it can leave is walkable (see alloc).
    Atomics.compareExchange(w, LOCK, slot + 1, 0);
    this.lock();
    let references = 0;
    let freed = 0;
    try {
      const end = Atomics.load(w, END);
      for (let g = HEADER_GRANULES; g < end; g += Math.max(1, w[g * 4 + B_SIZE]!)) {
        const base = g * 4;
        const serial = Atomics.load(w, base + B_SERIAL);
        if (serial === 0) continue;
        const held = Atomics.exchange(w, base + B_COUNTS + slot, 0);
        references += held;
        if (held > 0 ? this.dropTotal(g, serial, held) : Atomics.load(w, base + B_TOTAL) === 0 && this.free(g, serial)) freed++;
      }
      Atomics.add(w, DROPPED, references);
    } finally {
      this.unlock();
    }
    return { references, freed };
  }

  /** Counts a plain Uint8Array carried through the heap (statistics). */
  noteTransported(): void {
    Atomics.add(this.words, TRANSPORTED, 1);
  }

  info(): SharedMemoryInfo {
    const w = this.words;
    return {
      limitBytes: w[LIMIT]! * GRANULE,
      capacityBytes: Atomics.load(w, END) * GRANULE,
      usedBytes: Atomics.load(w, USED) * GRANULE,
      liveBinaries: Atomics.load(w, LIVE),
      transported: Atomics.load(w, TRANSPORTED),
      droppedReferences: Atomics.load(w, DROPPED),
    };
  }

  // ── under the lock ──────────────────────────────────────────────────────────

  /**
   * First fit: the first free block of at least `need` granules, merging each free block with
   * the free blocks after it on the way (one SIZE write per merge: the walk stays valid if this
   * thread dies between two). Sets `freeTail`. Returns -1 if none fits.
   */
  private findFree(need: number): number {
    const w = this.words;
    const end = w[END]!;
    this.freeTail = -1;
    let g = HEADER_GRANULES;
    while (g < end) {
      const base = g * 4;
      let size = w[base + B_SIZE]!;
      if (Atomics.load(w, base + B_SERIAL) === 0) {
        // A free block may claim more than END after a grow cut short by a thread's death.
        if (size <= 0 || g + size > end) size = w[base + B_SIZE] = end - g;
        let next = g + size;
        while (next < end && Atomics.load(w, next * 4 + B_SERIAL) === 0) {
          size += w[next * 4 + B_SIZE]!;
          if (g + size > end) size = end - g;
          w[base + B_SIZE] = size;
          next = g + size;
        }
        if (size >= need) return g;
        if (next >= end) this.freeTail = g;
      }
      g += size;
    }
    return -1;
  }

  /**
   * Grows the heap so a block of `need` granules fits at its end (extending a free last block,
   * or adding one), at least doubling it, within LIMIT. Returns that block.
   */
  private grow(need: number, length: number): number {
    const w = this.words;
    const end = w[END]!;
    const limit = w[LIMIT]!;
    const start = this.freeTail >= 0 ? this.freeTail : end;
    if (start + need > limit) {
      throw new SharedMemoryLimitError(length, limit * GRANULE, Atomics.load(w, USED) * GRANULE);
    }
    const stepped = Math.ceil(Math.max(start + need, end * 2, end + GROW_STEP_GRANULES) / GROW_STEP_GRANULES) * GROW_STEP_GRANULES;
    const newEnd = Math.min(limit, stepped);
    const growable = this.buffer as unknown as Growable;
    if (this.buffer.byteLength < newEnd * GRANULE) growable.grow(newEnd * GRANULE);
    // The block's header first, then END: a walk never meets an unwritten header.
    if (start === end) Atomics.store(w, start * 4 + B_SERIAL, 0);
    w[start * 4 + B_SIZE] = newEnd - start;
    Atomics.store(w, END, newEnd);
    return start;
  }

  /** Takes free block `g` for `need` granules, splitting off the rest, and publishes it. */
  private take(g: number, need: number, length: number, inFlight: boolean): void {
    const w = this.words;
    const base = g * 4;
    const size = w[base + B_SIZE]!;
    if (size - need > this.headerGranules) {
      // The rest's header before shrinking this block: the walk never sees a torn split.
      const rest = (g + need) * 4;
      Atomics.store(w, rest + B_SERIAL, 0);
      w[rest + B_SIZE] = size - need;
      w[base + B_SIZE] = need;
    }
    w[base + B_LENGTH] = length;
    w.fill(0, base + B_COUNTS, base + B_COUNTS + this.slots);
    if (!inFlight) w[base + B_COUNTS + this.slot] = 1;
    Atomics.store(w, base + B_TOTAL, 1);
    Atomics.add(w, USED, w[base + B_SIZE]!);
    Atomics.add(w, LIVE, 1);
    // Publish last: until SERIAL is set the block is free to every reader, whole or not.
    Atomics.store(w, base + B_SERIAL, this.nextSerial());
  }

  private nextSerial(): number {
    for (;;) {
      // add returns the old value; wrap within 31 bits, skipping 0 ("free").
      const s = (Atomics.add(this.words, SERIAL, 1) + 1) & 0x7fffffff;
      if (s !== 0) return s;
    }
  }

  private lock(): void {
    const w = this.words;
    const me = this.slot + 1;
    if (Atomics.compareExchange(w, LOCK, 0, me) === 0) return;
    const deadline = performance.now() + LOCK_DEADLINE_MS;
    for (let spins = 0; ; spins++) {
      const holder = Atomics.compareExchange(w, LOCK, 0, me);
      if (holder === 0) return;
      if (spins < LOCK_SPINS) continue;
      if (performance.now() > deadline) {
        throw new SharedMemoryBusyError(`the shared binary heap's lock is held by scheduler ${holder - 1} for more than ${LOCK_DEADLINE_MS} ms`);
      }
      // Park briefly: a holder never notifies a waiter that missed it for longer than 1 ms.
      Atomics.wait(w, LOCK, holder, 1);
    }
  }

  private unlock(): void {
    // The store publishes every header write made under the lock (Atomics are seq-cst).
    Atomics.store(this.words, LOCK, 0);
    Atomics.notify(this.words, LOCK, 1);
  }
}
