import { afterEach, describe, expect, it } from 'vitest';
import {
  Codec,
  EXT_PID,
  EXT_REF,
  EXT_SHARED_BINARY,
  MAX_DEPTH,
  UnsendableError,
  copy,
  decode,
  decodeFrom,
  encode,
  encodeFrame,
  registerSharedBinaryCodec,
} from '../../runtime/codec.js';
// After the codec, as in the runtime: it must be the first to load msgpackr (codec-env.ts).
import { isNativeAccelerationEnabled } from 'msgpackr';
import { PACKED_MESSAGE, readMessage, WireWriter, writeMessage } from '../../runtime/codec-wire.js';
import { Pid, Ref } from '../../runtime/pid.js';
import { difference } from './support.js';

/** Writes frames one after another into a SharedArrayBuffer, as the thread transport does. */
function ring(frames: Uint8Array[]): { buf: Uint8Array; spans: [number, number][] } {
  const buf = new Uint8Array(new SharedArrayBuffer(4096));
  const spans: [number, number][] = [];
  let at = 5;
  for (const f of frames) {
    buf.set(f, at);
    spans.push([at, at + f.length]);
    at += f.length + 3;
  }
  return { buf, spans };
}

const bigMessage = {
  type: 'publish',
  topic: 'orders.created.europe.west.with-a-long-name',
  payload: { id: 'abc-123-def-456-ghi-789-jkl-000', note: 'x'.repeat(200), tags: ['a', 'b'] },
  from: new Pid(0, 1, 2),
};

describe('codec - decoding from shared memory', () => {
  it('msgpackr native add-on - is off, so shared frames never take its failing path', () => {
    expect(isNativeAccelerationEnabled).toBe(false);
  });

  it('decodeFrom - reads frames in place from a SharedArrayBuffer ring', () => {
    const values = [{ type: 'ping', n: 1, from: new Pid(0, 1, 2) }, bigMessage, 'a string of more than thirty-two bytes', [1, -0, 2n]];
    const { buf, spans } = ring(values.map((v) => encode(v)));
    values.forEach((v, i) => {
      expect(difference(v, decodeFrom(buf, spans[i]![0], spans[i]![1]))).toBeNull();
      expect(difference(v, decode(buf.subarray(spans[i]![0], spans[i]![1])))).toBeNull();
    });
  });

  it('decode - binaries do not alias the ring', () => {
    const { buf, spans } = ring([encode({ bytes: new Uint8Array([1, 2, 3]), f: new Float64Array([1.5]) })]);
    const got = decodeFrom(buf, spans[0]![0], spans[0]![1]) as { bytes: Uint8Array; f: Float64Array };
    buf.fill(0xff);
    expect([...got.bytes]).toEqual([1, 2, 3]);
    expect(got.bytes.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...got.f]).toEqual([1.5]);
  });

  it('encode - returns a fresh Uint8Array in ordinary memory', () => {
    const bytes = encode({ a: 1 });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.buffer).toBeInstanceOf(ArrayBuffer);
  });
});

