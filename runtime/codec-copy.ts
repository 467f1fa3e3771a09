/**
 * The same-thread half of copy on send: a deep clone specialised to the sendable types
 * (codec-kinds.ts), accepting and refusing exactly what the cross-thread encoder does, at a
 * fraction of its cost (no bytes in between). Immutable values — primitives, pids, refs — are
 * shared, not copied.
 *
 * Hot-path notes: plain objects and arrays are tested first with one prototype load each; the
 * walk keeps no path (see explainUnsendable for the slow error path) and allocates only the
 * copies themselves. A throw of UNSENDABLE unwinds to `copy`, so nothing partial escapes.
 *
 * Plain objects of a shape seen often (the same own enumerable keys in the same order: message
 * types) are copied by a function compiled for that shape, an object literal of named loads (see
 * copyPlain): a generic key-by-key copy is a megamorphic keyed store per property once a
 * program sends more than a few shapes, which measured 1.5–3x slower.
 */
import {
  K_ARRAY_BUFFER,
  K_DATA_VIEW,
  K_DATE,
  K_ERROR,
  K_HANDLE,
  K_MAP,
  K_NULL_PROTO,
  K_SET,
  K_TYPED,
  MAX_DEPTH,
  TYPED_COPY_CONSTRUCTOR,
  UNSENDABLE,
  errorParts,
  explainUnsendable,
  isErrorPartKey,
  kindOfOther,
  rebuildError,
  sharedBinaryCodec,
  type TypedArray,
} from './codec-kinds.js';
import { Pid, Ref } from './pid.js';

// Hot-path bindings kept in this module: where modules run as CommonJS (tsx for a .ts file
// outside a "type": "module" package) or under vitest's module runner, every use of an
// imported binding is a getter call, which measured copy() 5x slower.
const OBJECT_PROTO: object = Object.prototype;
const OBJECT_CTOR: unknown = Object;
const ARRAY_PROTO: object = Array.prototype;
const PID_PROTO: object = Pid.prototype;
const REF_PROTO: object = Ref.prototype;
const getPrototypeOf = Object.getPrototypeOf as (o: object) => object | null;
const hasOwnProperty = Object.prototype.hasOwnProperty;
const DEPTH_LIMIT = MAX_DEPTH;
const REFUSED = UNSENDABLE;
const classify = kindOfOther;
const typedCopyConstructor = TYPED_COPY_CONSTRUCTOR;
const arrayValues = Array.prototype[Symbol.iterator];

/** Handles copied by the current copy() calls, released if the copy fails: nothing partial escapes. */
const handleCopies: object[] = [];

function releaseHandleCopies(mark: number): void {
  const codec = sharedBinaryCodec();
  const copies = handleCopies.splice(mark);
  if (codec?.release) for (const h of copies) codec.release(h);
}

/**
 * A deep copy of `value` as the receiver of a send sees it (same types as a decode of its
 * encoding). Throws UnsendableError, naming the path, if anything in it cannot be sent; it does
 * not promise to keep shared references shared (a value reached twice is copied twice).
 */
export function copy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') throw explainUnsendable(value);
    return value;
  }
  const mark = handleCopies.length;
  try {
    // The copier of the shape copied last checks keys and prototype itself (see compileCopier);
    // tried only for what looks like a plain object, so an array or a binary is never walked
    // by its for-in (which would list every index).
    const recent = recentShape;
    let out = MISS as T;
    if (recent !== null && recent.copier !== null && (value as { constructor?: unknown }).constructor === OBJECT_CTOR) {
      out = recent.copier(value as Record<string, unknown>, 1) as T;
    }
    if (out === MISS) out = copyObject(value, 0) as T;
    if (handleCopies.length !== mark) handleCopies.length = mark; // kept: the copy succeeded
    return out;
  } catch (e) {
    releaseHandleCopies(mark);
    if (e === REFUSED) throw explainUnsendable(value);
    throw e;
  }
}

function copyValue(v: unknown, depth: number): unknown {
  if (typeof v === 'object') return v === null ? null : copyObject(v, depth);
  if (typeof v === 'function' || typeof v === 'symbol') throw REFUSED;
  return v;
}

function copyObject(v: object, depth: number): unknown {
  if (depth >= DEPTH_LIMIT) throw REFUSED;
  return copyWithProto(v, getPrototypeOf(v), depth);
}

/** copyObject for a `v` whose prototype is known (`proto`, from a compiled copier). */
function copyWithProto(v: object, proto: object | null, depth: number): unknown {
  if (depth >= DEPTH_LIMIT) throw REFUSED;
  if (proto === OBJECT_PROTO) return copyPlain(v as Record<string, unknown>, depth + 1);
  if (proto === ARRAY_PROTO) {
    if (!Array.isArray(v)) throw REFUSED;
    return copyArray(v, depth + 1);
  }
  if (proto === PID_PROTO || proto === REF_PROTO) return v;
  return copyOther(v, classify(v, proto), depth + 1);
}

// ── plain objects by shape ──────────────────────────────────────────────────────

