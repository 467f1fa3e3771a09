/**
 * Which metadata shard owns a topic or a subscription: the consistent-hash ring over the
 * shards' registered names. Every caller builds the same ring from the same shard count, so
 * they agree on every owner without asking anyone.
 */
import { shardName } from '../server/names.js';
import { HashRing } from './hash-ring.js';

export class ShardDirectory {
  readonly #ring: HashRing;
  readonly shardNames: readonly string[];

  constructor(readonly shardCount: number) {
    if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError(`expected a positive shard count, got: ${shardCount}`);
    this.shardNames = Array.from({ length: shardCount }, (_, i) => shardName(i));
    this.#ring = new HashRing({ nodes: this.shardNames });
  }

  /** The shard owning a topic's record. */
  ofTopic(topic: string): string {
    return this.#ring.owner(`topic:${topic}`);
  }

  /** The shard owning a subscription's record (by id: GET /v1/subscriptions/:id has no topic). */
  ofSubscription(id: string): string {
    return this.#ring.owner(`sub:${id}`);
  }
}
