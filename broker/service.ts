/**
 * What the HTTP frontend asks of the rest of the broker: one method per thing a route does,
 * after the route has validated, authenticated and authorised the request.
 *
 *   HTTP routes (broker/http/) ──► BrokerService ──► metadata shards, store server,
 *                                  (broker/server/      pull server, delivery
 *                                   actor-service.ts)   (actors, by message)
 *
 * The frontend never touches the store or an actor directly, so it can be read, and its bad
 * input answers tested, without knowing how the broker is assembled. Everything here reads the
 * clock itself (`now` is the broker's); records and results are the store's types
 * (store/types.ts). Methods reject only on internal failure (a component down): the frontend
 * answers those with 503 and a retryable error, never by losing what was accepted.
 */
import type {
  AckOutcome,
  ApiKeyRecord,
  CreateTopicResult,
  DeadLetter,
  DeliveryLease,
  NewMessage,
  PublishResult,
  SubscriptionRecord,
  SubscriptionStats,
  TopicPage,
  TopicRecord,
  TopicStats,
} from './store/types.js';

export type ConfirmOutcome =
  | { readonly ok: true; readonly subscription: SubscriptionRecord }
  | { readonly ok: false; readonly error: 'subscription_not_found' | 'invalid_token' };

export type CreateSubscriptionOutcome = { readonly ok: true } | { readonly ok: false; readonly error: 'topic_not_found' };

export interface BrokerService {
  /** True while every component of the tree is running (GET /readyz). */
  ready(): Promise<boolean>;

  // ── API keys (the admin key is not stored: the frontend compares it itself) ──────────
  createKey(key: ApiKeyRecord): Promise<void>;
  deleteKey(id: string): Promise<boolean>;
  findKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;

  // ── topics (served by the metadata shard that owns the name) ─────────────────────────
  createTopic(topic: TopicRecord): Promise<CreateTopicResult>;
  getTopic(name: string): Promise<TopicRecord | undefined>;
  listTopics(page: { limit: number; cursor: string | null }): Promise<TopicPage>;
  topicStats(name: string): Promise<TopicStats | undefined>;
  /** Removes the topic, its subscriptions and pending messages; false when unknown. */
  deleteTopic(name: string): Promise<boolean>;
  /**
   * Publishes durably: resolves once every accepted message is in the store. One result per
   * message, same order; undefined when the topic does not exist.
   */
  publish(topic: string, messages: readonly NewMessage[]): Promise<PublishResult[] | undefined>;

  // ── subscriptions ─────────────────────────────────────────────────────────────────────
  /** Stores it; for http/https (status pending) also sends the confirmation request. */
  createSubscription(sub: SubscriptionRecord): Promise<CreateSubscriptionOutcome>;
  getSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  subscriptionStats(id: string): Promise<SubscriptionStats | undefined>;
  deleteSubscription(id: string): Promise<boolean>;
  /** Activates a pending subscription when `token` is its confirmation token (an active one
   * stays active: confirming twice with the right token succeeds). */
  confirmSubscription(id: string, token: string): Promise<ConfirmOutcome>;

  // ── pull subscriptions ──────────────────────────────────────────────────────────────
  /**
   * Up to `max` messages of a pull subscription, waiting up to `waitMs` for the first one
   * (long poll; resolves early with [] when the broker stops). undefined: no such subscription.
   * `signal`: the client went away; a poll still waiting ends with [] and claims nothing more
   * (leases already handed out come back at their ack deadline, as for any lost answer).
   */
  pull(subscriptionId: string, max: number, waitMs: number, signal?: AbortSignal): Promise<DeliveryLease[] | undefined>;
  ack(subscriptionId: string, ackIds: readonly string[]): Promise<AckOutcome[]>;
  /** Ends each attempt now and makes its message due again at once (next attempt, redelivered). */
  nack(subscriptionId: string, ackIds: readonly string[]): Promise<AckOutcome[]>;

  // ── dead letters ────────────────────────────────────────────────────────────────────
  listDeadLetters(subscriptionId: string, limit: number): Promise<DeadLetter[]>;
  redrive(subscriptionId: string): Promise<number>;

  /**
   * Registers the frontend's topic cache for change notices from the metadata shards: `listener`
   * runs with a topic name whenever its record or subscriptions change (deleted included).
   * Returns the function that unregisters it.
   */
  onTopicChanged(listener: (topic: string) => void): () => void;
}
