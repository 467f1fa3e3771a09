/**
 * OTP behaviour workloads (SPEC.md §4): R7, GenServer call round trips (same thread, across
 * threads, and across threads with pipelined callers), and R9, supervisor restart latency from a
 * crash to the replacement answering a call. Sizes are fixed so other runtimes can run the
 * identical work. The actors are defined here so scheduler threads can load them.
 */
import { defineActor, start, type ActorSystem, type Context, type Inbox, type Pid } from '../../runtime/index.js';
import { GenServer, Supervisor, type From } from '../../actors/index.js';
import { withSystem } from './with-system.js';
import { measure, percentile, perSecond, summarise, type ResultRow, type Workload } from '../harness.js';

const CALLS = 1_000_000;
const CROSS_CALLS = 200_000;
const PIPELINED_CLIENTS = 16;
const CRASHES = 10_000;

/** Replies at once with the request. */
export const BenchEcho = GenServer.define(import.meta.url, 'BenchEcho', {
  init: () => ({ ok: true, state: 0 }),
  handleCall: (req: unknown, _from: From, n: number) => ({ reply: req, state: n + 1 }),
});

/** Makes `calls` calls to `server` (default 5 s timeout), then reports the time taken. */
export const BenchCaller = defineActor(import.meta.url, 'BenchCaller', function* (ctx: Context, server: Pid, calls: number, report: Pid) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) yield* GenServer.call(ctx, server, i);
  ctx.send(report, { ms: performance.now() - t0 });
});


async function startEcho(system: ActorSystem, scheduler: number): Promise<Pid> {
  const r = await GenServer.start(system, BenchEcho, undefined, { scheduler });
  if (!r.ok) throw new Error(`R7: the server did not start: ${String(r.error)}`);
  return r.pid;
}

/** Runs `clients` callers on `scheduler` making `calls` calls in all; resolves when all are done. */
// Measured functions are declared async: tinybench calls a plain function once more to see if it
// returns a promise, which would start a second run on the same inbox.
async function callers(system: ActorSystem, me: Inbox, server: Pid, clients: number, calls: number, scheduler: number): Promise<void> {
  for (let i = 0; i < clients; i++) system.spawnOpt(BenchCaller, [server, calls / clients, me.self], { scheduler });
  for (let i = 0; i < clients; i++) {
    const m = await me.receive((x) => x.ms !== undefined, 300_000);
    if (typeof m !== 'object') throw new Error('R7: a caller did not finish within 300 s');
  }
}

export const R7: Workload = {
  id: 'R7',
  title: 'GenServer call round trips (generator caller, yield* GenServer.call, 5 s timeout per call, armed only if the reply is not in by the end of the turn)',
  async run() {
    const rows: ResultRow[] = [];
    await withSystem(0, async (system, me) => {
      const server = await startEcho(system, 0);
      const t = await measure('R7 same-thread', async () => callers(system, me, server, 1, CALLS, 0));
      rows.push({ id: 'R7', variant: 'same-thread', unit: 'ops/s', threads: 1, baselines: [], note: `${CALLS.toLocaleString('en-US')} calls, one caller`, ...perSecond(CALLS, t) });
    });
    await withSystem(1, async (system, me) => {
      const server = await startEcho(system, 1);
      const one = await measure('R7 cross-thread', async () => callers(system, me, server, 1, CROSS_CALLS, 0));
      rows.push({ id: 'R7', variant: 'cross-thread', unit: 'ops/s', threads: 2, baselines: [], note: `${CROSS_CALLS.toLocaleString('en-US')} calls, one caller on the main thread, server on a scheduler thread`, ...perSecond(CROSS_CALLS, one) });
      const many = await measure('R7 cross-thread pipelined', async () => callers(system, me, server, PIPELINED_CLIENTS, CROSS_CALLS, 0));
      rows.push({ id: 'R7', variant: 'cross-thread-pipelined', unit: 'ops/s', threads: 2, baselines: [], note: `${CROSS_CALLS.toLocaleString('en-US')} calls from ${PIPELINED_CLIENTS} callers on the main thread`, ...perSecond(CROSS_CALLS, many) });
    });
    return rows;
  },
};

/**
 * Crashes the supervised server `crashes` times; each sample is the time from the kill to the
 * replacement answering a call (the supervisor is asked for the new pid first: its answer comes
 * after it has handled the EXIT). Reports µs per sample.
 */
export const RestartProbe = defineActor(import.meta.url, 'RestartProbe', function* (ctx: Context, sup: Pid, crashes: number, report: Pid) {
  const samples: number[] = new Array(crashes);
  let [child] = yield* Supervisor.whichChildren(ctx, sup);
  for (let i = 0; i < crashes; i++) {
    const t0 = performance.now();
    ctx.exit(child!.pid!, 'kill');
    [child] = yield* Supervisor.whichChildren(ctx, sup);
    yield* GenServer.call(ctx, child!.pid!, 'ping');
    samples[i] = (performance.now() - t0) * 1000;
  }
  ctx.send(report, { samples });
});

export const R9: Workload = {
  id: 'R9',
  title: `supervisor restart latency, crash to replacement answering a call, ${CRASHES.toLocaleString('en-US')} crashes (µs)`,
  async run() {
    return withSystem(0, async (system, me) => {
      const p50: number[] = [];
      const p99: number[] = [];
      await measure('R9', async () => {
        const sup = await Supervisor.start(system, {
          strategy: 'one_for_one',
          intensity: 1_000_000_000,
          periodMs: 1_000,
          children: [{ id: 'echo', start: { server: BenchEcho } }],
        });
        if (!sup.ok) throw new Error(`R9: the supervisor did not start: ${String(sup.error)}`);
        system.spawn(RestartProbe, sup.pid, CRASHES, me.self);
        const m = await me.receive<{ samples: number[] }>((x) => x.samples !== undefined, 300_000);
        if (typeof m !== 'object') throw new Error('R9: the probe did not finish within 300 s');
        p50.push(percentile(m.samples, 50));
        p99.push(percentile(m.samples, 99));
        await GenServer.stop(system, sup.pid, 'shutdown');
      });
      return [
        { id: 'R9', variant: 'p50', unit: 'us', threads: 1, baselines: [], ...summarise(p50.slice(-5)) },
        { id: 'R9', variant: 'p99', unit: 'us', threads: 1, baselines: [], ...summarise(p99.slice(-5)) },
      ];
    });
  },
};

export const otpWorkloads: Workload[] = [R7, R9];
