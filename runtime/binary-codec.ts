/**
 * Shared binaries in messages: the codec hook (codec-kinds.ts `registerSharedBinaryCodec`, ext
 * type 4) and the opening of a system's heap on a thread, which installs it.
 *
 *   value in a message           same thread (copy)             other thread (toWire → fromWire)
 *   SharedBinary                 new handle, same bytes         [HANDLE, heap, block, serial, length]
 *                                                               → adopted by a handle there
 *   Uint8Array >= threshold      plain copy                     [TRANSPORT, heap, block, serial, length]
 *                                                               → copied out, block freed
 *                                (heap full: [INLINE, Int8Array view] → a copy, as without a heap)
 *   anything else                the codec's own rules
 *
 * Why a plain Uint8Array is not shared: it is mutable, and copy on send (SPEC.md §1) promises
 * that a receiver's writes are its own; a view over shared memory would also stay readable
 * after its block is reused, through a `subarray` the runtime cannot track. So only the
 * transport changes: one copy into the heap and one out, instead of encode, ring (chunked when
 * large) and decode. Sharing without copies is what SharedBinary is for.
 */
import { BinaryHeap } from './binary-heap.js';
import { ReleasedBinaryError, SharedMemoryBusyError, SharedMemoryLimitError } from './binary-errors.js';
import { registerSharedBinaryCodec, type SharedBinaryCodec } from './codec-kinds.js';
import {
  SharedBinary,
  addThreadHeap,
  adopt,
  currentHeap,
  heapById,
  openHeapCount,
  removeThreadHeap,
  share,
  wireOf,
  type ThreadHeap,
} from './shared-binary.js';

const WIRE_HANDLE = 0;
const WIRE_TRANSPORT = 1;
const WIRE_INLINE = 2;

type Wire = [typeof WIRE_HANDLE | typeof WIRE_TRANSPORT, number, number, number, number] | [typeof WIRE_INLINE, Int8Array];

const SHARED_BINARY_PROTO: object = SharedBinary.prototype;
const UINT8_PROTO: object = Uint8Array.prototype;
const getPrototypeOf = Object.getPrototypeOf as (o: object) => object | null;

/**
 * The heap plain Uint8Arrays travel through: this thread's only heap. With several systems on
 * one thread (the main thread) a frame's destination system is not known here, so none is used
 * and large arrays are copied through the ring as without a heap.
 */
let transport: ThreadHeap | null = null;
let unregister: (() => void) | null = null;
/** The heap of the last handle decoded here (nearly always the only one). */
let lastHeap: ThreadHeap | null = null;

const codec: SharedBinaryCodec<SharedBinary | Uint8Array, Wire> = {
  isHandle(v: object): v is SharedBinary | Uint8Array {
    const proto = getPrototypeOf(v);
    if (proto === SHARED_BINARY_PROTO) {
      // Asked during the codec's validating walk, before anything is copied or packed: a
      // released binary stops the send here with its own error.
      if ((v as SharedBinary).released) throw new ReleasedBinaryError('cannot send a released SharedBinary');
      return true;
    }
    return proto === UINT8_PROTO && transport !== null && (v as Uint8Array).byteLength >= transport.threshold;
  },

  copy(h) {
    return h instanceof SharedBinary ? share(h) : new Uint8Array(h);
  },

  release(h) {
    if (h instanceof SharedBinary) h.release();
  },

  toWire(h): Wire {
    if (h instanceof SharedBinary) {
      const wire = wireOf(h); // indexed, not destructured: no iterator on the hot path
      return [WIRE_HANDLE, wire[0], wire[1], wire[2], wire[3]];
    }
    return transportWire(h);
  },

  fromWire(w: Wire): SharedBinary | Uint8Array {
    if (w[0] === WIRE_INLINE) {
      const i8 = w[1];
      return new Uint8Array(i8.buffer, i8.byteOffset, i8.byteLength); // a fresh copy already
    }
    const tag = w[0];
    const heapId = w[1];
    const block = w[2];
    const serial = w[3];
    const length = w[4];
    const th = heapId === lastHeap?.heap.id ? lastHeap : (lastHeap = heapById(heapId) ?? null);
    if (th === null) {
      throw new Error(`codec: a shared binary of another actor system (heap ${heapId}) arrived on this thread; binaries belong to the system they were made in`);
    }
    const heap = th.heap;
    if (!heap.holds(block, serial) || heap.lengthOf(block) !== length) {
      throw new Error(`codec: a shared binary handle names a block that is not live (block ${block}, serial ${serial}): its reference was lost`);
    }
    if (tag === WIRE_HANDLE) return adopt(heap, block, serial, length);
    const out = new Uint8Array(length);
    out.set(new Uint8Array(heap.buffer, heap.payloadOffset(block), length));
    heap.releaseInFlight(block, serial);
    return out;
  },
};

/** A plain Uint8Array through the heap: copied in now, out by the receiver; inline if it is full. */
function transportWire(bytes: Uint8Array): Wire {
  const heap = transport?.heap;
  if (heap !== undefined) {
    let block = -1;
    try {
      block = heap.alloc(bytes.length, true);
    } catch (e) {
      // A full (or busy) heap must not fail a send the ring can carry: fall back to a copy.
      if (!(e instanceof SharedMemoryLimitError || e instanceof SharedMemoryBusyError)) throw e;
    }
    if (block >= 0) {
      new Uint8Array(heap.buffer, heap.payloadOffset(block), bytes.length).set(bytes);
      heap.noteTransported();
      return [WIRE_TRANSPORT, heap.id, block, heap.serialOf(block), bytes.length];
    }
  }
  // An Int8Array over the same bytes: packed as a typed array by msgpackr, and not a Uint8Array,
  // so it does not come back to this codec.
  return [WIRE_INLINE, new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
}

function refreshTransport(th: ThreadHeap | null): void {
  transport = openHeapCount() === 1 ? th : null;
}

/**
 * Opens a system's heap on this thread (the buffer from `BinaryHeap.create`, or the heap
 * itself on the thread that made it) for scheduler `slot`, makes it the heap new binaries go
 * to, and installs the codec hook. Undo with `closeBinaryHeap`.
 */
export function openBinaryHeap(heap: BinaryHeap | SharedArrayBuffer, slot: number, threshold: number): ThreadHeap {
  if (typeof threshold !== 'number' || !(threshold >= 0)) {
    throw new TypeError(`expected binaryThreshold to be 0 or more bytes (Infinity: never), got: ${String(threshold)}`);
  }
  const th: ThreadHeap = { heap: heap instanceof BinaryHeap ? heap : BinaryHeap.open(heap, slot), threshold };
  addThreadHeap(th);
  refreshTransport(th);
  unregister ??= registerSharedBinaryCodec(codec);
  return th;
}

/** Closes a heap opened by `openBinaryHeap`; the codec hook goes with the last one. */
export function closeBinaryHeap(th: ThreadHeap): void {
  removeThreadHeap(th);
  if (lastHeap === th) lastHeap = null;
  if (openHeapCount() === 0) {
    unregister?.();
    unregister = null;
  }
  refreshTransport(currentHeap());
}
