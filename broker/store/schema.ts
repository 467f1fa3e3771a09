/**
 * The key layout of `KvMessageStore`, one place for every table (the first key part).
 *
 *   topic      [T, name]                         → TopicRecord
 *   sub        [S, id]                           → SubscriptionRecord
 *   subByTopic [ST, topic, subId]                → 1
 *   message    [M, topic, messageId]             → StoredMessage (the record, payload included)
 *   open       [O, topic, messageId]             → deliveries of it not yet ended, when more than 1
 *   delivery   [D, subId, messageId]             → DeliveryRow (see below for when it exists)
 *   due        [Q, lane, dueAt, subId, msgId]    → DueValue: ready and in-flight deliveries
 *                                                  (in a cursor lane: the message's seq)
 *   leaseBatch [Q, lane, deadline, subId, seq]   → seqs leased by one claim of a cursor sub
 *   log        [L, topic, seq]                   → messageId, for cursor subscriptions
 *   cursor     [CU, subId]                       → CursorRow of a cursor subscription
 *   lease      [LE, subId, seq]                  → LeaseRow: a cursor sub's unfinished delivery
 *   ackedLog   [AL, ackedAt, subId, firstSeq]    → AckedLogRow: one per cursor sub's ack call
 *   dead       [X, subId, deadAt, messageId]     → 1   dead letters, oldest first
 *   acked      [A, ackedAt, subId, firstMsgId]   → messageIds acked by one ack call, for sweep
 *   dedup      [U, topic, idempotencyKey]        → DedupRow
 *   dedupAge   [UE, expiresAt, topic, key]       → 1   for sweep
 *   key        [K, id] → ApiKeyRecord;  keyHash [KH, hash] → id
 *   counters   [C, 't'|'s', name or id]          → Counters
 *   layout     [V]                               → LAYOUT_VERSION the data was written with
 *
 * Every row written is an lmdb write on the broker's hottest path, so a delivery's life is
 * laid out to touch as few rows as it can (bench/broker/store-cycle.ts counts them). For
 * subscriptions with a filter and push subscriptions (cursor subscriptions: below):
 * - A ready or in-flight delivery has exactly one `due` entry (at its due time, or at its
 *   deadline while in flight), whose value says which of the two it is and its attempt
 *   number, so a claim reads nothing but the lane and the message.
 * - The `delivery` row is what an ackId is checked against. It exists for every delivery
 *   that has been claimed (in flight, ready again after a failure or a hand-back, dead,
 *   acked) and for every delivery of a push subscription, so deleting a subscription finds
 *   them without scanning the shared push lane. A delivery of a (filtered) pull or websocket
 *   subscription that was never claimed has only its `due` entry: publishing writes one row
 *   per delivery, and deleting such a subscription scans its own lane instead.
 * - `open` is absent while one delivery of the message is left (the common single-
 *   subscription case writes and deletes nothing but the message).
 * - An acked delivery keeps its `delivery` row (a repeated ack answers `stale`) until the
 *   sweep; the sweep finds them through one `acked` row per ack call, not one per delivery.
 *
 * An in-flight delivery stays in `due` at its deadline, so a consumer that vanished is
 * noticed by the next claim on that lane without a separate timer.
 *
 * Cursor subscriptions (pull or websocket, no filter: `isCursorSub`) take every message of
 * their topic, so they get no row per delivery at publish (cursor.ts):
 * - A message that has a cursor subscription among its targets gets a `log` row at its
 *   `seq`: the topic's `published` count before it (so a subscription whose cursor starts
 *   at `published` — its counters' `fanBase` — gets exactly what is published after).
 * - The `cursor` row holds `next`, the first seq not yet handed out. A claim reads the log
 *   from `next` and writes one `lease` row per message handed out, plus one `leaseBatch`
 *   entry in the lane at the claim's deadline listing the seqs it leased.
 * - An ack removes the lease and nothing else: the lingering `leaseBatch` entry is checked
 *   at its deadline, skipping every seq below the first remaining lease (the acknowledged
 *   prefix) without a read. One `ackedLog` row per ack call records how many it acked and
 *   that floor; the sweep moves the cursor's `forgotten` mark up to the floor, below which
 *   an ackId with no lease is unknown (it was acked and swept), and above it stale.
 * - A failed, nacked, handed-back or redriven delivery keeps its `lease` row (ready) and
 *   gets a `due` entry at its due time whose value is its seq; a dead one moves to the
 *   `delivery` (with its seq) and `dead` rows like any other.
 * - The message's `log` row is deleted with the message (its last delivery ended).
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
  acked: (ackedAt: Millis, subId: string, firstMessageId: string): Key => ['A', ackedAt, subId, firstMessageId],
  ackedStart: (): Key => ['A'],
  // Numbers sort before strings, so a lane's lease batches and ready entries at one time
  // never collide (ready entries end with a message id).
  leaseBatch: (lane: string, deadline: Millis, subId: string, firstSeq: number): Key => ['Q', lane, deadline, subId, firstSeq],
  log: (topic: string, seq: number): Key => ['L', topic, seq],
  logOfTopic: (topic: string): Key => ['L', topic],
  cursor: (subId: string): Key => ['CU', subId],
  lease: (subId: string, seq: number): Key => ['LE', subId, seq],
  leasesOfSub: (subId: string): Key => ['LE', subId],
  // Unique: a seq is acked at most once per subscription (no lease is written for it again).
  ackedLog: (ackedAt: Millis, subId: string, firstSeq: number): Key => ['AL', ackedAt, subId, firstSeq],
  ackedLogStart: (): Key => ['AL'],
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
  layout: (): Key => ['V'],
};

/**
 * The version of this layout. Pre-1.0 there is no migration: a data directory written with
 * another layout is refused when the store opens (its rows would otherwise be misread, not
 * rejected). Data from before the `layout` row existed is version 1.
 */
