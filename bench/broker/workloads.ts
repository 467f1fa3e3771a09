/**
 * The broker rows of SPEC.md §4 (issue 8), each against a broker started in this process over
 * a durable lmdb store (fixture.ts), loaded over real HTTP on 127.0.0.1 by the client of
 * client-process.ts (a child process by default):
 *
 *   B1          fan-out: 1 topic, 10 subscribers, 100,000 messages of 256 B; deliveries per
 *               second, variants pull and webhook. Published in batches of 100 (8 requests in
 *               flight), so the figure measures delivery, not the single-publish rate
 *   B1-publish  the publish rate (messages answered 202 per second) while 10 pull subscribers
 *               consume: variant single (64 single-message publishes in flight, its own runs)
 *               and batch-100 (B1 pull's publishing)
 *   B2          latency: 1 topic, 1,000 msgs/s for 10 s, publish to delivery, p50/p99/max;
 *               with 1 pull subscriber (the path) and with 10 (B1's fan-out)
 *   B3          10,000 topics × 1 pull subscriber, 100,000 messages to random topics
 *
 * Each run is capped in wall time (a 2-core machine cannot push a million deliveries through
 * HTTP in a few seconds): a capped run reports what completed, and its row's note says so.
 * Runs are fewer than the harness's 5 (BENCH_BROKER_RUNS, default 3) to keep the set near
 * five minutes. The reference figures of issue 8 are baselines named "(reference, earlier
 * run)": they were measured on this machine, but not in this run. The rows of single-message
 * publishes also carry the HTTP floor (floor.ts), measured in this run with the same client.
 */
import { percentile, summarise, type Baseline, type ResultRow, type Workload } from '../harness.js';
import { BROKER_SCHEDULERS, BROKER_THREADS, withBroker } from './fixture.js';
import type { LoadClient } from './client-process.js';
import { webhookFloor, withFloor } from './floor.js';
import type { FanoutResult, LatencyResult, ManyTopicsResult, PublishOnlyResult } from './jobs.js';
import { PAYLOAD_BYTES } from './payload.js';

const SUBSCRIBERS = 10;
const MESSAGES = 100_000;
const CONCURRENCY = 64;
/** B1's publishing: batches of BATCH messages, BATCH_CONCURRENCY requests in flight. */
const BATCH = 100;
const BATCH_CONCURRENCY = 8;
const RUNS = Math.max(1, Number(process.env.BENCH_BROKER_RUNS ?? 3));
/** Publishing, then the drain after it, may each take this long per run. */
const CAP_MS = Number(process.env.BENCH_BROKER_CAP_MS ?? 8_000);
const WARMUP_MESSAGES = 1_000;
const B2_RATE = 1_000;
const B2_SECONDS = 10;
const B3_TOPICS = 10_000;
const B3_SWEEPERS = 16;

const RABBIT = 'RabbitMQ 3.10 persistent+confirms (reference, earlier run)';
const NATS = 'NATS JetStream file store, explicit acks (reference, earlier run)';
const ref = (rabbit: number, nats: number): Baseline[] => [
  { name: RABBIT, value: rabbit },
  { name: NATS, value: nats },
];

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const rate = (count: number, ms: number) => (count * 1000) / ms;

/** Requests per floor run (floor.ts): enough for a steady rate, well inside the cap. */
const FLOOR_MESSAGES = 30_000;
/** The broker's default perEndpointConcurrency (broker/delivery/options.ts). */
const WEBHOOK_PER_ENDPOINT = 16;

/**
 * The HTTP floors of this run (floor.ts), measured once for the rows they bound: the median
 * single-publish rate a bare node:http server that does no work answers the same load client
 * with, and that server's CPU per request (B1-publish single, B3); and the webhook posts per
 * second the broker's own undici `post()` gets answered by the B1 webhook sinks with nothing
 * else running (B1 webhook).
 */
