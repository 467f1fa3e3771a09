/**
 * The delivery state machine (one delivery = one message × one subscription). Runs inside the
 * caller's write transaction (kv-store.ts opens it). Rows and their invariants: schema.ts.
 *
 *   publish ──► ready ──claim──► inFlight ──ack──► acked ──sweep──► (gone)
 *                 ▲ ▲               │ │  │
 *                 │ └──handBack─────┘ │  └─fail or deadline at maxAttempts──► dead ──redrive──► ready
 *                 └─fail/deadline─────┘
 *   (handBack: the attempt was never made, so it is not counted)
 *   ready or inFlight past the message's expiresAt ──claim──► (gone, counted expired)
 *
 * Rows touched per step of the common path (lmdb writes are what the broker waits on):
 *   publish  due                       (+ delivery for push subscriptions)
 *   claim    −due, +delivery, +due      (reads: the lane, the message)
 *   ack      −due, delivery             (reads: delivery; + one `acked` row per ack call)
 *   sweep    −delivery                  (reads: delivery; − one `acked` row per ack call)
 * and the message's `open` count when it went to more than one subscription.
 *
 * Cursor subscriptions (pull or websocket without a filter) keep the same machine as a
 * cursor over the topic's log: cursor.ts. The functions here hand their calls over to it.
 */
import { KEY_MAX, prefixEnd, type Key, type KvTx } from './engine.js';
import { bump } from './counters.js';
import * as cursor from './cursor.js';
import { releaseMessage } from './cursor.js';
import {
  ACKED, copyMessage, DEAD, due, formatAckId, IN_FLIGHT, isCursorSub, k, laneOf, parseAckId, PUSH_LANE, READY,
  type DeliveryRow, type DueValue, type StoredMessage,
} from './schema.js';
import type { AckOutcome, DeadLetter, DeliveryLease, FailOutcome, MessageRecord, Millis, ReleaseOutcome, SubscriptionRecord } from './types.js';

/** Adds a ready delivery of a just-published message. The message row and every counter
 * are the caller's (it counts a whole fan-out at once). */
export function enqueue(tx: KvTx, subId: string, lane: string, messageId: string, now: Millis): void {
  tx.put(k.due(lane, now, subId, messageId), due.ready(0));
  // The push lane is shared: a delivery row lets deleting the subscription find this one.
  if (lane === PUSH_LANE) tx.put(k.delivery(subId, messageId), [READY, 0, now] satisfies DeliveryRow);
}

/** Whether anything in `lane` is due at `now` (a read: no write needed to answer "nothing"). */
export function anyDue(tx: KvTx, lane: string, now: Millis): boolean {
  return tx.range(k.lane(lane), [...k.lane(lane), now, KEY_MAX], 1).length > 0;
}

/** Claims up to `max` due deliveries of `lane` (see MessageStore.claimDue). */
export function claim(tx: KvTx, lane: string, now: Millis, max: number, leaseMs: Millis | undefined): DeliveryLease[] {
  const leases: DeliveryLease[] = [];
  const subs = new Map<string, SubscriptionRecord | undefined>();
  const subOf = (id: string) => {
    if (!subs.has(id)) subs.set(id, tx.get<SubscriptionRecord>(k.sub(id)));
    return subs.get(id);
  };
  // Every entry handled below leaves the range [lane, ≤ now] (removed, or moved to a
  // deadline > now since leaseMs ≥ 1), so re-reading from the lane's start makes progress.
  const end: Key = [...k.lane(lane), now, KEY_MAX];
  while (leases.length < max) {
    const batch = tx.range<DueValue>(k.lane(lane), end, max - leases.length);
    if (batch.length === 0) break;
    for (const { key, value } of batch) {
      const [, , , subId, messageId] = key as [string, string, number, string, string];
      tx.remove(key);
      const sub = subOf(subId);
      if (!sub) continue; // not expected: deleting a subscription removes its entries
      const wasInFlight = due.isInFlight(value);
      const attempt = due.attempt(value);
      const stored = tx.get<StoredMessage>(k.message(sub.topic, messageId));
      if (!stored || stored.record.expiresAt <= now) {
        tx.remove(k.delivery(subId, messageId));
        if (!stored) continue; // not expected: a message outlives its deliveries
        bump(tx, sub.topic, subId, wasInFlight ? { inFlight: -1, expired: 1 } : { pending: -1, expired: 1 });
        releaseMessage(tx, sub.topic, messageId);
        continue;
      }
      if (wasInFlight) {
        // The consumer let its deadline pass: that attempt failed.
        bump(tx, sub.topic, subId, { failed: 1 });
        if (attempt >= sub.maxAttempts) {
          bury(tx, sub, messageId, attempt, 'ack deadline exceeded', now);
          continue;
        }
      } else {
        bump(tx, sub.topic, subId, { pending: -1, inFlight: 1 });
      }
      const next = attempt + 1;
      const deadline = now + (leaseMs ?? sub.ackDeadlineMs);
      tx.put(k.delivery(subId, messageId), [IN_FLIGHT, next, deadline] satisfies DeliveryRow);
      tx.put(k.due(lane, deadline, subId, messageId), due.inFlight(next));
      leases.push({ ackId: formatAckId(next, messageId), subscriptionId: subId, message: copyMessage(stored.record), attempt: next, redelivered: next > 1, deadline });
    }
  }
  return leases;
}

