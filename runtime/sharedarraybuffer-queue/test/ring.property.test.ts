/**
 * Random programs of pushes and drains against a small model of the ring: a FIFO of frames
 * with the documented space policy (a record that does not fit before the end of the data area
 * also takes the bytes up to the end). Run over both producer modes, several capacities, and
 * start positions just below the 2^32 wrap of HEAD and RESERVE.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordRing, type ProducerMode } from 'sharedarraybuffer-queue';
import { HEAD, RESERVE, frameBytes } from '../src/internal.js';
import { recordBytes } from './helpers.js';

type Op =
  | { kind: 'push'; handle: number; length: number; via: 'tryPush' | 'tryPushWith' | 'throwingWriter' }
  | { kind: 'drain'; max: number | undefined };

interface Frame {
  bytes: number;
  record: Uint8Array | undefined; // undefined: a skip left by a writer that threw
}

class Model {
  head: number;
  reserve: number;
  readonly frames: Frame[] = [];

  constructor(
    readonly capacity: number,
    start: number,
  ) {
    this.head = start;
    this.reserve = start;
  }

  /** Bytes the ring must claim for `length`, or undefined when it must refuse. */
  claim(length: number): number | undefined {
    const frame = frameBytes(length);
    const toEnd = this.capacity - (this.reserve % this.capacity);
    const need = frame <= toEnd ? frame : toEnd + frame;
    return this.reserve - this.head + need <= this.capacity ? need : undefined;
  }

  push(bytes: number, record: Uint8Array | undefined): void {
    this.reserve += bytes;
    this.frames.push({ bytes, record });
  }

  drain(max: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.frames.length > 0 && out.length < max) {
      const frame = this.frames.shift()!;
      this.head += frame.bytes;
      if (frame.record !== undefined) out.push(frame.record);
    }
    return out;
  }

  hasRecords(): boolean {
    return this.frames.some((frame) => frame.record !== undefined);
  }
}

const modes: ProducerMode[] = ['single', 'multi'];

describe.each(modes)('RecordRing model (%s producer)', (producers) => {
  it('property - pushes and drains behave like the model, across wrap-around and full rings', () => {
    const program = fc
      .record({
        capacity: fc.constantFrom(64, 128, 256, 1024),
        // Near 0 or just below 2^32, where the uint32 positions wrap; 4-byte aligned.
        start: fc.oneof(
          fc.integer({ min: 0, max: 64 }).map((n) => n * 4),
          fc.integer({ min: 1, max: 512 }).map((n) => 2 ** 32 - n * 4),
        ),
        ops: fc.array(
          fc.oneof(
            {
              weight: 3,
              arbitrary: fc.record({
                kind: fc.constant('push' as const),
                handle: fc.integer({ min: 0, max: 1 }),
                length: fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 508 })),
                via: fc.constantFrom('tryPush' as const, 'tryPushWith' as const, 'throwingWriter' as const),
              }),
            },
            {
              weight: 1,
              arbitrary: fc.record({
                kind: fc.constant('drain' as const),
                max: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
              }),
            },
          ),
          { maxLength: 200 },
        ),
      })
      .map(({ capacity, start, ops }) => ({ capacity, start, ops: ops as Op[] }));

    fc.assert(
      fc.property(program, ({ capacity, start, ops }) => {
        const first = RecordRing.create(capacity, { producers });
        const words = new Int32Array(first.buffer);
        words[HEAD] = start | 0;
        words[RESERVE] = start | 0;
        const handles = [first, RecordRing.open(first.buffer)];
        const model = new Model(capacity, start);
        let id = 0;

        for (const op of ops) {
          if (op.kind === 'push') {
            const ring = handles[op.handle];
            const length = Math.min(op.length, ring.maxRecordBytes);
            const record = recordBytes(id++, length);
            const need = model.claim(length);
            let accepted: boolean;
            if (op.via === 'tryPush') {
              accepted = ring.tryPush(record);
            } else if (op.via === 'tryPushWith') {
              accepted = ring.tryPushWith(length, (target, offset) => target.set(record, offset));
            } else {
              const failure = new Error('writer failed');
              let thrown: unknown;
              try {
                accepted = ring.tryPushWith(length, () => {
                  throw failure;
                });
              } catch (error) {
                thrown = error;
                accepted = true;
              }
              if (need !== undefined) expect(thrown).toBe(failure);
            }
            expect(accepted).toBe(need !== undefined);
            if (need !== undefined) model.push(need, op.via === 'throwingWriter' ? undefined : record);
          } else {
            const got: Uint8Array[] = [];
            const count = first.drain(
              (bytes, offset, length) => got.push(bytes.slice(offset, offset + length)),
              op.max,
            );
            const expected = model.drain(op.max ?? Infinity);
            expect(count).toBe(expected.length);
            expect(got).toEqual(expected);
          }
          expect(first.usedBytes).toBe(model.reserve - model.head);
          expect(first.hasRecords()).toBe(model.hasRecords());
        }

        // Whatever is left comes out in order, and the ring is empty after.
        const rest: Uint8Array[] = [];
        first.drain((bytes, offset, length) => rest.push(bytes.slice(offset, offset + length)));
        expect(rest).toEqual(model.drain(Infinity));
        expect(first.usedBytes).toBe(0);
        expect(first.hasRecords()).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
