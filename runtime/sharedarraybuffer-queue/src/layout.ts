/**
 * The memory layout of a ring: one SharedArrayBuffer = a control block of Int32 words, then
 * the data area (a power-of-two number of bytes) holding frames.
 *
 * ```
 * byte 0        64            128           192             256                320
 * +-------------+-------------+-------------+---------------+------------------+---------------
 * | MAGIC       | HEAD        | RESERVE     | SLEEPING      | SPACE_WAITERS    | data area:
 * | VERSION     | (consumer)  | (producers) | DOORBELL      | SPACE_SEQ        | frames, wrapping
 * | CAPACITY    |             |             | (consumer     | (producers wait  | at CAPACITY
 * | PRODUCERS   |             |             |  waits here)  |  here for space) |
 * +-------------+-------------+-------------+---------------+------------------+---------------
 * ```
 *
 * Each word a different thread writes sits on its own 64-byte cache line, so the consumer
 * advancing HEAD does not slow producers reserving with RESERVE (no false sharing).
 *
 * HEAD and RESERVE are byte positions that grow forever and wrap at 2^32 (stored as int32,
 * read as uint32 with `>>> 0`); because CAPACITY is a power of two that divides 2^32,
 * `position & (CAPACITY - 1)` is the offset in the data area across the wrap.
 * There is no TAIL word: producers on several threads finish their records out of order, so
 * "how far may the consumer read" is told by each frame's own header word instead (below).
 *
 * A frame is a 4-byte header word followed by its payload, padded to 4 bytes:
 * ```
 * header > 0   a committed record of (header - 1) payload bytes
 * header = 0   not committed yet: the consumer stops here
 * header < 0   a committed skip of (-header) bytes (the unused end of the data area before a
 *              record that did not fit there, or a record whose writer threw)
 * ```
 * The consumer zeroes every byte it has consumed before it advances HEAD, so any word a
 * producer later reserves reads 0 until that producer commits it.
 */

/** Identifies a ring buffer ("PBQ1" little-endian) so `open` can refuse other memory. */
export const MAGIC_VALUE = 0x31514250;
/** Bumped whenever this layout changes incompatibly. */
export const LAYOUT_VERSION = 1;

// Int32 indexes of the control words. Line 0 is written once by `create`, then only read.
export const MAGIC = 0;
export const VERSION = 1;
/** Bytes in the data area (a power of two). */
export const CAPACITY = 2;
/** PRODUCERS_SINGLE or PRODUCERS_MULTI. */
export const PRODUCERS = 3;

/** Position of the first unconsumed frame; written only by the consumer. */
export const HEAD = 16;
/** Position after the last reserved frame; advanced by producers (CAS when several). */
export const RESERVE = 32;
/** 1 while the consumer is parked (or about to park) on DOORBELL; producers notify only then. */
export const SLEEPING = 48;
/** Futex word the consumer waits on; a producer bumps it before notifying. */
export const DOORBELL = 49;
/** Number of producers parked (or about to park) waiting for free space. */
export const SPACE_WAITERS = 64;
/** Futex word producers waiting for space wait on; the consumer bumps it after freeing. */
export const SPACE_SEQ = 65;

/** Bytes before the data area: five 64-byte lines. */
export const CONTROL_BYTES = 320;

export const PRODUCERS_SINGLE = 1;
export const PRODUCERS_MULTI = 2;

/** Bytes of the header word in front of every frame. */
export const HEADER_BYTES = 4;
/** Frames start on 4-byte boundaries so their header word can be used with Atomics. */
export const FRAME_ALIGN = 4;

/** Smallest and largest data area `create` accepts (after rounding up to a power of two). */
export const MIN_CAPACITY = 64;
export const MAX_CAPACITY = 2 ** 30;

/** Bytes a record of `length` payload bytes occupies in the data area. */
export function frameBytes(length: number): number {
  return (HEADER_BYTES + length + (FRAME_ALIGN - 1)) & ~(FRAME_ALIGN - 1);
}

/**
 * Largest payload a ring of `capacity` bytes accepts. A frame of at most half the data area
 * always fits once the ring is empty, wherever the positions are: if it does not fit before
 * the end, the skip to the end is at most half too. A bigger frame could wait forever.
 */
export function maxRecordBytes(capacity: number): number {
  return capacity / 2 - HEADER_BYTES;
}
