/**
 * Stats counters, kept inside the same transactions as the state they count, so they are
 * exact (never eventually consistent) on every backend.
 *
 * Two things keep them off the write path's bill:
 * - Changes collect in a per-transaction buffer and `flushCounters(tx)` writes each touched
 *   counter once — the store calls it at the end of every write transaction
 *   (KvMessageStore.#write) — and reads inside the transaction see the buffered changes.
 * - A publish does not touch the counters of subscriptions without a filter. Such a
 *   subscription receives every message published to its topic while it is active, so its
 *   share of them is the topic's `published` count since then: its row keeps that count as
 *   `fanBase` (set by `startFanOut` when it becomes a fan-out target), its stored `pending`
 *   leaves those deliveries out, and `readSubCounters` adds `published - fanBase` back. A
 *   publish to 10 such subscriptions writes one counter row, not 11.
 */
import type { KvTx } from './engine.js';
import { k, ZERO_SUB, ZERO_TOPIC, type SubCounters, type TopicCounters } from './schema.js';

export type SubDelta = Partial<Record<keyof SubCounters, number>>;
export type TopicDelta = Partial<Record<keyof TopicCounters, number>>;

/** A subscription's stored row: its counters, `pending` without its fan-out share. */
type SubRow = SubCounters & { readonly fanBase?: number };

interface Pending {
  readonly kind: 't' | 's';
  readonly name: string;
  readonly delta: Record<string, number>;
  /** The stored row as read earlier in this transaction, so the flush need not read it
   * again (a publish reads its topic's `published` and then bumps it). */
  stored?: Record<string, number> | undefined;
  read?: boolean;
}
const buffers = new WeakMap<KvTx, Map<string, Pending>>();

/** Applies a change to a subscription's counters and the matching change to its topic's
 * (the topic's `pending` is its subscriptions' pending + inFlight). */
export function bump(tx: KvTx, topic: string, subId: string, delta: SubDelta): void {
  bumpSub(tx, subId, delta);
  bumpTopic(tx, topic, {
    pending: (delta.pending ?? 0) + (delta.inFlight ?? 0),
    delivered: delta.delivered ?? 0,
    failed: delta.failed ?? 0,
    deadLettered: delta.deadLettered ?? 0,
    expired: delta.expired ?? 0,
  });
}

/** Changes a subscription's counters alone (the caller changes its topic's). */
export function bumpSub(tx: KvTx, subId: string, delta: SubDelta): void {
  add(tx, 's', subId, delta);
}

export function bumpTopic(tx: KvTx, topic: string, delta: TopicDelta): void {
  add(tx, 't', topic, delta);
}

/** Marks `sub` as receiving every message published to its topic from now on (an active
 * subscription without a filter): publishes stop counting its pending deliveries one by one.
 * Answers that base (the topic's `published` now), where a cursor subscription's cursor starts. */
export function startFanOut(tx: KvTx, sub: { id: string; topic: string }): number {
  const row = tx.get<SubRow>(k.subCounters(sub.id)) ?? ZERO_SUB;
  const fanBase = readTopicCounters(tx, sub.topic).published;
  tx.put(k.subCounters(sub.id), { ...row, fanBase } satisfies SubRow);
  // Written past the buffer: a copy of the row read before would be out of date.
  const pending = buffers.get(tx)?.get(bufferId('s', sub.id));
  if (pending) pending.read = false;
  return fanBase;
}

export function readSubCounters(tx: KvTx, sub: { id: string; topic: string }): SubCounters {
  const { fanBase, ...counters } = read(tx, 's', sub.id, ZERO_SUB) as SubRow & Record<string, number>;
  if (fanBase === undefined) return counters;
  return { ...counters, pending: counters.pending + readTopicCounters(tx, sub.topic).published - fanBase };
}

export function readTopicCounters(tx: KvTx, topic: string): TopicCounters {
  return read(tx, 't', topic, ZERO_TOPIC);
}

/** Deletes a counter row with its buffered changes. */
export function dropTopicCounters(tx: KvTx, topic: string): void {
  buffers.get(tx)?.delete(bufferId('t', topic));
  tx.remove(k.topicCounters(topic));
}

export function dropSubCounters(tx: KvTx, subId: string): void {
  buffers.get(tx)?.delete(bufferId('s', subId));
  tx.remove(k.subCounters(subId));
}

/** Writes every buffered change; must run once at the end of each write transaction. */
export function flushCounters(tx: KvTx): void {
  const buffer = buffers.get(tx);
  if (!buffer) return;
  buffers.delete(tx);
  for (const pending of buffer.values()) {
    const { kind, name, delta } = pending;
    // A buffer entry created by a read alone has nothing to write.
    let changed = false;
    for (const _ in delta) changed = true;
    if (!changed) continue;
    const key = kind === 't' ? k.topicCounters(name) : k.subCounters(name);
    const stored = pending.read ? pending.stored : tx.get<Record<string, number>>(key);
    const current: Record<string, number> = { ...(kind === 't' ? ZERO_TOPIC : ZERO_SUB), ...stored };
    for (const field in delta) current[field] += delta[field];
    tx.put(key, current);
  }
}

function add(tx: KvTx, kind: 't' | 's', name: string, delta: Partial<Record<string, number>>): void {
  let pending: Pending | undefined;
  for (const field in delta) {
    const change = delta[field];
    // A change of 0 (a claim moves a topic's delivery from ready to in flight, both `pending`)
    // must not cost a counter write.
    if (!change) continue;
    pending ??= pendingOf(tx, kind, name);
    pending.delta[field] = (pending.delta[field] ?? 0) + change;
  }
}

function pendingOf(tx: KvTx, kind: 't' | 's', name: string): Pending {
  let buffer = buffers.get(tx);
  if (!buffer) buffers.set(tx, (buffer = new Map()));
  const id = bufferId(kind, name);
  let pending = buffer.get(id);
  if (!pending) buffer.set(id, (pending = { kind, name, delta: {} }));
  return pending;
}

function read<C extends object>(tx: KvTx, kind: 't' | 's', name: string, zero: C): C {
  const pending = pendingOf(tx, kind, name);
  if (!pending.read) {
    pending.stored = tx.get<Record<string, number>>(kind === 't' ? k.topicCounters(name) : k.subCounters(name));
    pending.read = true;
  }
  const current = { ...zero, ...pending.stored } as Record<string, number>;
  for (const field in pending.delta) current[field] += pending.delta[field];
  return current as C;
}

/** Topic names and ids hold no NUL, so this names one counter row. */
function bufferId(kind: 't' | 's', name: string): string {
  return `${kind}\u0000${name}`;
}
