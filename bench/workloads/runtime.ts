/**
 * Runtime workloads on one thread (SPEC.md §4: R1, R3, R3-spawn, R4, R5), copy on send
 * included. Sizes are fixed so other runtimes can run the identical work.
 */
import type { Inbox } from '../../runtime/index.js';
import { measure, microsEach, perSecond, summarise, type ResultRow, type Workload } from '../harness.js';
import {
  AsyncPinger,
  AsyncPonger,
  Helper,
  IdleActor,
  Pinger,
  Ponger,
  Requester,
  RingNode,
  Sink,
  Source,
} from './runtime-actors.js';
import { withSystem } from './with-system.js';

const ROUND_TRIPS = 1_000_000;
const RING_SIZE = 1_000;
const RING_HOPS = 1_000_000;
const SPAWN_COUNT = 100_000;
const FAN_IN = 1_000_000;

async function waitDone(me: Inbox): Promise<void> {
  const m = await me.receive((x) => x === 'done', 120_000);
  if (m !== 'done') throw new Error('benchmark actor did not finish within 120 s');
}

export const R1: Workload = {
  id: 'R1',
  title: `ping-pong, ${ROUND_TRIPS.toLocaleString('en-US')} round trips; one-way messages per second`,
  async run() {
    return withSystem(0, async (system, me) => {
      const rows: ResultRow[] = [];
      for (const [variant, ping, pong] of [
        ['same-thread', Pinger, Ponger],
        ['same-thread-async', AsyncPinger, AsyncPonger],
      ] as const) {
        const t = await measure(`R1 ${variant}`, async () => {
          const ponger = system.spawn(pong);
          system.spawn(ping, ponger, ROUND_TRIPS, me.self);
          await waitDone(me);
          system.exit(ponger, 'kill');
        });
        rows.push({
          id: 'R1',
          variant,
          unit: 'msgs/s',
          threads: 1,
          baselines: [],
          note: variant === 'same-thread' ? 'generator actors' : 'async-function actors',
          ...perSecond(ROUND_TRIPS * 2, t),
        });
      }
      return rows;
    });
  },
};

export const R3: Workload = {
  id: 'R3',
  title: `ring of ${RING_SIZE} actors, ${RING_HOPS.toLocaleString('en-US')} hops`,
  async run() {
    return withSystem(0, async (system, me) => {
      const t = await measure('R3', async () => {
        const ring = Array.from({ length: RING_SIZE }, () => system.spawn(RingNode, me.self));
        ring.forEach((pid, i) => system.send(pid, { next: ring[(i + 1) % RING_SIZE] }));
        system.send(ring[0]!, { hops: RING_HOPS });
        await waitDone(me);
        for (const pid of ring) system.exit(pid, 'kill');
      });
      return [{ id: 'R3', unit: 'msgs/s', threads: 1, baselines: [], ...perSecond(RING_HOPS, t) }];
    });
  },
};

export const R3spawn: Workload = {
  id: 'R3-spawn',
  title: `${SPAWN_COUNT.toLocaleString('en-US')} idle actors spawned: time and heap per actor`,
  async run() {
    const gc = (globalThis as { gc?: () => void }).gc;
    return withSystem(0, async (system) => {
      const bytes: number[] = [];
      const t = await measure('R3-spawn', async () => {
        gc?.();
        const before = process.memoryUsage().heapUsed;
        const t0 = performance.now();
        const pids = new Array(SPAWN_COUNT);
        for (let i = 0; i < SPAWN_COUNT; i++) pids[i] = system.spawn(IdleActor);
        // Until every actor has run to its receive (the scheduler yields between slices).
        while (system.info(pids[SPAWN_COUNT - 1])?.status !== 'waiting') await new Promise((r) => setImmediate(r));
        const elapsed = performance.now() - t0;
        gc?.();
        bytes.push((process.memoryUsage().heapUsed - before) / SPAWN_COUNT);
        for (const pid of pids) system.exit(pid, 'kill');
        return { overriddenDuration: elapsed };
      });
      const rows: ResultRow[] = [
        { id: 'R3-spawn', variant: 'us-per-actor', unit: 'us', threads: 1, baselines: [], ...microsEach(SPAWN_COUNT, t) },
      ];
      if (gc) {
        rows.push({ id: 'R3-spawn', variant: 'bytes-per-actor', unit: 'bytes', threads: 1, baselines: [], ...summarise(bytes.slice(-t.runs)) });
      }
      return rows;
    });
  },
};

export const R4: Workload = {
  id: 'R4',
  title: `fan-in: one sender, ${FAN_IN.toLocaleString('en-US')} messages to one counting receiver`,
  async run() {
    return withSystem(0, async (system, me) => {
      const t = await measure('R4 same-thread', async () => {
        const sink = system.spawn(Sink, FAN_IN, me.self);
        system.spawn(Source, sink, FAN_IN);
        await waitDone(me);
      });
      return [{ id: 'R4', variant: 'same-thread', unit: 'msgs/s', threads: 1, baselines: [], ...perSecond(FAN_IN, t) }];
    });
  },
};

export const R5: Workload = {
  id: 'R5',
  title: 'request/reply with K unrelated messages waiting in the caller\'s mailbox (µs per request)',
  async run() {
    return withSystem(0, async (system, me) => {
      const rows: ResultRow[] = [];
      for (const [variant, how, k, requests, note] of [
        ['ref-K=0', 'ref', 0, 100_000, undefined],
        ['ref-K=10000', 'ref', 10_000, 100_000, undefined],
        ['scan-K=0', 'pattern', 0, 100_000, 'receive({ tag: \'reply\' })'],
        ['scan-K=10000', 'pattern', 10_000, 5_000, 'receive({ tag: \'reply\' }): a pattern, as Erlang\'s receive {reply}'],
        ['scan-fn-K=10000', 'function', 10_000, 5_000, 'receive((m) => m.tag === \'reply\'): a function tests every waiting message each time'],
      ] as const) {
        const t = await measure(`R5 ${variant}`, async () => {
          const helper = system.spawn(Helper);
          const requester = system.spawn(Requester, helper, k, requests, how, me.self);
          const m = await me.receive<{ ms: number }>((x) => x.ms !== undefined, 120_000);
          system.exit(helper, 'kill');
          system.exit(requester, 'kill');
          if (typeof m !== 'object') throw new Error('R5 requester did not report');
          return { overriddenDuration: m.ms };
        });
        rows.push({ id: 'R5', variant, unit: 'us', threads: 1, baselines: [], ...(note ? { note } : {}), ...microsEach(requests, t) });
      }
      return rows;
    });
  },
};

export const runtimeWorkloads: Workload[] = [R1, R3, R3spawn, R4, R5];
