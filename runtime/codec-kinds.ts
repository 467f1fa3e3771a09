/**
 * What can be sent, decided in one place. The same-thread copy (codec-copy.ts) and the
 * cross-thread encoder (codec-wire.ts) both walk a message and ask `kindOf` about every object
 * they meet, so they accept and refuse exactly the same values. When either walker refuses, it
 * throws the cheap `UNSENDABLE` token; the entry point then calls `explainUnsendable`, which walks
 * the message again, slowly, keeping the path, and builds the `UnsendableError`. So the hot walks
 * carry no path and allocate nothing for it.
 *
 *     copy()/encode() --walk--> kindOf(obj) ... throw UNSENDABLE
 *           `--catch--> explainUnsendable(root) --walk with path--> UnsendableError
 *
 * What is sendable: primitives except symbols; plain objects (prototype Object.prototype or null;
 * own enumerable string keys only, symbol keys and non-enumerable properties are not sent);
 * arrays (exact Array.prototype; holes arrive as undefined, extra non-index properties are not
 * sent); Date, Map, Set, ArrayBuffer, DataView and typed arrays (exact built-in prototypes; a
 * Buffer arrives as a Uint8Array, extra properties are not sent); Pid and Ref (shared, being
 * immutable); Error and its subclasses (arrive as Error with the same name, message, stack,
 * cause and own enumerable properties); shared-binary handles once a codec for them is
 * registered. Refused: functions, symbols, other class instances (WeakMap, Promise, RegExp,
 * SharedArrayBuffer, boxed primitives, user classes), an own `__proto__` key, cycles, and
 * nesting deeper than MAX_DEPTH. A value reached twice (no cycle) is sent twice, as two copies.
 */
import { UnsendableError } from './codec-errors.js';
import { Pid, Ref } from './pid.js';

// Kinds of object. Plain numbers, not an enum, so they stay constants in every file.
export const K_BAD = 0;
export const K_PLAIN = 1;
export const K_NULL_PROTO = 2;
export const K_ARRAY = 3;
export const K_IMMUTABLE = 4;
export const K_DATE = 5;
export const K_MAP = 6;
export const K_SET = 7;
export const K_TYPED = 8;
export const K_ARRAY_BUFFER = 9;
export const K_DATA_VIEW = 10;
export const K_ERROR = 11;
export const K_HANDLE = 12;

/**
 * Deeper nesting is refused. A cycle is found this way without paying for cycle detection on
 * every send: the walk simply goes too deep, and the slow explaining walk then tells a cycle
 * from honest depth. 1,000 levels keep the recursive walks (and msgpackr's) far from the stack
 * limit.
 */
export const MAX_DEPTH = 1000;

/** Thrown by the hot walks on the first unsendable value; never escapes the codec. */
export const UNSENDABLE: unique symbol = Symbol('unsendable');

const OBJECT_PROTO: object = Object.prototype;
const ARRAY_PROTO: object = Array.prototype;
const PID_PROTO: object = Pid.prototype;
const REF_PROTO: object = Ref.prototype;
const getPrototypeOf = Object.getPrototypeOf as (o: object) => object | null;
export const hasOwn = Object.prototype.hasOwnProperty;

export type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array
  | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
type TypedArrayConstructor = new (source: TypedArray) => TypedArray;

const TYPED_ARRAY_CONSTRUCTORS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as unknown as TypedArrayConstructor[];

/** The constructor a copy of a typed array (by its exact prototype) is made with. */
export const TYPED_COPY_CONSTRUCTOR = new Map<object, TypedArrayConstructor>(
  TYPED_ARRAY_CONSTRUCTORS.map((c) => [c.prototype as object, c]),
);
// A Buffer is a Uint8Array subclass with nothing private; it arrives as a plain Uint8Array
// (as with structuredClone), on both paths.
TYPED_COPY_CONSTRUCTOR.set(Buffer.prototype, Uint8Array as unknown as TypedArrayConstructor);

const KIND_BY_PROTO = new Map<object, number>([
  [Date.prototype, K_DATE],
  [Map.prototype, K_MAP],
  [Set.prototype, K_SET],
  [ArrayBuffer.prototype, K_ARRAY_BUFFER],
  [DataView.prototype, K_DATA_VIEW],
  [Error.prototype, K_ERROR],
  ...[...TYPED_COPY_CONSTRUCTOR.keys()].map((p) => [p, K_TYPED] as [object, number]),
]);

/**
 * How shared binaries (SPEC.md §1 "Shared binaries") plug into the codec. The runtime registers
 * one with `registerSharedBinaryCodec`; until then no object is a handle.
 */