interface Floors {
  readonly publish: { rate: number; cpuUs: number };
  readonly webhook: { rate: number; cpuUs: number };
}
let floorRuns: Promise<Floors> | undefined;
const httpFloors = () =>
  (floorRuns ??= withFloor(async (floor, client) => {
    const job = { kind: 'publishOnly', topic: 'floor', concurrency: CONCURRENCY, capMs: CAP_MS } as const;
    await client.run({ ...job, messages: WARMUP_MESSAGES });
    const rates: number[] = [];
    const cpu0 = floor.cpuMicros();
    let requests = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await client.run<PublishOnlyResult>({ ...job, messages: FLOOR_MESSAGES });
      rates.push(rate(r.published, r.publishMs));
      requests += r.published;
    }
    const publish = { rate: summarise(rates).value, cpuUs: (floor.cpuMicros() - cpu0) / requests };
    const plan = { endpoints: SUBSCRIBERS, perEndpoint: WEBHOOK_PER_ENDPOINT, posts: FLOOR_MESSAGES, capMs: CAP_MS };
    await webhookFloor(client, { ...plan, posts: WARMUP_MESSAGES });
    const webhooks = [];
    for (let i = 0; i < RUNS; i++) webhooks.push(await webhookFloor(client, plan));
    const webhook = { rate: summarise(webhooks.map((w) => w.rate)).value, cpuUs: summarise(webhooks.map((w) => w.cpuUs)).value };
    return { publish, webhook };
  }));

const floorBaseline = ({ publish }: Floors): Baseline => ({ name: 'HTTP floor: bare node:http answering 202, no work, same client (this run)', value: publish.rate });
const floorNote = ({ publish }: Floors) =>
  `the HTTP floor (a bare node:http server answering 202 to the same client, floor.ts) took ${publish.cpuUs.toFixed(0)} µs of its process's CPU per request`;
const webhookFloorBaseline = ({ webhook }: Floors): Baseline => ({ name: 'webhook floor: the broker\'s undici post() to the same sinks, no store or actors (this run)', value: webhook.rate });
const webhookFloorNote = ({ webhook }: Floors) =>
  `the webhook floor (floor.ts) took ${webhook.cpuUs.toFixed(0)} µs of the posting process's CPU per delivery`;
const where = (client: LoadClient) =>
  `${BROKER_THREADS} JS threads (main: HTTP, store, pull server; ${BROKER_SCHEDULERS} scheduler: shards, delivery tasks) + lmdb's write thread; load client in a ${client.where}`;

interface FanoutRuns {
  runs: FanoutResult[];
  where: string;
}

async function fanoutRuns(protocol: 'pull' | 'webhook', publishing: 'single' | 'batch'): Promise<FanoutRuns> {
  return withBroker(async (_broker, client) => {
    const publish = publishing === 'single' ? { concurrency: CONCURRENCY } : { concurrency: BATCH_CONCURRENCY, batchSize: BATCH };
    const job = { kind: 'fanout', protocol, subscribers: SUBSCRIBERS, ...publish, capMs: CAP_MS } as const;
    await client.run({ ...job, topic: `warm-${protocol}`, messages: WARMUP_MESSAGES });
    const runs: FanoutResult[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await client.run<FanoutResult>({ ...job, topic: `b1-${protocol}-${i}`, messages: MESSAGES }));
    return { runs, where: where(client) };
  });
}


function completed(runs: FanoutResult[], sent: (r: FanoutResult) => number, expected: number, what: string): string {
  const capped = runs.filter((r) => r.capped).length;
  const retried = runs.reduce((sum, r) => sum + r.retried, 0);
  // A 503 means a store commit failed and nothing of that request was accepted; say so.
  const resent = retried === 0 ? '' : ` (${n(retried)} publish requests answered 503 and sent again)`;
  if (capped === 0) return `every run completed all ${n(expected)} ${what}${resent}`;
  return `${capped} of ${runs.length} runs hit the ${CAP_MS / 1000} s cap: ${runs.map((r) => n(sent(r))).join(', ')} of ${n(expected)} ${what}${resent}`;
}