export const LAYOUT_VERSION = 3;

/** The lane every push subscription's deliveries share; others each have `sub:<id>`. */
export const PUSH_LANE = 'push';

/** Whether `sub` is served from a cursor over its topic's log rather than rows per delivery:
 * a pull or websocket subscription without a filter (it takes every message). */
export function isCursorSub(sub: { protocol: Protocol; filter: string | null }): boolean {
  return sub.filter === null && !isPushProtocol(sub.protocol);
}

/** The lane a subscription's deliveries wait in (see `Lane` in types.ts). */
export function laneOf(sub: { id: string; protocol: Protocol }): string {
  return isPushProtocol(sub.protocol) ? PUSH_LANE : `sub:${sub.id}`;
}

/** Written once at publish; its open-delivery count (ready, in flight or dead: at 0 the
 * message is deleted) lives in its own row, `k.messageOpen`, when above 1. */
export interface StoredMessage {
  readonly record: MessageRecord;
  /** Its place in the topic's log, when it has a `log` row (a cursor subscription took it). */
  readonly seq?: number;
}

/** A cursor subscription's position: `next` is the first seq not yet handed out; below
 * `forgotten` an ackId without a lease is unknown; `start` is where the cursor began (it
 * tells a re-created subscription id from the one an old `ackedLog` row was written for);
 * `topic` is the subscription's, so an idle claim's snapshot check reads no other row. */
export type CursorRow = readonly [next: number, forgotten: number, start: number, topic: string];

/** A cursor subscription's delivery that has been handed out and not ended. */
export type LeaseRow =
  | readonly [state: typeof READY, attemptsSoFar: number, dueAt: Millis, messageId: string]
  | readonly [state: typeof IN_FLIGHT, attempt: number, deadline: Millis, messageId: string];

/** One ack call of a cursor subscription, for the sweep: how many it acked, the first seq
 * still unfinished after it, and the cursor's `start` when it was written. */
export type AckedLogRow = readonly [count: number, floor: number, start: number];

/**
 * A `due` entry's value, one number: a ready delivery's attempt count so far (≥ 0), or the
 * negated attempt number (≤ -1) of an in-flight one. A number is the cheapest value to
 * encode and decode, and the claim reads one per delivery.
 */
export type DueValue = number;
export const due = {
  ready: (attemptsSoFar: number): DueValue => attemptsSoFar,
  inFlight: (attempt: number): DueValue => -attempt,
  isInFlight: (value: DueValue): boolean => value < 0,
  /** Attempts made so far (ready) or the attempt under way (in flight). */
  attempt: (value: DueValue): number => Math.abs(value),
};

/**
 * A delivery row, as a tuple (smaller to store and faster to decode than an object). The
 * state tags are short strings so the rows stay readable in a dump. `lastError` is kept only
 * for dead letters: it is the error of the attempt that made them dead; before that it is
 * never shown.
 */
export const READY = 'r';
export const IN_FLIGHT = 'f';
export const DEAD = 'x';
export const ACKED = 'a';
export type DeliveryRow =
  | readonly [state: typeof READY, attemptsSoFar: number, dueAt: Millis]
  | readonly [state: typeof IN_FLIGHT, attempt: number, deadline: Millis]
  | readonly [state: typeof DEAD, attempts: number, deadAt: Millis, lastError: string, seq?: number]
  | readonly [state: typeof ACKED, attempt: number, ackedAt: Millis];

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

/** A cursor subscription's ackId also names the message's seq: "<attempt>.<seq>:<messageId>"
 * (the message id stays after the first colon, as in every ackId). */
export function formatCursorAckId(attempt: number, seq: number, messageId: string): string {
  return `${attempt}.${seq}:${messageId}`;
}

export function parseCursorAckId(ackId: unknown): { attempt: number; seq: number; messageId: string } | null {
  if (typeof ackId !== 'string' || ackId.length > 600) return null;
  const match = /^([1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,14}):/.exec(ackId);
  if (!match) return null;
  const messageId = ackId.slice(match[0].length);
  return messageId.length === 0 ? null : { attempt: Number(match[1]), seq: Number(match[2]), messageId };
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

/** A stored message as the store hands it out: engines may give back a Buffer (lmdb), callers get
 * a plain Uint8Array of their own. */
export function copyMessage(record: MessageRecord): MessageRecord {
  return { ...record, payload: new Uint8Array(record.payload) };
}
