/**
 * The cross-thread half of copy on send: msgpack bytes through msgpackr, with extension types
 * for what msgpack lacks. Accepts and refuses exactly what the same-thread copy does.
 *
 *     encode(v) --scan(v)--> ok ------------------------------> packr.pack(v)
 *                    |-----> needs rewrite (rare) --toWire(v)--> packr.pack(wire tree)
 *                    `-----> UNSENDABLE --> explainUnsendable --> throw UnsendableError
 *     decode(bytes) / decodeFrom(ring, start, end) --> unpackr.unpack --> extension `read`s
 *
 * msgpackr alone would send the wrong thing silently: class instances as plain objects,
 * functions as undefined, -0 as 0, Maps as objects (without records), lone surrogates as
 * U+FFFD, a "__proto__" key renamed. So `scan` validates first, without allocating, and flags the
 * rare values msgpackr cannot carry as they are (-0, a Map, an ill-formed string, an object of
 * 65,536+ keys); only then `toWire` rebuilds the containers with marker objects that have
 * extensions of their own. Records (`useRecords`) would carry Maps natively but measured about
 * twice as slow for small messages, so plain msgpack maps are used for objects.
 *
 * Extension types (msgpack application types 1–8, below; msgpackr itself uses 0, 0x42, 0x62, 0x65,
 * 0x69, 0x70, 0x72, 0x73, 0x74, 0x78 and -1). msgpackr's extension table is global to the
 * process, so these apply to every msgpackr user in it (e.g. lmdb values holding pids).
 */
import './codec-env.js'; // must stay first: it switches msgpackr's native add-on off
import { Packr, Unpackr, addExtension, isNativeAccelerationEnabled } from 'msgpackr';
import {
  K_ARRAY,
  K_BAD,
  K_ERROR,
  K_HANDLE,
  K_MAP,
  K_NULL_PROTO,
  K_PLAIN,
  K_SET,
  MAX_DEPTH,
  UNSENDABLE,
  errorParts,
  explainUnsendable,
  findUnsendable,
  isErrorPartKey,
  kindOf,
  kindOfOther,
  rebuildError,
  sharedBinaryCodec,
} from './codec-kinds.js';
import { copy } from './codec-copy.js';
import { Pid, Ref, exportRef } from './pid.js';

// Hot-path bindings kept in this module: where modules run as CommonJS (tsx for a .ts file
// outside a "type": "module" package) or under vitest's module runner, every use of an
// imported binding is a getter call, which measured copy() 5x slower.
const OBJECT_PROTO: object = Object.prototype;
const ARRAY_PROTO: object = Array.prototype;
const PID_PROTO: object = Pid.prototype;
const REF_PROTO: object = Ref.prototype;
const getPrototypeOf = Object.getPrototypeOf as (o: object) => object | null;
const hasOwnProperty = Object.prototype.hasOwnProperty;
const DEPTH_LIMIT = MAX_DEPTH;
const REFUSED = UNSENDABLE;
const classify = kindOfOther;

export const EXT_PID = 1; // [node, scheduler, serial]
export const EXT_REF = 2; // [node, scheduler, serial]
export const EXT_ERROR = 3; // [name, message, stack, hasCause, cause, props]
/** Reserved for shared-binary handles: the payload is whatever the registered codec's toWire gives. */
export const EXT_SHARED_BINARY = 4;
export const EXT_OBJECT = 5; // [flags (1: null prototype), key, value, key, value, …]
export const EXT_NEG_ZERO = 6; // 0
export const EXT_STRING16 = 7; // Uint16Array of UTF-16 code units (a string with lone surrogates)
export const EXT_MAP = 8; // [key, value, key, value, …]

const REWRITE = 1;
const MAX_MAP16_KEYS = 0xffff; // msgpackr writes objects with a 16-bit key count

interface MaybeWellFormed {
  isWellFormed(): boolean; // ES2024, in Node 20; not in the ES2023 lib
}

function wellFormed(s: string): boolean {
  return (s as unknown as MaybeWellFormed).isWellFormed();
}

// ---- markers built by toWire, each packed by its own extension ----

class ObjectWire {
  constructor(readonly items: unknown[]) {}
}
class MapWire {
  constructor(readonly items: unknown[]) {}
}
class ErrorWire {
  constructor(readonly items: unknown[]) {}
}
class String16 {
  constructor(readonly s: string) {}
}
class NegZero {}
const NEG_ZERO = new NegZero();

/** Matches objects with a null prototype (msgpackr tests extension classes with instanceof). */
const NullPrototype = {
  [Symbol.hasInstance]: (v: unknown) => typeof v === 'object' && v !== null && getPrototypeOf(v) === null,
} as unknown as new () => object;

