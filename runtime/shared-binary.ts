/**
 * Shared binaries (SPEC.md §1 "Shared binaries"): immutable bytes stored once in the system's
 * shared heap (binary-heap.ts) and passed between actors on any thread as handles, Erlang's
 * reference-counted binaries. A `SharedBinary` is one handle: it holds one reference, taken
 * when it was made and dropped by `release()`, by garbage collection of the handle, or when the
 * actor that received it exits.
 *
 *   SharedBinary.from(bytes) / alloc(n) ──▶ heap.alloc: a block, one reference (this thread)
 *   send, same thread ──codec.copy──▶ a new handle, one more reference (the same bytes)
 *   send, other thread ──codec.toWire──▶ a reference in flight ──fromWire──▶ adopted by a handle there
 *   release() | GC of the handle (FinalizationRegistry) | exit of the actor holding it ──▶ one fewer
 *
 * Immutability is a contract: `writable` gives the bytes to fill only until the binary is sealed
 * (`seal()`, or its first send or copy); `bytes` is a Uint8Array over the shared memory that
 * nobody may write to. Typed arrays cannot be frozen, so a write through `bytes` (or an old
 * `writable` view) is not stopped: every holder would see it.
 */
import { BinaryHeap, type SharedMemoryInfo } from './binary-heap.js';
import { NoBinaryHeapError, ReleasedBinaryError, SealedBinaryError } from './binary-errors.js';

/** The heap of one actor system as opened on this thread, and its promotion threshold. */
export interface ThreadHeap {
  readonly heap: BinaryHeap;
  /** Plain Uint8Arrays of this many bytes or more cross threads through the heap. */
  readonly threshold: number;
}

// ── this thread's heaps ─────────────────────────────────────────────────────────

/** Heaps open on this thread, by heap id (a worker has one; the main thread one per system). */
const heaps = new Map<number, ThreadHeap>();
/** The heap new binaries go to: the system started last on this thread (still running). */
let current: ThreadHeap | null = null;

/** Makes `th` this thread's heap for new binaries (a system started). */
export function addThreadHeap(th: ThreadHeap): void {
  heaps.set(th.heap.id, th);
  current = th;
}

/** Forgets `th` (its system stopped). Binaries made in it stay readable until released. */
export function removeThreadHeap(th: ThreadHeap): void {
  heaps.delete(th.heap.id);
  if (current === th) current = [...heaps.values()].pop() ?? null;
}

/** The heap open on this thread with id `id`. */
export function heapById(id: number): ThreadHeap | undefined {
  return heaps.get(id);
}

/** The heap new binaries go to, or null if no system runs on this thread. */
export function currentHeap(): ThreadHeap | null {
  return current;
}

/** Heaps open on this thread. */
export function openHeapCount(): number {
  return heaps.size;
}

function requireHeap(what: string): BinaryHeap {
  if (current === null) {
    throw new NoBinaryHeapError(`${what}: no actor system is running on this thread (start() one first)`);
  }
  return current.heap;
}

/**
 * What the shared heap of the system on this thread holds now (the system started last, on
 * the main thread). Throws NoBinaryHeapError if none runs here.
 */
export function sharedMemoryInfo(): SharedMemoryInfo {
  return requireHeap('sharedMemoryInfo').info();
}

// ── garbage collection ──────────────────────────────────────────────────────────

/** What the finalizer needs to drop a collected handle's reference (never the handle itself). */
interface Held {
  heap: BinaryHeap;
  block: number;
  serial: number;
}

// A handle collected without release() drops its reference here. Unregistered by release().
const finalizer = new FinalizationRegistry<Held>((held) => held.heap.release(held.block, held.serial));

/**
 * A view handed out keeps its handle alive (an ephemeron: the entry lives while the view does),
 * so the block is not freed under a view that is still used after the handle was dropped.
 * Views derived from it (subarray, DataView) do not: keep the SharedBinary.
 */
const viewOwners = new WeakMap<Uint8Array, SharedBinary>();

// ── the handle ──────────────────────────────────────────────────────────────────

const CREATE: unique symbol = Symbol('SharedBinary.create');

// Assigned by SharedBinary's static block: the codec and the runtime reach private state
// through these (runtime/binary-codec.ts), users cannot.
var shareHandle: (b: SharedBinary) => SharedBinary;
var handleWire: (b: SharedBinary) => [heapId: number, block: number, serial: number, length: number];
var adoptHandle: (heap: BinaryHeap, block: number, serial: number, length: number) => SharedBinary;
var claimHandle: (b: SharedBinary, holder: object) => boolean;

export class SharedBinary {
  readonly #heap: BinaryHeap;
  readonly #block: number;
  readonly #serial: number;
  readonly #length: number;
  #view: Uint8Array | null = null;
  #sealed: boolean;
  #released = false;
  /** The actor (Process) that received it; it is released when that actor exits. */
  #holder: object | null = null;