/** Ends the in-flight attempts named by `ackIds` as delivered (one outcome each). */
export function ack(tx: KvTx, subscriptionId: string, ackIds: readonly string[], now: Millis): AckOutcome[] {
  const sub = tx.get<SubscriptionRecord>(k.sub(subscriptionId));
  if (sub && isCursorSub(sub)) return cursor.ack(tx, sub, ackIds, now);
  const acked: string[] = [];
  const outcomes = ackIds.map((ackId): AckOutcome => {
    const found = leaseOf(tx, sub, ackId);
    if (found.outcome !== 'current') return found.outcome;
    const { messageId, attempt, deadline } = found;
    tx.remove(k.due(laneOf(found.sub), deadline, subscriptionId, messageId));
    tx.put(k.delivery(subscriptionId, messageId), [ACKED, attempt, now] satisfies DeliveryRow);
    acked.push(messageId);
    releaseMessage(tx, found.sub.topic, messageId);
    return 'acked';
  });
  if (sub && acked.length > 0) {
    // One sweep row for the whole call. Its key is unique unless the same message id was
    // acked at the same millisecond before (a re-published id): then the lists merge.
    const key = k.acked(now, subscriptionId, acked[0]);
    const earlier = tx.get<string[]>(key);
    tx.put(key, earlier ? [...earlier, ...acked] : acked);
    bump(tx, sub.topic, subscriptionId, { inFlight: -acked.length, delivered: acked.length });
  }
  return outcomes;
}

/** Ends the in-flight attempt named by `ackId` as failed: ready at `retryAt`, or dead. */
export function fail(tx: KvTx, subscriptionId: string, ackId: string, error: string, retryAt: Millis, now: Millis): FailOutcome {
  const subRecord = tx.get<SubscriptionRecord>(k.sub(subscriptionId));
  if (subRecord && isCursorSub(subRecord)) return cursor.fail(tx, subRecord, ackId, error, retryAt, now);
  const found = leaseOf(tx, subRecord, ackId);
  if (found.outcome !== 'current') return found.outcome;
  const { sub, messageId, attempt, deadline } = found;
  const lane = laneOf(sub);
  tx.remove(k.due(lane, deadline, subscriptionId, messageId));
  bump(tx, sub.topic, subscriptionId, { failed: 1 });
  if (attempt >= sub.maxAttempts) {
    bury(tx, sub, messageId, attempt, error, now);
    return 'dead';
  }
  makeReady(tx, sub, lane, messageId, attempt, retryAt);
  return 'retry';
}

/**
 * Makes the in-flight attempt named by `ackId` ready again at `retryAt` as if it had not been
 * claimed: the attempt number goes back, so the next claim hands out the same number (and
 * the same ackId text, which is harmless: whoever handed it back holds it no more).
 */
export function handBack(tx: KvTx, subscriptionId: string, ackId: string, retryAt: Millis): ReleaseOutcome {
  const subRecord = tx.get<SubscriptionRecord>(k.sub(subscriptionId));
  if (subRecord && isCursorSub(subRecord)) return cursor.handBack(tx, subRecord, ackId, retryAt);
  const found = leaseOf(tx, subRecord, ackId);
  if (found.outcome !== 'current') return found.outcome;
  const { sub, messageId, attempt, deadline } = found;
  const lane = laneOf(sub);
  tx.remove(k.due(lane, deadline, subscriptionId, messageId));
  makeReady(tx, sub, lane, messageId, attempt - 1, retryAt);
  return 'released';
}

/** Dead letters of a subscription, oldest first. */
export function deadLetters(tx: KvTx, subscriptionId: string, limit: number): DeadLetter[] {
  const sub = tx.get<SubscriptionRecord>(k.sub(subscriptionId));
  if (!sub) return [];
  const out: DeadLetter[] = [];
  for (const { key } of tx.range(k.deadOfSub(subscriptionId), prefixEnd(k.deadOfSub(subscriptionId)), limit)) {
    const messageId = key[3] as string;
    const row = tx.get<DeliveryRow>(k.delivery(subscriptionId, messageId));
    if (row?.[0] !== DEAD) continue;
    const stored = tx.get<StoredMessage>(k.message(sub.topic, messageId));
    if (stored) out.push({ message: copyMessage(stored.record), attempts: row[1], lastError: row[3], deadAt: row[2] });
  }
  return out;
}