/** Matches shared-binary handles of the registered codec. */
const SharedBinaryHandle = {
  [Symbol.hasInstance]: (v: unknown) => {
    const codec = sharedBinaryCodec();
    return codec !== null && typeof v === 'object' && v !== null && codec.isHandle(v);
  },
} as unknown as new () => object;

function errorItems(e: Error): unknown[] {
  const parts = errorParts(e);
  const props: Record<string, unknown> = {};
  for (const key in e) {
    if (hasOwnProperty.call(e, key) && !isErrorPartKey(key)) props[key] = (e as unknown as Record<string, unknown>)[key];
  }
  return [parts.name, parts.message, parts.stack, parts.hasCause, parts.cause, props];
}

function errorFromItems(a: unknown[]): Error {
  const e = rebuildError(a[0] as string, a[1] as string, a[2] as string | undefined, a[3] as boolean, a[4]);
  return Object.assign(e, a[5] as object);
}

/** Wire items of a null-prototype object (it has no inherited keys). */
function nullProtoItems(o: object): unknown[] {
  const items: unknown[] = [1];
  for (const key in o) items.push(key, (o as Record<string, unknown>)[key]);
  return items;
}

function objectFromItems(a: unknown[]): object {
  const o = (a[0] === 1 ? Object.create(null) : {}) as Record<string, unknown>;
  for (let i = 1; i < a.length; i += 2) {
    const key = a[i] as string;
    // Never sent by encode (refused), but a frame is data: never let it set a prototype.
    if (key === '__proto__') Object.defineProperty(o, key, { value: a[i + 1], writable: true, enumerable: true, configurable: true });
    else o[key] = a[i + 1];
  }
  return o;
}

function mapFromItems(a: unknown[]): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>();
  for (let i = 0; i < a.length; i += 2) m.set(a[i], a[i + 1]);
  return m;
}

function string16(s: string): Uint16Array {
  const units = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) units[i] = s.charCodeAt(i);
  return units;
}

