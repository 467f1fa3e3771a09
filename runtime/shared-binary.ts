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

/**
 * One handle's reference, apart from the handle: what its finalizer and its holder (the actor
 * that received it) need to drop it, without keeping the handle itself alive. Whichever of
 * release(), the holder's exit and the finalizer comes first drops it; the others see
 * `released`.
 */
interface Held {
  readonly heap: BinaryHeap;
  readonly block: number;
  readonly serial: number;
  released: boolean;
  /** An actor holds it (see claimBinaries). */
  claimed: boolean;
  /** Registered with the finalizer (see registerLater). */
  registered: boolean;
}

/** Drops the reference of `held` once; false if it was already dropped. */
function drop(held: Held): boolean {
  if (held.released) return false;
  held.released = true;
  held.heap.release(held.block, held.serial);
  return true;
}

// A handle collected while its reference is held drops it here. `held` is its own unregister
// token, so a holder's exit can unregister it without the handle.
const finalizer = new FinalizationRegistry<Held>(drop);

/**
 * Handles made since the last macrotask, registered with the finalizer then if still holding
 * their reference. Registering and unregistering cost about 0.7 µs per handle, and most
 * handles a receiver gets are released in the turn that received them: those skip both.
 * The list holds its handles strongly until then, so none is collected unregistered.
 */
let unregistered: SharedBinary[] = [];

function registerLater(b: SharedBinary): void {
  if (unregistered.length === 0) setImmediate(registerPending).unref();
  unregistered.push(b);
}

function registerPending(): void {
  const list = unregistered;
  unregistered = [];
  for (const b of list) {
    const held = heldBy(b);
    if (held.released) continue;
    held.registered = true;
    finalizer.register(b, held, held);
  }
}

/** Drops a reference on purpose (release, holder exit): the finalizer must not drop it again. */
function dropNow(held: Held): boolean {
  if (held.released) return false;
  if (held.registered) finalizer.unregister(held);
  return drop(held);
}

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
var heldBy: (b: SharedBinary) => Held;

export class SharedBinary {
  readonly #held: Held;
  readonly #length: number;
  #view: Uint8Array | null = null;
  #sealed: boolean;

  /** Not for users: make one with `SharedBinary.from` or `SharedBinary.alloc`. */
  constructor(key: typeof CREATE, heap: BinaryHeap, block: number, serial: number, length: number, sealed: boolean) {
    if (key !== CREATE) throw new TypeError('expected SharedBinary.from(bytes) or SharedBinary.alloc(length), got: new SharedBinary()');
    this.#held = { heap, block, serial, released: false, claimed: false, registered: false };
    this.#length = length;
    this.#sealed = sealed;
    registerLater(this);
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
    return typeof value === 'object' && value !== null && #held in value;
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
    return this.#held.released;
  }

  /**
   * Drops this handle's reference; the memory returns to the heap when no handle on any thread,
   * and no message in flight, refers to it. Other handles (the copies receivers got) are not
   * affected. Idempotent: false if it was already released.
   */
  release(): boolean {
    if (this.#held.released) return false;
    this.#view = null;
    return dropNow(this.#held);
  }

  toString(): string {
    return `SharedBinary(${this.#length} bytes${this.#held.released ? ', released' : ''})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #checkLive(what: string): void {
    if (this.#held.released) throw new ReleasedBinaryError(`SharedBinary: cannot ${what} a released binary (${this.#length} bytes)`);
  }

  #viewNow(): Uint8Array {
    let view = this.#view;
    if (view === null) {
      const { heap, block } = this.#held;
      view = this.#view = new Uint8Array(heap.buffer, heap.payloadOffset(block), this.#length);
      viewOwners.set(view, this);
    }
    return view;
  }

  static {
    shareHandle = (b) => {
      b.#checkLive('send');
      b.#sealed = true;
      const { heap, block, serial } = b.#held;
      heap.acquire(block);
      binaryEpoch.created++;
      return new SharedBinary(CREATE, heap, block, serial, b.#length, true);
    };
    handleWire = (b) => {
      b.#checkLive('send');
      b.#sealed = true;
      const { heap, block, serial } = b.#held;
      heap.acquireInFlight(block);
      return [heap.id, block, serial, b.#length];
    };
    adoptHandle = (heap, block, serial, length) => {
      heap.adopt(block);
      binaryEpoch.created++;
      return new SharedBinary(CREATE, heap, block, serial, length, true);
    };
    heldBy = (b) => b.#held;
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

/**
 * The references each holder (actor) claimed: their Held records, not the handles, so a handle
 * the actor dropped is still collected (and its finalizer drops the reference).
 */
const holdings = new WeakMap<object, { held: Held[]; pruneAt: number }>();

/**
 * Makes `holder` (an actor) the holder of the unclaimed SharedBinary handles inside `value` (a
 * message delivered to it, or its spawn arguments). Handles nested deeper than a walk of
 * CLAIM_BUDGET nodes reaches are left to garbage collection.
 */
export function claimBinaries(holder: object, value: unknown): void {
  binaryEpoch.seen = binaryEpoch.created;
  if (typeof value !== 'object' || value === null) return;
  claimHolder = holder;
  claimBudget = CLAIM_BUDGET;
  try {
    claimIn(value as object);
  } finally {
    claimHolder = null;
  }
}

// The walk's state, kept out of its arguments (it recurses once per container).
let claimHolder: object | null = null;
let claimBudget = 0;

function claimIn(v: object): void {
  if (--claimBudget < 0) return;
  if (v instanceof SharedBinary) {
    claim(heldBy(v));
  } else if (Array.isArray(v)) {
    for (const x of v) if (typeof x === 'object' && x !== null) claimIn(x);
  } else if (v instanceof Map) {
    for (const [k, x] of v) {
      if (typeof k === 'object' && k !== null) claimIn(k);
      if (typeof x === 'object' && x !== null) claimIn(x);
    }
  } else if (v instanceof Set) {
    for (const x of v) if (typeof x === 'object' && x !== null) claimIn(x);
  } else if (!ArrayBuffer.isView(v)) {
    const proto: unknown = Object.getPrototypeOf(v);
    const isError = v instanceof Error;
    if (proto !== Object.prototype && proto !== null && !isError) return; // pids, refs, dates...
    for (const key in v) {
      const x = (v as Record<string, unknown>)[key];
      if (typeof x === 'object' && x !== null) claimIn(x);
    }
    if (isError && typeof v.cause === 'object' && v.cause !== null) claimIn(v.cause);
  }
}

function claim(held: Held): void {
  if (held.claimed || held.released) return;
  held.claimed = true;
  const holder = claimHolder!;
  let entry = holdings.get(holder);
  if (entry === undefined) holdings.set(holder, (entry = { held: [], pruneAt: 64 }));
  if (entry.held.length >= entry.pruneAt) {
    // Forget what was released since (explicitly or by the finalizer): the list stays
    // proportional to what the actor really holds.
    entry.held = entry.held.filter((h) => !h.released);
    entry.pruneAt = Math.max(64, entry.held.length * 2);
  }
  entry.held.push(held);
}

/** Releases every binary `holder` still holds (it exited). */
export function releaseBinariesOf(holder: object): void {
  const entry = holdings.get(holder);
  if (entry === undefined) return;
  holdings.delete(holder);
  for (const held of entry.held) dropNow(held);
}
