/**
 * The ring across real threads: producer workers (fixtures/producer.ts) and the consumer on
 * this thread. Every worker started here is terminated before the test ends.
 */
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordRing, type ProducerMode } from 'sharedarraybuffer-queue';
import { DOORBELL, SLEEPING } from '../src/internal.js';
import { readRecord } from './fixtures/records.js';
import { nextMessage, startWorker } from './helpers.js';

const started: Worker[] = [];
/** The first worker failure: an error, or a non-zero exit before the test terminates it. */
let failure: string | undefined;

function start(args: Record<string, unknown>): Worker {
  const worker = startWorker('producer', args);
  started.push(worker);
  worker.on('error', (error) => (failure ??= `worker error: ${error.stack ?? String(error)}`));
  worker.on('exit', (code) => {
    if (code !== 0) failure ??= `worker exited with code ${code}`;
  });
  return worker;
}

afterEach(async () => {
  const workers = started.splice(0);
  for (const worker of workers) worker.removeAllListeners('exit');
  await Promise.all(workers.map((worker) => worker.terminate()));
  failure = undefined;
});

/** Consumes until every producer's `count` records arrived; checks each record on the way. */
async function consumeAll(
  ring: RecordRing,
  producers: number,
  count: number,
  maxPayload: number,
  deadlineMs: number,
): Promise<void> {
  const next = new Array<number>(producers).fill(0);
  const problems: string[] = [];
  let received = 0;
  const deadline = performance.now() + deadlineMs;
  const check = (bytes: Uint8Array, offset: number, length: number): void => {
    received++;
    const record = readRecord(bytes, offset, length, maxPayload);
    if ('error' in record) {
      problems.push(record.error);
    } else if (record.producer >= producers) {
      problems.push(`record from unknown producer ${record.producer}`);
    } else if (record.seq !== next[record.producer]) {
      problems.push(`producer ${record.producer}: seq ${record.seq} arrived, expected ${next[record.producer]}`);
      next[record.producer] = record.seq + 1;
    } else {
      next[record.producer]++;
    }
  };
  while (received < producers * count && problems.length === 0) {
    if (failure !== undefined) throw new Error(failure);
    if (performance.now() > deadline) {
      throw new Error(`after ${deadlineMs} ms: ${received} of ${producers * count} records; next seqs ${next.join(', ')}`);
    }
    if ((await ring.waitForRecords(1000)) === 'records') ring.drain(check);
  }
  expect(problems.slice(0, 5)).toEqual([]);
  expect(next).toEqual(new Array<number>(producers).fill(count));
}

const setups: { producers: ProducerMode; threads: number }[] = [
  { producers: 'single', threads: 1 },
  { producers: 'multi', threads: 3 },
];

describe.each(setups)('RecordRing threads ($producers producer, $threads threads)', ({ producers, threads }) => {
  it('threads - every record arrives intact and in per-producer order, none lost or invented', async () => {
    const count = 20_000;
    // Small ring: it fills up (push waits for room) and wraps around thousands of times.
    const ring = RecordRing.create(4096, { producers });
    const maxPayload = 200;
    const workers = Array.from({ length: threads }, (_, producer) =>
      start({ mode: 'stress', buffer: ring.buffer, producer, count, maxPayload }),
    );
    const done = Promise.all(workers.map((worker) => nextMessage(worker, 60_000)));
    done.catch(() => undefined); // a worker failure surfaces through consumeAll first
    await consumeAll(ring, threads, count, maxPayload, 60_000);
    expect(await done).toEqual(new Array<string>(threads).fill('done'));
    // Nothing after the last record.
    expect(ring.drain(() => expect.unreachable())).toBe(0);
    expect(ring.usedBytes).toBe(0);
  });

  it('doorbell - a consumer parked in waitForRecords is woken by a producer on another thread', async () => {
    const ring = RecordRing.create(1024, { producers, spinMicros: 0 });
    const words = new Int32Array(ring.buffer);
    const worker = start({ mode: 'on-signal', buffer: ring.buffer, producer: 0, count: 0, maxPayload: 16 });
    expect(await nextMessage(worker, 10_000)).toBe('ready');

    for (let round = 0; round < 3; round++) {
      const woken = ring.waitForRecords(10_000);
      expect(Atomics.load(words, SLEEPING)).toBe(1); // parked before the producer is asked
      const pushed = nextMessage(worker, 10_000);
      worker.postMessage('push');
      expect(await pushed).toBe('pushed');
      expect(await woken).toBe('records');
      let seq = -1;
      expect(
        ring.drain((bytes, offset, length) => {
          const record = readRecord(bytes, offset, length, 16);
          if ('seq' in record) seq = record.seq;
        }),
      ).toBe(1);
      expect(seq).toBe(round);
      expect(Atomics.load(words, DOORBELL)).toBe(round + 1);
    }
  });
});