function fromString16(units: Uint16Array): string {
  let s = '';
  for (let i = 0; i < units.length; i += 8192) {
    s += String.fromCharCode.apply(null, units.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

// addExtension prepends, so the extension added last is tried first: the common ones go last,
// and handles before Buffer and the built-ins, as kindOfOther asks isHandle first.
// Write-style extensions: msgpackr writes the type tag, then packs what `write` returns; the
// decoder reads that value and hands it to `read`.
addExtension({ Class: NullPrototype, type: EXT_OBJECT, write: nullProtoItems, read: objectFromItems });
addExtension({ Class: ObjectWire, type: EXT_OBJECT, write: (w: ObjectWire) => w.items, read: objectFromItems });
addExtension({ Class: MapWire, type: EXT_MAP, write: (w: MapWire) => w.items, read: mapFromItems });
addExtension({ Class: String16, type: EXT_STRING16, write: (w: String16) => string16(w.s), read: fromString16 });
addExtension({ Class: NegZero, type: EXT_NEG_ZERO, write: () => 0, read: () => -0 });
addExtension({ Class: ErrorWire, type: EXT_ERROR, write: (w: ErrorWire) => w.items, read: errorFromItems });
addExtension({ Class: Error, type: EXT_ERROR, write: errorItems, read: errorFromItems });
// A Buffer goes out as the Uint8Array it views (msgpackr would write a msgpack `bin`, which
// decodes as a Buffer or a Uint8Array depending on the source). No type: no tag of its own.
addExtension({ Class: Buffer, write: (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength) });
addExtension({
  Class: SharedBinaryHandle,
  type: EXT_SHARED_BINARY,
  write: (h: object) => sharedBinaryCodec()!.toWire(h),
  read: (wire: unknown) => {
    const codec = sharedBinaryCodec();
    if (codec === null) throw new Error('codec: received a shared binary, but no shared-binary codec is registered');
    return codec.fromWire(wire);
  },
});
addExtension({ Class: Ref, type: EXT_REF, write: (r: Ref) => (exportRef(r), [r.node, r.scheduler, r.serial]), read: (a: number[]) => new Ref(a[0]!, a[1]!, a[2]!) });
addExtension({ Class: Pid, type: EXT_PID, write: (p: Pid) => [p.node, p.scheduler, p.serial], read: (a: number[]) => new Pid(a[0]!, a[1]!, a[2]!) });

const OPTIONS = {
  useRecords: false, // objects as msgpack maps (see above), so maps decode as objects
  mapsAsObjects: true,
  moreTypes: true, // Set, typed arrays by type, ArrayBuffer, DataView
  useBigIntExtension: true, // bigints beyond 64 bits
  useToJSON: false, // never send what a toJSON makes up
  copyBuffers: true, // decoded bytes must not alias the ring
  encodeUndefinedAsNil: false,
} as const;

const packr = new Packr(OPTIONS);
const unpackr = new Unpackr(OPTIONS);

/** True when the native add-on loaded anyway (msgpackr was imported before codec-env.ts ran). */
const COPY_SHARED_FRAMES = isNativeAccelerationEnabled;

/**
 * The msgpack encoding of `value`. Throws UnsendableError, naming the path, if anything in it
 * cannot be sent; nothing is encoded then. The result is a view (a Node Buffer) into msgpackr's
 * output slab that later encodes never overwrite; copy it into the ring, and do not write to it
 * (Buffer#slice does not copy). Getters in the value run twice (scan, then pack).
 */
export function encode(value: unknown): Uint8Array {
  let flags: number;
  try {
    flags = scanValue(value, 0);
  } catch (e) {
    if (e === REFUSED) throw explainUnsendable(value);
    throw e;
  }
  return packr.pack(flags === 0 ? value : toWire(value));
}

/**
 * The encoding of the array `[...head, message]` (a transport frame: its header fields, then the
 * user's message), refused like `encode`, but with paths that start at the message: a bad
 * value in it is `msg.handlers[2]`, not `msg[3].handlers[2]`.
 */
export function encodeFrame(head: readonly unknown[], message: unknown): Uint8Array {
  const frame = [...head, message];
  let flags: number;
  try {
    flags = scanValue(frame, 0);
  } catch (e) {
    if (e !== REFUSED) throw e;
    // The message sits one level down in the frame, hence base depth 1.
    throw findUnsendable(message, 'msg', 1) ?? explainUnsendable(frame, 'frame');
  }
  return packr.pack(flags === 0 ? frame : toWire(frame));
}

/** Decodes one whole encoded value; `bytes` may view a SharedArrayBuffer. */
export function decode(bytes: Uint8Array): unknown {
  if (COPY_SHARED_FRAMES && bytes.buffer instanceof SharedArrayBuffer) return unpackr.unpack(bytes.slice());
  return unpackr.unpack(bytes);
}

/**
 * Decodes the value encoded in `buf[start, end)` without copying the bytes (a ring buffer's
 * frame). Reuse one `buf` for a ring: msgpackr caches its DataView on it.
 */
export function decodeFrom(buf: Uint8Array, start: number, end: number): unknown {
  // msgpackr reads `end: 0` as "to the end of buf": check here, where the mistake is made.
  if (!(start >= 0 && end > start && end <= buf.length)) {
    throw new RangeError(`decodeFrom: expected 0 <= start < end <= ${buf.length}, got: ${start}, ${end}`);
  }
  if (COPY_SHARED_FRAMES && buf.buffer instanceof SharedArrayBuffer) return unpackr.unpack(buf.slice(start, end));
  return unpackr.unpack(buf, { start, end });
}

// ---- scan: validate without allocating; say whether toWire is needed ----

function scanValue(v: unknown, depth: number): number {
  // if-chains of typeof, not a switch: TurboFan turns each test into a type check.
  if (typeof v === 'string') return wellFormed(v) ? 0 : REWRITE;
  if (typeof v === 'object') return v === null ? 0 : scanObject(v, depth);
  if (typeof v === 'number') return v === 0 && 1 / v < 0 ? REWRITE : 0;
  if (typeof v === 'function' || typeof v === 'symbol') throw REFUSED;
  return 0; // boolean, bigint, undefined
}

function scanObject(v: object, depth: number): number {
  if (depth >= DEPTH_LIMIT) throw REFUSED;
  const proto = getPrototypeOf(v);
  if (proto === OBJECT_PROTO) return scanProperties(v as Record<string, unknown>, depth + 1);
  if (proto === ARRAY_PROTO) {
    if (!Array.isArray(v)) throw REFUSED;
    return scanArray(v, depth + 1) | ownConstructor(v);
  }
  if (proto === PID_PROTO || proto === REF_PROTO) return ownConstructor(v);
  return scanOther(v, classify(v, proto), depth + 1);
}

/**
 * msgpackr picks how to write an object by its `constructor` first (Object: as a map, Array,
 * Map), then by extension class; so an own `constructor` property (not sent itself) could make
 * an array or a Date go out as a map. Such objects are rebuilt by toWire.
 */
function ownConstructor(v: object): number {
  return hasOwnProperty.call(v, 'constructor') ? REWRITE : 0;
}

function scanProperties(v: Record<string, unknown>, depth: number): number {
  let flags = 0;
  let count = 0;
  for (const key in v) {
    if (!hasOwnProperty.call(v, key)) continue;
    if (key === '__proto__') throw REFUSED;
    if (!wellFormed(key)) flags = REWRITE;
    flags |= scanValue(v[key], depth);
    count++;
  }
  return count > MAX_MAP16_KEYS ? REWRITE : flags;
}

function scanArray(v: unknown[], depth: number): number {
  let flags = 0;
  for (let i = 0; i < v.length; i++) flags |= scanValue(v[i], depth);
  return flags;
}

function scanOther(v: object, kind: number, depth: number): number {
  switch (kind) {
    case K_NULL_PROTO:
      return scanProperties(v as Record<string, unknown>, depth);
    case K_MAP: {
      for (const [key, value] of v as Map<unknown, unknown>) {
        scanValue(key, depth);
        scanValue(value, depth);
      }
      return REWRITE;
    }
    case K_SET: {
      let flags = ownConstructor(v);
      for (const value of v as Set<unknown>) flags |= scanValue(value, depth);
      return flags;
    }
    case K_ERROR: {
      const e = v as Error;
      const parts = errorParts(e);
      let flags = ownConstructor(v);
      flags |= wellFormed(parts.name) && wellFormed(parts.message) && (parts.stack === undefined || wellFormed(parts.stack)) ? 0 : REWRITE;
      if (parts.hasCause) flags |= scanValue(parts.cause, depth);
      for (const key in e) {
        if (!hasOwnProperty.call(e, key) || isErrorPartKey(key)) continue;
        if (key === '__proto__') throw REFUSED;
        if (!wellFormed(key)) flags = REWRITE;
        flags |= scanValue((e as unknown as Record<string, unknown>)[key], depth);
      }
      return flags;
    }
    case K_BAD:
      throw REFUSED;
    case K_HANDLE:
      return 0; // the registered codec's business
    default:
      // Date, typed arrays, ArrayBuffer, DataView: msgpackr carries them as they are.
      return ownConstructor(v);
  }
}

// ---- toWire: the rare path; rebuild containers, replacing what msgpackr cannot carry ----

function toWire(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
      return wellFormed(v) ? v : new String16(v);
    case 'number':
      return v === 0 && 1 / v < 0 ? NEG_ZERO : v;
    case 'object':
      return v === null ? null : objectToWire(v);
    default:
      return v;
  }
}

function objectToWire(v: object): unknown {
  switch (kindOf(v)) {
    case K_PLAIN:
      return propertiesToWire(v, false);
    case K_NULL_PROTO:
      return propertiesToWire(v, true);
    case K_ARRAY: {
      const a = v as unknown[];
      const out = new Array<unknown>(a.length);
      for (let i = 0; i < a.length; i++) out[i] = toWire(a[i]);
      return out;
    }
    case K_MAP: {
      const items: unknown[] = [];
      for (const [key, value] of v as Map<unknown, unknown>) items.push(toWire(key), toWire(value));
      return new MapWire(items);
    }
    case K_SET: {
      const out = new Set<unknown>();
      for (const value of v as Set<unknown>) out.add(toWire(value));
      return out;
    }
    case K_ERROR: {
      const items = errorItems(v as Error);
      const props = items[5] as Record<string, unknown>;
      return new ErrorWire([
        toWire(items[0]),
        toWire(items[1]),
        toWire(items[2]),
        items[3],
        toWire(items[4]),
        propertiesToWire(props, false),
      ]);
    }
    case K_HANDLE:
      return v;
    default:
      // Pids, refs, dates, binaries: packed as they are, or fresh if an own `constructor`
      // would mislead msgpackr.
      if (!hasOwnProperty.call(v, 'constructor')) return v;
      if (v instanceof Pid) return new Pid(v.node, v.scheduler, v.serial);
      if (v instanceof Ref) {
        exportRef(v);
        return new Ref(v.node, v.scheduler, v.serial);
      }
      return copy(v);
  }
}

function propertiesToWire(o: object, nullProto: boolean): unknown {
  const keys: string[] = [];
  let plain = !nullProto;
  for (const key in o) {
    if (!hasOwnProperty.call(o, key)) continue;
    keys.push(key);
    if (!wellFormed(key)) plain = false;
  }
  if (keys.length > MAX_MAP16_KEYS) plain = false;
  const record = o as Record<string, unknown>;
  if (plain) {
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = toWire(record[key]);
    return out;
  }
  const items: unknown[] = [nullProto ? 1 : 0];
  for (const key of keys) items.push(toWire(key), toWire(record[key]));
  return new ObjectWire(items);
}

// ---- plain data written straight into a frame batch (the ring transport's message body) ----
//
// Most messages are plain data: objects, arrays, strings, numbers, booleans, null, undefined,
// pids and refs. msgpackr spends more on each of them (a Buffer per encode, a validating scan,
// a general decoder) than the copy itself costs, so `writeMessage` writes them in a small
// format of our own, straight into the destination's batch; anything else (a Map, a Date, a
// typed array, an Error, a bigint, an unsendable value, nesting deeper than PLAIN_DEPTH)
// makes it start again and write the whole message as one msgpackr value, with
// every rule above. Strings go as their UTF-16 code units (one byte each when all are below
// 0x80), so lone surrogates need no special case; numbers as int32 or float64 (-0 and NaN
// survive). The receiver's `readMessage` tells the two apart by the first byte.

const P_UNDEFINED = 0;
const P_NULL = 1;
const P_FALSE = 2;
const P_TRUE = 3;
const P_INT32 = 4;
const P_FLOAT64 = 5;
const P_ASCII8 = 6; // u8 length, then one byte per code unit (all < 0x80)
const P_ASCII32 = 7; // u32 length, then one byte per code unit
const P_UTF16 = 8; // u32 length, then two bytes per code unit
const P_OBJECT = 9; // u32 key count, then the keys (strings, as above), then the values
const P_ARRAY = 10; // u32 length, then the elements
const P_PID = 11; // node, scheduler, serial: three float64
const P_REF = 12;
/** The whole message follows as msgpackr bytes (encodeFrame([], message)): the general path. */
const P_PACKED = 13;
/** A plain message: the body follows. */
const P_PLAIN = 14;
/** A plain message holding shared binaries: body, wires, u32 bytes of the wires (handlesTail). */
const P_HANDLES = 16;
/** A shared binary in the body: u32 index into the wires after it. */
const P_HANDLE = 15;
/** The first byte of a message `writeMessage` sent whole through msgpackr. */
export const PACKED_MESSAGE = P_PACKED;

/** Deeper plain data goes the general way (which also finds cycles and explains refusals). */
const PLAIN_DEPTH = 64;

/** A growable byte buffer frames are written into (the ring transport keeps one per destination). */
export class WireWriter {
  bytes: Uint8Array;
  view: DataView;
  /** Bytes written so far (set it back to undo a partial write). */
  length = 0;

  constructor(initialBytes = 4096) {
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Claims `n` more bytes and returns where they start. */
  reserve(n: number): number {
    const at = this.length;
    const end = at + n;
    if (end > this.bytes.length) this.grow(end);
    this.length = end;
    return at;
  }

  /** Appends `bytes` as they are. */
  append(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.bytes.set(bytes, at);
  }

  /** Empties the writer; drops a buffer grown past `keepBytes` (one huge message must not pin it). */
  reset(keepBytes: number): void {
    this.length = 0;
    if (this.bytes.length > keepBytes) {
      this.bytes = new Uint8Array(keepBytes);
      this.view = new DataView(this.bytes.buffer);
    }
  }

  private grow(min: number): void {
    let size = this.bytes.length * 2;
    while (size < min) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }
}

/** Shared-binary handles met by the plain writer of the current message: the first `handleCount`. */
const handles: (object | undefined)[] = [];
let handleCount = 0;

/**
 * Appends `message` to `w`: in the plain format when it is plain data, else as msgpackr bytes.
 * Throws UnsendableError (paths from `msg`) with `w` as it was, if it cannot be sent.
 */
export function writeMessage(w: WireWriter, message: unknown): void {
  const start = w.length;
  handleCount = 0;
  let plain: boolean;
  try {
    writeByte(w, P_PLAIN); // P_HANDLES instead if it holds shared binaries (handlesTail)
    plain = writePlain(w, message, 0);
    if (plain && handleCount > 0) handlesTail(w, start);
  } catch (e) {
    // A released binary (isHandle throws) or a throwing getter: nothing is sent.
    w.length = start;
    forgetHandles();
    throw e;
  }
  if (plain) return;
  w.length = start;
  forgetHandles();
  const packed = encodeFrame([], message); // throws before anything is written
  writeByte(w, P_PACKED);
  w.append(packed);
}

/** Lets the handles of the last message go (they must not be kept alive from here). */
function forgetHandles(): void {
  for (let i = 0; i < handleCount; i++) handles[i] = undefined;
  handleCount = 0;
}

/**
 * A plain message that holds shared binaries starts with P_HANDLES instead of P_PLAIN:
 * [P_HANDLES][body][the array of the handles' wires, written as a message itself][u32 bytes of
 * that]. Their `toWire` (which may pin or copy shared memory) runs here, once the whole body is
 * written, so a message that falls back to msgpackr never calls it twice; the reader makes the
 * handles before it reads the body.
 */
function handlesTail(w: WireWriter, start: number): void {
  const codec = sharedBinaryCodec()!;
  const wires = new Array<unknown>(handleCount);
  for (let i = 0; i < handleCount; i++) wires[i] = codec.toWire(handles[i]!);
  forgetHandles();
  w.bytes[start] = P_HANDLES;
  // The wires as a message of their own: plain when they are (numbers, as a SharedBinary's).
  const wiresStart = w.length;
  writeByte(w, P_PLAIN);
  if (!writePlain(w, wires, 0)) {
    w.length = wiresStart;
    writeByte(w, P_PACKED);
    w.append(packr.pack([wires]));
  }
  const at = w.reserve(4);
  w.view.setUint32(at, at - wiresStart, true);
}

function writePlain(w: WireWriter, v: unknown, depth: number): boolean {
  if (typeof v === 'string') {
    writeString(w, v);
    return true;
  }
  if (typeof v === 'number') {
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      const at = w.reserve(5);
      w.bytes[at] = P_INT32;
      w.view.setInt32(at + 1, v, true);
    } else {
      const at = w.reserve(9);
      w.bytes[at] = P_FLOAT64;
      w.view.setFloat64(at + 1, v, true);
    }
    return true;
  }
  if (typeof v === 'object') {
    if (v === null) {
      writeByte(w, P_NULL);
      return true;
    }
    if (depth >= PLAIN_DEPTH) return false;
    const proto = getPrototypeOf(v);
    if (proto === OBJECT_PROTO) return writeObject(w, v as Record<string, unknown>, depth + 1);
    if (proto === ARRAY_PROTO && Array.isArray(v)) {
      const a = v as unknown[];
      const n = a.length;
      const at = w.reserve(5);
      w.bytes[at] = P_ARRAY;
      w.view.setUint32(at + 1, n, true);
      for (let i = 0; i < n; i++) if (!writePlain(w, a[i], depth + 1)) return false;
      return true;
    }
    if (proto === PID_PROTO || proto === REF_PROTO) {
      const id = v as Pid;
      // A monitor's alias leaving its thread enters the alias table (see Ref.monitor).
      if (proto === REF_PROTO) exportRef(v as Ref);
      const at = w.reserve(25);
      w.bytes[at] = proto === PID_PROTO ? P_PID : P_REF;
      w.view.setFloat64(at + 1, id.node, true);
      w.view.setFloat64(at + 9, id.scheduler, true);
      w.view.setFloat64(at + 17, id.serial, true);
      return true;
    }
    // A shared binary: its place in the body; its wire after the body (handlesTail).
    const codec = sharedBinaryCodec();
    if (codec !== null && codec.isHandle(v)) {
      const at = w.reserve(5);
      w.bytes[at] = P_HANDLE;
      w.view.setUint32(at + 1, handleCount, true);
      handles[handleCount++] = v;
      return true;
    }
    return false;
  }
  if (v === undefined) {
    writeByte(w, P_UNDEFINED);
    return true;
  }
  if (typeof v === 'boolean') {
    writeByte(w, v ? P_TRUE : P_FALSE);
    return true;
  }
  return false; // bigint, symbol, function: the general path carries or refuses them
}

/** One byte (reserve first: it may replace `w.bytes`). */
function writeByte(w: WireWriter, byte: number): void {
  const at = w.reserve(1);
  w.bytes[at] = byte;
}

/** An object: its keys first, then its values (so the reader can recognise the key set at once). */
function writeObject(w: WireWriter, o: Record<string, unknown>, depth: number): boolean {
  const at = w.reserve(5);
  w.bytes[at] = P_OBJECT;
  let count = 0;
  for (const key in o) {
    if (!hasOwnProperty.call(o, key)) continue;
    if (key === '__proto__') return false; // refused, with its path, by the general path
    writeString(w, key);
    count++;
  }
  w.view.setUint32(at + 1, count, true);
  let values = 0;
  for (const key in o) {
    if (!hasOwnProperty.call(o, key)) continue;
    if (!writePlain(w, o[key], depth)) return false;
    values++;
  }
  // A getter that added or deleted keys: let the general path deal with it.
  return values === count;
}

function writeString(w: WireWriter, s: string): void {
  const n = s.length;
  const head = n < 256 ? 2 : 5;
  const at = w.reserve(head + n);
  const b = w.bytes;
  let p = at + head;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      w.length = at;
      writeUtf16(w, s);
      return;
    }
    b[p++] = c;
  }
  if (head === 2) {
    b[at] = P_ASCII8;
    b[at + 1] = n;
  } else {
    b[at] = P_ASCII32;
    w.view.setUint32(at + 1, n, true);
  }
}