describe('codec - wire format', () => {
  it('pids and refs - msgpack fixext tags with their extension types', () => {
    expect([...encode(new Pid(1, 2, 3)).subarray(0, 2)]).toEqual([0xd4, EXT_PID]);
    expect([...encode(new Ref(1, 2, 3)).subarray(0, 2)]).toEqual([0xd4, EXT_REF]);
    const pid = decode(encode(new Pid(1, 2, 2 ** 50))) as Pid;
    expect(pid).toBeInstanceOf(Pid);
    expect(pid.equals(new Pid(1, 2, 2 ** 50))).toBe(true);
  });

  it('errors - arrive as Error with name, message, stack, cause and own properties', () => {
    class HttpError extends Error {
      status = 503;
      constructor(message: string, options?: ErrorOptions) {
        super(message, options);
        this.name = 'HttpError';
      }
    }
    const sent = new HttpError('down', { cause: new TypeError('socket') });
    for (const got of [copy(sent), decode(encode(sent)) as Error]) {
      expect(Object.getPrototypeOf(got)).toBe(Error.prototype);
      expect(got.name).toBe('HttpError');
      expect(got.message).toBe('down');
      expect(got.stack).toBe(sent.stack);
      expect((got as HttpError).status).toBe(503);
      expect((got.cause as Error).name).toBe('TypeError');
      expect(Object.keys(got)).toEqual(['status']);
    }
  });

  it('objects of 65,536+ keys and long strings with lone surrogates - survive both paths', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 70_000; i++) wide[`k${i}`] = i;
    const odd = `${'\uD800x'.repeat(10_000)}\uDC00`;
    const v = { wide, odd, nul: Object.assign(Object.create(null) as object, { [odd]: -0 }) };
    expect(difference(v, copy(v))).toBeNull();
    expect(difference(v, decode(encode(v)))).toBeNull();
  });

  it('Codec - bundles the functions as one value', () => {
    expect(Codec.decode(Codec.encode({ a: [1] }))).toEqual({ a: [1] });
    expect(Codec.copy({ a: [1] })).toEqual({ a: [1] });
    expect(Codec.UnsendableError).toBe(UnsendableError);
    const x = encode('x');
    expect(Codec.decodeFrom(x, 0, x.length)).toBe('x');
  });

  it('encodeFrame - encodes [...head, message]; error paths start at the message', () => {
    const bytes = encodeFrame([1, 42, 0], { n: -0, m: new Map([[1, 2]]) });
    expect(difference([1, 42, 0, { n: -0, m: new Map([[1, 2]]) }], decode(bytes))).toBeNull();
    expect(() => encodeFrame([1, 42, 0], { handlers: [0, () => 0] })).toThrow(/cannot send msg\.handlers\[1\]: it is a function/);
    let deep: unknown = 'bottom';
    for (let i = 0; i < MAX_DEPTH; i++) deep = { next: deep }; // as deep as encode takes
    expect(() => encode(deep)).not.toThrow();
    expect(() => encodeFrame([1], deep)).toThrow(/nested more than/);
  });

  it('decodeFrom - an empty or out-of-range span is a RangeError', () => {
    const x = encode('x');
    expect(() => decodeFrom(x, 0, 0)).toThrow(RangeError);
    expect(() => decodeFrom(x, 1, 0)).toThrow(RangeError);
    expect(() => decodeFrom(x, 0, x.length + 1)).toThrow(RangeError);
  });
});

/** A stand-in for the shared-binary handles a later issue brings. */
class FakeHandle {
  constructor(
    readonly id: number,
    readonly copyOf?: FakeHandle,
  ) {}
}

