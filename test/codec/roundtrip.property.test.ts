import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copy, decode, decodeFrom, encode } from '../../runtime/codec.js';
import { difference, mutateDeep, sendable } from './support.js';

const RUNS = Number(process.env.CODEC_PROPERTY_RUNS ?? 500);

/** The two ways a send can copy a value: same thread and through bytes. */
const paths = [
  ['copy', (v: unknown) => copy(v)],
  ['encode/decode', (v: unknown) => decode(encode(v))],
] as const;

describe('codec - round trip (property)', () => {
  it.each(paths)('%s - the result deep-equals the value', (_name, send) => {
    fc.assert(
      fc.property(sendable, (v) => {
        expect(difference(v, send(v))).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });

  it('copy and encode/decode - mutating the value afterwards changes neither result', () => {
    // fc.clone: two independent instances of the same value, one kept pristine for comparison.
    fc.assert(
      fc.property(fc.clone(sendable, 2), ([v, pristine]) => {
        const copied = copy(v);
        const bytes = encode(v);
        mutateDeep(v);
        expect(difference(pristine, copied)).toBeNull();
        expect(difference(pristine, decode(bytes))).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });

  it('copy and encode/decode - agree with each other', () => {
    fc.assert(
      fc.property(sendable, (v) => {
        expect(difference(copy(v), decode(encode(v)))).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });

  it('encode - earlier encodings stay valid, decoded in any order and from a shared ring', () => {
    fc.assert(
      fc.property(fc.array(sendable, { minLength: 1, maxLength: 30 }), (values) => {
        const frames = values.map((v) => encode(v));
        const total = frames.reduce((n, f) => n + f.length, 0);
        const ring = new Uint8Array(new SharedArrayBuffer(total + 16));
        const spans: [number, number][] = [];
        let at = 3; // an unaligned start
        for (const f of frames) {
          ring.set(f, at);
          spans.push([at, at + f.length]);
          at += f.length;
        }
        for (let i = values.length - 1; i >= 0; i--) {
          expect(difference(values[i], decode(frames[i]!))).toBeNull();
          expect(difference(values[i], decodeFrom(ring, spans[i]![0], spans[i]![1]))).toBeNull();
        }
      }),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  });
});