function writeUtf16(w: WireWriter, s: string): void {
  const n = s.length;
  const at = w.reserve(5 + 2 * n);
  w.bytes[at] = P_UTF16;
  const view = w.view;
  view.setUint32(at + 1, n, true);
  for (let i = 0, p = at + 5; i < n; i++, p += 2) view.setUint16(p, s.charCodeAt(i), true);
}

// Reading: one message at a time, from `readMessage` only (no user code runs meanwhile).
let rb: Uint8Array = new Uint8Array(0);
let rv: DataView = new DataView(new ArrayBuffer(0));
let rp = 0;
const NO_HANDLES: object[] = [];
/** The shared binaries of the message being read (P_HANDLE indexes them). */
let readHandles: object[] = NO_HANDLES;

/**
 * Reads a message written by `writeMessage` from `bytes[start, end)` (`view` over the same
 * buffer as `bytes`, from byte 0). `bytes` may be a ring's shared memory: nothing returned
 * aliases it.
 */
export function readMessage(bytes: Uint8Array, view: DataView, start: number, end: number): unknown {
  if (bytes[start] === P_PACKED) return (decodeFrom(bytes, start + 1, end) as unknown[])[0];
  if (bytes[start] === P_HANDLES) {
    const wiresEnd = end - 4;
    end = wiresEnd - view.getUint32(wiresEnd, true);
    const wires = readMessage(bytes, view, end, wiresEnd) as unknown[];
    const codec = sharedBinaryCodec();
    if (codec === null) throw new Error('codec: received a shared binary, but no shared-binary codec is registered');
    readHandles = wires.map((wire) => codec.fromWire(wire));
  } else if (bytes[start] !== P_PLAIN) {
    throw new RangeError(`readMessage: a message starting with ${String(bytes[start])}`);
  }
  rb = bytes;
  rv = view;
  rp = start + 1;
  let value: unknown;
  try {
    value = readPlain();
  } finally {
    readHandles = NO_HANDLES;
  }
  if (rp !== end) throw new RangeError(`readMessage: a plain message of ${end - start} bytes ended after ${rp - start}`);
  return value;
}

