import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, UnsendableError, copy, decode, encode } from '../../runtime/codec.js';
import { Pid } from '../../runtime/pid.js';
import { sendable } from './support.js';

class Socket {
  #fd = 3;
  get fd(): number {
    return this.#fd;
  }
}
class MyList extends Array<number> {}
class MyPid extends Pid {}

function cycle(): unknown {
  const o: Record<string, unknown> = { a: { b: {} } };
  (o.a as Record<string, Record<string, unknown>>).b!.back = o.a;
  return o;
}

function nested(levels: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = { next: v };
  return v;
}

function nullProto(props: Record<string, unknown>): object {
  return Object.assign(Object.create(null) as object, props);
}

// [title, value, path, what it was]
const cases: [string, unknown, string, RegExp][] = [
  ['a function at the top', function onData() {}, 'msg', /a function \(onData\)/],
  ['a symbol at the top', Symbol('tag'), 'msg', /a symbol \(Symbol\(tag\)\)/],
  ['a function in an array', { handlers: [1, 'x', function onData() {}] }, 'msg.handlers[2]', /a function \(onData\)/],
  ['a symbol deep in objects', { a: { b: { c: Symbol('s') } } }, 'msg.a.b.c', /a symbol/],
  ['a key that needs quoting', { 'x y': () => 0 }, 'msg["x y"]', /a function/],
  ['a class instance', { conn: new Socket() }, 'msg.conn', /an instance of Socket/],
  ['a WeakMap', [new WeakMap()], 'msg[0]', /an instance of WeakMap/],
  ['a Promise', { p: Promise.resolve(1) }, 'msg.p', /an instance of Promise/],
  ['a RegExp', { r: /x/ }, 'msg.r', /an instance of RegExp/],
  ['a SharedArrayBuffer', { b: new SharedArrayBuffer(8) }, 'msg.b', /an instance of SharedArrayBuffer/],
  ['a boxed string', { s: new String('x') }, 'msg.s', /an instance of String/],
  ['an array subclass', { l: MyList.from([1]) }, 'msg.l', /an array subclass \(MyList\)/],
  ['a pid subclass', { p: new MyPid(0, 0, 1) }, 'msg.p', /an instance of MyPid/],
  ['an object with another prototype', { o: Object.create({ inherited: 1 }) }, 'msg.o', /prototype is neither/],
  ['a Map value', { m: new Map<unknown, unknown>([['k', { x: () => 0 }]]) }, 'msg.m<"k">.x', /a function/],
  ['a Map value under an object key', { m: new Map<unknown, unknown>([[1, 2], [{}, new WeakSet()]]) }, 'msg.m<#1>', /WeakSet/],
  ['a Map key', { m: new Map([[Symbol('k'), 1]]) }, 'msg.m<key #0>', /a symbol/],
  ['a Set element', { s: new Set([1, 2, () => 3]) }, 'msg.s<#2>', /a function/],
  ['an Error property', { err: Object.assign(new Error('x'), { retry() {} }) }, 'msg.err.retry', /a function \(retry\)/],
  ['an Error cause', { err: new Error('x', { cause: { socket: new Socket() } }) }, 'msg.err.cause.socket', /Socket/],
  ['inside a null-prototype object', { o: nullProto({ f: Math.max }) }, 'msg.o.f', /a function \(max\)/],
  ['an own __proto__ key', { o: JSON.parse('{"__proto__": 1}') as unknown }, 'msg.o', /own "__proto__" key/],
  ['a cycle', cycle(), 'msg.a.b.back', /a cycle back to msg\.a/],
  ['too deep', nested(MAX_DEPTH + 1), 'msg.next.next', /nested more than 1000 levels deep/],
];

const paths = [
  ['copy', (v: unknown) => copy(v)],
  ['encode', (v: unknown) => encode(v)],
] as const;

function refusal(send: (v: unknown) => unknown, v: unknown): UnsendableError {
  try {
    send(v);
  } catch (e) {
    expect(e).toBeInstanceOf(UnsendableError);
    return e as UnsendableError;
  }
  throw new Error('expected UnsendableError, but the value was sent');
}

describe.each(paths)('codec - unsendable values are refused (%s)', (_name, send) => {
  it.each(cases)('%s - the error names the path and what it was', (_title, value, path, what) => {
    const e = refusal(send, value);
    expect(e.name).toBe('UnsendableError');
    expect(e.path.startsWith(path)).toBe(true);
    expect(e.what).toMatch(what);
    expect(e.message).toContain(path);
  });

  it('a value nested exactly MAX_DEPTH levels is still sent', () => {
    expect(() => send(nested(MAX_DEPTH))).not.toThrow();
  });

  it('a getter that throws - its error passes through unchanged', () => {
    const boom = new Error('getter');
    const v = {
      get x(): number {
        throw boom;
      },
    };
    expect(() => send(v)).toThrow(boom);
  });
});

describe('codec - refusals agree (property)', () => {
  it('both paths - a function planted anywhere is refused, with the same message', () => {
    const planted = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(function planted() {}),
        fc.tuple(sendable, tie('v')).map(([s, bad]) => ({ ok: s, bad })),
        fc.tuple(fc.array(sendable, { maxLength: 3 }), tie('v')).map(([a, bad]) => [...a, bad]),
        fc.tuple(sendable, tie('v')).map(([k, bad]) => new Map([[k, bad]])),
        tie('v').map((bad) => new Set([1, bad])),
        tie('v').map((bad) => new Error('e', { cause: bad })),
      ),
    })).v;
    fc.assert(
      fc.property(planted, (v) => {
        const a = refusal(copy, v);
        const b = refusal(encode, v);
        expect(a.message).toBe(b.message);
        expect(a.what).toMatch(/a function \(planted\)/);
      }),
      { numRuns: 300 },
    );
  });

  it('encode - a refused value leaves the encoder working', () => {
    expect(() => encode({ a: [1, 2, { f: () => 0 }] })).toThrow(UnsendableError);
    expect(decode(encode({ a: [1, 2] }))).toEqual({ a: [1, 2] });
  });
});