export interface SharedBinaryCodec<H extends object = object, W = unknown> {
  /** True for a handle. Asked about every object that is not plain, an array, a pid or a ref
   *  (so a handle is never one of those), before the built-in types (so it may be a typed
   *  array); keep it a prototype check. */
  isHandle(value: object): value is H;
  /** The same-thread copy (e.g. take a reference and return a new handle). Default: share it. */
  copy?(handle: H): H;
  /** Undoes `copy` when the copy of a message fails after it (a later value was unsendable). */
  release?(handle: H): void;
  /** The wire form sent to another thread. It is packed as it is, unchecked: build it from
   *  numbers (not -0), well-formed strings, booleans, arrays and plain objects only. */
  toWire(handle: H): W;
  /** Rebuilds the handle on the receiving thread from what `toWire` gave. */
  fromWire(wire: W): H;
}

let sharedBinary: SharedBinaryCodec | null = null;

/**
 * Makes handles of `codec` sendable (on both paths). One codec at a time: registering replaces
 * the previous one. Returns a function that unregisters it (if still the current one).
 */
export function registerSharedBinaryCodec<H extends object, W>(
  codec: SharedBinaryCodec<H, W>,
): () => void {
  const c = codec as unknown as SharedBinaryCodec;
  sharedBinary = c;
  return () => {
    if (sharedBinary === c) sharedBinary = null;
  };
}

/** The registered shared-binary codec, or null. */
export function sharedBinaryCodec(): SharedBinaryCodec | null {
  return sharedBinary;
}

/**
 * The kind of an object whose prototype is neither Object.prototype, Array.prototype, Pid's nor
 * Ref's (the walkers test those inline first). `proto` is `getPrototypeOf(v)`.
 */
export function kindOfOther(v: object, proto: object | null): number {
  if (proto === null) return K_NULL_PROTO;
  if (sharedBinary !== null && sharedBinary.isHandle(v)) return K_HANDLE;
  const kind = KIND_BY_PROTO.get(proto);
  if (kind !== undefined) return kind;
  return v instanceof Error ? K_ERROR : K_BAD;
}

/** The kind of any object (or function: always K_BAD). */
export function kindOf(v: object): number {
  if (typeof v === 'function') return K_BAD;
  const proto = getPrototypeOf(v);
  if (proto === OBJECT_PROTO) return K_PLAIN;
  if (proto === ARRAY_PROTO) return Array.isArray(v) ? K_ARRAY : K_BAD;
  if (proto === PID_PROTO || proto === REF_PROTO) return K_IMMUTABLE;
  return kindOfOther(v, proto);
}

/** The parts of an error that are sent besides its own enumerable properties. */
export interface ErrorParts {
  name: string;
  message: string;
  stack: string | undefined;
  hasCause: boolean;
  cause: unknown;
}

/** Keys of an error sent as parts, so skipped among its own enumerable properties. */
export function isErrorPartKey(key: string): boolean {
  return key === 'name' || key === 'message' || key === 'stack' || key === 'cause';
}

/** Reads the parts of an error the same way on both paths (non-string fields are normalised). */
export function errorParts(e: Error): ErrorParts {
  const name: unknown = e.name;
  const message: unknown = e.message;
  const stack: unknown = e.stack;
  const hasCause = hasOwn.call(e, 'cause');
  return {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : '',
    stack: typeof stack === 'string' ? stack : undefined,
    hasCause,
    cause: hasCause ? (e as { cause?: unknown }).cause : undefined,
  };
}

/**
 * Builds the received form of an error from its parts: always an `Error` (not a subclass),
 * with `name` as an own non-enumerable property when it is not "Error", the same stack, the
 * cause if there was one, and the given properties assigned in order.
 */