/** Copies a plain object of one shape (`{k0: copy of v.k0, …}` in key order), or answers MISS for other keys. */
type ShapeCopier = (v: Record<string, unknown>, depth: number) => Record<string, unknown>;

/** A shape (own enumerable string keys, in for-in order) and, once seen often, its copier. */
interface Shape {
  readonly keys: readonly string[];
  copier: ShapeCopier | null;
  seen: number;
  /** Another shape with the same first key. */
  next: Shape | null;
}

/** Copies of a shape made key by key before one is compiled (a one-off shape never is). */
export const SHAPE_COMPILE_AFTER = 4;
/** Bounds: objects with more keys, and shapes beyond the first MAX_SHAPES, are copied key by key. */
const MAX_SHAPE_KEYS = 32;
const MAX_SHAPES = 2048;
let shapeCount = 0;
/** Shapes by their first key (a dictionary-like object with string keys would churn too). */
const shapesByFirstKey = new Map<string, Shape>();
/**
 * The two shapes matched last, tried before the table: a Map lookup per copy measured ~5% of a
 * same-thread hop, and traffic is mostly one shape (a stream) or two (request and reply).
 */
let recentShape: Shape | null = null;
let otherRecentShape: Shape | null = null;
/** The keys of the object being matched: reused, so matching allocates nothing. */
const scratchKeys: string[] = new Array<string>(MAX_SHAPE_KEYS).fill('');

/**
 * A plain object's copy. The key walk is the same for-in as copyProperties (own enumerable
 * string keys, in order; inherited ones skipped; `__proto__` refused), so a compiled copier
 * copies only an object whose keys are exactly its shape's. What it copies is then the same:
 * symbol keys and non-enumerable properties are not among the keys, so they are left out as on
 * the wire; each value is read once, in key order, and copied as copyValue does.
 *
 * The two shapes copied last are tried first by their compiled copiers, which check the keys
 * themselves (their for-in sees one hidden class, so V8 walks it from its enum cache) and answer
 * MISS for any other object: no key array is collected and compared on the hot path.
 */
function copyPlain(v: Record<string, unknown>, depth: number): Record<string, unknown> {
  const recent = recentShape;
  if (recent !== null && recent.copier !== null) {
    const out = recent.copier(v, depth);
    if (out !== MISS) return out;
  }
  const other = otherRecentShape;
  if (other !== null && other.copier !== null) {
    const out = other.copier(v, depth);
    if (out !== MISS) {
      otherRecentShape = recent;
      recentShape = other;
      return out;
    }
  }
  const keys = scratchKeys;
  let n = 0;
  for (const key in v) {
    if (!hasOwnProperty.call(v, key)) continue;
    if (key === '__proto__') throw REFUSED;
    if (n === MAX_SHAPE_KEYS) return copyProperties(v, {}, depth);
    keys[n++] = key;
  }
  if (n === 0) return {};
  let shape = recentShape;
  if (shape === null || !hasKeys(shape, keys, n)) {
    shape = otherRecentShape;
    if (shape === null || !hasKeys(shape, keys, n)) {
      shape = findShape(keys, n);
      if (shape === null) {
        learnShape(keys, n);
        return copyProperties(v, {}, depth);
      }
    }
    otherRecentShape = recentShape;
    recentShape = shape;
  }
  if (shape.copier !== null) return shape.copier(v, depth) as Record<string, unknown>;
  if (++shape.seen >= SHAPE_COMPILE_AFTER) shape.copier = compileCopier(shape.keys);
  return copyProperties(v, {}, depth);
}

function hasKeys(shape: Shape, keys: string[], n: number): boolean {
  const sk = shape.keys;
  if (sk.length !== n) return false;
  for (let i = 0; i < n; i++) if (sk[i] !== keys[i]) return false;
  return true;
}

function findShape(keys: string[], n: number): Shape | null {
  for (let shape = shapesByFirstKey.get(keys[0]!) ?? null; shape !== null; shape = shape.next) {
    if (hasKeys(shape, keys, n)) return shape;
  }
  return null;
}

function learnShape(keys: string[], n: number): void {
  if (shapeCount >= MAX_SHAPES) return;
  shapeCount++;
  const first = keys[0]!;
  const shape: Shape = { keys: keys.slice(0, n), copier: null, seen: 1, next: shapesByFirstKey.get(first) ?? null };
  shapesByFirstKey.set(first, shape);
}

/** A copier's answer for an object whose keys are not its shape's. */
const MISS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

function refuse(): never {
  throw REFUSED;
}

/**
 * Compiles the copier of a shape: a for-in that answers MISS unless the own enumerable keys are
 * exactly `keys` in order (an own `__proto__` key is never among them: it is refused before any
 * shape is learnt, so such an object goes to the key-by-key path, which refuses it), then MISS
 * unless the prototype is Object.prototype, then an object literal of the values, each read once
 * in key order and copied inline as copyValue would (primitives kept, functions and symbols
 * refused, objects through copyWithProto).
 *
 * Prototypes are read with Object.getPrototypeOf only after a property load from the same
 * object (the first value; `constructor` for a value that is an object): with that load's map
 * check, V8 folds getPrototypeOf to a constant, where elsewhere it is a runtime call (≈240
 * instructions per message of two, under callgrind). The `constructor` read is a plain property
 * read; for the usual values (pids, plain objects) it finds Object's or Pid's.
 *
 * Keys go into the source only through JSON.stringify, so any string is a quoted property
 * name, never code.
 */
