/**
 * The client side of the B rows: each job sets up its topics and subscribers on a running
 * broker, drives the load over HTTP and returns plain numbers (so a job can run in this
 * process or in the child of client-process.ts and send them back).
 *
 *   fanout      B1, B1-publish: 1 topic, N subscribers (pull or webhook), M messages
 *   latency     B2: 1 topic, N pull subscribers, R msgs/s for S seconds, publish-to-delivery
 *   manyTopics  B3: T topics × 1 pull subscriber, M messages to random topics
 *   publishOnly the HTTP floor (floor.ts): M single publishes to a server that only answers
 *   sinks       the webhook floor (floor.ts): start N webhook endpoints here, answer their URLs;
 *               they run until `closeSinks`
 */
import { Api, createTopic, subscribePull, subscribeWebhook, waitActive } from './api.js';
import { pullConsumers, Tally, WebhookSink } from './consumers.js';
import { publish } from './publisher.js';

export interface Target {
  readonly url: string;
  readonly key: string;
}

export interface FanoutJob {
  readonly kind: 'fanout';
  readonly protocol: 'pull' | 'webhook';
  readonly topic: string;
  readonly subscribers: number;
  readonly messages: number;
  readonly concurrency: number;
  /** Messages per publish request (batch publish); absent: single-message publishes. */
  readonly batchSize?: number;
  /** Wall-time cap of the publishing, and separately of the drain after it (ms). */
  readonly capMs: number;
}

export interface LatencyJob {
  readonly kind: 'latency';
  readonly topic: string;
  readonly subscribers: number;
  readonly ratePerSec: number;
  readonly seconds: number;
  readonly concurrency: number;
}

export interface ManyTopicsJob {
  readonly kind: 'manyTopics';
  readonly prefix: string;
  readonly topics: number;
  readonly messages: number;
  readonly concurrency: number;
  /** Pull loops sweeping the subscriptions (each takes an equal share). */
  readonly sweepers: number;
  readonly capMs: number;
}

export interface PublishOnlyJob {
  readonly kind: 'publishOnly';
  readonly topic: string;
  readonly messages: number;
  readonly concurrency: number;
  readonly capMs: number;
}

export interface SinksJob {
  readonly kind: 'sinks';
  readonly count: number;
}

export interface CloseSinksJob {
  readonly kind: 'closeSinks';
}

export type Job = FanoutJob | LatencyJob | ManyTopicsJob | PublishOnlyJob | SinksJob | CloseSinksJob;

export interface FanoutResult {
  readonly published: number;
  readonly publishMs: number;
  readonly delivered: number;
  /** From the first publish to the last delivery. */
  readonly deliverMs: number;
  readonly capped: boolean;
  /** Publish requests answered 503 (a failed store commit) and sent again. */
  readonly retried: number;
}

export interface LatencyResult {
  readonly published: number;
  readonly delivered: number;
  /** Publish-to-delivery, µs, in arrival order. */
  readonly latenciesUs: number[];
  /** Publish requests answered 503 (a failed store commit) and sent again. */
  readonly retried: number;
}

export type ManyTopicsResult = FanoutResult & { readonly setupMs: number };

/** Every result also carries the load client's CPU for the job (ms, all its threads), set by
 * the child process that ran it (client-process.ts): it shows when the client, not the broker,
 * is what limits a run on these 2 cores. */
export type PublishOnlyResult = Pick<FanoutResult, 'published' | 'publishMs' | 'capped'>;

export interface SinksResult {
  readonly urls: string[];
  /** Notifications the endpoints received (answered by closeSinks). */
  readonly received: number;
}

export type JobResult = (FanoutResult | LatencyResult | ManyTopicsResult | PublishOnlyResult | SinksResult) & { readonly clientCpuMs?: number };

// Pull settings of every job: the most a pull may take, and a long poll so idle loops park.
const PULL = { max: 100, waitMs: 500 };

