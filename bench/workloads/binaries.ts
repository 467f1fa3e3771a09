/**
 * R6 (issue 5): 1 MiB and 16 MiB binaries sent from an actor on scheduler thread 1 to an actor
 * on scheduler thread 2, in µs per send (a stream of sends, the receiver counting them), beside
 * the same stream of small messages, the bytes copied through the codec (a plain Uint8Array,
 * `binaryThreshold: Infinity`: encode, ring, decode), and Node's postMessage between two worker
 * threads, copying (structured clone) and transferring an ArrayBuffer, all in the same run.
 * Targets: a 1 MiB shared send within 2x of a small message, and >= 100x cheaper than a copy.
 */
import { Worker } from 'node:worker_threads';
import { SharedBinary, defineActor, start, type Context, type Inbox, type Pid, type StartOptions } from '../../runtime/index.js';
import { DEFAULT_RUNS, measure, microsEach, summarise, type ResultRow, type Timing, type Workload } from '../harness.js';

const MiB = 1024 * 1024;

/** Sends per timed run: enough to dwarf the go/done hops, few enough that copies fit in memory. */
const SENDS = { shared: 20_000, small: 20_000, copy: { [MiB]: 100, [16 * MiB]: 10 } as Record<number, number> };

type Payload = { kind: 'small' } | { kind: 'shared'; binary: SharedBinary } | { kind: 'plain'; size: number };

/** Waits for `go`, then sends `count` messages carrying the payload to `to`, yielding now and then. */
export const BinarySender = defineActor(import.meta.url, 'BinarySender', function* (ctx: Context, to: Pid, count: number) {
  const go: { payload: Payload } = yield ctx.receive();
  const p = go.payload;
  const value = p.kind === 'shared' ? p.binary : p.kind === 'plain' ? new Uint8Array(p.size).fill(1) : null;
  for (let n = 0; n < count; n++) {
    ctx.send(to, value === null ? { n } : { n, value });
    if (n % 100 === 99) yield ctx.sleep(0);
  }
  if (value instanceof SharedBinary) value.release();
});

/** Counts `count` messages (releasing the shared binaries they carry), then tells `report`. */
export const BinarySink = defineActor(import.meta.url, 'BinarySink', function* (ctx: Context, count: number, report: Pid) {
  for (let i = 0; i < count; i++) {
    const m: { value?: unknown } = yield ctx.receive();
    if (m.value instanceof SharedBinary) m.value.release();
  }
  ctx.send(report, 'done');
});

async function done(me: Inbox): Promise<void> {
  if ((await me.receive((x) => x === 'done', 300_000)) !== 'done') throw new Error('R6: the sink did not finish');
}

type Figure = ReturnType<typeof summarise>;

interface Stream {
  name: string;
  count: number;
  payload: () => Payload;
}

/**
 * Times streams of `count` sends thread 1 → thread 2 (spawning outside the timed part), each
 * stream in turn within every run, so their figures share the machine's state; µs per send.
 */
async function actorStreams(options: StartOptions, streams: Stream[], runs = DEFAULT_RUNS): Promise<Map<string, Figure>> {
  const system = await start({ logLevel: 'silent', schedulers: 2, ...options });
  const me = system.inbox();
  const samples = new Map<string, number[]>(streams.map((s) => [s.name, []]));
  try {
    for (let run = -1; run < runs; run++) {
      for (const s of streams) {
        const sink = system.spawnOpt(BinarySink, [s.count, me.self], { scheduler: 2 });
        const sender = system.spawnOpt(BinarySender, [sink, s.count], { scheduler: 1 });
        const p = s.payload();
        const t0 = performance.now();
        system.send(sender, { payload: p });
        if (p.kind === 'shared') p.binary.release(); // the sender holds its own copy now
        await done(me);
        if (run >= 0) samples.get(s.name)!.push(((performance.now() - t0) * 1000) / s.count); // run -1: warm-up
      }
    }
  } finally {
    await system.shutdown();
  }
  return new Map([...samples].map(([name, xs]) => [name, summarise(xs)]));
}