  /** Not for users: make one with `SharedBinary.from` or `SharedBinary.alloc`. */
  constructor(key: typeof CREATE, heap: BinaryHeap, block: number, serial: number, length: number, sealed: boolean) {
    if (key !== CREATE) throw new TypeError('expected SharedBinary.from(bytes) or SharedBinary.alloc(length), got: new SharedBinary()');
    this.#heap = heap;
    this.#block = block;
    this.#serial = serial;
    this.#length = length;
    this.#sealed = sealed;
    finalizer.register(this, { heap, block, serial }, this);
  }

  /**
   * A sealed binary holding a copy of `source` (its bytes: a typed array's or DataView's view,
   * or a whole ArrayBuffer / SharedArrayBuffer), in the shared heap of the system running on
   * this thread. Throws SharedMemoryLimitError if the heap is full, NoBinaryHeapError if no
   * system runs here.
   */
  static from(source: ArrayBufferView | ArrayBuffer | SharedArrayBuffer): SharedBinary {
    const bytes = bytesOf(source);
    const b = SharedBinary.#make(requireHeap('SharedBinary.from'), bytes.length, true);
    b.#viewNow().set(bytes);
    return b;
  }

  /**
   * A binary of `length` zero bytes to fill in place (no copy): with `fill`, it is called with
   * the writable bytes and the binary comes back sealed; without, write through `writable`
   * until `seal()` or the first send. Throws like `from`; if `fill` throws, the binary is
   * released and the error passes through.
   */
  static alloc(length: number, fill?: (writable: Uint8Array) => void): SharedBinary {
    if (fill !== undefined && typeof fill !== 'function') {
      throw new TypeError(`SharedBinary.alloc: expected a fill function, got: ${typeof fill}`);
    }
    const b = SharedBinary.#make(requireHeap('SharedBinary.alloc'), length, false);
    const view = b.#viewNow();
    view.fill(0); // the block may hold an earlier binary's bytes
    if (fill !== undefined) {
      try {
        fill(view);
      } catch (e) {
        b.release();
        throw e;
      }
      b.#sealed = true;
    }
    return b;
  }

  /** True for a SharedBinary (of any heap, released or not). */
  static isSharedBinary(value: unknown): value is SharedBinary {
    return typeof value === 'object' && value !== null && #heap in value;
  }

