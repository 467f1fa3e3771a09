/**
 * Queue workloads (SPEC.md §4: Q1, Q2, Q3) of the `sharedarraybuffer-queue` package, each
 * beside its postMessage / MessagePort baseline measured in the same run. The second thread
 * runs queue-worker.ts. Sizes are fixed so that other implementations can run the same work.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { RecordRing } from 'sharedarraybuffer-queue';
import { startWorker } from '../../runtime/thread-loader.js';
import {
  DEFAULT_RUNS,
  measure,
  percentile,
  perSecond,
  summarise,
  type ResultRow,
  type Workload,
} from '../harness.js';
import type { Command } from './queue-worker.js';

const RECORD_BYTES = 64;
const Q1_RECORDS = 1_000_000;
const Q1_RING_BYTES = 64 * 1024;
const Q2_RECORDS = 500_000;
const Q2_RING_BYTES = 256 * 1024;
const Q2_BATCH = 256;
const Q3_ROUND_TRIPS = 10_000;
/**
 * Q3's second figure (in the note): how long each side polls before parking. A reply within
 * the spin is caught without a wake-up; the row's value is the always-parked round trip.
 */
const Q3_SPIN_MICROS = 50;
const DEADLINE_MS = 60_000;

/** Starts queue-worker.ts on a new thread (the runtime's thread loader handles .ts sources). */
function startQueueWorker(): Worker {
  return startWorker(new URL('./queue-worker.ts', import.meta.url));
}

/** Runs `fn` with a fresh worker and terminates it whatever happens. */
async function withWorker<T>(fn: (worker: Worker) => Promise<T>): Promise<T> {
  const worker = startQueueWorker();
  try {
    return await fn(worker);
  } finally {
    await worker.terminate();
  }
}

/** Sends `command`; resolves when the worker answers 'ok' (other messages pass through). */
function command(worker: Worker, message: Command, transfer: MessagePort[] = []): Promise<void> {
  const answered = new Promise<void>((resolve, reject) => {
    const onMessage = (answer: unknown): void => {
      if (answer === 'ok') done();
    };
    const onError = (error: Error): void => done(error);
    function done(error?: Error): void {
      worker.off('message', onMessage).off('error', onError);
      if (error) reject(error);
      else resolve();
    }
    worker.on('message', onMessage).on('error', onError);
    worker.postMessage(message, transfer);
  });
  // Awaited later; if the measurement fails first, a worker error must not go unhandled.
  answered.catch(() => undefined);
  return answered;
}

/** `promise`, or a rejection naming `what` after DEADLINE_MS. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export const Q1: Workload = {
  id: 'Q1',
  title: `queue push+drain of ${RECORD_BYTES}-byte records, one thread`,
  async run() {
    const ring = RecordRing.create(Q1_RING_BYTES, { producers: 'single' });
    const record = new Uint8Array(RECORD_BYTES);
    let checksum = 0;
    const take = (bytes: Uint8Array, offset: number): void => {
      checksum += bytes[offset];
    };
    const t = await measure('Q1', () => {
      for (let i = 0; i < Q1_RECORDS; i++) {
        record[0] = i & 0xff;
        if (!ring.tryPush(record)) {
          ring.drain(take);
          ring.tryPush(record);
        }
      }
      ring.drain(take);
    });
    if (checksum === 0) throw new Error('Q1: no record was drained');
    return [
      {
        id: 'Q1',
        unit: 'msgs/s',
        threads: 1,
        baselines: [],
        note: `${Q1_RECORDS.toLocaleString('en-US')} records per run, ${Q1_RING_BYTES / 1024} KiB SPSC ring, drain when full`,
        ...perSecond(Q1_RECORDS, t),
      },
    ];
  },
};

/** Q2 through the ring: the worker produces, this thread consumes in batches. */
async function q2Queue(worker: Worker): Promise<ResultRow> {
  const ring = RecordRing.create(Q2_RING_BYTES, { producers: 'single' });
  let received = 0;
  let checksum = 0;
  const take = (bytes: Uint8Array, offset: number): void => {
    checksum += bytes[offset];
  };
  const t = await measure('Q2 queue', async () => {
    received = 0;
    const produced = command(worker, { kind: 'produce', buffer: ring.buffer, count: Q2_RECORDS, size: RECORD_BYTES });
    while (received < Q2_RECORDS) {
      if ((await ring.waitForRecords(DEADLINE_MS)) === 'timeout') throw new Error(`Q2: stalled at ${received}`);
      received += ring.drain(take);
    }
    await within(produced, 'Q2 producer');
  });
  if (checksum === 0) throw new Error('Q2: no record was drained');
  return {
    id: 'Q2',
    unit: 'msgs/s',
    threads: 2,
    baselines: [],
    note: `${Q2_RECORDS.toLocaleString('en-US')} records of ${RECORD_BYTES} B per run, ${Q2_RING_BYTES / 1024} KiB SPSC ring; postMessage-batched posts arrays of ${Q2_BATCH}`,
    ...perSecond(Q2_RECORDS, t),
  };
}