function readPlain(): unknown {
  const b = rb;
  const tag = b[rp++];
  switch (tag) {
    case P_ASCII8: {
      const n = b[rp]!;
      const at = rp + 1;
      rp = at + n;
      return ascii(b, at, n);
    }
    case P_INT32: {
      const v = rv.getInt32(rp, true);
      rp += 4;
      return v;
    }
    case P_OBJECT:
      return readObject();
    case P_FLOAT64: {
      const v = rv.getFloat64(rp, true);
      rp += 8;
      return v;
    }
    case P_ARRAY: {
      const n = rv.getUint32(rp, true);
      rp += 4;
      const a = new Array<unknown>(n);
      for (let i = 0; i < n; i++) a[i] = readPlain();
      return a;
    }
    case P_UNDEFINED:
      return undefined;
    case P_NULL:
      return null;
    case P_FALSE:
      return false;
    case P_TRUE:
      return true;
    case P_ASCII32: {
      const n = rv.getUint32(rp, true);
      const at = rp + 4;
      rp = at + n;
      return ascii(b, at, n);
    }
    case P_UTF16: {
      const n = rv.getUint32(rp, true);
      const at = rp + 4;
      rp = at + 2 * n;
      return utf16(at, n);
    }
    case P_PID:
    case P_REF: {
      const v = rv;
      const node = v.getFloat64(rp, true);
      const scheduler = v.getFloat64(rp + 8, true);
      const serial = v.getFloat64(rp + 16, true);
      rp += 24;
      return tag === P_PID ? new Pid(node, scheduler, serial) : new Ref(node, scheduler, serial);
    }
    case P_HANDLE: {
      const h = readHandles[rv.getUint32(rp, true)];
      rp += 4;
      if (h === undefined) throw new RangeError('readMessage: a shared binary beyond those the message carries');
      return h;
    }
    default:
      throw new RangeError(`readMessage: unknown tag ${String(tag)} at byte ${rp - 1}`);
  }
}

