/**
 * `MessageStore` over an ordered key-value engine: every rule of the store lives here once,
 * so the memory and lmdb backends cannot disagree (the contract suite runs over both).
 * Each public method is one engine read or one write transaction (`#write`).
 * Key layout: schema.ts. Delivery state machine: deliveries.ts. Counters: counters.ts.
 */
import { createHash } from 'node:crypto';
import { compileFilter, type FilterMatcher } from '../routing/topic-filter.js';
import { KEY_MAX, prefixEnd, type Durability, type KvEngine, type KvTx } from './engine.js';
import { bumpSub, bumpTopic, dropSubCounters, dropTopicCounters, flushCounters, readSubCounters, readTopicCounters, startFanOut } from './counters.js';
import * as cursor from './cursor.js';
import * as deliveries from './deliveries.js';
import { isCursorSub, k, LAYOUT_VERSION, laneOf, PUSH_LANE, ZERO_SUB, ZERO_TOPIC, type DedupRow, type StoredMessage } from './schema.js';
import type {
  AckOutcome,
  ApiKeyRecord,
  ClaimRequest,
  CreateTopicResult,
  DeadLetter,
  DeliveryLease,
  FailOutcome,
  Lane,
  LeaseRelease,
  MessageRecord,
  MessageStore,
  Millis,
  NewMessage,
  PublishResult,
  ReleaseOutcome,
  SubscriptionRecord,
  SubscriptionStats,
  TopicPage,
  TopicRecord,
  TopicStats,
} from './types.js';

interface FanOutTarget {
  readonly sub: SubscriptionRecord;
  readonly lane: string;
  /** null: the subscription takes every message, and its pending count follows the
   * topic's published count (counters.ts), so a publish does not bump it. */
  readonly matcher: FilterMatcher | null;
  /** A cursor subscription (schema.ts): a publish writes the message's log row, not a delivery. */
  readonly cursor: boolean;
}

/** What a publish needs of its topic: the record (options) and its fan-out targets. */
interface TopicEntry {
  readonly topic: TopicRecord;
  readonly targets: FanOutTarget[];
}

/**
 * Claims, acks, fails and hand-backs are answered once committed, not once flushed (a publish
 * waits for the flush: SPEC's "answered only after its message is durable"). Committed data
 * survives a crash of the broker process; a power cut may lose the last of them, and then a
 * delivery is in the state it had before: pending again, or in flight until its deadline, so
 * it is delivered again (at-least-once; the attempt number may repeat). What this buys is one
 * disk flush less on the way of every pull and redelivery.
 */
const STATE_CHANGE: Durability = 'committed';

export class KvMessageStore implements MessageStore {
  readonly #engine: KvEngine;
  /** Compiled filters by source text; filters are few and reused by every publish. */
  readonly #filters = new Map<string, FilterMatcher>();
  /**
   * Each topic's record and fan-out targets (its active subscriptions, filters compiled), so
   * a publish reads neither the topic nor every subscription. Filled and dropped only inside
   * write transactions, which run one at a time in commit order, so it always equals what
   * the transaction would read. It assumes this store object is the only writer of its data
   * (true for the embedded backends: one broker process per data directory).
   */
  readonly #targets = new Map<string, TopicEntry>();
  /** Writes issued and not yet durable or failed (see claimDue). */
  readonly #unsettled = new Set<Promise<unknown>>();

  /** Throws when the engine holds data written with another key layout (schema.ts). */
  constructor(engine: KvEngine) {
    this.#engine = engine;
    const [version, hasTopics] = engine.read((tx) => [tx.get<number>(k.layout()), tx.range(k.topicsStart(), prefixEnd(k.topicsStart()), 1).length > 0] as const);
    // Without topics nothing layout-dependent is stored yet; the first topic writes the version.
    if (version === LAYOUT_VERSION || (version === undefined && !hasTopics)) return;
    void engine.close();
    throw new Error(`the store's data was written with key layout ${version ?? 1}; this version reads layout ${LAYOUT_VERSION} and has no migration (pre-1.0): start from an empty data directory`);
  }

  get backend(): string {
    return this.#engine.name;
  }