function deliveriesRow(variant: 'pull' | 'webhook', result: FanoutRuns, baselines: Baseline[], extraNote = ''): ResultRow {
  const how = variant === 'pull' ? '2 loops per subscription of pull {max:100, waitMs:500} then ack' : 'one node:http endpoint per subscription, answering 200 (no signature check)';
  return {
    id: 'B1',
    variant,
    unit: 'msgs/s',
    threads: BROKER_THREADS,
    baselines,
    ...summarise(result.runs.map((r) => rate(r.delivered, r.deliverMs))),
    note:
      `deliveries/s from the first publish to the last delivery; ${SUBSCRIBERS} subscribers, ${PAYLOAD_BYTES} B JSON payloads, published in batches of ${BATCH} (${BATCH_CONCURRENCY} in flight); ${how}; ` +
      `${completed(result.runs, (r) => r.delivered, MESSAGES * SUBSCRIBERS, 'deliveries')}; publish rate in this variant ${result.runs.map((r) => n(rate(r.published, r.publishMs))).join(', ')}/s; ${result.where}${extraNote}`,
  };
}

// B1-publish's batch variant comes from B1 pull's runs when both run in one `npm run bench`, so
// they are not measured twice; alone, it runs them.
let pullRuns: Promise<FanoutRuns> | undefined;
const b1Pull = () => (pullRuns ??= fanoutRuns('pull', 'batch'));

export const B1: Workload = {
  id: 'B1',
  title: `broker fan-out: 1 topic, ${SUBSCRIBERS} subscribers, ${n(MESSAGES)} messages of ${PAYLOAD_BYTES} B (pull, webhook), lmdb`,
  async run() {
    const pull = await b1Pull();
    const webhook = await fanoutRuns('webhook', 'batch');
    const floors = await httpFloors();
    return [
      deliveriesRow('pull', pull, ref(46_000, 167_000)),
      deliveriesRow('webhook', webhook, [webhookFloorBaseline(floors), ...ref(46_000, 167_000)], `; ${webhookFloorNote(floors)}`),
    ];
  },
};

export const B1Publish: Workload = {
  id: 'B1-publish',
  title: `broker publish rate while ${SUBSCRIBERS} pull subscribers consume (messages answered 202 per second)`,
  async run() {
    const single = await fanoutRuns('pull', 'single');
    const batch = await b1Pull();
    const floor = await httpFloors();
    return [
      {
        id: 'B1-publish',
        variant: 'single',
        unit: 'msgs/s',
        threads: BROKER_THREADS,
        baselines: [floorBaseline(floor), ...ref(4_600, 21_000)],
        ...summarise(single.runs.map((r) => rate(r.published, r.publishMs))),
        note: `POST /v1/topics/:topic/messages, ${CONCURRENCY} in flight, each answered after its commit is flushed (lmdb), while ${SUBSCRIBERS} pull subscribers consume; ${completed(single.runs, (r) => r.published, MESSAGES, 'messages')}; ${single.where}; ${floorNote(floor)}`,
      },
      {
        id: 'B1-publish',
        variant: `batch-${BATCH}`,
        unit: 'msgs/s',
        threads: BROKER_THREADS,
        baselines: ref(4_600, 21_000),
        ...summarise(batch.runs.map((r) => rate(r.published, r.publishMs))),
        note: `POST /v1/topics/:topic/batch of ${BATCH} messages, ${BATCH_CONCURRENCY} in flight (B1 pull's publishing), while its ${SUBSCRIBERS} pull subscribers consume; ${completed(batch.runs, (r) => r.published, MESSAGES, 'messages')}; ${batch.where}`,
      },
    ];
  },
};

export const B2: Workload = {
  id: 'B2',
  title: `broker latency: 1 topic, 1 and ${SUBSCRIBERS} pull subscribers, ${n(B2_RATE)} msgs/s for ${B2_SECONDS} s, publish to delivery`,
  async run() {
    const rows: ResultRow[] = [];
    for (const subscribers of [1, SUBSCRIBERS]) rows.push(...(await latencyRows(subscribers)));
    return rows;
  },
};

