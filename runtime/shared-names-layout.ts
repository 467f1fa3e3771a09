/**
 * The memory layout of the shared name table (runtime/shared-names.ts): one SharedArrayBuffer
 * of Int32 words = a header, then `SLOTS` fixed-size slots of an open-addressing hash table.
 *
 * ```
 * word 0            16                 32               48
 * +-----------------+------------------+----------------+----------------------------------
 * | MAGIC  VERSION  | LOCK    WAITERS  | SEQ    COUNT   | slot 0 | slot 1 | ... | slot N-1
 * | SLOTS  MAX_NAMES| (writers, CAS)   | (seqlock; live |  SLOT_WORDS words each
 * |  (written once) |                  |  names)        |
 * +-----------------+------------------+----------------+----------------------------------
 *
 * slot:  0      1     2       3     4          5          6          7     8 .. 71
 *      +------+-----+-------+-----+----------+----------+----------+-----+------------------+
 *      |STATE |HASH |LENGTH |NODE |SCHEDULER |SERIAL_LO |SERIAL_HI |  -  | KEY: UTF-8 bytes |
 *      +------+-----+-------+-----+----------+----------+----------+-----+------------------+
 * ```
 *
 * The header's three groups sit on separate 64-byte lines: line 0 never changes after
 * `create`; LOCK/WAITERS are hammered by threads waiting to write; SEQ is what readers poll.
 *
 * A slot's STATE is EMPTY (ends a probe chain), FULL (holds a name) or TOMBSTONE (no name,
 * but probing continues past it; an insert may reuse it). Tombstones exist only while a
 * writer is removing a name, or after a writer died doing so. A slot's other words mean
 * something only while it is FULL; they are written before STATE turns FULL, so a writer that
 * dies half-way leaves an invisible slot, never a torn name.
 *
 * NODE and SCHEDULER are uint32 (stored as int32, read back with `>>> 0`). The pid serial is
 * an integer below 2^53 split into two uint32 words (SERIAL_HI * 2^32 + SERIAL_LO).
 * KEY holds the name's UTF-8 bytes in platform byte order words (every thread of a process
 * shares the byte order), zero-padded to a whole word so keys compare word by word.
 */

/** Identifies a name table ("PBN1" little-endian) so `open` can refuse other memory. */
export const MAGIC_VALUE = 0x314e4250;
/** Bumped whenever this layout changes incompatibly. */
export const LAYOUT_VERSION = 1;

// Header words (Int32 indexes). Line 0 is written once by `create`, then only read.
export const MAGIC = 0;
export const VERSION = 1;
/** Number of slots. */
export const SLOTS = 2;
/** Most names the table holds at once (a load bound that keeps probe chains short). */
export const MAX_NAMES = 3;

/** 0 when free, else (threadId + 1) of the writer holding it; taken with compareExchange. */
export const LOCK = 16;
/** Threads parked (or about to park) in Atomics.wait on LOCK; the releaser notifies only then. */
export const WAITERS = 17;

/** Seqlock counter: odd while a writer is changing slots; every write section adds 2. */
export const SEQ = 32;
/** Number of FULL slots; changed only under LOCK, read by anyone. */
export const COUNT = 33;

/** Words before slot 0 (three 64-byte lines). */
export const HEADER_WORDS = 48;

// Slot words, relative to the slot's first word.
export const STATE = 0;
export const HASH = 1;
/** Key length in bytes, 1 .. MAX_NAME_BYTES. */
export const LENGTH = 2;
export const NODE = 3;
export const SCHEDULER = 4;
export const SERIAL_LO = 5;
export const SERIAL_HI = 6;
export const KEY = 8;

export const STATE_EMPTY = 0;
export const STATE_FULL = 1;
export const STATE_TOMBSTONE = 2;

/** Longest name in UTF-8 bytes (Erlang atoms are limited to 255 characters). */
export const MAX_NAME_BYTES = 255;
/** Words of KEY: the longest name rounded up to whole words. */
export const KEY_WORDS = 64;
export const SLOT_WORDS = KEY + KEY_WORDS;

export const DEFAULT_SLOTS = 4096;
/** 2^20 slots are about 300 MB; a bigger table is more likely a mistake than a need. */
export const MAX_SLOTS = 2 ** 20;

/** Bytes of a table of `slots` slots. */
export function tableBytes(slots: number): number {
  return (HEADER_WORDS + slots * SLOT_WORDS) * 4;
}

/** Names a table of `slots` slots holds at most: three quarters, and at least one. */
export function maxNamesFor(slots: number): number {
  return Math.max(1, slots - Math.ceil(slots / 4));
}
