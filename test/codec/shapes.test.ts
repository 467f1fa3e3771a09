/**
 * The same-thread copy compiles a copier for a plain-object shape it has seen SHAPE_COMPILE_AFTER
 * times (runtime/codec-copy.ts). These tests copy each value past that count, so the compiled
 * copier is what answers, and check it keeps the rules of the wire (and of the key-by-key copy).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHAPE_COMPILE_AFTER } from '../../runtime/codec-copy.js';
import { UnsendableError, copy, decode, encode } from '../../runtime/codec.js';
import { Pid } from '../../runtime/pid.js';
import { difference, mutateDeep, sendable } from './support.js';

const RUNS = Number(process.env.CODEC_PROPERTY_RUNS ?? 200);
/** Enough copies of one shape for its copier to be compiled and then used. */
const WARM = SHAPE_COMPILE_AFTER + 2;

/** Copies `make()` WARM times and returns the last copy (made by the compiled copier). */
function copyWarm<T>(make: () => T): T {
  let out!: T;
  for (let i = 0; i < WARM; i++) out = copy(make());
  return out;
}

describe('codec - repeated shapes (compiled copies)', () => {
  it('a message copied many times - mutating the original after the copy changes nothing', () => {
    const from = new Pid(0, 0, 7);
    let last!: { type: string; n: number; body: { items: number[] }; from: Pid };
    const got = copyWarm(() => {
      last = { type: 'ping', n: 1, body: { items: [1, 2] }, from };
      return last;
    });
    last.n = 99;
    last.body.items.push(3);
    last.type = 'changed';
    expect(got).toEqual({ type: 'ping', n: 1, body: { items: [1, 2] }, from });
    expect(got.body).not.toBe(last.body);
    expect(got.from).toBe(from); // pids are shared, being immutable
  });

  it('symbol keys and non-enumerable properties - left out, as on the wire', () => {
    const tag = Symbol('tag');
    const make = () => {
      const o: Record<string | symbol, unknown> = { a: 1, b: 'x' };
      o[tag] = 'secret';
      Object.defineProperty(o, 'hidden', { value: 2, enumerable: false });
      return o;
    };
    const got = copyWarm(make) as Record<string | symbol, unknown>;
    expect(Reflect.ownKeys(got)).toEqual(['a', 'b']);
    expect(difference(got, decode(encode(make())))).toBeNull();
  });

  it('the same keys in another order - a shape of its own, order kept', () => {
    copyWarm(() => ({ x: 1, y: 2 }));
    const got = copyWarm(() => ({ y: 2, x: 1 }));
    expect(Object.keys(got)).toEqual(['y', 'x']);
  });

  it('a value of a learnt shape that cannot be sent - still refused with its path', () => {
    copyWarm(() => ({ kind: 'job', run: 1 }));
    let e: unknown;
    try {
      copy({ kind: 'job', run: () => 0 });
    } catch (thrown) {
      e = thrown;
    }
    expect(e).toBeInstanceOf(UnsendableError);
    expect((e as UnsendableError).path).toBe('msg.run');
  });

  it('a class instance or an own __proto__ key in a learnt shape - refused', () => {
    class Conn {
      #fd = 1;
      get fd(): number {
        return this.#fd;
      }
    }
    copyWarm(() => ({ c: {} as unknown }));
    expect(() => copy({ c: new Conn() })).toThrow(UnsendableError);
    const evil = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    for (let i = 0; i < WARM; i++) expect(() => copy(evil)).toThrow(/own "__proto__" key/);
  });

  it('an object with a learnt shape\'s keys but another prototype - copied or refused by its kind', () => {
    class Msg {
      type = 'ping';
      n = 1;
    }
    copyWarm(() => ({ type: 'ping', n: 1 }));
    expect(() => copy(new Msg())).toThrow(UnsendableError);
    expect(() => copy(Object.assign(Object.create({ base: true }) as object, { type: 'ping', n: 1 }))).toThrow(UnsendableError);
    const bare = copy(Object.assign(Object.create(null) as object, { type: 'ping', n: 1 }));
    expect(Object.getPrototypeOf(bare)).toBeNull();
    expect({ ...bare }).toEqual({ type: 'ping', n: 1 });
    // The same as field values of a learnt shape.
    copyWarm(() => ({ body: { type: 'ping', n: 1 } }));
    expect(() => copy({ body: new Msg() })).toThrow(UnsendableError);
    expect(Object.getPrototypeOf(copy({ body: Object.assign(Object.create(null) as object, { type: 'ping', n: 1 }) }).body)).toBeNull();
  });

  it('a subset or superset of a learnt shape - copies exactly its own keys', () => {
    copyWarm(() => ({ p: 1, q: 2, r: 3 }));
    // Right after the longer shape (the last one copied), then after others.
    expect(Object.keys(copy({ p: 1, q: 2 }))).toEqual(['p', 'q']);
    expect(Object.keys(copyWarm(() => ({ p: 1, q: 2 })))).toEqual(['p', 'q']);
    copyWarm(() => ({ p: 1, q: 2, r: 3 }));
    expect(Object.keys(copy({ p: 1, q: 2 }))).toEqual(['p', 'q']);
    expect(Object.keys(copyWarm(() => ({ p: 1, q: 2, r: 3, s: 4 })))).toEqual(['p', 'q', 'r', 's']);
  });

  it('quoted and integer-like keys - copied as on the wire', () => {
    const make = () => ({ 'x y': 1, '7': 'seven', '0': 'zero', 'a"b\\': 2, constructor: 3, '': 4 });
    const got = copyWarm(make);
    expect(difference(got, decode(encode(make())))).toBeNull();
    expect(Object.keys(got)).toEqual(Object.keys(make()));
  });

  it('any sendable value, copied repeatedly - agrees with encode/decode and is isolated (property)', () => {
    fc.assert(
      fc.property(fc.clone(sendable, WARM + 1), (values) => {
        const pristine = values[WARM]!;
        let copied: unknown;
        for (let i = 0; i < WARM; i++) copied = copy(values[i]);
        mutateDeep(values[WARM - 1]);
        expect(difference(pristine, copied)).toBeNull();
        expect(difference(copied, decode(encode(pristine)))).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });
});