export async function runJob(target: Target, job: Job): Promise<JobResult> {
  switch (job.kind) {
    case 'fanout':
      return fanout(target, job);
    case 'latency':
      return latency(target, job);
    case 'manyTopics':
      return manyTopics(target, job);
    case 'publishOnly':
      return publishOnly(target, job);
    case 'sinks':
      return startSinks(target, job);
    case 'closeSinks':
      return closeSinks();
  }
}

// The endpoints of the webhook floor, between a `sinks` job and its `closeSinks`.
let floorSinks: { sinks: WebhookSink[]; tally: Tally; api: Api } | undefined;

async function startSinks(target: Target, job: SinksJob): Promise<SinksResult> {
  if (floorSinks) throw new Error('sinks are already running');
  // The floor's endpoints are sent no confirmations, so the Api they would confirm with is idle.
  const api = new Api(target.url, target.key, 1);
  const tally = new Tally(false);
  const sinks = await Promise.all(Array.from({ length: job.count }, () => WebhookSink.start(api, tally)));
  floorSinks = { sinks, tally, api };
  return { urls: sinks.map((s) => s.url), received: 0 };
}

async function closeSinks(): Promise<SinksResult> {
  const running = floorSinks;
  floorSinks = undefined;
  if (!running) return { urls: [], received: 0 };
  await Promise.all(running.sinks.map((s) => s.close()));
  await running.api.close();
  return { urls: [], received: running.tally.delivered };
}

async function publishOnly(target: Target, job: PublishOnlyJob): Promise<PublishOnlyResult> {
  const publisher = new Api(target.url, target.key, job.concurrency);
  try {
    const sent = await publish(publisher, { topicOf: () => job.topic, count: job.messages, concurrency: job.concurrency, capMs: job.capMs });
    return { published: sent.published, publishMs: sent.ms, capped: sent.capped };
  } finally {
    await publisher.close();
  }
}

async function fanout(target: Target, job: FanoutJob): Promise<FanoutResult> {
  const admin = new Api(target.url, target.key, 4);
  const publisher = new Api(target.url, target.key, job.concurrency);
  const consumer = new Api(target.url, target.key, job.subscribers * 2);
  const tally = new Tally(false);
  const sinks: WebhookSink[] = [];
  let pulling: ReturnType<typeof pullConsumers> | undefined;
  try {
    await createTopic(admin, job.topic);
    const subs: string[] = [];
    for (let i = 0; i < job.subscribers; i++) {
      if (job.protocol === 'pull') subs.push(await subscribePull(admin, job.topic));
      else {
        const sink = await WebhookSink.start(admin, tally);
        sinks.push(sink);
        subs.push(await subscribeWebhook(admin, job.topic, sink.url));
      }
    }
    await waitActive(admin, subs);
    if (job.protocol === 'pull') pulling = pullConsumers(consumer, subs, tally, { loops: 2, ...PULL });
    const t0 = performance.now();
    const sent = await publish(publisher, { topicOf: () => job.topic, count: job.messages, concurrency: job.concurrency, capMs: job.capMs, batchSize: job.batchSize });
    const drained = await tally.reach(sent.published * job.subscribers, job.capMs);
    return { published: sent.published, publishMs: sent.ms, delivered: tally.delivered, deliverMs: tally.lastAt - t0, capped: sent.capped || !drained, retried: sent.retried };
  } finally {
    pulling?.stop();
    await pulling?.done;
    // Undelivered webhook messages would be retried against closed endpoints during the next
    // run; deleting the topic drops them with its subscriptions.
    if (job.protocol === 'webhook') await admin.call('DELETE', `/v1/topics/${job.topic}`);
    await Promise.all(sinks.map((s) => s.close()));
    await Promise.all([admin.close(), publisher.close(), consumer.close()]);
  }
}

