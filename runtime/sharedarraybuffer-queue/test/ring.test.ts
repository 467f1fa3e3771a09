/** The ring contract on one thread, run over both producer modes. */
import { describe, expect, it } from 'vitest';
import {
  RecordRing,
  RecordTooLargeError,
  ReentrantDrainError,
  type ProducerMode,
} from 'sharedarraybuffer-queue';
import { DOORBELL, SLEEPING, frameBytes } from '../src/internal.js';
import { recordBytes } from './helpers.js';

const modes: ProducerMode[] = ['single', 'multi'];

/** Drains everything and returns copies of the records. */
function drainAll(ring: RecordRing, max?: number): Uint8Array[] {
  const records: Uint8Array[] = [];
  ring.drain((bytes, offset, length) => records.push(bytes.slice(offset, offset + length)), max);
  return records;
}

describe.each(modes)('RecordRing (%s producer)', (producers) => {
  it('ring - records come out in push order, with their bytes', () => {
    const ring = RecordRing.create(1024, { producers });
    const sent = [recordBytes(1, 10), recordBytes(2, 0), recordBytes(3, 100), recordBytes(4, 3)];
    for (const record of sent) expect(ring.tryPush(record)).toBe(true);
    expect(ring.hasRecords()).toBe(true);
    expect(drainAll(ring)).toEqual(sent);
    expect(ring.hasRecords()).toBe(false);
    expect(ring.usedBytes).toBe(0);
    expect(ring.drain(() => expect.unreachable())).toBe(0);
  });

  it('ring - drain takes at most max records and leaves the rest in order', () => {
    const ring = RecordRing.create(1024, { producers });
    for (let id = 0; id < 5; id++) ring.tryPush(recordBytes(id, 8));
    expect(drainAll(ring, 2)).toEqual([recordBytes(0, 8), recordBytes(1, 8)]);
    expect(drainAll(ring, 0)).toEqual([]);
    expect(drainAll(ring)).toEqual([recordBytes(2, 8), recordBytes(3, 8), recordBytes(4, 8)]);
  });

  it('ring - a full ring refuses without writing, and takes records again once drained', () => {
    const ring = RecordRing.create(64, { producers });
    const record = recordBytes(7, 12); // 16-byte frames: four fill the 64-byte ring
    let accepted = 0;
    while (ring.tryPush(record)) accepted++;
    expect(accepted).toBe(4);
    expect(ring.usedBytes).toBe(64);
    expect(ring.tryPushWith(0, () => expect.unreachable())).toBe(false);
    expect(drainAll(ring)).toHaveLength(4);
    expect(ring.tryPush(record)).toBe(true);
  });

  it('ring - a record that does not fit before the end wraps to the start', () => {
    const ring = RecordRing.create(64, { producers });
    ring.tryPush(recordBytes(1, 20)); // frame 24
    ring.tryPush(recordBytes(2, 20)); // frame 24, 16 bytes left before the end
    expect(drainAll(ring)).toHaveLength(2);
    const wrapped = recordBytes(3, 28); // frame 32: skips the 16 bytes, lands at offset 0
    expect(ring.tryPush(wrapped)).toBe(true);
    expect(ring.usedBytes).toBe(16 + frameBytes(28));
    expect(drainAll(ring)).toEqual([wrapped]);
    expect(ring.usedBytes).toBe(0);
  });

  it('ring - capacity is rounded up to a power of two; half of it bounds a record', () => {
    const ring = RecordRing.create(1000, { producers });
    expect(ring.capacity).toBe(1024);
    expect(ring.maxRecordBytes).toBe(508);
    expect(RecordRing.create(1, { producers }).capacity).toBe(64);
    expect(ring.producers).toBe(producers);
    expect(ring.buffer.byteLength).toBeGreaterThan(1024);
  });

  it('ring - a record larger than the ring can hold is refused with RecordTooLargeError', async () => {
    const ring = RecordRing.create(128, { producers });
    const big = new Uint8Array(ring.maxRecordBytes + 1);
    expect(ring.tryPush(new Uint8Array(ring.maxRecordBytes))).toBe(true);
    const error = (() => {
      try {
        ring.tryPush(big);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RecordTooLargeError);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ name: 'RecordTooLargeError', size: 61, maxRecordBytes: 60 });
    expect((error as Error).message).toMatch(/61 bytes.*60 bytes/);
    expect(() => ring.tryPushWith(61, () => undefined)).toThrow(RecordTooLargeError);
    await expect(ring.push(big)).rejects.toThrow(RecordTooLargeError);
    expect(drainAll(ring)).toHaveLength(1);
  });

  it('ring - tryPushWith writes in place; a writer that throws leaves a skip nobody sees', () => {
    const ring = RecordRing.create(256, { producers });
    const first = recordBytes(1, 9);
    expect(ring.tryPushWith(9, (target, offset) => target.set(first, offset))).toBe(true);
    const failure = new Error('encoder failed');
    expect(() =>
      ring.tryPushWith(30, (target, offset) => {
        target.fill(0xee, offset, offset + 30);
        throw failure;
      }),
    ).toThrow(failure);
    const last = recordBytes(3, 5);
    expect(ring.tryPush(last)).toBe(true);
    expect(drainAll(ring)).toEqual([first, last]);
    expect(ring.usedBytes).toBe(0);
  });

  it('ring - a record whose callback throws counts as taken; the rest stay', () => {
    const ring = RecordRing.create(256, { producers });
    for (let id = 0; id < 3; id++) ring.tryPush(recordBytes(id, 4));
    const failure = new Error('handler failed');
    expect(() =>
      ring.drain(() => {
        throw failure;
      }),
    ).toThrow(failure);
    expect(drainAll(ring)).toEqual([recordBytes(1, 4), recordBytes(2, 4)]);
  });

  it('ring - drain from inside a drain callback is refused', () => {
    const ring = RecordRing.create(256, { producers });
    ring.tryPush(recordBytes(1, 4));
    ring.tryPush(recordBytes(2, 4));
    let inner: unknown;
    const taken = ring.drain(() => {
      try {
        ring.drain(() => undefined);
      } catch (error) {
        inner = error;
      }
    });
    expect(inner).toBeInstanceOf(ReentrantDrainError);
    expect(taken).toBe(2);
  });

  it('drain - a drain that producers keep feeding frees room as it goes and still returns', () => {
    // A ping-pong peer pushes the next record while the previous one is being handled: the
    // ring must not look full only because the drain has not returned yet.
    const ring = RecordRing.create(256, { producers });
    const record = (id: number): Uint8Array => recordBytes(id, 28); // 32-byte frames
    ring.tryPush(record(0));
    let next = 1;
    const seen: Uint8Array[] = [];
    let calls = 0;
    while (seen.length < 100) {
      calls++;
      const taken = ring.drain((bytes, offset, length) => {
        seen.push(bytes.slice(offset, offset + length));
        if (next < 100) expect(ring.tryPush(record(next++))).toBe(true);
      });
      expect(taken).toBeLessThanOrEqual(256 / 32); // at most one ring's worth per call
    }
    expect(calls).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, id) => record(id)));
  });

  it('ring - handles opened on the same memory share one queue', () => {
    const ring = RecordRing.create(256, { producers });
    const other = RecordRing.open(ring.buffer);
    expect(other.producers).toBe(producers);
    expect(other.capacity).toBe(ring.capacity);
    other.tryPush(recordBytes(1, 3));
    ring.tryPush(recordBytes(2, 3));
    expect(drainAll(other)).toEqual([recordBytes(1, 3), recordBytes(2, 3)]);
  });

  it('push - waits for room, resolves in call order, and tryPush waits its turn', async () => {
    const ring = RecordRing.create(64, { producers, spinMicros: 0 });
    const record = (id: number): Uint8Array => recordBytes(id, 12); // 16-byte frames
    for (let id = 0; id < 4; id++) await ring.push(record(id));
    const settled: number[] = [];
    const pending = [4, 5, 6].map((id) => ring.push(record(id)).then(() => settled.push(id)));
    expect(ring.tryPush(record(99))).toBe(false); // earlier pushes still wait
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(settled).toEqual([]);
    const drained: Uint8Array[] = [];
    while (drained.length < 7) {
      drained.push(...drainAll(ring));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    expect(settled).toEqual([4, 5, 6]);
    expect(drained).toEqual([0, 1, 2, 3, 4, 5, 6].map(record));
  });

  it('waitForRecords - resolves at once when records are there, times out when none come', async () => {
    const ring = RecordRing.create(256, { producers });
    await expect(ring.waitForRecords(0)).resolves.toBe('timeout');
    await expect(ring.waitForRecords(20)).resolves.toBe('timeout');
    ring.tryPush(recordBytes(1, 1));
    await expect(ring.waitForRecords(0)).resolves.toBe('records');
    await expect(ring.waitForRecords()).resolves.toBe('records');
  });

  it('waitForRecords - a timed-out wait leaves no waiter behind, and the next wait is woken', async () => {
    const ring = RecordRing.create(256, { producers, spinMicros: 0 });
    const words = new Int32Array(ring.buffer);
    for (let round = 0; round < 3; round++) {
      await expect(ring.waitForRecords(2)).resolves.toBe('timeout');
    }
    expect(Atomics.notify(words, DOORBELL)).toBe(0); // nobody still registered on the doorbell
    const woken = ring.waitForRecords(10_000);
    setTimeout(() => ring.tryPush(recordBytes(1, 4)), 5);
    await expect(woken).resolves.toBe('records');
  });

  it('waitForRecords - a parked consumer is woken by a push; an awake one costs no notify', async () => {
    const ring = RecordRing.create(256, { producers, spinMicros: 0 });
    const words = new Int32Array(ring.buffer);
    for (let id = 0; id < 10; id++) ring.tryPush(recordBytes(id, 4));
    expect(Atomics.load(words, DOORBELL)).toBe(0); // nobody slept: no ring
    drainAll(ring);
    const woken = ring.waitForRecords(10_000);
    expect(Atomics.load(words, SLEEPING)).toBe(1); // parked, announced in shared memory
    setTimeout(() => ring.tryPush(recordBytes(42, 4)), 5);
    await expect(woken).resolves.toBe('records');
    expect(Atomics.load(words, SLEEPING)).toBe(0);
    expect(Atomics.load(words, DOORBELL)).toBe(1);
    expect(drainAll(ring)).toEqual([recordBytes(42, 4)]);
  });
});

