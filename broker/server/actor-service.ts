/**
 * The BrokerService the frontend calls, carried out by the broker's actors:
 *
 *   topics, subscriptions, confirm ──► the owning metadata shard (ShardDirectory)
 *   publish, stats, acks, dead letters ──► the store server
 *   pull ──► the pull server (long polls)
 *   after a publish ──► {published} to the pull server, and the delivery hooks (retrievers)
 *
 * Every call is made as `system` (outside code), so the HTTP server's many requests run
 * concurrently, each in an inbox of its own. Lives on the main thread, with the frontend.
 */
import { randomUUID } from 'node:crypto';
import { GenServer } from '../../actors/index.js';
import type { ActorSystem } from '../../runtime/index.js';
import { ShardDirectory } from '../metadata/directory.js';
import type { ShardAnswers, ShardRequest } from '../metadata/shard.js';
import type { CancelNotice, DueNotice, PublishedNotice, PullAnswer, PullRequest, ReleaseNotice } from '../pull/pull-server.js';
import type { BrokerService, ConfirmOutcome, CreateSubscriptionOutcome } from '../service.js';
import { STORE_SERVER, storeCall } from '../store/store-server.js';
import { isPushProtocol, type AckOutcome, type ApiKeyRecord, type NewMessage, type SubscriptionRecord, type TopicRecord } from '../store/types.js';
import { FRONTEND, PULL_SERVER } from './names.js';
import { PublishBatcher } from './publish-batcher.js';

/** What the publish and subscribe paths tell webhook delivery (broker/delivery). */
export interface DeliveryHooks {
  /** After a durable publish to `topic`: idle retrievers look for work at once. */
  published(topic: string): void;
  /** After an http(s) subscription was stored: send it the confirmation request. */
  confirm(sub: SubscriptionRecord): Promise<void>;
}

/** How long a long poll may take beyond its waitMs before the call gives up. */
const PULL_MARGIN_MS = 10_000;
const METADATA_TIMEOUT_MS = 30_000;

export class ActorBrokerService implements BrokerService {
  readonly #system: ActorSystem;
  readonly #shards: ShardDirectory;
  readonly #delivery: DeliveryHooks;
  readonly #topicListeners = new Set<(topic: string) => void>();
  readonly #components: readonly string[];
  readonly #publishes: PublishBatcher;
  /** Topics published to this turn, announced once each at its end (a burst of publishes
   * to one topic wakes its consumers once, not once per message). */
  readonly #published = new Set<string>();

  constructor(options: { system: ActorSystem; shards: ShardDirectory; delivery: DeliveryHooks; components: readonly string[] }) {
    this.#system = options.system;
    this.#shards = options.shards;
    this.#delivery = options.delivery;
    this.#publishes = new PublishBatcher(options.system);
    this.#components = [STORE_SERVER, PULL_SERVER, FRONTEND, ...options.shards.shardNames, ...options.components];
  }

