/**
 * The frontend's cache of topic records (SPEC §3 "a cache of topic metadata"): an LRU by name,
 * filled on a miss from the metadata shards and emptied for a name when a shard says that topic
 * changed (`service.onTopicChanged`, deletes included).
 *
 *   route ──get(name)──► LRU ──miss──► service.getTopic ──► LRU (unless a change came meanwhile)
 *   metadata shard ──onTopicChanged(name)──► delete(name)
 *
 * Only existing topics are cached: a miss for an unknown name asks the shard again, so a topic
 * created a moment ago is never answered 404 from the cache. A lookup that started before a
 * change notice is not cached when it lands (generation check), so a deletion is never undone
 * by a slow read.
 */
import { LRUCache } from 'lru-cache';
import type { BrokerService } from '../service.js';
import type { TopicRecord } from '../store/types.js';

export const DEFAULT_TOPIC_CACHE_SIZE = 10_000;

export class TopicCache {
  readonly #service: Pick<BrokerService, 'getTopic'>;
  readonly #lru: LRUCache<string, TopicRecord>;
  readonly #unsubscribe: () => void;
  #generation = 0;

  constructor(service: Pick<BrokerService, 'getTopic' | 'onTopicChanged'>, size = DEFAULT_TOPIC_CACHE_SIZE) {
    this.#service = service;
    this.#lru = new LRUCache({ max: Math.max(1, size) });
    this.#unsubscribe = service.onTopicChanged((name) => this.invalidate(name));
  }

  /** The topic's record, or undefined when it does not exist. */
  async get(name: string): Promise<TopicRecord | undefined> {
    const cached = this.#lru.get(name);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const topic = await this.#service.getTopic(name);
    if (topic !== undefined && generation === this.#generation) this.#lru.set(name, topic);
    return topic;
  }

  /** Forgets a topic (changed or deleted); also called by routes after their own writes. */
  invalidate(name: string): void {
    this.#generation++;
    this.#lru.delete(name);
  }

  /** Stops listening for changes (the app is closing). */
  close(): void {
    this.#unsubscribe();
    this.#lru.clear();
  }
}