  // ── topics ──────────────────────────────────────────────────────────────────────────
  async createTopic(topic: TopicRecord): Promise<CreateTopicResult> {
    return this.#write((tx) => {
      const existing = tx.get<TopicRecord>(k.topic(topic.name));
      if (existing) return { outcome: 'exists', topic: existing };
      tx.put(k.topic(topic.name), topic);
      tx.put(k.topicCounters(topic.name), ZERO_TOPIC);
      tx.put(k.layout(), LAYOUT_VERSION);
      return { outcome: 'created', topic };
    });
  }

  async getTopic(name: string): Promise<TopicRecord | undefined> {
    return this.#engine.read((tx) => tx.get<TopicRecord>(k.topic(name)));
  }

  async listTopics({ limit, cursor }: { limit: number; cursor?: string | null }): Promise<TopicPage> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`expected limit to be a positive integer, got: ${limit}`);
    return this.#engine.read((tx) => {
      // Start just after the cursor: "<cursor>\0" is the smallest name greater than it.
      const start = cursor ? k.topic(`${cursor}\u0000`) : k.topicsStart();
      const rows = tx.range<TopicRecord>(start, prefixEnd(k.topicsStart()), limit + 1);
      const topics = rows.slice(0, limit).map((r) => r.value);
      return { topics, nextCursor: rows.length > limit ? topics[topics.length - 1].name : null };
    });
  }

  async deleteTopic(name: string): Promise<boolean> {
    return this.#write((tx) => {
      if (!tx.get(k.topic(name))) return false;
      for (const { key } of tx.range(k.subsOfTopic(name), prefixEnd(k.subsOfTopic(name)))) {
        this.#deleteSubscriptionIn(tx, key[2] as string);
      }
      // Messages that matched no remaining delivery were never stored; any left are removed.
      for (const { key } of tx.range(k.messagesOfTopic(name), prefixEnd(k.messagesOfTopic(name)))) tx.remove(key);
      for (const { key } of tx.range(k.openOfTopic(name), prefixEnd(k.openOfTopic(name)))) tx.remove(key);
      for (const { key } of tx.range(k.logOfTopic(name), prefixEnd(k.logOfTopic(name)))) tx.remove(key);
      for (const { key, value } of tx.range<DedupRow>(k.dedupOfTopic(name), prefixEnd(k.dedupOfTopic(name)))) {
        tx.remove(key);
        tx.remove(k.dedupAge(value.expiresAt, name, decodeURIComponent(key[2] as string)));
      }
      dropTopicCounters(tx, name);
      this.#targets.delete(name);
      tx.remove(k.topic(name));
      return true;
    });
  }

  async topicStats(name: string): Promise<TopicStats | undefined> {
    return this.#engine.read((tx) => (tx.get(k.topic(name)) ? readTopicCounters(tx, name) : undefined));
  }

  // ── subscriptions ───────────────────────────────────────────────────────────────────
  async createSubscription(sub: SubscriptionRecord): Promise<{ ok: true } | { ok: false; error: 'topic_not_found' }> {
    assertId('subscription id', sub.id);
    if (sub.filter !== null) this.#matcher(sub.filter); // misuse (unvalidated filter) throws here, before the write
    return this.#write((tx) => {
      if (!tx.get(k.topic(sub.topic))) return { ok: false as const, error: 'topic_not_found' as const };
      if (tx.get(k.sub(sub.id))) throw new Error(`subscription id ${sub.id} is already taken`);
      tx.put(k.sub(sub.id), sub);
      this.#targets.delete(sub.topic);
      tx.put(k.subByTopic(sub.topic, sub.id), 1);
      tx.put(k.subCounters(sub.id), ZERO_SUB);
      if (sub.status === 'active' && sub.filter === null) this.#startFanOut(tx, sub);
      bumpTopic(tx, sub.topic, { subscriptions: 1 });
      return { ok: true as const };
    });
  }

  async getSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    return this.#engine.read((tx) => tx.get<SubscriptionRecord>(k.sub(id)));
  }

  async activateSubscription(id: string, now: Millis): Promise<SubscriptionRecord | undefined> {
    return this.#write((tx) => {
      const sub = tx.get<SubscriptionRecord>(k.sub(id));
      if (!sub || sub.status === 'active') return sub;
      const active: SubscriptionRecord = { ...sub, status: 'active', confirmToken: null, activatedAt: now };
      tx.put(k.sub(id), active);
      if (active.filter === null) this.#startFanOut(tx, active);
      this.#targets.delete(sub.topic);
      return active;
    });
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return this.#write((tx) => this.#deleteSubscriptionIn(tx, id));
  }

  async listSubscriptions(topic: string): Promise<SubscriptionRecord[]> {
    return this.#engine.read((tx) => this.#subsOf(tx, topic));
  }

  async subscriptionStats(id: string): Promise<SubscriptionStats | undefined> {
    return this.#engine.read((tx) => {
      const sub = tx.get<SubscriptionRecord>(k.sub(id));
      return sub ? readSubCounters(tx, sub) : undefined;
    });
  }

  // ── publish ─────────────────────────────────────────────────────────────────────────
  async publish(topicName: string, messages: readonly NewMessage[], now: Millis): Promise<PublishResult[] | undefined> {
    // Hash outside the transaction: it is the costly part and needs no data.
    for (const m of messages) assertId('message id', m.id);
    const hashes = messages.map((m) => (m.idempotencyKey === null ? '' : contentHash(m)));
    return this.#write((tx) => {
      const entry = this.#topicEntry(tx, topicName);
      if (!entry) return undefined;
      const { topic, targets } = entry;
      const results: PublishResult[] = [];
      let published = 0;
      // A message's seq in the log is the topic's `published` count before it (schema.ts).
      let base: number | undefined;
      messages.forEach((m, i) => {
        if (m.idempotencyKey !== null) {
          const seen = tx.get<DedupRow>(k.dedup(topicName, m.idempotencyKey));
          if (seen && seen.expiresAt > now) {
            results.push(
              seen.contentHash === hashes[i]
                ? { ok: true, id: seen.firstId, duplicate: true }
                : { ok: false, error: 'idempotency_conflict', firstId: seen.firstId },
            );
            return;
          }
          if (seen) tx.remove(k.dedupAge(seen.expiresAt, topicName, m.idempotencyKey));
          const expiresAt = now + topic.options.dedupWindowMs;
          tx.put(k.dedup(topicName, m.idempotencyKey), { firstId: m.id, contentHash: hashes[i], expiresAt } satisfies DedupRow);
          tx.put(k.dedupAge(expiresAt, topicName, m.idempotencyKey), 1);
        }
        const record: MessageRecord = {
          id: m.id,
          topic: topicName,
          payload: m.payload,
          encoding: m.encoding,
          attributes: m.attributes,
          routingKey: m.routingKey,
          publishedAt: now,
          expiresAt: now + Math.min(topic.options.messageTtlMs, m.ttlMs ?? Infinity),
        };
        const matching = targets.filter((t) => t.matcher === null || t.matcher.matches(m.routingKey));
        if (matching.length > 0) {
          if (tx.get(k.message(topicName, m.id))) throw new Error(`message id ${m.id} is already taken`);
          if (matching.some((t) => t.cursor)) {
            base ??= readTopicCounters(tx, topicName).published;
            const seq = base + published;
            tx.put(k.message(topicName, m.id), { record, seq } satisfies StoredMessage);
            tx.put(k.log(topicName, seq), m.id);
          } else {
            tx.put(k.message(topicName, m.id), { record } satisfies StoredMessage);
          }
          if (matching.length > 1) tx.put(k.messageOpen(topicName, m.id), matching.length);
          for (const { sub, lane, matcher, cursor: byCursor } of matching) {
            if (!byCursor) deliveries.enqueue(tx, sub.id, lane, m.id, now);
            // Subscriptions without a filter count this message through `published` (counters.ts).
            if (matcher !== null) bumpSub(tx, sub.id, { pending: 1 });
          }
          bumpTopic(tx, topicName, { pending: matching.length });
        }
        published++;
        results.push({ ok: true, id: m.id, duplicate: false });
      });
      if (published > 0) bumpTopic(tx, topicName, { published });
      return results;
    });
  }

  // ── deliveries ──────────────────────────────────────────────────────────────────────
  async claimDue({ lane, now, max, leaseMs }: ClaimRequest): Promise<DeliveryLease[]> {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`expected max to be a positive integer, got: ${max}`);
    // A zero lease would put the claimed delivery back in the due range being scanned.
    if (leaseMs !== undefined && !(leaseMs >= 1)) throw new RangeError(`expected leaseMs ≥ 1, got: ${leaseMs}`);
    const name = laneName(lane);
    if (lane.kind === 'push') return this.#write((tx) => deliveries.claim(tx, name, now, max, leaseMs), STATE_CHANGE);
    if (!(await this.#anyDueAfterEarlierWrites(lane.subscriptionId, name, now))) return [];
    return this.#write((tx) => {
      const sub = tx.get<SubscriptionRecord>(k.sub(lane.subscriptionId));
      return sub && isCursorSub(sub) ? cursor.claim(tx, sub, now, max, leaseMs) : deliveries.claim(tx, name, now, max, leaseMs);
    }, STATE_CHANGE);
  }

  async nextDueAt(lane: Lane): Promise<Millis | null> {
    const name = laneName(lane);
    return this.#engine.read((tx) => {
      const sub = lane.kind === 'push' ? undefined : tx.get<SubscriptionRecord>(k.sub(lane.subscriptionId));
      if (sub && isCursorSub(sub)) return cursor.nextDueAt(tx, sub);
      const [first] = tx.range(k.lane(name), prefixEnd(k.lane(name)), 1);
      return first ? (first.key[2] as number) : null;
    });
  }

  async ack(subscriptionId: string, ackIds: readonly string[], now: Millis): Promise<AckOutcome[]> {
    return this.#write((tx) => deliveries.ack(tx, subscriptionId, ackIds, now), STATE_CHANGE);
  }

  async fail(subscriptionId: string, ackId: string, failure: { error: string; retryAt: Millis; now: Millis }): Promise<FailOutcome> {
    return this.#write((tx) => deliveries.fail(tx, subscriptionId, ackId, failure.error, failure.retryAt, failure.now), STATE_CHANGE);
  }

  async release(items: readonly LeaseRelease[]): Promise<ReleaseOutcome[]> {
    return this.#write((tx) => items.map((item) => deliveries.handBack(tx, item.subscriptionId, item.ackId, item.retryAt)), STATE_CHANGE);
  }

  async listDeadLetters(subscriptionId: string, limit: number): Promise<DeadLetter[]> {
    return this.#engine.read((tx) => deliveries.deadLetters(tx, subscriptionId, limit));
  }

  async redrive(subscriptionId: string, now: Millis): Promise<number> {
    return this.#write((tx) => {
      const sub = tx.get<SubscriptionRecord>(k.sub(subscriptionId));
      return sub ? deliveries.redrive(tx, sub, now) : 0;
    });
  }

  async sweep({ now, ackedBefore }: { now: Millis; ackedBefore: Millis }): Promise<{ dedup: number; acked: number }> {
    return this.#write((tx) => {
      let dedup = 0;
      for (const { key } of tx.range(k.dedupAgeStart(), [...k.dedupAgeStart(), now, KEY_MAX])) {
        const [, expiresAt, topic, escaped] = key as [string, number, string, string];
        const idemKey = decodeURIComponent(escaped);
        tx.remove(key);
        const row = tx.get<DedupRow>(k.dedup(topic, idemKey));
        if (row && row.expiresAt === expiresAt) {
          tx.remove(k.dedup(topic, idemKey));
          dedup++;
        }
      }
      const acked = deliveries.forgetAcked(tx, ackedBefore);
      return { dedup, acked };
    });
  }

  // ── API keys ────────────────────────────────────────────────────────────────────────
  async createKey(key: ApiKeyRecord): Promise<void> {
    return this.#write((tx) => {
      if (tx.get(k.apiKey(key.id)) || tx.get(k.apiKeyHash(key.keyHash))) throw new Error(`API key ${key.id} (or its hash) already exists`);
      tx.put(k.apiKey(key.id), key);
      tx.put(k.apiKeyHash(key.keyHash), key.id);
    });
  }

  async getKey(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#engine.read((tx) => tx.get<ApiKeyRecord>(k.apiKey(id)));
  }

  async findKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    return this.#engine.read((tx) => {
      const id = tx.get<string>(k.apiKeyHash(keyHash));
      return id === undefined ? undefined : tx.get<ApiKeyRecord>(k.apiKey(id));
    });
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    return this.#engine.read((tx) => tx.range<ApiKeyRecord>(k.apiKeysStart(), prefixEnd(k.apiKeysStart())).map((r) => r.value));
  }

  async deleteKey(id: string): Promise<boolean> {
    return this.#write((tx) => {
      const key = tx.get<ApiKeyRecord>(k.apiKey(id));
      if (!key) return false;
      tx.remove(k.apiKey(id));
      tx.remove(k.apiKeyHash(key.keyHash));
      return true;
    });
  }

  close(): Promise<void> {
    return this.#engine.close();
  }

  /**
   * Every write goes through here, so buffered counter changes are always written. Writes are
   * answered once durable, except the delivery state changes (`STATE_CHANGE`).
   */
  #write<T>(fn: (tx: KvTx) => T, durability: Durability = 'durable'): Promise<T> {
    const done = this.#engine.write((tx) => {
      const result = fn(tx);
      flushCounters(tx);
      return result;
    }, durability);
    this.#unsettled.add(done);
    const forget = () => this.#unsettled.delete(done);
    done.then(forget, forget);
    return done;
  }

  /**
   * Whether a claim on `lane` would find anything, answered without a write transaction.
   * Most claims on a subscription's lane find nothing (pull loops sweep many idle
   * subscriptions), and a snapshot read is far cheaper than a write's commit and flush. But
   * "nothing" must account for every write issued before the claim, as a claim transaction
   * queued behind them would (a consumer that finds nothing parks until a wake-up or
   * nextDueAt): so when writes are in flight it waits for them to settle and looks again.
   *
   * Not used for the push lane: a retriever that finds nothing sleeps until nextDueAt, and a
   * release its dispatcher issues just *after* the claim (an open breaker holding deliveries
   * back) is seen in time only because an empty claim transaction commits in the same batch
   * as that release — nothing wakes the retriever for it.
   */
  async #anyDueAfterEarlierWrites(subscriptionId: string, lane: string, now: Millis): Promise<boolean> {
    // The lane holds every delivery of the subscription except a cursor subscription's unread ones.
    const anyDue = () => this.#engine.read((tx) => deliveries.anyDue(tx, lane, now) || cursor.anyUnread(tx, subscriptionId) === true);
    if (anyDue()) return true;
    if (this.#unsettled.size === 0) return false;
    await Promise.allSettled([...this.#unsettled]);
    return anyDue();
  }

  // ── helpers (all run inside a transaction) ──────────────────────────────────────────
  #matcher(filter: string): FilterMatcher {
    let m = this.#filters.get(filter);
    if (!m) {
      m = compileFilter(filter);
      this.#filters.set(filter, m);
    }
    return m;
  }

  #topicEntry(tx: KvTx, name: string): TopicEntry | undefined {
    let entry = this.#targets.get(name);
    if (!entry) {
      const topic = tx.get<TopicRecord>(k.topic(name));
      if (!topic) return undefined;
      const targets = this.#subsOf(tx, name)
        .filter((s) => s.status === 'active')
        .map((s) => ({ sub: s, lane: laneOf(s), matcher: s.filter === null ? null : this.#matcher(s.filter), cursor: isCursorSub(s) }));
      this.#targets.set(name, (entry = { topic, targets }));
    }
    return entry;
  }

  /** An active subscription without a filter starts taking every message from now on: its
   * counters follow the topic's (counters.ts) and, for a cursor subscription, its cursor
   * starts at the same place. */
  #startFanOut(tx: KvTx, sub: SubscriptionRecord): void {
    const published = startFanOut(tx, sub);
    if (isCursorSub(sub)) cursor.start(tx, sub, published);
  }

  #subsOf(tx: KvTx, topic: string): SubscriptionRecord[] {
    const out: SubscriptionRecord[] = [];
    for (const { key } of tx.range(k.subsOfTopic(topic), prefixEnd(k.subsOfTopic(topic)))) {
      const sub = tx.get<SubscriptionRecord>(k.sub(key[2] as string));
      if (sub) out.push(sub);
    }
    return out;
  }

  #deleteSubscriptionIn(tx: KvTx, id: string): boolean {
    const sub = tx.get<SubscriptionRecord>(k.sub(id));
    if (!sub) return false;
    const counters = readSubCounters(tx, sub);
    deliveries.dropAll(tx, sub);
    // The topic's current sizes lose this subscription's share; its event counts stay.
    bumpTopic(tx, sub.topic, { pending: -(counters.pending + counters.inFlight), deadLettered: -counters.deadLettered, subscriptions: -1 });
    dropSubCounters(tx, id);
    tx.remove(k.subByTopic(sub.topic, id));
    tx.remove(k.sub(id));
    this.#targets.delete(sub.topic);
    return true;
  }

}

/** Ids are key parts: printable ASCII keeps them below KEY_MAX in every engine's order. */
function assertId(what: string, id: string): void {
  if (typeof id !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(id)) throw new TypeError(`expected ${what} to be 1-200 printable ASCII characters, got: ${JSON.stringify(id)}`);
}

function laneName(lane: Lane): string {
  return lane.kind === 'push' ? PUSH_LANE : laneOf({ id: lane.subscriptionId, protocol: 'pull' });
}

/** Same payload, attributes (in any order) and routing key ⇒ same hash (SPEC "Dedup"). */
export function contentHash(m: Pick<NewMessage, 'payload' | 'attributes' | 'routingKey'>): string {
  const attrs = Object.keys(m.attributes)
    .sort()
    .map((name) => [name, m.attributes[name]]);
  const head = JSON.stringify([m.routingKey, attrs]);
  // Length-prefix the header so no payload can imitate a different header.
  return createHash('sha256').update(`${head.length}:${head}`).update(m.payload).digest('hex');
}