describe('codec - shared-binary hook', () => {
  let unregister: (() => void) | undefined;
  const log: string[] = [];
  afterEach(() => {
    unregister?.();
    unregister = undefined;
    log.length = 0;
  });

  function register(): void {
    unregister = registerSharedBinaryCodec<FakeHandle, [number]>({
      isHandle: (v): v is FakeHandle => v instanceof FakeHandle,
      copy: (h) => {
        log.push(`copy ${h.id}`);
        return new FakeHandle(h.id, h);
      },
      release: (h) => void log.push(`release ${h.id}`),
      toWire: (h) => {
        log.push(`toWire ${h.id}`);
        return [h.id];
      },
      fromWire: (w) => new FakeHandle(w[0]),
    });
  }

  it('without a codec - a handle is an unsendable class instance', () => {
    expect(() => copy({ h: new FakeHandle(1) })).toThrow(/msg\.h: it is an instance of FakeHandle/);
    expect(() => encode({ h: new FakeHandle(1) })).toThrow(UnsendableError);
  });

  it('copy - asks the codec for the same-thread copy', () => {
    register();
    const got = copy({ h: new FakeHandle(7) }) as { h: FakeHandle };
    expect(got.h).toBeInstanceOf(FakeHandle);
    expect(got.h.copyOf?.id).toBe(7);
    expect(log).toEqual(['copy 7']);
  });

  it('encode/decode - sends the wire form under its extension type', () => {
    register();
    const bytes = encode([new FakeHandle(9)]);
    expect(bytes.includes(EXT_SHARED_BINARY)).toBe(true);
    const got = decode(bytes) as FakeHandle[];
    expect(got[0]).toBeInstanceOf(FakeHandle);
    expect(got[0]!.id).toBe(9);
    expect(log).toEqual(['toWire 9']);
  });

  it('writeMessage - carries handles in the plain format, each toWire once and only for a message that is sent', () => {
    register();
    const w = new WireWriter();
    const view = () => new DataView(w.bytes.buffer);
    writeMessage(w, { a: new FakeHandle(1), b: [2, new FakeHandle(2)] });
    expect(w.bytes[0]).not.toBe(PACKED_MESSAGE);
    expect(log).toEqual(['toWire 1', 'toWire 2']);
    const got = readMessage(w.bytes, view(), 0, w.length) as { a: FakeHandle; b: [number, FakeHandle] };
    expect(got.a).toBeInstanceOf(FakeHandle);
    expect([got.a.id, got.b[0], got.b[1].id]).toEqual([1, 2, 2]);
    // Not plain after a handle (a Map): msgpackr carries the whole message, toWire runs once.
    log.length = 0;
    const start = w.length;
    writeMessage(w, [new FakeHandle(5), new Map([[1, 1]])]);
    expect(w.bytes[start]).toBe(PACKED_MESSAGE);
    expect(log).toEqual(['toWire 5']);
    const again = readMessage(w.bytes, view(), start, w.length) as [FakeHandle, Map<number, number>];
    expect(again[0].id).toBe(5);
    // Refused after a handle: toWire never runs, nothing is written.
    log.length = 0;
    const before = w.length;
    expect(() => writeMessage(w, { h: new FakeHandle(3), then: () => 0 })).toThrow(UnsendableError);
    expect(log).toEqual([]);
    expect(w.length).toBe(before);
  });

  it('a refused message - releases handle copies already made and never calls toWire', () => {
    register();
    const bad = { h: new FakeHandle(3), then: () => 0 };
    expect(() => copy(bad)).toThrow(UnsendableError);
    expect(log).toEqual(['copy 3', 'release 3']);
    log.length = 0;
    expect(() => encode(bad)).toThrow(UnsendableError);
    expect(log).toEqual([]);
  });

  it('decode - a handle frame without a registered codec is an error', () => {
    register();
    const bytes = encode(new FakeHandle(1));
    unregister!();
    expect(() => decode(bytes)).toThrow(/no shared-binary codec/);
  });
});

describe('codec - odd values are sent alike on both paths', () => {
  it('an array with its own iterator or constructor - sent by index', () => {
    const a = [1, { b: 2 }, 3];
    Object.assign(a, {
      *[Symbol.iterator]() {
        yield 'not these';
      },
      constructor: Map,
    });
    for (const got of [copy(a), decode(encode(a))]) {
      expect(Array.isArray(got)).toBe(true);
      expect(got).toEqual([1, { b: 2 }, 3]);
    }
  });

  it('an enumerable property on Object.prototype - not sent as an own property', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'yes';
    try {
      for (const got of [copy({ a: 1 }), decode(encode({ a: 1 }))] as Record<string, unknown>[]) {
        expect(Object.keys(got)).toEqual(['a']);
      }
    } finally {
      delete proto.polluted;
    }
  });
});

describe('codec - an own `constructor` property does not change how a value is sent', () => {
  const withConstructor = <T extends object>(v: T, c: unknown): T =>
    Object.defineProperty(v, 'constructor', { value: c, enumerable: false });
  const cases: [string, unknown][] = [
    ['an array', withConstructor([1, 2], Object)],
    ['an array (Map)', withConstructor([1, 2], Map)],
    ['a Date', withConstructor(new Date(5), Object)],
    ['a Set', withConstructor(new Set([1]), Map)],
    ['a typed array', withConstructor(new Uint16Array([1, 2]), Float64Array)],
    ['a DataView', withConstructor(new DataView(new ArrayBuffer(2)), Array)],
    ['a pid', withConstructor(new Pid(1, 2, 3), Object)],
    ['an Error', withConstructor(new Error('x'), Object)],
  ];
  it.each(cases)('%s - arrives as its own kind', (_title, v) => {
    expect(difference(v, copy(v))).toBeNull();
    expect(difference(v, decode(encode(v)))).toBeNull();
  });
});
