/**
 * The memory layout of the shared binary heap (runtime/binary-heap.ts): one growable
 * SharedArrayBuffer of 16-byte granules = a 64-byte header, then a sequence of blocks that
 * tiles the rest of the buffer up to END. Every number is an Int32 word; positions and sizes
 * are counted in granules (so 4 GiB of heap fits an Int32).
 *
 * ```
 * granule 0 (header)                                     4            4+size(b0)
 * +--------------------------------------------------+  +-----------+-----------+---- ... --+
 * | MAGIC HEAP_ID LOCK SLOTS | SERIAL END LIMIT ...  |  | block 0   | block 1   |    END ---+
 * +--------------------------------------------------+  +-----------+-----------+-----------+
 *
 * block:  0     1       2        3      4 .. 7    8 .. 8+SLOTS-1        header end (16-aligned)
 *       +-----+-------+--------+------+---------+----------------------+--------------------
 *       |SIZE |SERIAL |LENGTH  |TOTAL | unused  | COUNTS[slot] ...     | payload (LENGTH bytes)
 *       +-----+-------+--------+------+---------+----------------------+--------------------
 * ```
 *
 * SERIAL is the block's state: 0 = free, anything else = in use, holding the serial it was
 * allocated with (the wire form of a handle carries it, so a stale handle is detected). Freeing
 * is one compareExchange(SERIAL, serial, 0): exactly one releaser wins, without the lock, and
 * a block reused meanwhile (new serial) is never freed by an old handle.
 *
 * TOTAL counts every reference: held by a handle on some thread, or in flight inside a frame
 * on a ring. COUNTS[s] counts the references held by scheduler slot `s` (its thread's handles).
 * Invariant: TOTAL >= sum(COUNTS) at every instant, so dropping a dead thread's COUNTS can never
 * free a block somebody else holds (see the reference protocol in binary-heap.ts).
 *
 * SIZE and the walk (header to END, block after block) change only under LOCK. Every change
 * keeps the sequence walkable at each step, so a thread that dies inside the lock leaves a
 * heap that the next holder can use as it is (see BinaryHeap.alloc).
 */

/** Bytes per granule: the unit of positions and sizes; payloads are 16-byte aligned. */
export const GRANULE = 16;
/** Identifies a binary heap ("PBH1" little-endian) so `open` can refuse other memory. */
export const MAGIC_VALUE = 0x31484250;

// Heap header words (Int32 indexes), written once by `create` unless said otherwise.
export const MAGIC = 0;
/** Random id of this heap, in every handle's wire form (a thread may have several heaps open). */
export const HEAP_ID = 1;
/** 0 when free, else (slot + 1) of the thread holding it; taken with compareExchange. */
export const LOCK = 2;
/** Scheduler slots (threads) with a COUNTS word in every block. */
export const SLOTS = 3;
/** Last block serial handed out (Atomics.add); serials skip 0, which means "free". */
export const SERIAL = 4;
/** Granules of the block area in use: blocks tile [HEADER_GRANULES, END). Changed under LOCK. */
export const END = 5;
/** Most granules the heap may grow to (the `sharedMemoryBytes` limit). */
export const LIMIT = 6;
/** Granules in blocks that are in use (statistics; Atomics.add/sub). */
export const USED = 7;
/** Blocks in use (statistics). */
export const LIVE = 8;
/** Plain Uint8Arrays carried through the heap instead of the ring (statistics). */
export const TRANSPORTED = 9;
/** References dropped because the thread holding them died (statistics). */
export const DROPPED = 10;

/** Granules before the first block. */
export const HEADER_GRANULES = 4;

// Block header words, relative to the block's first word (granule * 4).
/** Block size in granules, header included. */
export const B_SIZE = 0;
/** 0 = free; otherwise the serial of the allocation that owns it. */
export const B_SERIAL = 1;
/** Payload length in bytes. */
export const B_LENGTH = 2;
/** All references: slot-held and in flight. */
export const B_TOTAL = 3;
/** First of SLOTS words: references held by each slot. */
export const B_COUNTS = 8;

/** Granules of a block header for `slots` slots (the payload starts after them). */
export function blockHeaderGranules(slots: number): number {
  return Math.ceil((B_COUNTS + slots) * 4 / GRANULE);
}

/** Largest heap: a growable SharedArrayBuffer on Node 20 stops at 4 GiB. */
export const MAX_HEAP_BYTES = 4 * 1024 * 1024 * 1024;
/** Largest slot count (scheduler threads + 1) a heap supports. */
export const MAX_SLOTS = 1024;