export function rebuildError(
  name: string,
  message: string,
  stack: string | undefined,
  hasCause: boolean,
  cause: unknown,
): Error {
  const e = hasCause ? new Error(message, { cause }) : new Error(message);
  if (name !== 'Error') {
    Object.defineProperty(e, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  }
  Object.defineProperty(e, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
  return e;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function keySegment(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A short, printable form of a Map key, for a path like `msg.m<"k">` or `msg.m<#3>`. */
function mapKeySegment(key: unknown, index: number): string {
  switch (typeof key) {
    case 'string':
      return `<${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}>`;
    case 'number':
    case 'boolean':
    case 'undefined':
      return `<${String(key)}>`;
    case 'bigint':
      return `<${key}n>`;
    default:
      if (key === null) return '<null>';
      if (key instanceof Pid || key instanceof Ref) return `<${key.toString()}>`;
      return `<#${index}>`;
  }
}

/** What an unsendable value is, in words: "a function (onData)", "an instance of Socket". */
export function describeUnsendable(v: unknown): string {
  if (typeof v === 'function') return v.name ? `a function (${v.name})` : 'a function';
  if (typeof v === 'symbol') return `a symbol (${v.toString()})`;
  if (typeof v !== 'object' || v === null) return `a ${typeof v}`;
  let name: string | undefined;
  try {
    const ctor: unknown = (v as { constructor?: unknown }).constructor;
    if (typeof ctor === 'function' && ctor.name) name = ctor.name;
  } catch {
    // a hostile getter; fall through to the tag
  }
  if (Array.isArray(v)) return `an array subclass (${name ?? 'unknown'})`;
  if (name === 'Object') return 'an object whose prototype is neither Object.prototype nor null';
  return `an instance of ${name ?? Object.prototype.toString.call(v).slice(8, -1)}`;
}

/**
 * Walks `root` as the hot walkers do, with the path, and returns the error for the first value
 * they refuse (or a cycle, or too deep). Only called after a hot walk threw UNSENDABLE.
 * `baseDepth`: how deep `root` sat in what the hot walk was given (a message inside a frame).
 * Returns undefined only if nothing is wrong (a getter gave something else the second time).
 */
export function findUnsendable(root: unknown, rootName = 'msg', baseDepth = 0): UnsendableError | undefined {
  const segments: string[] = [];
  const ancestors: object[] = [];
  const pathOf = (depth: number) => rootName + segments.slice(0, depth).join('');
  const here = () => {
    if (segments.length <= 24) return pathOf(segments.length);
    return `${rootName}${segments.slice(0, 8).join('')}…${segments.slice(-8).join('')}`;
  };

  const visitChild = (segment: string, v: unknown): UnsendableError | undefined => {
    segments.push(segment);
    const found = visit(v);
    segments.pop();
    return found;
  };

  const visitProperties = (o: object, isError: boolean): UnsendableError | undefined => {
    for (const key in o) {
      if (!hasOwn.call(o, key) || (isError && isErrorPartKey(key))) continue;
      if (key === '__proto__') return new UnsendableError(here(), 'an object with an own "__proto__" key');
      const found = visitChild(keySegment(key), (o as Record<string, unknown>)[key]);
      if (found) return found;
    }
    return undefined;
  };

  const visitContents = (v: object, kind: number): UnsendableError | undefined => {
    switch (kind) {
      case K_PLAIN:
      case K_NULL_PROTO:
        return visitProperties(v, false);
      case K_ARRAY: {
        const a = v as unknown[];
        for (let i = 0; i < a.length; i++) {
          const found = visitChild(`[${i}]`, a[i]);
          if (found) return found;
        }
        return undefined;
      }
      case K_MAP: {
        let i = 0;
        for (const [key, value] of v as Map<unknown, unknown>) {
          const found = visitChild(`<key #${i}>`, key) ?? visitChild(mapKeySegment(key, i), value);
          if (found) return found;
          i++;
        }
        return undefined;
      }
      case K_SET: {
        let i = 0;
        for (const value of v as Set<unknown>) {
          const found = visitChild(`<#${i}>`, value);
          if (found) return found;
          i++;
        }
        return undefined;
      }
      case K_ERROR: {
        const parts = errorParts(v as Error);
        return (parts.hasCause ? visitChild('.cause', parts.cause) : undefined) ?? visitProperties(v, true);
      }
      default:
        return undefined;
    }
  };

  function visit(v: unknown): UnsendableError | undefined {
    if (typeof v === 'function' || typeof v === 'symbol') return new UnsendableError(here(), describeUnsendable(v));
    if (typeof v !== 'object' || v === null) return undefined;
    const seen = ancestors.indexOf(v);
    if (seen >= 0) return new UnsendableError(here(), `a cycle back to ${pathOf(seen)}`);
    if (ancestors.length + baseDepth >= MAX_DEPTH) return new UnsendableError(here(), `nested more than ${MAX_DEPTH} levels deep`);
    const kind = kindOf(v);
    if (kind === K_BAD) return new UnsendableError(here(), describeUnsendable(v));
    ancestors.push(v);
    const found = visitContents(v, kind);
    ancestors.pop();
    return found;
  }

  return visit(root);
}

/** The error for a value a hot walk refused (see findUnsendable). */
export function explainUnsendable(root: unknown, rootName = 'msg'): UnsendableError {
  return findUnsendable(root, rootName) ?? new UnsendableError(rootName, 'a value that changed while it was being sent');
}