/** Moves every dead letter of `sub` back to ready, due at `now`, attempts counted afresh. */
export function redrive(tx: KvTx, sub: SubscriptionRecord, now: Millis): number {
  let redriven = 0;
  for (const { key } of tx.range(k.deadOfSub(sub.id), prefixEnd(k.deadOfSub(sub.id)))) {
    tx.remove(key);
    const messageId = key[3] as string;
    const row = tx.get<DeliveryRow>(k.delivery(sub.id, messageId));
    if (row?.[0] !== DEAD) continue;
    if (row[4] !== undefined) {
      cursor.redriveOne(tx, sub, messageId, row[4], now);
    } else {
      tx.put(k.delivery(sub.id, messageId), [READY, 0, now] satisfies DeliveryRow);
      tx.put(k.due(laneOf(sub), now, sub.id, messageId), due.ready(0));
    }
    bump(tx, sub.topic, sub.id, { deadLettered: -1, pending: 1 });
    redriven++;
  }
  return redriven;
}

/** Removes every delivery of `sub` with its index entries, releasing their messages; the
 * caller settles the counters (it deletes the subscription's and adjusts the topic's). */
export function dropAll(tx: KvTx, sub: SubscriptionRecord): void {
  const lane = laneOf(sub);
  for (const { key, value: row } of tx.range<DeliveryRow>(k.deliveriesOfSub(sub.id), prefixEnd(k.deliveriesOfSub(sub.id)))) {
    const messageId = key[2] as string;
    tx.remove(key);
    if (row[0] === READY || row[0] === IN_FLIGHT) tx.remove(k.due(lane, row[2], sub.id, messageId));
    else if (row[0] === DEAD) tx.remove(k.dead(sub.id, row[2], messageId));
    // An acked one's sweep row stays: the sweep finds no acked delivery behind it and moves on.
    if (row[0] !== ACKED) releaseMessage(tx, sub.topic, messageId, row[0] === DEAD ? row[4] : undefined);
  }
  if (lane === PUSH_LANE) return;
  if (isCursorSub(sub)) return cursor.dropAll(tx, sub);
  // What is left in the subscription's own lane are the deliveries never claimed, which have
  // no delivery row (schema.ts).
  for (const { key } of tx.range(k.lane(lane), prefixEnd(k.lane(lane)))) {
    tx.remove(key);
    releaseMessage(tx, sub.topic, key[4] as string);
  }
}

/** Deletes the records of deliveries acknowledged before `before`; their ackIds become unknown. */
export function forgetAcked(tx: KvTx, before: Millis): number {
  let forgotten = 0;
  for (const { key, value: messageIds } of tx.range<string[]>(k.ackedStart(), [...k.ackedStart(), before])) {
    const [, ackedAt, subId] = key as [string, number, string, string];
    tx.remove(key);
    for (const messageId of messageIds) {
      // Only if it is still that acked delivery (not deleted with its subscription, nor a
      // later delivery of a re-published message id).
      const row = tx.get<DeliveryRow>(k.delivery(subId, messageId));
      if (row?.[0] === ACKED && row[2] === ackedAt) {
        tx.remove(k.delivery(subId, messageId));
        forgotten++;
      }
    }
  }
  return forgotten + cursor.forgetAcked(tx, before);
}

type Lookup =
  | { readonly outcome: 'unknown' | 'stale' }
  | { readonly outcome: 'current'; readonly sub: SubscriptionRecord; readonly messageId: string; readonly attempt: number; readonly deadline: Millis };

/** Resolves an ackId to the in-flight attempt it names, or says why it does not. */
function leaseOf(tx: KvTx, sub: SubscriptionRecord | undefined, ackId: string): Lookup {
  const parsed = parseAckId(ackId);
  if (!parsed || !sub) return { outcome: 'unknown' };
  const row = tx.get<DeliveryRow>(k.delivery(sub.id, parsed.messageId));
  // No row: never claimed (schema.ts), so no ackId was issued for it yet.
  if (!row || parsed.attempt > row[1]) return { outcome: 'unknown' };
  if (row[0] !== IN_FLIGHT || row[1] !== parsed.attempt) return { outcome: 'stale' };
  return { outcome: 'current', sub, messageId: parsed.messageId, attempt: row[1], deadline: row[2] };
}

/** Makes an in-flight delivery (its due entry already removed) ready at `dueAt`. */
function makeReady(tx: KvTx, sub: SubscriptionRecord, lane: string, messageId: string, attemptsSoFar: number, dueAt: Millis): void {
  tx.put(k.delivery(sub.id, messageId), [READY, attemptsSoFar, dueAt] satisfies DeliveryRow);
  tx.put(k.due(lane, dueAt, sub.id, messageId), due.ready(attemptsSoFar));
  bump(tx, sub.topic, sub.id, { inFlight: -1, pending: 1 });
}

/** Makes an in-flight delivery a dead letter (its due entry is already removed). */
function bury(tx: KvTx, sub: SubscriptionRecord, messageId: string, attempts: number, error: string, now: Millis): void {
  tx.put(k.delivery(sub.id, messageId), [DEAD, attempts, now, error] satisfies DeliveryRow);
  tx.put(k.dead(sub.id, now, messageId), 1);
  bump(tx, sub.topic, sub.id, { inFlight: -1, deadLettered: 1 });
}