/**
 * Objects whose keys have been seen before are built by a function made for those keys (a
 * literal `{"type": read(), "n": read()}`), found by the bytes of the keys: no key strings to
 * read, and every such object gets the same hidden class, as in the sender's code.
 */
interface Shape {
  count: number;
  keyBytes: Uint8Array;
  make: (read: () => unknown) => object;
}
const SHAPE_BITS = 9;
const shapes: (Shape | undefined)[] = new Array<Shape | undefined>(1 << SHAPE_BITS).fill(undefined);
/** Objects with more keys are built key by key. */
const SHAPE_MAX_KEYS = 32;

/** The shape of the last object read by its keys: a stream of like messages skips the hash. */
let lastShape: Shape | null = null;

function readObject(): object {
  const b = rb;
  const count = rv.getUint32(rp, true);
  rp += 4;
  const keysStart = rp;
  const last = lastShape;
  if (last !== null && last.count === count && sameBytes(b, keysStart, last.keyBytes)) {
    rp = keysStart + last.keyBytes.length;
    return last.make(readPlain);
  }
  // The keys' extent and a hash of their bytes (short ASCII keys, the common case, are walked
  // here; any other key makes the object one to build key by key).
  let p = keysStart;
  let hash = count;
  let simple = count <= SHAPE_MAX_KEYS;
  for (let i = 0; i < count && simple; i++) {
    if (b[p] !== P_ASCII8) {
      simple = false;
      break;
    }
    const end = p + 2 + b[p + 1]!;
    for (; p < end; p++) hash = Math.imul(hash ^ b[p]!, 0x01000193);
  }
  if (simple) {
    const length = p - keysStart;
    const slot = (hash >>> (32 - SHAPE_BITS)) & ((1 << SHAPE_BITS) - 1);
    const shape = shapes[slot];
    if (shape !== undefined && shape.count === count && shape.keyBytes.length === length && sameBytes(b, keysStart, shape.keyBytes)) {
      rp = p;
      lastShape = shape;
      return shape.make(readPlain);
    }
  }
  const keys = new Array<string>(count);
  for (let i = 0; i < count; i++) keys[i] = readPlain() as string;
  const o: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const key = keys[i]!;
    const value = readPlain();
    // Never written (the general path refuses it), but a frame is data: no prototype change.
    if (key === '__proto__') Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
    else o[key] = value;
  }
  if (simple && !keys.includes('__proto__')) {
    const slot = (hash >>> (32 - SHAPE_BITS)) & ((1 << SHAPE_BITS) - 1);
    const body = keys.map((k) => `${JSON.stringify(k)}: read()`).join(', ');
    const make = new Function('read', `return { ${body} };`) as Shape['make'];
    shapes[slot] = lastShape = { count, keyBytes: b.slice(keysStart, p), make };
  }
  return o;
}

