/**
 * The broker's temporary storage (SPEC §3 "store"): records and the `MessageStore` contract.
 *
 *   frontend ──createTopic/publish──►┐
 *   metadata shards ──topics/subs──► │ MessageStore ──► backend: memory | lmdb (| redis later)
 *   retrievers ──claimDue──────────► │
 *   delivery tasks ──ack/fail───────►┘
 *
 * Promises every backend keeps (the contract suite in test/broker/store.contract.test.ts):
 * - A write resolves only once it is durable (for lmdb: committed and flushed to disk).
 *   Concurrent writes may share one commit (group commit); none is acknowledged early.
 * - A write is atomic: a publish stores the message, its dedup record, one delivery per
 *   matching active subscription and the counters together, or nothing.
 * - No ordering across messages: claimDue hands out due deliveries roughly by due time,
 *   which is not a promise of publish order.
 * - Times are epoch milliseconds passed in by the caller (`now`); the store never reads a
 *   clock, so tests and replays are deterministic.
 */
import type { BackoffPolicy } from '../delivery/backoff.js';

export type Millis = number;

// ── topics ────────────────────────────────────────────────────────────────────────────
export interface TopicOptions {
  /** How long a message lives after publish (min with the message's own ttlMs). */
  readonly messageTtlMs: Millis;
  readonly maxAttempts: number;
  readonly dedupWindowMs: Millis;
}

export interface TopicRecord {
  readonly name: string;
  readonly options: TopicOptions;
  readonly createdAt: Millis;
}

/** `published`, `delivered`, `failed`, `expired` count events since creation;
 * `pending` (ready + in flight), `deadLettered` and `subscriptions` are current sizes. */
export interface TopicStats {
  readonly published: number;
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
  readonly deadLettered: number;
  readonly expired: number;
  readonly subscriptions: number;
}