describe('RecordRing arguments', () => {
  it('create - refuses a bad capacity or producer mode', () => {
    expect(() => RecordRing.create(0)).toThrow(/expected capacityBytes .* got: 0/);
    expect(() => RecordRing.create(1.5)).toThrow(RangeError);
    expect(() => RecordRing.create(2 ** 30 + 1)).toThrow(RangeError);
    expect(() => RecordRing.create(64, { producers: 'many' as ProducerMode })).toThrow(
      /expected producers to be 'single' or 'multi', got: many/,
    );
    expect(() => RecordRing.create(64, { spinMicros: -1 })).toThrow(/expected spinMicros/);
    expect(RecordRing.create(64).producers).toBe('multi');
  });

  it('open - refuses memory that is not a ring', () => {
    expect(() => RecordRing.open(new ArrayBuffer(1024) as unknown as SharedArrayBuffer)).toThrow(
      /expected a SharedArrayBuffer from RecordRing.create, got: \[object ArrayBuffer\]/,
    );
    expect(() => RecordRing.open(new SharedArrayBuffer(4096))).toThrow(/without a valid ring header/);
    expect(() => RecordRing.open(new SharedArrayBuffer(8))).toThrow(TypeError);
  });

  it('waitForRecords - refuses a negative or NaN timeout', async () => {
    const ring = RecordRing.create(64);
    await expect(ring.waitForRecords(-1)).rejects.toThrow(/expected timeoutMs/);
    await expect(ring.waitForRecords(Number.NaN)).rejects.toThrow(RangeError);
  });

  it('tryPushWith - refuses a length that is not a non-negative integer', () => {
    const ring = RecordRing.create(64);
    expect(() => ring.tryPushWith(-1, () => undefined)).toThrow(/expected length/);
    expect(() => ring.tryPushWith(2.5, () => undefined)).toThrow(RangeError);
  });
});
