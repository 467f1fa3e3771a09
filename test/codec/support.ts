/**
 * Test support for the codec: an arbitrary of sendable values, a strict structural equality
 * (tells -0 from 0, checks prototypes and element types) and a deep mutator.
 */
import fc from 'fast-check';
import { Pid, Ref } from '../../runtime/pid.js';

const TYPED = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;

type AnyTyped = InstanceType<(typeof TYPED)[number]>;

export class CustomError extends Error {
  code = 'E_CUSTOM';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CustomError';
  }
}

/** Strings with lone surrogates, which UTF-8 cannot carry as they are. */
const utf16String = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 6,
});

const key = fc
  .oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('a', 'type', 'n', 'from', '0', '7', 'x y', 'constructor', 'toJSON', 'hasOwnProperty', 'name', ''),
    utf16String,
  )
  .filter((k) => k !== '__proto__');

const pid = fc.tuple(fc.nat(3), fc.nat(64), fc.maxSafeNat()).map(([a, b, c]) => new Pid(a, b, c));
const ref = fc.tuple(fc.nat(3), fc.nat(64), fc.maxSafeNat()).map(([a, b, c]) => new Ref(a, b, c));

/** A typed array, sometimes a view at an offset into a larger buffer. */
const typedArray = fc
  .tuple(fc.constantFrom(...TYPED), fc.nat(6), fc.nat(2), fc.uint8Array({ maxLength: 64 }))
  .map(([Ctor, length, offsetElements, fill]) => {
    const size = Ctor.BYTES_PER_ELEMENT;
    const buffer = new ArrayBuffer((length + offsetElements + 1) * size);
    const bytes = new Uint8Array(buffer);
    for (let i = 0; i < bytes.length; i++) bytes[i] = fill.length ? fill[i % fill.length]! : i;
    return new Ctor(buffer, offsetElements * size, length) as AnyTyped;
  });

const binary = fc.oneof(
  typedArray,
  fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ maxLength: 8 }).map((b) => b.slice().buffer),
  fc.tuple(fc.uint8Array({ maxLength: 8 }), fc.nat(3)).map(([b, off]) => {
    const buf = new ArrayBuffer(b.length + off);
    new Uint8Array(buf, off).set(b);
    return new DataView(buf, off, b.length);
  }),
);

const leaf = fc.oneof(
  fc.double(), // NaN, ±Infinity, -0 among them
  fc.integer(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31), 2 ** 32, 0.1),
  fc.bigInt(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.constantFrom(2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n), 2n ** 64n, -(2n ** 63n) - 1n),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ minLength: 30, maxLength: 80 }),
  utf16String,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: false }), // invalid dates among them
  pid,
  ref,
  binary,
);

function makeError(kind: number, message: string, cause: unknown[], props: Record<string, unknown>): Error {
  const options = cause.length ? { cause: cause[0] } : undefined;
  let e: Error;
  switch (kind) {
    case 0:
      e = new Error(message, options);
      break;
    case 1:
      e = new TypeError(message, options);
      break;
    case 2:
      e = new CustomError(message, options);
      break;
    default:
      e = new RangeError(message, options);
  }
  // A fixed stack, so that fc.clone's two instances are equal (real stacks differ by a column).
  e.stack = kind === 3 ? undefined : `${e.name}: ${message}\n    at generated (support.ts:1:1)`;
  return Object.assign(e, props);
}

/** Arbitrary sendable values: every supported type, nested. */
export const sendable: fc.Arbitrary<unknown> = fc.letrec<{
  value: unknown;
  object: unknown;
  array: unknown;
  map: unknown;
  set: unknown;
  error: unknown;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('object'),
    tie('array'),
    tie('map'),
    tie('set'),
    tie('error'),
  ),
  // dictionary makes null-prototype objects too
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  array: fc.oneof(fc.array(tie('value'), { maxLength: 5 }), fc.sparseArray(tie('value'), { maxLength: 6 })),
  map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 }).map((es) => new Map(es)),
  set: fc.array(tie('value'), { maxLength: 4 }).map((es) => new Set(es)),
  error: fc
    .tuple(
      fc.nat(3),
      fc.oneof(fc.string({ maxLength: 10 }), utf16String),
      fc.array(tie('value'), { maxLength: 1 }),
      fc.dictionary(key.filter((k) => !['name', 'message', 'stack', 'cause'].includes(k)), tie('value'), {
        maxKeys: 2,
        noNullPrototype: true,
      }),
    )
    .map(([kind, message, cause, props]) => makeError(kind, message, cause, props)),
})).value;

