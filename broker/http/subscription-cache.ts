/**
 * The frontend's cache of what pull, ack and nack need to know about a subscription: its
 * topic (for the caller's topic patterns) and its protocol. Both are fixed when the
 * subscription is created and ids are never reused, so a cached entry can only be wrong in one
 * way: the subscription was deleted since. That needs no change notices: the store is asked
 * anyway by every pull and ack, and says so (a pull answers "no such subscription", an ack
 * finds its ackIds unknown); the route then asks the metadata shard afresh, answers 404 and
 * drops the entry (`forget`).
 *
 *   pull/ack/nack ──get(id)──► LRU ──miss──► service.getSubscription (a metadata shard) ──► LRU
 *
 * Without it each pull and each ack was one more call to a metadata shard, often on another
 * thread: with consumers polling in a loop, as many shard calls as HTTP requests.
 */
import { LRUCache } from 'lru-cache';
import type { BrokerService } from '../service.js';
import type { SubscriptionRecord } from '../store/types.js';

/** The facts of a subscription that never change. */
export type SubscriptionFacts = Pick<SubscriptionRecord, 'id' | 'topic' | 'protocol'>;

export const DEFAULT_SUBSCRIPTION_CACHE_SIZE = 10_000;

export class SubscriptionCache {
  readonly #service: Pick<BrokerService, 'getSubscription'>;
  readonly #lru: LRUCache<string, SubscriptionFacts>;

  constructor(service: Pick<BrokerService, 'getSubscription'>, size = DEFAULT_SUBSCRIPTION_CACHE_SIZE) {
    this.#service = service;
    this.#lru = new LRUCache({ max: Math.max(1, size) });
  }

  /** The subscription's facts, or undefined when it does not exist (never cached). */
  async get(id: string): Promise<SubscriptionFacts | undefined> {
    const cached = this.#lru.get(id);
    if (cached !== undefined) return cached;
    const sub = await this.#service.getSubscription(id);
    if (sub === undefined) return undefined;
    const facts: SubscriptionFacts = { id: sub.id, topic: sub.topic, protocol: sub.protocol };
    this.#lru.set(id, facts);
    return facts;
  }

  /** Drops a subscription found deleted (or deleted through this frontend). */
  forget(id: string): void {
    this.#lru.delete(id);
  }

  clear(): void {
    this.#lru.clear();
  }
}