  async ready(): Promise<boolean> {
    const pids = await Promise.all(this.#components.map((name) => GenServer.whereis(this.#system, name)));
    return pids.every((pid) => pid !== undefined);
  }

  // ── keys ────────────────────────────────────────────────────────────────────────────
  createKey(key: ApiKeyRecord): Promise<void> {
    return storeCall(this.#system, 'createKey', key);
  }
  deleteKey(id: string): Promise<boolean> {
    return storeCall(this.#system, 'deleteKey', id);
  }
  findKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    return storeCall(this.#system, 'findKeyByHash', keyHash);
  }

  // ── topics ──────────────────────────────────────────────────────────────────────────
  createTopic(topic: TopicRecord) {
    return this.#shard(this.#shards.ofTopic(topic.name), { op: 'createTopic', topic });
  }
  getTopic(name: string) {
    return this.#shard(this.#shards.ofTopic(name), { op: 'getTopic', name });
  }
  listTopics(page: { limit: number; cursor: string | null }) {
    return storeCall(this.#system, 'listTopics', page);
  }
  topicStats(name: string) {
    return storeCall(this.#system, 'topicStats', name);
  }
  deleteTopic(name: string) {
    return this.#shard(this.#shards.ofTopic(name), { op: 'deleteTopic', name });
  }

  async publish(topic: string, messages: readonly NewMessage[]) {
    const results = await this.#publishes.publish(topic, messages);
    if (results?.some((r) => r.ok && !r.duplicate)) this.#announce(topic);
    return results;
  }

  #announce(topic: string): void {
    if (this.#published.size === 0) setImmediate(() => this.#announceAll());
    this.#published.add(topic);
  }

  #announceAll(): void {
    for (const topic of this.#published) {
      GenServer.cast(this.#system, PULL_SERVER, { published: topic } satisfies PublishedNotice);
      this.#delivery.published(topic);
    }
    this.#published.clear();
  }

  // ── subscriptions ─────────────────────────────────────────────────────────────────────
  async createSubscription(sub: SubscriptionRecord): Promise<CreateSubscriptionOutcome> {
    const result = await this.#shard(this.#shards.ofSubscription(sub.id), { op: 'createSubscription', sub });
    // The confirmation goes out after the 201's data is durable; a lost one is re-sent by
    // creating the subscription again (as with SNS), so the API call does not wait for it.
    if (result.ok && isPushProtocol(sub.protocol) && sub.status === 'pending') void this.#delivery.confirm(sub).catch(() => {});
    return result;
  }
  getSubscription(id: string) {
    return this.#shard(this.#shards.ofSubscription(id), { op: 'getSubscription', id });
  }
  subscriptionStats(id: string) {
    return storeCall(this.#system, 'subscriptionStats', id);
  }
  deleteSubscription(id: string) {
    return this.#shard(this.#shards.ofSubscription(id), { op: 'deleteSubscription', id });
  }
  confirmSubscription(id: string, token: string): Promise<ConfirmOutcome> {
    return this.#shard(this.#shards.ofSubscription(id), { op: 'confirmSubscription', id, token, now: Date.now() });
  }

  // ── pull ────────────────────────────────────────────────────────────────────────────
  async pull(subscriptionId: string, max: number, waitMs: number, signal?: AbortSignal) {
    const request: PullRequest = { pull: subscriptionId, max, waitMs, pollId: randomUUID() };
    const cancel = () => GenServer.cast(this.#system, PULL_SERVER, { cancel: request.pollId } satisfies CancelNotice);
    signal?.addEventListener('abort', cancel, { once: true });
    let answer: PullAnswer;
    try {
      answer = await (GenServer.call(this.#system, PULL_SERVER, request, waitMs + PULL_MARGIN_MS) as PromiseLike<PullAnswer>);
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    if (answer !== undefined && !Array.isArray(answer)) throw new Error(`pull failed: ${answer.$pullError}`);
    return answer;
  }
  ack(subscriptionId: string, ackIds: readonly string[]) {
    return storeCall(this.#system, 'ack', subscriptionId, ackIds, Date.now());
  }
  async nack(subscriptionId: string, ackIds: readonly string[]): Promise<AckOutcome[]> {
    const now = Date.now();
    const outcomes = await Promise.all(
      ackIds.map((ackId) => storeCall(this.#system, 'fail', subscriptionId, ackId, { error: 'nack', retryAt: now, now })),
    );
    if (outcomes.some((o) => o === 'retry')) GenServer.cast(this.#system, PULL_SERVER, { due: subscriptionId } satisfies DueNotice);
    return outcomes.map((o) => (o === 'retry' || o === 'dead' ? 'acked' : o));
  }

  // ── dead letters ────────────────────────────────────────────────────────────────────
  listDeadLetters(subscriptionId: string, limit: number) {
    return storeCall(this.#system, 'listDeadLetters', subscriptionId, limit);
  }
  async redrive(subscriptionId: string) {
    const sub = await this.getSubscription(subscriptionId);
    const redriven = await storeCall(this.#system, 'redrive', subscriptionId, Date.now());
    if (redriven > 0 && sub) {
      if (isPushProtocol(sub.protocol)) this.#delivery.published(sub.topic);
      else GenServer.cast(this.#system, PULL_SERVER, { due: subscriptionId } satisfies DueNotice);
    }
    return redriven;
  }

  // ── cache invalidation ──────────────────────────────────────────────────────────────
  onTopicChanged(listener: (topic: string) => void): () => void {
    this.#topicListeners.add(listener);
    return () => this.#topicListeners.delete(listener);
  }

  /** Called by the frontend actor when a shard's notice arrives. */
  topicChanged(topic: string): void {
    for (const listener of this.#topicListeners) listener(topic);
  }

  /** Answers every parked long poll now (the frontend is stopping). */
  releasePolls(): void {
    GenServer.cast(this.#system, PULL_SERVER, { releaseAll: true } satisfies ReleaseNotice);
  }

  #shard<R extends ShardRequest>(shard: string, request: R): Promise<ShardAnswers[R['op']]> {
    return Promise.resolve(GenServer.call(this.#system, shard, request, METADATA_TIMEOUT_MS) as PromiseLike<ShardAnswers[R['op']]>);
  }
}
