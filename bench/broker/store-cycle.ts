/**
 * The durable store alone (no broker, no HTTP): what one delivery costs over its life —
 * publish, claim, ack, and the later sweep of its acked record — on a real lmdb file in a
 * temp dir (removed after).
 *
 *   node --conditions=source --import tsx bench/broker/store-cycle.ts [fanout|topics|all] [messages]
 *
 *   fanout  1 topic × 10 pull subscriptions (B1-like): single-message publishes, 64 in
 *           flight (each its own store write, grouped into lmdb commits as in the broker),
 *           then per subscription a loop of claim 100 → ack those 100, the 10 loops together.
 *   topics  10,000 topics × 1 pull subscription (B3-like): single-message publishes to
 *           random topics, 64 in flight, then 16 loops sweeping the subscriptions
 *           (claim up to 100 → ack).
 *
 * Each ends with a `deadline` phase (a claim on every lane after every ack deadline has
 * passed: whatever the store left to be checked at a deadline is paid for there, and nothing
 * may be handed out again) and the `sweep` of the acked records.
 *
 * Reported per delivery (one message × one subscription), by phase:
 *   tx µs   time inside the store's transaction callbacks (reads and writes) — synchronous
 *           work on the caller's thread, the part that competes with the broker's main thread
 *   cpu µs  process CPU time (every thread: lmdb commits on its own) / deliveries; steadier
 *           than tx µs on a machine shared with other work
 *   wall µs elapsed time of the phase / deliveries (includes commits and fsync waits)
 *   ops     engine calls in reads and writes (get, put, remove, and range = 1 + entries
 *           returned), counted by wrapping the KvTx
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_BACKOFF } from '../../broker/delivery/backoff.js';
import type { Key, KvEngine, KvTx } from '../../broker/store/engine.js';
import { KvMessageStore } from '../../broker/store/kv-store.js';
import { LmdbEngine } from '../../broker/store/lmdb-engine.js';
import type { MessageStore, NewMessage, SubscriptionRecord } from '../../broker/store/types.js';

interface Tally {
  get: number;
  put: number;
  remove: number;
  range: number;
  txMs: number;
}
const zero = (): Tally => ({ get: 0, put: 0, remove: 0, range: 0, txMs: 0 });

/** Wraps an engine so every transaction's calls and time (reads and writes) are added to `tally`. */
class CountingEngine implements KvEngine {
  tally = zero();
  constructor(readonly inner: KvEngine) {}
  get name() {
    return this.inner.name;
  }
  read<T>(fn: (tx: KvTx) => T): T {
    return this.inner.read((tx) => this.#counted(tx, fn));
  }
  write<T>(fn: (tx: KvTx) => T): Promise<T> {
    return this.inner.write((tx) => this.#counted(tx, fn));
  }
  #counted<T>(tx: KvTx, fn: (tx: KvTx) => T): T {
    const t = this.tally;
    const counted: KvTx = {
      get: <V>(key: Key) => (t.get++, tx.get<V>(key)),
      put: (key, value) => (t.put++, tx.put(key, value)),
      remove: (key) => (t.remove++, tx.remove(key)),
      range: <V>(start: Key, end: Key, limit?: number) => {
        const rows = tx.range<V>(start, end, limit);
        t.range += 1 + rows.length;
        return rows;
      },
    };
    const started = performance.now();
    try {
      return fn(counted);
    } finally {
      t.txMs += performance.now() - started;
    }
  }
  close() {
    return this.inner.close();
  }
}

const T0 = Date.UTC(2026, 0, 1);
const PAYLOAD = new Uint8Array(256).fill(97);
const CONCURRENCY = 64;

function subscription(id: string, topic: string): SubscriptionRecord {
  return {
    id, topic, protocol: 'pull', endpoint: null, filter: null, maxAttempts: 10, backoff: DEFAULT_BACKOFF, ackDeadlineMs: 30_000,
    status: 'active', secret: 's', confirmToken: null, createdAt: T0, activatedAt: T0,
  };
}

let serial = 0;
function message(): NewMessage {
  return { id: `m-${(++serial).toString(36)}-6f1c2a9e-4b7d`, payload: PAYLOAD, encoding: 'json', attributes: {}, routingKey: '', ttlMs: null, idempotencyKey: null };
}

/** Runs `count` tasks with at most `limit` in flight. */
async function pool(count: number, limit: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) await task(next++);
  }));
}

interface Phase {
  name: string;
  run: () => Promise<void>;
}