function sameBytes(b: Uint8Array, at: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i++) if (b[at + i] !== expected[i]) return false;
  return true;
}

const fromCharCode = String.fromCharCode;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** Recently read short strings (object keys, tags) by their bytes: no new string for a repeat. */
const ASCII_CACHE_BITS = 10;
const asciiCacheKeys: number[] = new Array<number>(1 << ASCII_CACHE_BITS).fill(-1);
const asciiCacheKeys2: number[] = new Array<number>(1 << ASCII_CACHE_BITS).fill(-1);
const asciiCacheStrings: string[] = new Array<string>(1 << ASCII_CACHE_BITS).fill('');

function ascii(b: Uint8Array, at: number, n: number): string {
  if (n > 8) return n > 64 ? latin1Slice.call(b, at, at + n) : asciiLoop(b, at, n);
  if (n === 0) return '';
  // Up to 8 bytes of 7 bits: the bytes themselves and the length are the cache key (60 bits).
  let lo = n;
  let hi = 0;
  for (let i = 0; i < n && i < 4; i++) lo |= b[at + i]! << (4 + 7 * i);
  for (let i = 4; i < n; i++) hi |= b[at + i]! << (7 * (i - 4));
  const slot = ((lo ^ (hi * 31)) >>> 0) & ((1 << ASCII_CACHE_BITS) - 1);
  if (asciiCacheKeys[slot] === lo && asciiCacheKeys2[slot] === hi) return asciiCacheStrings[slot]!;
  const s = asciiLoop(b, at, n);
  asciiCacheKeys[slot] = lo;
  asciiCacheKeys2[slot] = hi;
  asciiCacheStrings[slot] = s;
  return s;
}

function asciiLoop(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += fromCharCode(b[at + i]!);
  return s;
}

function utf16(at: number, n: number): string {
  const v = rv;
  const units = new Array<number>(Math.min(n, 8192));
  let s = '';
  for (let done = 0; done < n; ) {
    const count = Math.min(n - done, 8192);
    units.length = count;
    for (let i = 0; i < count; i++) units[i] = v.getUint16(at + 2 * (done + i), true);
    s += fromCharCode.apply(null, units);
    done += count;
  }
  return s;
}
