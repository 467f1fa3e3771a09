/**
 * Runtime workloads across scheduler threads (SPEC.md §4: R1 and R4 cross-thread, R8), each
 * beside the same messages over postMessage between the same number of threads, measured in
 * the same run. The machine has 2 cores: every figure says how many threads it used.
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Inbox } from '../../runtime/index.js';
import { startWorker } from '../../runtime/internal.js';
import { measure, perSecond, type ResultRow, type Timing, type Workload } from '../harness.js';
import { Cruncher, Pinger, Ponger, Sink, Source } from './runtime-actors.js';
import { withSystem } from './with-system.js';

/** Cross-thread round trips cost a thread wake-up when the peer has parked: fewer than same-thread. */
const CROSS_ROUND_TRIPS = 100_000;
const FAN_IN_PER_SENDER = 1_000_000;
const CRUNCHERS = 1_000;
const CRUNCH_ITERATIONS = 200_000;

const peerModule = new URL('./postmessage-peer.ts', import.meta.url);

async function done(me: Inbox, count = 1): Promise<void> {
  for (let i = 0; i < count; i++) {
    if ((await me.receive((x) => x === 'done', 300_000)) !== 'done') throw new Error('benchmark actors did not finish');
  }
}

function peer(job: object): Worker {
  return startWorker(peerModule, { workerData: job });
}

function once<T>(w: Worker | MessagePort): Promise<T> {
  return new Promise((resolve) => w.once('message', resolve));
}

/** postMessage ping-pong between two worker threads: one-way messages per second. */
async function postMessagePingPong(rounds: number): Promise<Timing> {
  const samples: number[] = [];
  const t = await measure('R1 postMessage', async () => {
    const ponger = peer({ role: 'ponger' });
    const { port1, port2 } = new MessageChannel();
    ponger.postMessage({ port: port2 }, [port2]);
    await once(ponger);
    const pinger = peer({ role: 'pinger', rounds });
    pinger.postMessage(port1, [port1]);
    const { ms } = await once<{ ms: number }>(pinger);
    samples.push(ms);
    await Promise.all([ponger.terminate(), pinger.terminate()]);
    return { overriddenDuration: ms };
  });
  return t;
}

export const R1cross: Workload = {
  id: 'R1',
  title: `ping-pong across two scheduler threads, ${CROSS_ROUND_TRIPS.toLocaleString('en-US')} round trips`,
  async run() {
    const baseline = perSecond(CROSS_ROUND_TRIPS * 2, await postMessagePingPong(CROSS_ROUND_TRIPS));
    const t = await withSystem(2, async (system, me) =>
      measure('R1 cross-thread', async () => {
        const ponger = system.spawnOpt(Ponger, [], { scheduler: 2 });
        system.spawnOpt(Pinger, [ponger, CROSS_ROUND_TRIPS, me.self], { scheduler: 1 });
        await done(me);
        system.exit(ponger, 'kill');
      }),
    );
    return [
      {
        id: 'R1',
        variant: 'cross-thread',
        unit: 'msgs/s',
        threads: 2,
        baselines: [{ name: 'postMessage', value: baseline.value }],
        note: `${CROSS_ROUND_TRIPS} round trips between scheduler threads 1 and 2 (generator actors)`,
        ...perSecond(CROSS_ROUND_TRIPS * 2, t),
      },
    ];
  },
};

/** Two worker threads each postMessage FAN_IN_PER_SENDER messages to the main thread, which counts them. */
async function postMessageFanIn(): Promise<Timing> {
  return measure('R4 postMessage', async () => {
    const senders = [peer({ role: 'sender', count: FAN_IN_PER_SENDER }), peer({ role: 'sender', count: FAN_IN_PER_SENDER })];
    let received = 0;
    const total = FAN_IN_PER_SENDER * senders.length;
    const finished = new Promise<void>((resolve) => {
      for (const w of senders) {
        w.on('message', () => {
          if (++received === total) resolve();
        });
      }
    });
    const t0 = performance.now();
    for (const w of senders) w.postMessage('go');
    await finished;
    const ms = performance.now() - t0;
    await Promise.all(senders.map((w) => w.terminate()));
    return { overriddenDuration: ms };
  });
}

export const R4cross: Workload = {
  id: 'R4',
  title: `fan-in: 2 senders on 2 scheduler threads × ${FAN_IN_PER_SENDER.toLocaleString('en-US')} to a receiver on the main thread`,
  async run() {
    const baseline = perSecond(FAN_IN_PER_SENDER * 2, await postMessageFanIn());
    const t = await withSystem(2, async (system, me) =>
      measure('R4 cross-thread', async () => {
        const sink = system.spawnOpt(Sink, [FAN_IN_PER_SENDER * 2, me.self], { scheduler: 0 });
        system.spawnOpt(Source, [sink, FAN_IN_PER_SENDER], { scheduler: 1 });
        system.spawnOpt(Source, [sink, FAN_IN_PER_SENDER], { scheduler: 2 });
        await done(me);
      }),
    );
    return [
      {
        id: 'R4',
        variant: 'cross-thread',
        unit: 'msgs/s',
        threads: 3,
        baselines: [{ name: 'postMessage', value: baseline.value }],
        ...perSecond(FAN_IN_PER_SENDER * 2, t),
      },
    ];
  },
};

export const R8: Workload = {
  id: 'R8',
  title: `${CRUNCHERS} actors each doing a fixed CPU task: time on 1 scheduler thread / time on 2`,
  async run() {
    const timeOn = (schedulers: number) =>
      withSystem(schedulers, async (system, me) =>
        measure(`R8 ${schedulers}`, async () => {
          for (let i = 0; i < CRUNCHERS; i++) {
            system.spawnOpt(Cruncher, [CRUNCH_ITERATIONS, me.self], { scheduler: 1 + (i % schedulers) });
          }
          await done(me, CRUNCHERS);
        }),
      );
    const one = await timeOn(1);
    const two = await timeOn(2);
    const row: ResultRow = {
      id: 'R8',
      unit: 'ratio',
      threads: 2,
      value: one.median / two.median,
      min: one.min / two.max,
      max: one.max / two.min,
      runs: Math.min(one.runs, two.runs),
      baselines: [],
      note: `median ${one.median.toFixed(0)} ms on 1 scheduler thread, ${two.median.toFixed(0)} ms on 2`,
    };
    return [row];
  },
};

export const threadWorkloads: Workload[] = [R1cross, R4cross, R8];