async function latencyRows(subscribers: number): Promise<ResultRow[]> {
  return withBroker(async (_broker, client) => {
    const job = { kind: 'latency', subscribers, ratePerSec: B2_RATE, concurrency: CONCURRENCY } as const;
    await client.run({ ...job, topic: 'warm', seconds: 1 });
    const r = await client.run<LatencyResult>({ ...job, topic: 'b2', seconds: B2_SECONDS });
    // One run of 10 s: each row's min and max are those of the statistic over 10 equal
    // slices of the samples in arrival order (about one second each), its value over all.
    const slices = Array.from({ length: 10 }, (_, i) => r.latenciesUs.slice(Math.floor((i * r.latenciesUs.length) / 10), Math.floor(((i + 1) * r.latenciesUs.length) / 10)));
    const stat = (name: string, f: (xs: number[]) => number, rabbit?: number, nats?: number): ResultRow => {
      const per = slices.filter((s) => s.length > 0).map(f);
      return {
        id: 'B2',
        variant: `${subscribers} sub ${name}`,
        unit: 'us',
        threads: BROKER_THREADS,
        value: f(r.latenciesUs),
        min: Math.min(...per),
        max: Math.max(...per),
        runs: 1,
        baselines: rabbit === undefined ? [] : ref(rabbit, nats!),
        note: `pull, ${subscribers} subscriber(s), ${n(r.published)} published at ${n(B2_RATE)}/s${r.retried > 0 ? ` (${n(r.retried)} publish requests answered 503 and sent again)` : ''} and ${n(r.delivered)} of ${n(r.published * subscribers)} delivered, ${n(r.latenciesUs.length)} samples; min/max: of the statistic over ~1 s slices; ${where(client)}`,
      };
    };
    return [
      stat('p50', (xs) => percentile(xs, 50)),
      stat('p99', (xs) => percentile(xs, 99), 4_100, 2_100),
      stat('max', (xs) => Math.max(...xs)),
    ];
  });
}

export const B3: Workload = {
  id: 'B3',
  title: `broker many topics: ${n(B3_TOPICS)} topics × 1 pull subscriber, ${n(MESSAGES)} messages to random topics`,
  async run() {
    return withBroker(async (_broker, client) => {
      const runs: ManyTopicsResult[] = [];
      // One setup of 10,000 topics per run would dominate the time: every run publishes to the
      // same topics (prefix), created by the first.
      for (let i = 0; i < RUNS; i++) {
        runs.push(await client.run<ManyTopicsResult>({ kind: 'manyTopics', prefix: 'b3-', topics: B3_TOPICS, messages: MESSAGES, concurrency: CONCURRENCY, sweepers: B3_SWEEPERS, capMs: CAP_MS }));
      }
      const floor = await httpFloors();
      return [
        {
          id: 'B3',
          unit: 'msgs/s',
          threads: BROKER_THREADS,
          baselines: [floorBaseline(floor), ...ref(4_400, 1_700)],
          ...summarise(runs.map((r) => rate(r.published, r.publishMs))),
          note:
            `publishes answered 202 per second, ${CONCURRENCY} in flight, while ${B3_SWEEPERS} pull loops sweep the ${n(B3_TOPICS)} subscriptions (pull waitMs 0, then ack); ` +
            `${completed(runs, (r) => r.published, MESSAGES, 'messages')}; end to end (published and consumed) ${runs.map((r) => n(rate(r.delivered, r.deliverMs))).join(', ')}/s; ` +
            `setup of topics and subscriptions ${(runs[0]!.setupMs / 1000).toFixed(1)} s (not timed); ${where(client)}; ${floorNote(floor)}`,
        },
      ];
    });
  },
};

export const brokerWorkloads: Workload[] = [B1, B1Publish, B2, B3];