async function measure(label: string, deliveries: number, setup: (store: MessageStore) => Promise<Phase[]>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'postbox-store-cycle-'));
  const engine = new CountingEngine(new LmdbEngine(dir));
  const store = new KvMessageStore(engine);
  try {
    const phases = await setup(store);
    console.log(`\n${label}: ${deliveries.toLocaleString('en')} deliveries`);
    console.log('phase       tx µs  cpu µs  wall µs    ops  (get / put / remove / range)');
    const total = zero();
    let totalWall = 0;
    let totalCpu = 0;
    for (const phase of phases) {
      engine.tally = zero();
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      await phase.run();
      const cpu = process.cpuUsage(cpuBefore);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const wall = performance.now() - started;
      const t = engine.tally;
      for (const key of Object.keys(total) as (keyof Tally)[]) total[key] += t[key];
      totalWall += wall;
      totalCpu += cpuMs;
      console.log(row(phase.name, t, cpuMs, wall, deliveries));
    }
    console.log(row('total', total, totalCpu, totalWall, deliveries));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(name: string, t: Tally, cpuMs: number, wallMs: number, n: number): string {
  const per = (x: number) => (x / n).toFixed(2);
  const us = (ms: number) => ((ms * 1000) / n).toFixed(1);
  const ops = t.get + t.put + t.remove + t.range;
  return `${name.padEnd(9)} ${us(t.txMs).padStart(7)} ${us(cpuMs).padStart(7)} ${us(wallMs).padStart(8)} ${per(ops).padStart(6)}  (${per(t.get)} / ${per(t.put)} / ${per(t.remove)} / ${per(t.range)})`;
}

/** Claims up to 100 at a time and acks them until a lane is empty; returns how many. */
async function drain(store: MessageStore, subId: string, now: number): Promise<number> {
  let n = 0;
  for (;;) {
    const leases = await store.claimDue({ lane: { kind: 'subscription', subscriptionId: subId }, now, max: 100 });
    if (leases.length === 0) return n;
    const outcomes = await store.ack(subId, leases.map((l) => l.ackId), now + 1);
    if (outcomes.some((o) => o !== 'acked')) throw new Error(`ack answered ${outcomes.join(',')}`);
    n += leases.length;
  }
}

async function fanout(messages: number): Promise<void> {
  const SUBS = 10;
  await measure(`fanout: 1 topic × ${SUBS} pull subscriptions, ${messages.toLocaleString('en')} single-message publishes`, messages * SUBS, async (store) => {
    await store.createTopic({ name: 'fan', options: { messageTtlMs: 86_400_000, maxAttempts: 10, dedupWindowMs: 300_000 }, createdAt: T0 });
    const subs = Array.from({ length: SUBS }, (_, i) => subscription(`fan-sub-${i}`, 'fan'));
    for (const s of subs) await store.createSubscription(s);
    return [
      { name: 'publish', run: () => pool(messages, CONCURRENCY, () => store.publish('fan', [message()], T0)) },
      {
        name: 'claim+ack',
        run: async () => {
          const got = await Promise.all(subs.map((s) => drain(store, s.id, T0 + 1)));
          if (got.some((n) => n !== messages)) throw new Error(`delivered ${got.join(',')} of ${messages} each`);
        },
      },
      { name: 'deadline', run: () => pastDeadlines(store, subs.map((s) => s.id)) },
      { name: 'sweep', run: async () => void (await store.sweep({ now: T0 + 10, ackedBefore: T0 + 10 })) },
    ];
  });
}

/** Claims on every lane once all ack deadlines have passed; all was acked, so nothing comes. */
async function pastDeadlines(store: MessageStore, subIds: string[]): Promise<void> {
  await pool(subIds.length, 16, async (i) => {
    const again = await store.claimDue({ lane: { kind: 'subscription', subscriptionId: subIds[i] }, now: T0 + 3_600_000, max: 100 });
    if (again.length > 0) throw new Error(`${again.length} acked deliveries handed out again`);
  });
}

async function manyTopics(messages: number): Promise<void> {
  const TOPICS = 10_000;
  const SWEEPERS = 16;
  await measure(`topics: ${TOPICS.toLocaleString('en')} topics × 1 pull subscription, ${messages.toLocaleString('en')} single-message publishes`, messages, async (store) => {
    const names = Array.from({ length: TOPICS }, (_, i) => `b3-${i}`);
    await pool(TOPICS, CONCURRENCY, async (i) => {
      await store.createTopic({ name: names[i], options: { messageTtlMs: 86_400_000, maxAttempts: 10, dedupWindowMs: 300_000 }, createdAt: T0 });
      await store.createSubscription(subscription(`${names[i]}-sub`, names[i]));
    });
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const targets = Array.from({ length: messages }, () => names[Math.floor(random() * TOPICS)]);
    return [
      { name: 'publish', run: () => pool(messages, CONCURRENCY, (i) => store.publish(targets[i], [message()], T0)) },
      {
        name: 'claim+ack',
        run: async () => {
          let delivered = 0;
          await pool(TOPICS, SWEEPERS, async (i) => {
            const n = await drain(store, `${names[i]}-sub`, T0 + 1);
            delivered += n;
          });
          if (delivered !== messages) throw new Error(`delivered ${delivered} of ${messages}`);
        },
      },
      { name: 'deadline', run: () => pastDeadlines(store, names.map((name) => `${name}-sub`)) },
      { name: 'sweep', run: async () => void (await store.sweep({ now: T0 + 10, ackedBefore: T0 + 10 })) },
    ];
  });
}

const which = process.argv[2] ?? 'all';
const messages = Number(process.argv[3] ?? 20_000);
if (which === 'fanout' || which === 'all') await fanout(messages);
if (which === 'topics' || which === 'all') await manyTopics(messages);
