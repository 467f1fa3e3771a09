/**
 * `MessageStore` over an ordered key-value engine: every rule of the store lives here once,
 * so the memory and lmdb backends cannot disagree (the contract suite runs over both).
 * Layout of the keys: schema.ts. Each public method is one engine read or one engine write.
 *
 * Delivery life cycle (per subscription × message):
 *
 *   publish ──► ready ──claimDue──► inFlight ──ack──► acked ──sweep──► (gone)
 *                 ▲                   │  │
 *                 └──fail / deadline──┘  └──fail at maxAttempts──► dead ──redrive──► ready
 *   any ready/inFlight past the message's expiresAt ──claimDue──► (gone, counted expired)
 */
import { createHash } from 'node:crypto';
import { compileFilter, type FilterMatcher } from '../routing/topic-filter.js';
import { KEY_MAX, prefixEnd, type Key, type KvEngine, type KvTx } from './engine.js';
import {
  formatAckId,
  k,
  laneOf,
  parseAckId,
  ZERO_SUB,
  ZERO_TOPIC,
  type DedupRow,
  type DeliveryRow,
  type StoredMessage,
  type SubCounters,
  type TopicCounters,
} from './schema.js';
import type {
  AckOutcome,
  ApiKeyRecord,
  ClaimRequest,
  CreateTopicResult,
  DeadLetter,
  DeliveryLease,
  FailOutcome,
  Lane,
  MessageRecord,
  MessageStore,
  Millis,
  NewMessage,
  PublishResult,
  SubscriptionRecord,
  SubscriptionStats,
  TopicPage,
  TopicRecord,
  TopicStats,
} from './types.js';

type SubDelta = Partial<Record<keyof SubCounters, number>>;

export class KvMessageStore implements MessageStore {
  readonly #engine: KvEngine;
  /** Compiled filters by source text; filters are few and reused by every publish. */
  readonly #filters = new Map<string, FilterMatcher>();

  constructor(engine: KvEngine) {
    this.#engine = engine;
  }

  get backend(): string {
    return this.#engine.name;
  }