function bytesOf(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const TYPED_RECEIVED = new Map<object, object>(TYPED.map((C) => [C.prototype, C.prototype]));
TYPED_RECEIVED.set(Buffer.prototype, Uint8Array.prototype);

function ownKeys(o: object): string[] {
  return Object.keys(o);
}

function errorProps(e: Error): string[] {
  return Object.keys(e).filter((k) => !['name', 'message', 'stack', 'cause'].includes(k));
}

/**
 * Where `received` differs from what a send of `sent` must deliver, or null. Strict: -0 is not
 * 0, NaN equals NaN, prototypes and element types count; mutable objects must not be shared.
 */
export function difference(sent: unknown, received: unknown, path = 'msg'): string | null {
  if (typeof sent !== typeof received) return `${path}: ${typeof sent} became ${typeof received}`;
  if (typeof sent !== 'object' || sent === null) {
    return Object.is(sent, received) ? null : `${path}: ${String(sent)} became ${String(received)}`;
  }
  const r = received as object | null;
  if (r === null) return `${path}: became null`;
  if (sent instanceof Pid || sent instanceof Ref) {
    return Object.getPrototypeOf(r) === Object.getPrototypeOf(sent) && sent.equals(r) ? null : `${path}: pid/ref changed`;
  }
  if (r === sent) return `${path}: shared, not copied`;
  const proto = Object.getPrototypeOf(sent) as object | null;
  const rproto = Object.getPrototypeOf(r) as object | null;
  if (proto === Object.prototype || proto === null) {
    if (rproto !== proto) return `${path}: prototype changed`;
    const ks = ownKeys(sent);
    const kr = ownKeys(r);
    if (ks.join('\u0000') !== kr.join('\u0000')) return `${path}: keys ${JSON.stringify(ks)} became ${JSON.stringify(kr)}`;
    for (const k of ks) {
      const d = difference((sent as Record<string, unknown>)[k], (r as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(sent)) {
    if (rproto !== Array.prototype || !Array.isArray(r)) return `${path}: not an array`;
    if (r.length !== sent.length) return `${path}: length ${sent.length} became ${r.length}`;
    for (let i = 0; i < sent.length; i++) {
      if (!(i in r)) return `${path}[${i}]: a hole`;
      const d = difference(sent[i], r[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (sent instanceof Date) {
    return rproto === Date.prototype && Object.is(sent.getTime(), (r as Date).getTime()) ? null : `${path}: date changed`;
  }
  if (sent instanceof Map || sent instanceof Set) {
    if (rproto !== proto) return `${path}: not a ${proto === Map.prototype ? 'Map' : 'Set'}`;
    const es = [...(sent as Map<unknown, unknown>).entries()];
    const er = [...(r as Map<unknown, unknown>).entries()];
    if (es.length !== er.length) return `${path}: size ${es.length} became ${er.length}`;
    for (let i = 0; i < es.length; i++) {
      const d = difference(es[i]![0], er[i]![0], `${path}<key #${i}>`) ?? difference(es[i]![1], er[i]![1], `${path}<#${i}>`);
      if (d) return d;
    }
    return null;
  }
  if (ArrayBuffer.isView(sent) || sent instanceof ArrayBuffer) {
    const expected = sent instanceof DataView ? DataView.prototype : sent instanceof ArrayBuffer ? ArrayBuffer.prototype : TYPED_RECEIVED.get(proto!);
    if (rproto !== expected) return `${path}: binary type changed`;
    const rb = r as ArrayBufferView | ArrayBuffer;
    const buffer = rb instanceof ArrayBuffer ? rb : rb.buffer;
    if (!(buffer instanceof ArrayBuffer)) return `${path}: received bytes are not in an ArrayBuffer`;
    if (!(sent instanceof ArrayBuffer) && buffer === sent.buffer) return `${path}: buffer shared`;
    return sameBytes(bytesOf(sent), bytesOf(rb)) ? null : `${path}: bytes changed`;
  }
  if (sent instanceof Error) {
    const e = r as Error;
    if (rproto !== Error.prototype) return `${path}: not an Error`;
    if (e.name !== sent.name || e.message !== sent.message || e.stack !== sent.stack) return `${path}: name/message/stack changed`;
    if (Object.hasOwn(sent, 'cause') !== Object.hasOwn(e, 'cause')) return `${path}: cause presence changed`;
    const d = difference(sent.cause, e.cause, `${path}.cause`);
    if (d) return d;
    const ks = errorProps(sent);
    if (ks.join('\u0000') !== errorProps(e).join('\u0000')) return `${path}: error properties changed`;
    for (const k of ks) {
      const dk = difference((sent as unknown as Record<string, unknown>)[k], (e as unknown as Record<string, unknown>)[k], `${path}.${k}`);
      if (dk) return dk;
    }
    return null;
  }
  return `${path}: unexpected sent type`;
}

/** Changes everything mutable inside `v`, in place. */
export function mutateDeep(v: unknown): void {
  if (typeof v !== 'object' || v === null || v instanceof Pid || v instanceof Ref) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      mutateDeep(v[i]);
      v[i] = 'mutated';
    }
    v.push('added');
  } else if (v instanceof Map) {
    for (const [k, x] of v) {
      mutateDeep(k);
      mutateDeep(x);
    }
    v.clear();
    v.set('added', 1);
  } else if (v instanceof Set) {
    for (const x of v) mutateDeep(x);
    v.clear();
    v.add('added');
  } else if (v instanceof Date) {
    v.setTime(123456);
  } else if (ArrayBuffer.isView(v)) {
    new Uint8Array(v.buffer, v.byteOffset, v.byteLength).fill(0xa5);
  } else if (v instanceof ArrayBuffer) {
    new Uint8Array(v).fill(0xa5);
  } else if (v instanceof Error) {
    mutateDeep(v.cause);
    for (const k of Object.keys(v)) {
      mutateDeep((v as unknown as Record<string, unknown>)[k]);
      (v as unknown as Record<string, unknown>)[k] = 'mutated';
    }
    v.message = 'mutated';
    v.name = 'Mutated';
    v.stack = 'mutated';
    if (Object.hasOwn(v, 'cause')) v.cause = 'mutated';
  } else {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      mutateDeep(o[k]);
      o[k] = 'mutated';
    }
    o.added = 1;
  }
}

/** Plain data only (what the ring's own message format carries without msgpackr). */
export const plainData: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; object: unknown; array: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 32, 0.1),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.string({ minLength: 30, maxLength: 300 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 250, maxLength: 300 }),
      utf16String,
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      pid,
      ref,
    ),
    tie('object'),
    tie('array'),
  ),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  array: fc.oneof(fc.array(tie('value'), { maxLength: 5 }), fc.sparseArray(tie('value'), { maxLength: 6 })),
})).value;
