/**
 * Stats counters, kept inside the same transactions as the state they count, so they are
 * exact (never eventually consistent) on every backend.
 */
import type { KvTx } from './engine.js';
import { k, ZERO_SUB, ZERO_TOPIC, type SubCounters, type TopicCounters } from './schema.js';

export type SubDelta = Partial<Record<keyof SubCounters, number>>;
export type TopicDelta = Partial<Record<keyof TopicCounters, number>>;

/** Applies a change to a subscription's counters and the matching change to its topic's
 * (the topic's `pending` is its subscriptions' pending + inFlight). */
export function bump(tx: KvTx, topic: string, subId: string, delta: SubDelta): void {
  add(tx, k.subCounters(subId), ZERO_SUB, delta);
  bumpTopic(tx, topic, {
    pending: (delta.pending ?? 0) + (delta.inFlight ?? 0),
    delivered: delta.delivered ?? 0,
    failed: delta.failed ?? 0,
    deadLettered: delta.deadLettered ?? 0,
    expired: delta.expired ?? 0,
  });
}

export function bumpTopic(tx: KvTx, topic: string, delta: TopicDelta): void {
  add(tx, k.topicCounters(topic), ZERO_TOPIC, delta);
}

export function readSubCounters(tx: KvTx, subId: string): SubCounters {
  return { ...ZERO_SUB, ...tx.get<SubCounters>(k.subCounters(subId)) };
}

export function readTopicCounters(tx: KvTx, topic: string): TopicCounters {
  return { ...ZERO_TOPIC, ...tx.get<TopicCounters>(k.topicCounters(topic)) };
}

function add<C extends object>(tx: KvTx, key: readonly (string | number)[], zero: C, delta: Partial<Record<keyof C, number>>): void {
  const current = { ...zero, ...tx.get<C>(key) } as Record<keyof C, number>;
  for (const name of Object.keys(delta) as Array<keyof C>) current[name] += delta[name] ?? 0;
  tx.put(key, current);
}
