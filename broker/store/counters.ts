/**
 * Stats counters, kept inside the same transactions as the state they count, so they are
 * exact (never eventually consistent) on every backend.
 *
 * A publish fanned out to 10 subscriptions changes the topic's counters 10 times; writing
 * each change through would be 20 extra reads and writes per message. So changes collect in
 * a per-transaction buffer and `flushCounters(tx)` writes each touched counter once — the
 * store calls it at the end of every write transaction (KvMessageStore.#write), and reads
 * inside the transaction see the buffered changes.
 */
import type { Key, KvTx } from './engine.js';
import { k, ZERO_SUB, ZERO_TOPIC, type SubCounters, type TopicCounters } from './schema.js';

export type SubDelta = Partial<Record<keyof SubCounters, number>>;
export type TopicDelta = Partial<Record<keyof TopicCounters, number>>;

interface Pending {
  readonly key: Key;
  readonly zero: Record<string, number>;
  readonly delta: Record<string, number>;
}
const buffers = new WeakMap<KvTx, Map<string, Pending>>();

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
  return read(tx, k.subCounters(subId), ZERO_SUB);
}

export function readTopicCounters(tx: KvTx, topic: string): TopicCounters {
  return read(tx, k.topicCounters(topic), ZERO_TOPIC);
}

/** Forgets buffered changes of a counter whose record is being deleted. */
export function dropCounters(tx: KvTx, key: Key): void {
  buffers.get(tx)?.delete(counterId(key));
  tx.remove(key);
}

/** Writes every buffered change; must run once at the end of each write transaction. */
export function flushCounters(tx: KvTx): void {
  const buffer = buffers.get(tx);
  if (!buffer) return;
  buffers.delete(tx);
  for (const { key, zero, delta } of buffer.values()) {
    const current = { ...zero, ...tx.get<Record<string, number>>(key) };
    for (const name of Object.keys(delta)) current[name] += delta[name];
    tx.put(key, current);
  }
}

function add(tx: KvTx, key: Key, zero: object, delta: Partial<Record<string, number>>): void {
  let buffer = buffers.get(tx);
  if (!buffer) buffers.set(tx, (buffer = new Map()));
  const id = counterId(key);
  let pending = buffer.get(id);
  if (!pending) buffer.set(id, (pending = { key, zero: zero as Record<string, number>, delta: {} }));
  for (const name of Object.keys(delta)) pending.delta[name] = (pending.delta[name] ?? 0) + (delta[name] ?? 0);
}

function read<C extends object>(tx: KvTx, key: Key, zero: C): C {
  const current = { ...zero, ...tx.get<C>(key) } as Record<string, number>;
  const pending = buffers.get(tx)?.get(counterId(key));
  if (pending) for (const name of Object.keys(pending.delta)) current[name] += pending.delta[name];
  return current as C;
}

/** A counter's key as one string. Counter keys are ['C', 't'|'s', name or id]: joining with a
 * character no topic name or id may hold is cheaper than JSON.stringify on every change. */
function counterId(key: Key): string {
  return key.join('\u0000');
}
