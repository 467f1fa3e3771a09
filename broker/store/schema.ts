/**
 * The key layout of `KvMessageStore`, one place for every table (the first key part).
 *
 *   topic      [T, name]                         → TopicRecord
 *   sub        [S, id]                           → SubscriptionRecord
 *   subByTopic [ST, topic, subId]                → 1
 *   message    [M, topic, messageId]             → StoredMessage (the record, payload included)
 *   open       [O, topic, messageId]             → deliveries of it not yet ended (a number)
 *   delivery   [D, subId, messageId]             → DeliveryRow
 *   due        [Q, lane, dueAt, subId, msgId]    → 1   ready and in-flight deliveries
 *   dead       [X, subId, deadAt, messageId]     → 1   dead letters, oldest first
 *   acked      [A, ackedAt, subId, messageId]    → 1   for sweep
 *   dedup      [U, topic, idempotencyKey]        → DedupRow
 *   dedupAge   [UE, expiresAt, topic, key]       → 1   for sweep
 *   key        [K, id] → ApiKeyRecord;  keyHash [KH, hash] → id
 *   counters   [C, 't'|'s', name or id]          → Counters
 *
 * An in-flight delivery stays in `due` at its deadline, so a consumer that vanished is
 * noticed by the next claim on that lane without a separate timer.
 */
import type { MessageRecord, Millis, Protocol, SubscriptionStats, TopicStats } from './types.js';
import { isPushProtocol } from './types.js';
import type { Key } from './engine.js';

export const k = {
  topic: (name: string): Key => ['T', name],
  topicsStart: (): Key => ['T'],
  sub: (id: string): Key => ['S', id],
  subByTopic: (topic: string, subId: string): Key => ['ST', topic, subId],
  subsOfTopic: (topic: string): Key => ['ST', topic],
  message: (topic: string, id: string): Key => ['M', topic, id],
  messagesOfTopic: (topic: string): Key => ['M', topic],
  // Apart from the message, so ending one of its deliveries rewrites a number, not the payload.
  messageOpen: (topic: string, id: string): Key => ['O', topic, id],
  openOfTopic: (topic: string): Key => ['O', topic],
  delivery: (subId: string, messageId: string): Key => ['D', subId, messageId],
  deliveriesOfSub: (subId: string): Key => ['D', subId],
  due: (lane: string, dueAt: Millis, subId: string, messageId: string): Key => ['Q', lane, dueAt, subId, messageId],
  lane: (lane: string): Key => ['Q', lane],
  dead: (subId: string, deadAt: Millis, messageId: string): Key => ['X', subId, deadAt, messageId],
  deadOfSub: (subId: string): Key => ['X', subId],
  acked: (ackedAt: Millis, subId: string, messageId: string): Key => ['A', ackedAt, subId, messageId],
  ackedStart: (): Key => ['A'],
  // Idempotency keys come from users: escaped to ASCII so they stay below KEY_MAX in lmdb's
  // byte order as in the memory engine's code-unit order.
  dedup: (topic: string, key: string): Key => ['U', topic, encodeURIComponent(key)],
  dedupOfTopic: (topic: string): Key => ['U', topic],
  dedupAge: (expiresAt: Millis, topic: string, key: string): Key => ['UE', expiresAt, topic, encodeURIComponent(key)],
  dedupAgeStart: (): Key => ['UE'],
  apiKey: (id: string): Key => ['K', id],
  apiKeysStart: (): Key => ['K'],
  apiKeyHash: (hash: string): Key => ['KH', hash],
  topicCounters: (topic: string): Key => ['C', 't', topic],
  subCounters: (subId: string): Key => ['C', 's', subId],
};

/** The lane a subscription's deliveries wait in (see `Lane` in types.ts). */
export function laneOf(sub: { id: string; protocol: Protocol }): string {
  return isPushProtocol(sub.protocol) ? 'push' : `sub:${sub.id}`;
}

/** Written once at publish; its open-delivery count (ready, in flight or dead: at 0 the
 * message is deleted) lives in its own row, `k.messageOpen`. */
export interface StoredMessage {
  readonly record: MessageRecord;
}

export type DeliveryRow =
  | { readonly state: 'ready'; readonly topic: string; readonly attempt: number; readonly dueAt: Millis; readonly lastError: string | null }
  | { readonly state: 'inFlight'; readonly topic: string; readonly attempt: number; readonly deadline: Millis; readonly lastError: string | null }
  | { readonly state: 'dead'; readonly topic: string; readonly attempt: number; readonly deadAt: Millis; readonly lastError: string }
  | { readonly state: 'acked'; readonly topic: string; readonly attempt: number; readonly ackedAt: Millis };

export interface DedupRow {
  readonly firstId: string;
  readonly contentHash: string;
  readonly expiresAt: Millis;
}

export type TopicCounters = Omit<TopicStats, never>;
export type SubCounters = SubscriptionStats;

export const ZERO_TOPIC: TopicCounters = { published: 0, pending: 0, delivered: 0, failed: 0, deadLettered: 0, expired: 0, subscriptions: 0 };
export const ZERO_SUB: SubCounters = { pending: 0, inFlight: 0, delivered: 0, failed: 0, deadLettered: 0, expired: 0 };

/** An ackId names one attempt of one delivery: "<attempt>:<messageId>" (scoped to the
 * subscription by the route, so it need not name it). */
export function formatAckId(attempt: number, messageId: string): string {
  return `${attempt}:${messageId}`;
}

export function parseAckId(ackId: unknown): { attempt: number; messageId: string } | null {
  if (typeof ackId !== 'string' || ackId.length > 600) return null;
  const colon = ackId.indexOf(':');
  if (colon <= 0) return null;
  const digits = ackId.slice(0, colon);
  if (!/^[1-9][0-9]{0,8}$/.test(digits)) return null;
  const messageId = ackId.slice(colon + 1);
  return messageId.length === 0 ? null : { attempt: Number(digits), messageId };
}