async function latency(target: Target, job: LatencyJob): Promise<LatencyResult> {
  const admin = new Api(target.url, target.key, 4);
  const publisher = new Api(target.url, target.key, job.concurrency);
  const consumer = new Api(target.url, target.key, job.subscribers * 2);
  const tally = new Tally(true);
  await createTopic(admin, job.topic);
  const subs: string[] = [];
  for (let i = 0; i < job.subscribers; i++) subs.push(await subscribePull(admin, job.topic));
  const pulling = pullConsumers(consumer, subs, tally, { loops: 2, ...PULL });
  try {
    const count = job.ratePerSec * job.seconds;
    const sent = await publish(publisher, { topicOf: () => job.topic, count, concurrency: job.concurrency, capMs: job.seconds * 2_000, ratePerSec: job.ratePerSec });
    await tally.reach(sent.published * job.subscribers, 10_000);
    return { published: sent.published, delivered: tally.delivered, latenciesUs: tally.latencies!, retried: sent.retried };
  } finally {
    pulling.stop();
    await pulling.done;
    await Promise.all([admin.close(), publisher.close(), consumer.close()]);
  }
}

// The topics and subscriptions of a B3 broker, created by its first run and reused by the next.
const manySetups = new Map<string, Promise<string[]>>();

function manyTopicsSetup(target: Target, admin: Api, names: readonly string[], concurrency: number): Promise<string[]> {
  const key = `${target.url} ${names[0]} ${names.length}`;
  let setup = manySetups.get(key);
  if (!setup) {
    setup = (async () => {
      const subs: string[] = new Array(names.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = next++; i < names.length; i = next++) {
            await createTopic(admin, names[i]!);
            subs[i] = await subscribePull(admin, names[i]!);
          }
        }),
      );
      return subs;
    })();
    manySetups.set(key, setup);
  }
  return setup;
}

async function manyTopics(target: Target, job: ManyTopicsJob): Promise<ManyTopicsResult> {
  const admin = new Api(target.url, target.key, job.concurrency);
  const publisher = new Api(target.url, target.key, job.concurrency);
  const consumer = new Api(target.url, target.key, job.sweepers);
  const tally = new Tally(false);
  const names = Array.from({ length: job.topics }, (_, i) => `${job.prefix}${i}`);
  const setup0 = performance.now();
  const subs = await manyTopicsSetup(target, admin, names, job.concurrency);
  const setupMs = performance.now() - setup0;
  // Each sweeper pulls its share of subscriptions in turn without waiting (waitMs 0): 10,000
  // parked long polls would need 10,000 connections.
  let sweeping = true;
  const sweeps = Array.from({ length: job.sweepers }, async (_, w) => {
    const mine = subs.filter((_, i) => i % job.sweepers === w);
    while (sweeping) {
      for (const sub of mine) {
        if (!sweeping) return;
        const r = await consumer.expect<{ messages: { ackId: string; payload: unknown }[] }>(200, 'POST', `/v1/subscriptions/${sub}/pull`, { max: PULL.max, waitMs: 0 });
        if (r.messages.length === 0) continue;
        for (const m of r.messages) tally.record(m.payload);
        await consumer.expect(200, 'POST', `/v1/subscriptions/${sub}/ack`, { ackIds: r.messages.map((m) => m.ackId) });
      }
    }
  });
  try {
    const t0 = performance.now();
    const sent = await publish(publisher, { topicOf: () => names[Math.floor(Math.random() * job.topics)]!, count: job.messages, concurrency: job.concurrency, capMs: job.capMs });
    const drained = await tally.reach(sent.published, job.capMs);
    return { published: sent.published, publishMs: sent.ms, delivered: tally.delivered, deliverMs: tally.lastAt - t0, capped: sent.capped || !drained, retried: sent.retried, setupMs };
  } finally {
    sweeping = false;
    await Promise.all(sweeps);
    await Promise.all([admin.close(), publisher.close(), consumer.close()]);
  }
}