/** Q2 baselines: the worker posts the records (one per message, or arrays of `batch`). */
async function q2PostMessage(worker: Worker, batch: number): Promise<number> {
  const t = await measure(`Q2 postMessage batch ${batch}`, async () => {
    let received = 0;
    let arrived!: () => void;
    const all = new Promise<void>((resolve) => (arrived = resolve));
    const onMessage = (message: unknown): void => {
      if (message instanceof Uint8Array) received++;
      else if (Array.isArray(message)) received += message.length;
      if (received === Q2_RECORDS) arrived();
    };
    worker.on('message', onMessage);
    try {
      const posted = command(worker, { kind: 'post', count: Q2_RECORDS, size: RECORD_BYTES, batch });
      await within(Promise.all([posted, all]), `Q2 postMessage batch ${batch}`);
    } finally {
      worker.off('message', onMessage);
    }
  });
  return perSecond(Q2_RECORDS, t).value;
}

export const Q2: Workload = {
  id: 'Q2',
  title: `queue one-way ${RECORD_BYTES}-byte records, producer and consumer on two threads`,
  async run() {
    return withWorker(async (worker) => {
      const row = await q2Queue(worker);
      row.baselines = [
        { name: 'postMessage', value: await q2PostMessage(worker, 1) },
        { name: 'postMessage-batched', value: await q2PostMessage(worker, Q2_BATCH) },
      ];
      return [row];
    });
  },
};

/** p50 round trip in µs of `Q3_ROUND_TRIPS` pings, for each of the runs (after one warm-up). */
async function roundTrips(once: () => Promise<void>): Promise<number[]> {
  const p50s: number[] = [];
  const samples = new Array<number>(Q3_ROUND_TRIPS);
  for (let run = -1; run < DEFAULT_RUNS; run++) {
    for (let i = 0; i < Q3_ROUND_TRIPS; i++) {
      const start = performance.now();
      await once();
      samples[i] = (performance.now() - start) * 1000;
    }
    if (run >= 0) p50s.push(percentile(samples, 50));
  }
  return p50s;
}

async function q3Queue(worker: Worker, spinMicros: number): Promise<number[]> {
  const ping = RecordRing.create(4096, { producers: 'single' });
  const pong = RecordRing.create(4096, { producers: 'single', spinMicros });
  const echoed = command(worker, { kind: 'echo-ring', ping: ping.buffer, pong: pong.buffer, spinMicros });
  const record = new Uint8Array(RECORD_BYTES);
  const ignore = (): void => undefined;
  const p50s = await roundTrips(async () => {
    if (!ping.tryPush(record)) await ping.push(record);
    if ((await pong.waitForRecords(DEADLINE_MS)) === 'timeout') throw new Error('Q3: no pong');
    pong.drain(ignore);
  });
  await ping.push(new Uint8Array(0)); // stops the echo loop
  await within(echoed, 'Q3 ring echo');
  return p50s;
}

async function q3MessagePort(worker: Worker): Promise<number[]> {
  const { port1, port2 } = new MessageChannel();
  const echoed = command(worker, { kind: 'echo-port', port: port2 }, [port2]);
  const record = new Uint8Array(RECORD_BYTES);
  let answered: () => void = () => undefined;
  port1.on('message', () => answered());
  const p50s = await roundTrips(
    () =>
      new Promise<void>((resolve) => {
        answered = resolve;
        port1.postMessage(record);
      }),
  );
  port1.postMessage('stop');
  await within(echoed, 'Q3 port echo');
  port1.close();
  return p50s;
}

export const Q3: Workload = {
  id: 'Q3',
  title: 'doorbell wake-up round trip between two threads, p50',
  async run() {
    return withWorker(async (worker) => {
      // spinMicros 0: both sides park every time, so each round trip is two doorbell wake-ups.
      const parked = summarise(await q3Queue(worker, 0));
      // With a spin first, a reply that comes quickly is caught without parking at all.
      const spinning = summarise(await q3Queue(worker, Q3_SPIN_MICROS));
      const port = summarise(await q3MessagePort(worker));
      return [
        {
          id: 'Q3',
          unit: 'us',
          threads: 2,
          baselines: [{ name: 'MessagePort', value: port.value }],
          note:
            `ping-pong of ${RECORD_BYTES} B through two rings, waitForRecords with spinMicros 0 (both ` +
            `sides park every time); ${Q3_ROUND_TRIPS.toLocaleString('en-US')} round trips per run, ` +
            `median of the runs' p50. Spinning ${Q3_SPIN_MICROS} us first: ${spinning.value.toFixed(1)} us ` +
            `(low only when both threads have a core to themselves)`,
          ...parked,
        },
      ];
    });
  },
};

export const queueWorkloads: Workload[] = [Q1, Q2, Q3];
