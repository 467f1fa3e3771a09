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
import { Pid, Ref } from './pid.js';

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
addExtension({ Class: Ref, type: EXT_REF, write: (r: Ref) => [r.node, r.scheduler, r.serial], read: (a: number[]) => new Ref(a[0]!, a[1]!, a[2]!) });
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
      if (v instanceof Ref) return new Ref(v.node, v.scheduler, v.serial);
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