function compileCopier(keys: readonly string[]): ShapeCopier {
  const q = keys.map((k) => JSON.stringify(k));
  const checks = q.map((k, i) => `case ${i}: if (key !== ${k}) return MISS; break;`).join(' ');
  const value =
    `typeof x === 'object' ? (x === null ? null : (x.constructor, copyWithProto(x, getPrototypeOf(x), depth))) : ` +
    `typeof x === 'function' || typeof x === 'symbol' ? refuse() : x`;
  const fields = q.map((k, i) => (i === 0 ? `${k}: (${value})` : `${k}: (x = v[${k}], ${value})`));
  const make = new Function(
    'copyWithProto',
    'refuse',
    'hasOwnProperty',
    'MISS',
    'getPrototypeOf',
    'OBJECT_PROTO',
    `return function copyShape(v, depth) {
      let i = 0;
      for (const key in v) {
        if (!hasOwnProperty.call(v, key)) continue;
        switch (i) { ${checks} default: return MISS; }
        i++;
      }
      if (i !== ${keys.length}) return MISS;
      let x = v[${q[0]}];
      if (getPrototypeOf(v) !== OBJECT_PROTO) return MISS;
      return { ${fields.join(', ')} };
    };`,
  );
  return make(copyWithProto, refuse, hasOwnProperty, MISS, getPrototypeOf, OBJECT_PROTO) as ShapeCopier;
}

function copyProperties(
  v: Record<string, unknown>,
  out: Record<string, unknown>,
  depth: number,
): Record<string, unknown> {
  // for-in, not Object.keys: no key array, and V8 turns `v[key]` into a field load and the own
  // check into an enum-cache test (measured free). Inherited keys are skipped, as msgpackr does.
  for (const key in v) {
    if (!hasOwnProperty.call(v, key)) continue;
    // Assigning "__proto__" would set the prototype; refused on both paths.
    if (key === '__proto__') throw REFUSED;
    out[key] = copyValue(v[key], depth);
  }
  return out;
}

function copyArray(v: unknown[], depth: number): unknown[] {
  // Spread copies primitives in bulk and turns holes into undefined, as msgpack does (measured
  // 5x faster than an index loop for 100 numbers). An array with its own iterator would have
  // it called, so it takes the index loop msgpackr takes.
  const out = v[Symbol.iterator] === arrayValues ? [...v] : indexCopy(v);
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const x = out[i];
    if (typeof x === 'object') {
      if (x !== null) out[i] = copyObject(x, depth);
    } else if (typeof x === 'function' || typeof x === 'symbol') {
      throw REFUSED;
    }
  }
  return out;
}

function indexCopy(v: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) out.push(v[i]);
  return out;
}

function copyOther(v: object, kind: number, depth: number): unknown {
  switch (kind) {
    case K_NULL_PROTO:
      return copyProperties(v as Record<string, unknown>, Object.create(null) as Record<string, unknown>, depth);
    case K_DATE:
      return new Date((v as Date).getTime());
    case K_MAP: {
      const out = new Map<unknown, unknown>();
      for (const [key, value] of v as Map<unknown, unknown>) {
        out.set(copyValue(key, depth), copyValue(value, depth));
      }
      return out;
    }
    case K_SET: {
      const out = new Set<unknown>();
      for (const value of v as Set<unknown>) out.add(copyValue(value, depth));
      return out;
    }
    case K_TYPED: {
      const Ctor = typedCopyConstructor.get(getPrototypeOf(v)!)!;
      return new Ctor(v as TypedArray); // same element type: a byte copy of just the view
    }
    case K_ARRAY_BUFFER:
      return (v as ArrayBuffer).slice(0);
    case K_DATA_VIEW: {
      const dv = v as DataView;
      // Through a Uint8Array: slice() of a SharedArrayBuffer would stay shared.
      return new DataView(new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength).slice().buffer);
    }
    case K_ERROR:
      return copyError(v as Error, depth);
    case K_HANDLE: {
      const codec = sharedBinaryCodec()!;
      if (!codec.copy) return v;
      const h = codec.copy(v);
      handleCopies.push(h);
      return h;
    }
    default:
      throw REFUSED;
  }
}

function copyError(e: Error, depth: number): Error {
  const parts = errorParts(e);
  const cause = parts.hasCause ? copyValue(parts.cause, depth) : undefined;
  const out = rebuildError(parts.name, parts.message, parts.stack, parts.hasCause, cause) as unknown as Record<
    string,
    unknown
  >;
  for (const key in e) {
    if (!hasOwnProperty.call(e, key) || isErrorPartKey(key)) continue;
    if (key === '__proto__') throw REFUSED;
    out[key] = copyValue((e as unknown as Record<string, unknown>)[key], depth);
  }
  return out as unknown as Error;
}
