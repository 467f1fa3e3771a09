import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copy } from '../../runtime/codec.js';
import { PACKED_MESSAGE, readMessage, WireWriter, writeMessage } from '../../runtime/codec-wire.js';
import { Pid } from '../../runtime/pid.js';
import { difference, mutateDeep, plainData, sendable } from './support.js';

const RUNS = Number(process.env.CODEC_PROPERTY_RUNS ?? 500);

/** Writes each value after the previous (as a batch does), copies them into shared memory at an odd offset, reads them back. */
function throughRing(values: unknown[]): { received: unknown[]; plain: boolean[] } {
  const w = new WireWriter(16); // tiny: the writer grows mid-message
  const spans: [number, number][] = [];
  for (const v of values) {
    const start = w.length;
    writeMessage(w, v);
    spans.push([start, w.length]);
  }
  const at = 3;
  const shared = new Uint8Array(new SharedArrayBuffer(w.length + 8));
  shared.set(w.bytes.subarray(0, w.length), at);
  const view = new DataView(shared.buffer);
  // Out of order: a message's reading must not depend on the one before it.
  const received = new Array<unknown>(values.length);
  for (let i = values.length - 1; i >= 0; i--) received[i] = readMessage(shared, view, spans[i]![0] + at, spans[i]![1] + at);
  return { received, plain: spans.map(([s]) => w.bytes[s] !== PACKED_MESSAGE) };
}

describe('codec - the ring format for plain data (property)', () => {
  it('plain data round-trips in the plain format, equal to the value and to a same-thread copy', () => {
    fc.assert(
      fc.property(fc.array(plainData, { minLength: 1, maxLength: 10 }), (values) => {
        const { received, plain } = throughRing(values);
        for (let i = 0; i < values.length; i++) {
          expect(plain[i]).toBe(true);
          expect(difference(values[i], received[i])).toBeNull();
          expect(difference(copy(values[i]), received[i])).toBeNull();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('every sendable value round-trips (plain or through msgpackr), mutations afterwards change nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.clone(sendable, 2), { minLength: 1, maxLength: 5 }), (pairs) => {
        const w = new WireWriter(16);
        const spans: [number, number][] = [];
        for (const [v] of pairs) {
          const start = w.length;
          writeMessage(w, v);
          spans.push([start, w.length]);
        }
        for (const [v] of pairs) mutateDeep(v);
        const view = new DataView(w.bytes.buffer);
        for (let i = 0; i < pairs.length; i++) {
          expect(difference(pairs[i]![1], readMessage(w.bytes, view, spans[i]![0], spans[i]![1]))).toBeNull();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a message the plain format does not carry goes whole through msgpackr, and a refused one leaves the writer as it was', () => {
    const w = new WireWriter();
    writeMessage(w, { a: [1, 'x', { m: new Map([[1, 2]]) }] });
    expect(w.bytes[0]).toBe(PACKED_MESSAGE);
    const before = w.length;
    expect(() => writeMessage(w, { ok: 1, bad: [() => 1] })).toThrow(/msg\.bad\[0\]/);
    expect(() => writeMessage(w, { ['__proto__']: 1 } as object)).toThrow();
    expect(w.length).toBe(before);
  });

  it('a pid arrives as a fresh pid without the sender-side cache', () => {
    const pid = new Pid(0, 1, 2 ** 40);
    pid.local = {};
    const w = new WireWriter();
    writeMessage(w, { pid });
    const got = readMessage(w.bytes, new DataView(w.bytes.buffer), 0, w.length) as { pid: Pid };
    expect(got.pid).toBeInstanceOf(Pid);
    expect(got.pid.equals(pid)).toBe(true);
    expect(got.pid.local).toBeUndefined();
  });
});