  static #make(heap: BinaryHeap, length: number, sealed: boolean): SharedBinary {
    if (!Number.isInteger(length) || length < 0) {
      throw new TypeError(`SharedBinary: expected a length of 0 or more bytes, got: ${String(length)}`);
    }
    const block = heap.alloc(length);
    return new SharedBinary(CREATE, heap, block, heap.serialOf(block), length, sealed);
  }

  /** Number of bytes. */
  get byteLength(): number {
    return this.#length;
  }

  /**
   * The bytes, as a Uint8Array over the shared memory (`buffer` is a SharedArrayBuffer), the
   * same memory every holder on every thread sees. Read only, by contract. Throws
   * ReleasedBinaryError once released. A view handed out keeps this handle alive; views made
   * from it (subarray, DataView) do not, and must not outlive the handle.
   */
  get bytes(): Uint8Array {
    this.#checkLive('read');
    return this.#viewNow();
  }

  /** The bytes to write, before the binary is sealed; throws SealedBinaryError after. */
  get writable(): Uint8Array {
    this.#checkLive('write');
    if (this.#sealed) {
      throw new SealedBinaryError('SharedBinary: it is sealed (it was sent, copied or seal()ed); its bytes can no longer be written');
    }
    return this.#viewNow();
  }

  /** True once the bytes are final: after `seal()`, `from`, `alloc` with a fill, or a send. */
  get sealed(): boolean {
    return this.#sealed;
  }

  /** Makes the bytes final (no more `writable`). Returns the binary. */
  seal(): this {
    this.#checkLive('seal');
    this.#sealed = true;
    return this;
  }

  /** True once this handle has dropped its reference. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Drops this handle's reference; the memory returns to the heap when no handle on any thread,
   * and no message in flight, refers to it. Other handles (the copies receivers got) are not
   * affected. Idempotent: false if it was already released.
   */
  release(): boolean {
    if (this.#released) return false;
    this.#released = true;
    this.#view = null;
    finalizer.unregister(this);
    this.#heap.release(this.#block, this.#serial);
    return true;
  }

  toString(): string {
    return `SharedBinary(${this.#length} bytes${this.#released ? ', released' : ''})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #checkLive(what: string): void {
    if (this.#released) throw new ReleasedBinaryError(`SharedBinary: cannot ${what} a released binary (${this.#length} bytes)`);
  }

  #viewNow(): Uint8Array {
    let view = this.#view;
    if (view === null) {
      view = this.#view = new Uint8Array(this.#heap.buffer, this.#heap.payloadOffset(this.#block), this.#length);
      viewOwners.set(view, this);
    }
    return view;
  }

  static {
    shareHandle = (b) => {
      b.#checkLive('send');
      b.#sealed = true;
      b.#heap.acquire(b.#block);
      binaryEpoch.created++;
      return new SharedBinary(CREATE, b.#heap, b.#block, b.#serial, b.#length, true);
    };
    handleWire = (b) => {
      b.#checkLive('send');
      b.#sealed = true;
      b.#heap.acquireInFlight(b.#block);
      return [b.#heap.id, b.#block, b.#serial, b.#length];
    };
    adoptHandle = (heap, block, serial, length) => {
      heap.adopt(block);
      binaryEpoch.created++;
      return new SharedBinary(CREATE, heap, block, serial, length, true);
    };
    claimHandle = (b, holder) => {
      if (b.#holder !== null || b.#released) return false;
      b.#holder = holder;
      return true;
    };
  }
}

/** A new handle to the same bytes (one more reference); seals `b`. Throws if `b` was released. */
export function share(b: SharedBinary): SharedBinary {
  return shareHandle(b);
}

/** Puts one reference of `b` in flight and returns what identifies it; seals `b`. */
export function wireOf(b: SharedBinary): [heapId: number, block: number, serial: number, length: number] {
  return handleWire(b);
}

/** A handle adopting a reference in flight (a decoded frame carried it here). */
export function adopt(heap: BinaryHeap, block: number, serial: number, length: number): SharedBinary {
  return adoptHandle(heap, block, serial, length);
}

function bytesOf(source: ArrayBufferView | ArrayBuffer | SharedArrayBuffer): Uint8Array {
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (source instanceof ArrayBuffer || source instanceof SharedArrayBuffer) return new Uint8Array(source);
  throw new TypeError(`SharedBinary.from: expected a typed array, DataView, ArrayBuffer or SharedArrayBuffer, got: ${describe(source)}`);
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return v === null ? 'null' : typeof v;
  return (v as object).constructor?.name ?? 'object';
}

// ── holders: binaries an actor received are released when it exits ──────────────

/**
 * Counts handles made by copies and decodes (`created`) against the last walk (`seen`), so the
 * runtime walks a delivered message for handles only when some were made since: messages
 * without binaries cost one comparison.
 */
export const binaryEpoch = { created: 0, seen: 0 };

/** Nodes a claim walk visits at most (a locally delivered exit reason may be large or cyclic). */
const CLAIM_BUDGET = 10_000;

/** Handles claimed by each holder, weakly: a dropped handle is still collected (and released). */
const holdings = new WeakMap<object, { refs: WeakRef<SharedBinary>[]; pruneAt: number }>();

/**
 * Makes `holder` (an actor) the holder of the unclaimed SharedBinary handles inside `value` (a
 * message delivered to it, or its spawn arguments). Handles nested deeper than a walk of
 * CLAIM_BUDGET nodes reaches are left to garbage collection.
 */
export function claimBinaries(holder: object, value: unknown): void {
  binaryEpoch.seen = binaryEpoch.created;
  if (typeof value !== 'object' || value === null) return;
  let budget = CLAIM_BUDGET;
  let entry: { refs: WeakRef<SharedBinary>[]; pruneAt: number } | undefined;
  const stack: unknown[] = [value];
  while (stack.length > 0 && budget-- > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (v instanceof SharedBinary) {
      if (!claimHandle(v, holder)) continue;
      entry ??= holdings.get(holder);
      if (entry === undefined) holdings.set(holder, (entry = { refs: [], pruneAt: 64 }));
      if (entry.refs.length >= entry.pruneAt) {
        entry.refs = entry.refs.filter((r) => r.deref()?.released === false);
        entry.pruneAt = Math.max(64, entry.refs.length * 2);
      }
      entry.refs.push(new WeakRef(v));
    } else if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'object' && x !== null) stack.push(x);
    } else if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
    } else if (v instanceof Set) {
      for (const x of v) stack.push(x);
    } else if (!ArrayBuffer.isView(v)) {
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null || v instanceof Error) {
        for (const key in v) {
          const x = (v as Record<string, unknown>)[key];
          if (typeof x === 'object' && x !== null) stack.push(x);
        }
        if (v instanceof Error && typeof v.cause === 'object') stack.push(v.cause);
      }
    }
  }
}

/** Releases every binary `holder` still holds (it exited). */
export function releaseBinariesOf(holder: object): void {
  const entry = holdings.get(holder);
  if (entry === undefined) return;
  holdings.delete(holder);
  for (const r of entry.refs) r.deref()?.release();
}
