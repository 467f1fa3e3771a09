/**
 * The message codec (SPEC.md §1 "Copy on send"): what a receiver gets is a copy, and the same
 * types survive a send to the same thread (`copy`) as to another one (`encode` → ring →
 * `decode`/`decodeFrom`). A value that cannot be sent is refused with UnsendableError naming
 * where it is (`msg.handlers[2]`), before anything is copied or written.
 *
 *     codec-kinds.ts   what is sendable (one classifier), the error explainer, the binary hook
 *     codec-copy.ts    same thread: a specialised deep clone
 *     codec-wire.ts    other threads: msgpackr with extension types (codec-env.ts first)
 *     codec-errors.ts  UnsendableError
 */
import { copy } from './codec-copy.js';
import { UnsendableError } from './codec-errors.js';
import { decode, decodeFrom, encode, encodeFrame } from './codec-wire.js';

export { copy } from './codec-copy.js';
export { UnsendableError } from './codec-errors.js';
export { MAX_DEPTH, registerSharedBinaryCodec } from './codec-kinds.js';
export type { SharedBinaryCodec } from './codec-kinds.js';
export {
  EXT_ERROR,
  EXT_MAP,
  EXT_NEG_ZERO,
  EXT_OBJECT,
  EXT_PID,
  EXT_REF,
  EXT_SHARED_BINARY,
  EXT_STRING16,
  decode,
  decodeFrom,
  encode,
  encodeFrame,
} from './codec-wire.js';

/** The codec as one value, for code that takes it as a dependency (e.g. a fake transport). */
export interface Codec {
  /** The msgpack bytes of `value`; throws UnsendableError if it cannot be sent. */
  encode(value: unknown): Uint8Array;
  /** The bytes of `[...head, message]`, with error paths starting at the message. */
  encodeFrame(head: readonly unknown[], message: unknown): Uint8Array;
  /** The value encoded in `bytes` (which may view a SharedArrayBuffer). */
  decode(bytes: Uint8Array): unknown;
  /** The value encoded in `buf[start, end)`, read in place. */
  decodeFrom(buf: Uint8Array, start: number, end: number): unknown;
  /** A deep copy as a same-thread receiver sees it; throws UnsendableError like `encode`. */
  copy<T>(value: T): T;
  readonly UnsendableError: typeof UnsendableError;
}

export const Codec: Codec = Object.freeze({ encode, encodeFrame, decode, decodeFrom, copy, UnsendableError });