export interface TopicPage {
  readonly topics: TopicRecord[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export type CreateTopicResult =
  | { readonly outcome: 'created'; readonly topic: TopicRecord }
  /** The name was taken: `topic` is the stored one, so the caller can tell "same" (200)
   * from "other options" (409) — that judgement is API policy, not storage. */
  | { readonly outcome: 'exists'; readonly topic: TopicRecord };

// ── subscriptions ─────────────────────────────────────────────────────────────────────
export type Protocol = 'http' | 'https' | 'websocket' | 'pull';
export type SubscriptionStatus = 'pending' | 'active';

/** Push subscriptions are served by the retriever pool from one shared lane; pull and
 * websocket subscriptions are drained by their own consumers, each from its own lane. */
export const isPushProtocol = (p: Protocol): boolean => p === 'http' || p === 'https';

export interface SubscriptionRecord {
  readonly id: string;
  readonly topic: string;
  readonly protocol: Protocol;
  /** The webhook URL for http/https; null for pull and websocket. */
  readonly endpoint: string | null;
  /** AMQP topic filter over routing keys; null matches every message. */
  readonly filter: string | null;
  readonly maxAttempts: number;
  readonly backoff: BackoffPolicy;
  readonly ackDeadlineMs: Millis;
  readonly status: SubscriptionStatus;
  /** HMAC key for webhook signatures. */
  readonly secret: string;
  /** The token the endpoint must send back to `confirm`; null once not needed. */
  readonly confirmToken: string | null;
  readonly createdAt: Millis;
  /** When the subscription became active: it receives messages published from then on. */
  readonly activatedAt: Millis | null;
}

export interface SubscriptionStats {
  /** Waiting for their next attempt (first delivery, or a retry at a later time). */
  readonly pending: number;
  /** Handed out and not yet acknowledged, failed or past their deadline. */
  readonly inFlight: number;
  /** Acknowledged (count of events). */
  readonly delivered: number;
  /** Failed attempts (count of events; a message failing 3 times counts 3). */
  readonly failed: number;
  /** Currently in the dead-letter list. */
  readonly deadLettered: number;
  /** Dropped past their TTL (count of events). */
  readonly expired: number;
}

// ── messages ──────────────────────────────────────────────────────────────────────────
export type PayloadEncoding = 'json' | 'base64';

export interface NewMessage {
  /** Chosen by the caller (unique, e.g. a UUID) so it can be logged before the write. */
  readonly id: string;
  readonly payload: Uint8Array;
  /** How the publisher sent the payload, so deliveries can answer in kind. */
  readonly encoding: PayloadEncoding;
  readonly attributes: Readonly<Record<string, string>>;
  /** '' when the publisher gave none (matched only by `#` and by no filter). */
  readonly routingKey: string;
  /** The message's own TTL; the topic's `messageTtlMs` caps it. */
  readonly ttlMs: Millis | null;
  readonly idempotencyKey: string | null;
}

export interface MessageRecord {
  readonly id: string;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly encoding: PayloadEncoding;
  readonly attributes: Readonly<Record<string, string>>;
  readonly routingKey: string;
  readonly publishedAt: Millis;
  readonly expiresAt: Millis;
}

export type PublishResult =
  | { readonly ok: true; readonly id: string; readonly duplicate: false }
  /** Same idempotency key and same content within the dedup window: the first id. */
  | { readonly ok: true; readonly id: string; readonly duplicate: true }
  | { readonly ok: false; readonly error: 'idempotency_conflict'; readonly firstId: string };

// ── deliveries ────────────────────────────────────────────────────────────────────────
/** One handed-out attempt: the consumer answers it by `ackId`. */
export interface DeliveryLease {
  readonly ackId: string;
  readonly subscriptionId: string;
  readonly message: MessageRecord;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** True when an earlier attempt was handed out (attempt > 1). */
  readonly redelivered: boolean;
  /** After this, the attempt counts as failed and the delivery is handed out again. */
  readonly deadline: Millis;
}

/** Which due deliveries to claim: the shared push lane (http/https, for retrievers) or one
 * pull/websocket subscription's own lane. */
export type Lane = { readonly kind: 'push' } | { readonly kind: 'subscription'; readonly subscriptionId: string };

export interface ClaimRequest {
  readonly lane: Lane;
  readonly now: Millis;
  readonly max: number;
  /** How long the consumer has before the attempt counts as failed. Default: the
   * subscription's ackDeadlineMs. */
  readonly leaseMs?: Millis;
}

/** `acked`: this call ended the delivery. `stale`: a real ackId whose attempt already ended
 * (acked, failed, redelivered after its deadline) — not an error, not counted.
 * `unknown`: never issued for this subscription, or malformed (the API's invalid_ack_id). */
export type AckOutcome = 'acked' | 'stale' | 'unknown';

/** `retry`: pending again, due at `retryAt`. `dead`: maxAttempts reached, now a dead letter. */
export type FailOutcome = 'retry' | 'dead' | 'stale' | 'unknown';

/** One claimed attempt handed back unused (see MessageStore.release). */
export interface LeaseRelease {
  readonly subscriptionId: string;
  readonly ackId: string;
  /** When the delivery is due again. */
  readonly retryAt: Millis;
}

/** `released`: pending again, due at `retryAt`, the attempt not counted. `stale`/`unknown`: as for ack. */
export type ReleaseOutcome = 'released' | 'stale' | 'unknown';

export interface DeadLetter {
  readonly message: MessageRecord;
  readonly attempts: number;
  readonly lastError: string;
  readonly deadAt: Millis;
}

// ── API keys ──────────────────────────────────────────────────────────────────────────
export type Role = 'admin' | 'publisher' | 'subscriber';

export interface ApiKeyRecord {
  readonly id: string;
  /** SHA-256 hex of the secret key; the key itself is never stored. */
  readonly keyHash: string;
  readonly name: string;
  readonly role: Role;
  /** Topic-name patterns in filter syntax; null means every topic. */
  readonly topics: readonly string[] | null;
  readonly ratePerSec: number | null;
  readonly createdAt: Millis;
}

// ── the contract ──────────────────────────────────────────────────────────────────────
export interface MessageStore {
  /** Which backend this is ('memory', 'lmdb'), for logs and /readyz. */
  readonly backend: string;

  createTopic(topic: TopicRecord): Promise<CreateTopicResult>;
  getTopic(name: string): Promise<TopicRecord | undefined>;
  /** Topics in name order, after `cursor` (exclusive). */
  listTopics(options: { limit: number; cursor?: string | null }): Promise<TopicPage>;
  /** Deletes the topic with its subscriptions, messages, deliveries and dedup records;
   * false when there was no such topic. */
  deleteTopic(name: string): Promise<boolean>;
  topicStats(name: string): Promise<TopicStats | undefined>;

  /** Stores a subscription; `topic_not_found` when its topic is gone (result, not throw). */
  createSubscription(sub: SubscriptionRecord): Promise<{ ok: true } | { ok: false; error: 'topic_not_found' }>;
  getSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  /** Makes a pending subscription active from `now`; already-active stays as it was. */
  activateSubscription(id: string, now: Millis): Promise<SubscriptionRecord | undefined>;
  /** Deletes it with its deliveries and dead letters; false when unknown. */
  deleteSubscription(id: string): Promise<boolean>;
  listSubscriptions(topic: string): Promise<SubscriptionRecord[]>;
  subscriptionStats(id: string): Promise<SubscriptionStats | undefined>;

  /**
   * Appends messages to a topic, durably, in one atomic write: dedup check, the message,
   * and one pending delivery (due at `now`) per *active* subscription whose filter matches.
   * A message that matches no subscription is counted as published and not kept.
   * Resolves undefined when the topic does not exist. One result per input, same order.
   */
  publish(topic: string, messages: readonly NewMessage[], now: Millis): Promise<PublishResult[] | undefined>;

  /**
   * Hands out up to `max` due deliveries of a lane, making each in flight with a new ackId,
   * attempt + 1 and a deadline. On the way it drops expired messages (counted `expired`)
   * and turns in-flight deliveries past their deadline into failed attempts (a retry now,
   * or a dead letter at maxAttempts). No order promise beyond "earlier due first, mostly".
   */
  claimDue(request: ClaimRequest): Promise<DeliveryLease[]>;
  /** The earliest due time in a lane, or null when it is empty; lets a retriever sleep. */
  nextDueAt(lane: Lane): Promise<Millis | null>;
  /** Acknowledges attempts of one subscription (one outcome per ackId, same order). */
  ack(subscriptionId: string, ackIds: readonly string[], now: Millis): Promise<AckOutcome[]>;
  /** Records a failed attempt: due again at `retryAt`, or dead at maxAttempts with `error`. */
  fail(subscriptionId: string, ackId: string, failure: { error: string; retryAt: Millis; now: Millis }): Promise<FailOutcome>;
  /**
   * Hands claimed attempts back unused, in one write: each is pending again at its `retryAt`
   * and its attempt is not counted (no `failed`, the next claim gets the same attempt number).
   * For a consumer that held a delivery back without trying the endpoint (an open circuit
   * breaker, a full bulkhead): SPEC §3 "time held back by an open circuit breaker is not an
   * attempt". One outcome per item, same order.
   */
  release(items: readonly LeaseRelease[]): Promise<ReleaseOutcome[]>;
  /** Dead letters of a subscription, oldest dead first. */
  listDeadLetters(subscriptionId: string, limit: number): Promise<DeadLetter[]>;
  /** Moves every dead letter back to pending (due at `now`, attempts from 1 again). */
  redrive(subscriptionId: string, now: Millis): Promise<number>;
  /** Removes what is no longer needed: dedup records past their window and records of
   * deliveries acknowledged before `ackedBefore` (after which their ackIds are `unknown`). */
  sweep(options: { now: Millis; ackedBefore: Millis }): Promise<{ dedup: number; acked: number }>;

  createKey(key: ApiKeyRecord): Promise<void>;
  getKey(id: string): Promise<ApiKeyRecord | undefined>;
  findKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  listKeys(): Promise<ApiKeyRecord[]>;
  deleteKey(id: string): Promise<boolean>;

  /** Waits for writes in progress, then closes; further calls reject. */
  close(): Promise<void>;
}