// postMessage between two worker threads (plain JavaScript, run with `eval`).
const POST_SENDER = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', ({ port, size, count, transfer }) => {
  const bytes = new Uint8Array(size).fill(1);
  for (let n = 0; n < count; n++) {
    if (transfer) {
      // A transferred buffer is gone from the sender: each send needs a new one.
      const fresh = new Uint8Array(size);
      fresh[0] = n & 0xff;
      port.postMessage(fresh, [fresh.buffer]);
    } else {
      port.postMessage(bytes);
    }
  }
});`;
const POST_SINK = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', ({ port, count }) => {
  let seen = 0;
  port.on('message', () => { if (++seen === count) { parentPort.postMessage('done'); port.close(); } });
});`;

async function postMessageStream(size: number, count: number, transfer: boolean): Promise<Timing> {
  return measure(`R6 postMessage ${transfer ? 'transfer' : 'copy'}`, async () => {
    const sender = new Worker(POST_SENDER, { eval: true });
    const sink = new Worker(POST_SINK, { eval: true });
    const { port1, port2 } = new MessageChannel();
    const finished = new Promise<void>((resolve) => sink.once('message', () => resolve()));
    sink.postMessage({ port: port2, count }, [port2]);
    await new Promise((r) => setTimeout(r, 20)); // let both threads load before timing
    const t0 = performance.now();
    sender.postMessage({ port: port1, size, count, transfer }, [port1]);
    await finished;
    const ms = performance.now() - t0;
    await Promise.all([sender.terminate(), sink.terminate()]);
    return { overriddenDuration: ms };
  });
}

const SIZES = [MiB, 16 * MiB];
const label = (size: number) => `${size / MiB} MiB`;
const sharedOf = (size: number): Payload => ({ kind: 'shared', binary: SharedBinary.alloc(size, (w) => w.fill(1)) });

export const R6: Workload = {
  id: 'R6',
  title: '1 MiB and 16 MiB binaries to an actor on another scheduler thread: shared handle vs copies',
  async run() {
    // Small messages and shared binaries interleaved in one system: their ratio is the target.
    const handles = await actorStreams({}, [
      { name: 'small', count: SENDS.small, payload: () => ({ kind: 'small' }) },
      ...SIZES.map((size) => ({ name: label(size), count: SENDS.shared, payload: () => sharedOf(size) })),
    ]);
    const plain = (options: StartOptions) =>
      actorStreams(options, SIZES.map((size) => ({ name: label(size), count: SENDS.copy[size]!, payload: (): Payload => ({ kind: 'plain', size }) })));
    const codecCopy = await plain({ binaryThreshold: Infinity });
    const heapTransit = await plain({});
    const small = handles.get('small')!;
    const rows: ResultRow[] = [
      {
        id: 'R6',
        variant: 'small message',
        unit: 'us',
        threads: 2,
        ...small,
        baselines: [],
        note: '{ n } messages, the same stream of sends thread 1 → thread 2 as the binary rows, interleaved with the shared ones',
      },
    ];
    for (const size of SIZES) {
      const copies = SENDS.copy[size]!;
      const shared = handles.get(label(size))!;
      const copy = codecCopy.get(label(size))!;
      const postCopy = microsEach(copies, await postMessageStream(size, copies, false));
      const postTransfer = microsEach(copies, await postMessageStream(size, copies, true));
      rows.push(
        {
          id: 'R6',
          variant: `${label(size)} shared binary`,
          unit: 'us',
          threads: 2,
          ...shared,
          baselines: [
            { name: 'small message', value: small.value },
            { name: 'codec copy', value: copy.value },
            { name: 'postMessage copy', value: postCopy.value },
            { name: 'postMessage transfer', value: postTransfer.value },
          ],
          note:
            `${(copy.value / shared.value).toFixed(0)}x cheaper than the codec copy, ${(shared.value / small.value).toFixed(2)}x a small ` +
            'message; streams of sends thread 1 → thread 2, the sink releases each handle; transfer: a new ArrayBuffer per send',
        },
        {
          id: 'R6',
          variant: `${label(size)} plain Uint8Array`,
          unit: 'us',
          threads: 2,
          ...heapTransit.get(label(size))!,
          baselines: [
            { name: 'codec copy', value: copy.value },
            { name: 'postMessage copy', value: postCopy.value },
          ],
          note: 'a plain Uint8Array at or above binaryThreshold: copied into the shared heap, out by the receiver (no ring, no chunks)',
        },
      );
    }
    return rows;
  },
};

export const binaryWorkloads: Workload[] = [R6];