  // ── topics ──────────────────────────────────────────────────────────────────────────
  async createTopic(topic: TopicRecord): Promise<CreateTopicResult> {
    return this.#engine.write((tx) => {
      const existing = tx.get<TopicRecord>(k.topic(topic.name));
      if (existing) return { outcome: 'exists', topic: existing };
      tx.put(k.topic(topic.name), topic);
      tx.put(k.topicCounters(topic.name), ZERO_TOPIC);
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
    return this.#engine.write((tx) => {
      if (!tx.get(k.topic(name))) return false;
      for (const { key } of tx.range(k.subsOfTopic(name), prefixEnd(k.subsOfTopic(name)))) {
        this.#deleteSubscriptionIn(tx, key[2] as string);
      }
      // Messages that matched no remaining delivery were never stored; any left are removed.
      for (const { key } of tx.range(k.messagesOfTopic(name), prefixEnd(k.messagesOfTopic(name)))) tx.remove(key);
      for (const { key, value } of tx.range<DedupRow>(k.dedupOfTopic(name), prefixEnd(k.dedupOfTopic(name)))) {
        tx.remove(key);
        tx.remove(k.dedupAge(value.expiresAt, name, decodeURIComponent(key[2] as string)));
      }
      tx.remove(k.topicCounters(name));
      tx.remove(k.topic(name));
      return true;
    });
  }

  async topicStats(name: string): Promise<TopicStats | undefined> {
    return this.#engine.read((tx) => (tx.get(k.topic(name)) ? { ...ZERO_TOPIC, ...tx.get<TopicCounters>(k.topicCounters(name)) } : undefined));
  }

  // ── subscriptions ───────────────────────────────────────────────────────────────────
  async createSubscription(sub: SubscriptionRecord): Promise<{ ok: true } | { ok: false; error: 'topic_not_found' }> {
    assertId('subscription id', sub.id);
    if (sub.filter !== null) this.#matcher(sub.filter); // misuse (unvalidated filter) throws here, before the write
    return this.#engine.write((tx) => {
      if (!tx.get(k.topic(sub.topic))) return { ok: false as const, error: 'topic_not_found' as const };
      if (tx.get(k.sub(sub.id))) throw new Error(`subscription id ${sub.id} is already taken`);
      tx.put(k.sub(sub.id), sub);
      tx.put(k.subByTopic(sub.topic, sub.id), 1);
      tx.put(k.subCounters(sub.id), ZERO_SUB);
      this.#bumpTopic(tx, sub.topic, { subscriptions: 1 });
      return { ok: true as const };
    });
  }

  async getSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    return this.#engine.read((tx) => tx.get<SubscriptionRecord>(k.sub(id)));
  }

  async activateSubscription(id: string, now: Millis): Promise<SubscriptionRecord | undefined> {
    return this.#engine.write((tx) => {
      const sub = tx.get<SubscriptionRecord>(k.sub(id));
      if (!sub || sub.status === 'active') return sub;
      const active: SubscriptionRecord = { ...sub, status: 'active', confirmToken: null, activatedAt: now };
      tx.put(k.sub(id), active);
      return active;
    });
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return this.#engine.write((tx) => this.#deleteSubscriptionIn(tx, id));
  }

  async listSubscriptions(topic: string): Promise<SubscriptionRecord[]> {
    return this.#engine.read((tx) => this.#subsOf(tx, topic));
  }

  async subscriptionStats(id: string): Promise<SubscriptionStats | undefined> {
    return this.#engine.read((tx) => (tx.get(k.sub(id)) ? { ...ZERO_SUB, ...tx.get<SubCounters>(k.subCounters(id)) } : undefined));
  }

  // ── publish ─────────────────────────────────────────────────────────────────────────
  async publish(topicName: string, messages: readonly NewMessage[], now: Millis): Promise<PublishResult[] | undefined> {
    // Hash outside the transaction: it is the costly part and needs no data.
    for (const m of messages) assertId('message id', m.id);
    const hashes = messages.map((m) => (m.idempotencyKey === null ? '' : contentHash(m)));
    return this.#engine.write((tx) => {
      const topic = tx.get<TopicRecord>(k.topic(topicName));
      if (!topic) return undefined;
      const targets = this.#subsOf(tx, topicName)
        .filter((s) => s.status === 'active')
        .map((s) => ({ sub: s, lane: laneOf(s), matcher: s.filter === null ? null : this.#matcher(s.filter) }));
      const results: PublishResult[] = [];
      let published = 0;
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
          tx.put(k.message(topicName, m.id), { record, open: matching.length } satisfies StoredMessage);
          for (const { sub, lane } of matching) {
            tx.put(k.delivery(sub.id, m.id), { state: 'ready', topic: topicName, attempt: 0, dueAt: now, lastError: null } satisfies DeliveryRow);
            tx.put(k.due(lane, now, sub.id, m.id), 1);
            this.#bump(tx, topicName, sub.id, { pending: 1 });
          }
        }
        published++;
        results.push({ ok: true, id: m.id, duplicate: false });
      });
      if (published > 0) this.#bumpTopic(tx, topicName, { published });
      return results;
    });
  }

  // ── deliveries ──────────────────────────────────────────────────────────────────────
  async claimDue({ lane, now, max, leaseMs }: ClaimRequest): Promise<DeliveryLease[]> {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`expected max to be a positive integer, got: ${max}`);
    // A zero lease would put the claimed delivery back in the due range we are scanning.
    if (leaseMs !== undefined && !(leaseMs >= 1)) throw new RangeError(`expected leaseMs ≥ 1, got: ${leaseMs}`);
    const laneName = laneName_(lane);
    return this.#engine.write((tx) => {
      const leases: DeliveryLease[] = [];
      const subs = new Map<string, SubscriptionRecord | undefined>();
      const subOf = (id: string) => {
        if (!subs.has(id)) subs.set(id, tx.get<SubscriptionRecord>(k.sub(id)));
        return subs.get(id);
      };
      // Every entry handled below leaves the range [lane, ≤ now] (removed, or moved to a
      // deadline > now), so re-reading from the start of the lane always makes progress.
      const end: Key = [...k.lane(laneName), now, KEY_MAX];
      while (leases.length < max) {
        const batch = tx.range(k.lane(laneName), end, max - leases.length);
        if (batch.length === 0) break;
        for (const { key } of batch) {
          const [, , , subId, messageId] = key as [string, string, number, string, string];
          const sub = subOf(subId);
          const row = tx.get<DeliveryRow>(k.delivery(subId, messageId));
          tx.remove(key);
          if (!sub || !row || (row.state !== 'ready' && row.state !== 'inFlight')) continue; // stale index entry
          const stored = tx.get<StoredMessage>(k.message(row.topic, messageId));
          if (!stored) {
            tx.remove(k.delivery(subId, messageId));
            continue;
          }
          const wasInFlight = row.state === 'inFlight';
          if (stored.record.expiresAt <= now) {
            tx.remove(k.delivery(subId, messageId));
            this.#bump(tx, row.topic, subId, wasInFlight ? { inFlight: -1, expired: 1 } : { pending: -1, expired: 1 });
            this.#release(tx, row.topic, messageId);
            continue;
          }
          if (wasInFlight) {
            // The consumer let its deadline pass: that attempt failed.
            this.#bump(tx, row.topic, subId, { failed: 1 });
            if (row.attempt >= sub.maxAttempts) {
              this.#bury(tx, sub, messageId, row.topic, row.attempt, 'ack deadline exceeded', now, 'inFlight');
              continue;
            }
          } else {
            this.#bump(tx, row.topic, subId, { pending: -1, inFlight: 1 });
          }
          const attempt = row.attempt + 1;
          const deadline = now + (leaseMs ?? sub.ackDeadlineMs);
          tx.put(k.delivery(subId, messageId), { state: 'inFlight', topic: row.topic, attempt, deadline, lastError: row.lastError } satisfies DeliveryRow);
          tx.put(k.due(laneName, deadline, subId, messageId), 1);
          leases.push({ ackId: formatAckId(attempt, messageId), subscriptionId: subId, message: copyMessage(stored.record), attempt, redelivered: attempt > 1, deadline });
        }
      }
      return leases;
    });
  }

  async nextDueAt(lane: Lane): Promise<Millis | null> {
    const laneName = laneName_(lane);
    return this.#engine.read((tx) => {
      const [first] = tx.range(k.lane(laneName), prefixEnd(k.lane(laneName)), 1);
      return first ? (first.key[2] as number) : null;
    });
  }

  async ack(subscriptionId: string, ackIds: readonly string[], now: Millis): Promise<AckOutcome[]> {
    return this.#engine.write((tx) =>
      ackIds.map((ackId): AckOutcome => {
        const found = this.#leaseOf(tx, subscriptionId, ackId);
        if (found.outcome !== 'current') return found.outcome;
        const { row, messageId, sub } = found;
        tx.remove(k.due(laneOf(sub), row.deadline, subscriptionId, messageId));
        tx.put(k.delivery(subscriptionId, messageId), { state: 'acked', topic: row.topic, attempt: row.attempt, ackedAt: now } satisfies DeliveryRow);
        tx.put(k.acked(now, subscriptionId, messageId), 1);
        this.#bump(tx, row.topic, subscriptionId, { inFlight: -1, delivered: 1 });
        this.#release(tx, row.topic, messageId);
        return 'acked';
      }),
    );
  }

  async fail(subscriptionId: string, ackId: string, failure: { error: string; retryAt: Millis; now: Millis }): Promise<FailOutcome> {
    return this.#engine.write((tx): FailOutcome => {
      const found = this.#leaseOf(tx, subscriptionId, ackId);
      if (found.outcome !== 'current') return found.outcome;
      const { row, messageId, sub } = found;
      const lane = laneOf(sub);
      tx.remove(k.due(lane, row.deadline, subscriptionId, messageId));
      this.#bump(tx, row.topic, subscriptionId, { failed: 1 });
      if (row.attempt >= sub.maxAttempts) {
        this.#bury(tx, sub, messageId, row.topic, row.attempt, failure.error, failure.now, 'inFlight');
        return 'dead';
      }
      tx.put(k.delivery(subscriptionId, messageId), { state: 'ready', topic: row.topic, attempt: row.attempt, dueAt: failure.retryAt, lastError: failure.error } satisfies DeliveryRow);
      tx.put(k.due(lane, failure.retryAt, subscriptionId, messageId), 1);
      this.#bump(tx, row.topic, subscriptionId, { inFlight: -1, pending: 1 });
      return 'retry';
    });
  }

  async listDeadLetters(subscriptionId: string, limit: number): Promise<DeadLetter[]> {
    return this.#engine.read((tx) => {
      const out: DeadLetter[] = [];
      for (const { key } of tx.range(k.deadOfSub(subscriptionId), prefixEnd(k.deadOfSub(subscriptionId)), limit)) {
        const messageId = key[3] as string;
        const row = tx.get<DeliveryRow>(k.delivery(subscriptionId, messageId));
        if (row?.state !== 'dead') continue;
        const stored = tx.get<StoredMessage>(k.message(row.topic, messageId));
        if (stored) out.push({ message: copyMessage(stored.record), attempts: row.attempt, lastError: row.lastError, deadAt: row.deadAt });
      }
      return out;
    });
  }

  async redrive(subscriptionId: string, now: Millis): Promise<number> {
    return this.#engine.write((tx) => {
      const sub = tx.get<SubscriptionRecord>(k.sub(subscriptionId));
      if (!sub) return 0;
      let redriven = 0;
      for (const { key } of tx.range(k.deadOfSub(subscriptionId), prefixEnd(k.deadOfSub(subscriptionId)))) {
        tx.remove(key);
        const messageId = key[3] as string;
        const row = tx.get<DeliveryRow>(k.delivery(subscriptionId, messageId));
        if (row?.state !== 'dead') continue;
        // A fresh start: the full maxAttempts again, counted from attempt 1.
        tx.put(k.delivery(subscriptionId, messageId), { state: 'ready', topic: row.topic, attempt: 0, dueAt: now, lastError: row.lastError } satisfies DeliveryRow);
        tx.put(k.due(laneOf(sub), now, subscriptionId, messageId), 1);
        this.#bump(tx, row.topic, subscriptionId, { deadLettered: -1, pending: 1 });
        redriven++;
      }
      return redriven;
    });
  }

  async sweep({ now, ackedBefore }: { now: Millis; ackedBefore: Millis }): Promise<{ dedup: number; acked: number }> {
    return this.#engine.write((tx) => {
      let dedup = 0;
      let acked = 0;
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
      for (const { key } of tx.range(k.ackedStart(), [...k.ackedStart(), ackedBefore])) {
        const [, , subId, messageId] = key as [string, number, string, string];
        tx.remove(key);
        if (tx.get<DeliveryRow>(k.delivery(subId, messageId))?.state === 'acked') {
          tx.remove(k.delivery(subId, messageId));
          acked++;
        }
      }
      return { dedup, acked };
    });
  }

  // ── API keys ────────────────────────────────────────────────────────────────────────
  async createKey(key: ApiKeyRecord): Promise<void> {
    return this.#engine.write((tx) => {
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
    return this.#engine.write((tx) => {
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

  // ── helpers (all run inside a transaction) ──────────────────────────────────────────
  #matcher(filter: string): FilterMatcher {
    let m = this.#filters.get(filter);
    if (!m) {
      m = compileFilter(filter);
      this.#filters.set(filter, m);
    }
    return m;
  }

  #subsOf(tx: KvTx, topic: string): SubscriptionRecord[] {
    const out: SubscriptionRecord[] = [];
    for (const { key } of tx.range(k.subsOfTopic(topic), prefixEnd(k.subsOfTopic(topic)))) {
      const sub = tx.get<SubscriptionRecord>(k.sub(key[2] as string));
      if (sub) out.push(sub);
    }
    return out;
  }

  /** Resolves an ackId to the in-flight attempt it names, or says why it does not. */
  #leaseOf(tx: KvTx, subscriptionId: string, ackId: string) {
    const parsed = parseAckId(ackId);
    const sub = tx.get<SubscriptionRecord>(k.sub(subscriptionId));
    if (!parsed || !sub) return { outcome: 'unknown' as const };
    const row = tx.get<DeliveryRow>(k.delivery(subscriptionId, parsed.messageId));
    if (!row || parsed.attempt > row.attempt) return { outcome: 'unknown' as const };
    if (row.state !== 'inFlight' || row.attempt !== parsed.attempt) return { outcome: 'stale' as const };
    return { outcome: 'current' as const, row, messageId: parsed.messageId, sub };
  }

  /** Moves a delivery to the dead letters (its due entry is already removed). */
  #bury(tx: KvTx, sub: SubscriptionRecord, messageId: string, topic: string, attempt: number, error: string, now: Millis, from: 'inFlight') {
    tx.put(k.delivery(sub.id, messageId), { state: 'dead', topic, attempt, deadAt: now, lastError: error } satisfies DeliveryRow);
    tx.put(k.dead(sub.id, now, messageId), 1);
    this.#bump(tx, topic, sub.id, { [from]: -1, deadLettered: 1 });
  }

  /** One delivery of the message ended for good; the last one deletes the message. */
  #release(tx: KvTx, topic: string, messageId: string): void {
    const stored = tx.get<StoredMessage>(k.message(topic, messageId));
    if (!stored) return;
    if (stored.open <= 1) tx.remove(k.message(topic, messageId));
    else tx.put(k.message(topic, messageId), { record: stored.record, open: stored.open - 1 } satisfies StoredMessage);
  }

  #deleteSubscriptionIn(tx: KvTx, id: string): boolean {
    const sub = tx.get<SubscriptionRecord>(k.sub(id));
    if (!sub) return false;
    const lane = laneOf(sub);
    const counters = { ...ZERO_SUB, ...tx.get<SubCounters>(k.subCounters(id)) };
    for (const { key, value: row } of tx.range<DeliveryRow>(k.deliveriesOfSub(id), prefixEnd(k.deliveriesOfSub(id)))) {
      const messageId = key[2] as string;
      tx.remove(key);
      if (row.state === 'ready') tx.remove(k.due(lane, row.dueAt, id, messageId));
      else if (row.state === 'inFlight') tx.remove(k.due(lane, row.deadline, id, messageId));
      else if (row.state === 'dead') tx.remove(k.dead(id, row.deadAt, messageId));
      else tx.remove(k.acked(row.ackedAt, id, messageId));
      if (row.state !== 'acked') this.#release(tx, sub.topic, messageId);
    }
    // The topic's current sizes lose this subscription's share; its event counts stay.
    this.#bumpTopic(tx, sub.topic, { pending: -(counters.pending + counters.inFlight), deadLettered: -counters.deadLettered, subscriptions: -1 });
    tx.remove(k.subCounters(id));
    tx.remove(k.subByTopic(sub.topic, id));
    tx.remove(k.sub(id));
    return true;
  }

  /** Applies a change to a subscription's counters and the matching change to its topic's
   * (the topic's `pending` is the subscriptions' pending + inFlight). */
  #bump(tx: KvTx, topic: string, subId: string, delta: SubDelta): void {
    const key = k.subCounters(subId);
    const current = { ...ZERO_SUB, ...tx.get<SubCounters>(key) } as Record<keyof SubCounters, number>;
    for (const [name, d] of Object.entries(delta) as Array<[keyof SubCounters, number]>) current[name] += d;
    tx.put(key, current);
    this.#bumpTopic(tx, topic, {
      pending: (delta.pending ?? 0) + (delta.inFlight ?? 0),
      delivered: delta.delivered ?? 0,
      failed: delta.failed ?? 0,
      deadLettered: delta.deadLettered ?? 0,
      expired: delta.expired ?? 0,
    });
  }

  #bumpTopic(tx: KvTx, topic: string, delta: Partial<Record<keyof TopicCounters, number>>): void {
    const key = k.topicCounters(topic);
    const current = { ...ZERO_TOPIC, ...tx.get<TopicCounters>(key) } as Record<keyof TopicCounters, number>;
    for (const [name, d] of Object.entries(delta) as Array<[keyof TopicCounters, number]>) current[name] += d;
    tx.put(key, current);
  }
}

/** Ids are key parts: printable ASCII keeps them below KEY_MAX in every engine's order. */
function assertId(what: string, id: string): void {
  if (typeof id !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(id)) throw new TypeError(`expected ${what} to be 1-200 printable ASCII characters, got: ${JSON.stringify(id)}`);
}

function laneName_(lane: Lane): string {
  return lane.kind === 'push' ? 'push' : `sub:${lane.subscriptionId}`;
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

/** Engines may hand back a Buffer (lmdb) or a shared view; callers get a plain Uint8Array they own. */
function copyMessage(record: MessageRecord): MessageRecord {
  return { ...record, payload: new Uint8Array(record.payload) };
}
