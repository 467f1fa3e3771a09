/**
 * The delivery state machine, one function per transition; each runs inside the caller's
 * write transaction (kv-store.ts opens it).
 *
 *   publish ──► ready ──claim──► inFlight ──ack──► acked ──sweep──► (gone)
 *                 ▲ ▲               │ │  │
 *                 │ └──handBack─────┘ │  └─fail or deadline at maxAttempts──► dead ──redrive──► ready
 *                 └─fail/deadline─────┘
 *   (handBack: the attempt was never made, so it is not counted)
 *   ready or inFlight past the message's expiresAt ──claim──► (gone, counted expired)
 *
 * Every ready or in-flight delivery has exactly one `due` entry (at its due time or its
 * deadline); dead and acked ones have none.
 */
import { KEY_MAX, prefixEnd, type Key, type KvTx } from './engine.js';
import { bump } from './counters.js';
import { formatAckId, k, laneOf, parseAckId, type DeliveryRow, type StoredMessage } from './schema.js';
import type { AckOutcome, DeadLetter, DeliveryLease, FailOutcome, MessageRecord, Millis, ReleaseOutcome, SubscriptionRecord } from './types.js';

/** Adds a ready delivery of a just-published message (the message row is written by the caller). */
export function enqueue(tx: KvTx, sub: SubscriptionRecord, lane: string, topic: string, messageId: string, now: Millis): void {
  tx.put(k.delivery(sub.id, messageId), { state: 'ready', topic, attempt: 0, dueAt: now, lastError: null } satisfies DeliveryRow);
  tx.put(k.due(lane, now, sub.id, messageId), 1);
  bump(tx, topic, sub.id, { pending: 1 });
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
    const batch = tx.range(k.lane(lane), end, max - leases.length);
    if (batch.length === 0) break;
    for (const { key } of batch) {
      const [, , , subId, messageId] = key as [string, string, number, string, string];
      tx.remove(key);
      const sub = subOf(subId);
      const row = tx.get<DeliveryRow>(k.delivery(subId, messageId));
      if (!sub || !row || (row.state !== 'ready' && row.state !== 'inFlight')) continue; // stale index entry
      const stored = tx.get<StoredMessage>(k.message(row.topic, messageId));
      if (!stored) {
        tx.remove(k.delivery(subId, messageId));
        continue;
      }
      const wasInFlight = row.state === 'inFlight';
      if (stored.record.expiresAt <= now) {
        tx.remove(k.delivery(subId, messageId));
        bump(tx, row.topic, subId, wasInFlight ? { inFlight: -1, expired: 1 } : { pending: -1, expired: 1 });
        releaseMessage(tx, row.topic, messageId);
        continue;
      }
      if (wasInFlight) {
        // The consumer let its deadline pass: that attempt failed.
        bump(tx, row.topic, subId, { failed: 1 });
        if (row.attempt >= sub.maxAttempts) {
          bury(tx, sub, messageId, row.topic, row.attempt, 'ack deadline exceeded', now);
          continue;
        }
      } else {
        bump(tx, row.topic, subId, { pending: -1, inFlight: 1 });
      }
      const attempt = row.attempt + 1;
      const deadline = now + (leaseMs ?? sub.ackDeadlineMs);
      tx.put(k.delivery(subId, messageId), { state: 'inFlight', topic: row.topic, attempt, deadline, lastError: row.lastError } satisfies DeliveryRow);
      tx.put(k.due(lane, deadline, subId, messageId), 1);
      leases.push({ ackId: formatAckId(attempt, messageId), subscriptionId: subId, message: copyMessage(stored.record), attempt, redelivered: attempt > 1, deadline });
    }
  }
  return leases;
}

/** Ends the in-flight attempt named by `ackId` as delivered. */
export function ack(tx: KvTx, subscriptionId: string, ackId: string, now: Millis): AckOutcome {
  const found = leaseOf(tx, subscriptionId, ackId);
  if (found.outcome !== 'current') return found.outcome;
  const { row, messageId, sub } = found;
  tx.remove(k.due(laneOf(sub), row.deadline, subscriptionId, messageId));
  tx.put(k.delivery(subscriptionId, messageId), { state: 'acked', topic: row.topic, attempt: row.attempt, ackedAt: now } satisfies DeliveryRow);
  tx.put(k.acked(now, subscriptionId, messageId), 1);
  bump(tx, row.topic, subscriptionId, { inFlight: -1, delivered: 1 });
  releaseMessage(tx, row.topic, messageId);
  return 'acked';
}

/** Ends the in-flight attempt named by `ackId` as failed: ready at `retryAt`, or dead. */
export function fail(tx: KvTx, subscriptionId: string, ackId: string, error: string, retryAt: Millis, now: Millis): FailOutcome {
  const found = leaseOf(tx, subscriptionId, ackId);
  if (found.outcome !== 'current') return found.outcome;
  const { row, messageId, sub } = found;
  const lane = laneOf(sub);
  tx.remove(k.due(lane, row.deadline, subscriptionId, messageId));
  bump(tx, row.topic, subscriptionId, { failed: 1 });
  if (row.attempt >= sub.maxAttempts) {
    bury(tx, sub, messageId, row.topic, row.attempt, error, now);
    return 'dead';
  }
  tx.put(k.delivery(subscriptionId, messageId), { state: 'ready', topic: row.topic, attempt: row.attempt, dueAt: retryAt, lastError: error } satisfies DeliveryRow);
  tx.put(k.due(lane, retryAt, subscriptionId, messageId), 1);
  bump(tx, row.topic, subscriptionId, { inFlight: -1, pending: 1 });
  return 'retry';
}

/**
 * Makes the in-flight attempt named by `ackId` ready again at `retryAt` as if it had not been
 * claimed: the attempt number goes back, so the next claim hands out the same number (and
 * the same ackId text, which is harmless: whoever handed it back holds it no more).
 */
export function handBack(tx: KvTx, subscriptionId: string, ackId: string, retryAt: Millis): ReleaseOutcome {
  const found = leaseOf(tx, subscriptionId, ackId);
  if (found.outcome !== 'current') return found.outcome;
  const { row, messageId, sub } = found;
  const lane = laneOf(sub);
  tx.remove(k.due(lane, row.deadline, subscriptionId, messageId));
  tx.put(k.delivery(subscriptionId, messageId), { state: 'ready', topic: row.topic, attempt: row.attempt - 1, dueAt: retryAt, lastError: row.lastError } satisfies DeliveryRow);
  tx.put(k.due(lane, retryAt, subscriptionId, messageId), 1);
  bump(tx, row.topic, subscriptionId, { inFlight: -1, pending: 1 });
  return 'released';
}

/** Dead letters of a subscription, oldest first. */
export function deadLetters(tx: KvTx, subscriptionId: string, limit: number): DeadLetter[] {
  const out: DeadLetter[] = [];
  for (const { key } of tx.range(k.deadOfSub(subscriptionId), prefixEnd(k.deadOfSub(subscriptionId)), limit)) {
    const messageId = key[3] as string;
    const row = tx.get<DeliveryRow>(k.delivery(subscriptionId, messageId));
    if (row?.state !== 'dead') continue;
    const stored = tx.get<StoredMessage>(k.message(row.topic, messageId));
    if (stored) out.push({ message: copyMessage(stored.record), attempts: row.attempt, lastError: row.lastError, deadAt: row.deadAt });
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
    if (row?.state !== 'dead') continue;
    tx.put(k.delivery(sub.id, messageId), { state: 'ready', topic: row.topic, attempt: 0, dueAt: now, lastError: row.lastError } satisfies DeliveryRow);
    tx.put(k.due(laneOf(sub), now, sub.id, messageId), 1);
    bump(tx, row.topic, sub.id, { deadLettered: -1, pending: 1 });
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
    if (row.state === 'ready') tx.remove(k.due(lane, row.dueAt, sub.id, messageId));
    else if (row.state === 'inFlight') tx.remove(k.due(lane, row.deadline, sub.id, messageId));
    else if (row.state === 'dead') tx.remove(k.dead(sub.id, row.deadAt, messageId));
    else tx.remove(k.acked(row.ackedAt, sub.id, messageId));
    if (row.state !== 'acked') releaseMessage(tx, sub.topic, messageId);
  }
}

/** Deletes the records of deliveries acknowledged before `before`; their ackIds become unknown. */
export function forgetAcked(tx: KvTx, before: Millis): number {
  let forgotten = 0;
  for (const { key } of tx.range(k.ackedStart(), [...k.ackedStart(), before])) {
    const [, , subId, messageId] = key as [string, number, string, string];
    tx.remove(key);
    if (tx.get<DeliveryRow>(k.delivery(subId, messageId))?.state === 'acked') {
      tx.remove(k.delivery(subId, messageId));
      forgotten++;
    }
  }
  return forgotten;
}

/** Resolves an ackId to the in-flight attempt it names, or says why it does not. */
function leaseOf(tx: KvTx, subscriptionId: string, ackId: string) {
  const parsed = parseAckId(ackId);
  const sub = tx.get<SubscriptionRecord>(k.sub(subscriptionId));
  if (!parsed || !sub) return { outcome: 'unknown' as const };
  const row = tx.get<DeliveryRow>(k.delivery(subscriptionId, parsed.messageId));
  if (!row || parsed.attempt > row.attempt) return { outcome: 'unknown' as const };
  if (row.state !== 'inFlight' || row.attempt !== parsed.attempt) return { outcome: 'stale' as const };
  return { outcome: 'current' as const, row, messageId: parsed.messageId, sub };
}

/** Makes an in-flight delivery a dead letter (its due entry is already removed). */
function bury(tx: KvTx, sub: SubscriptionRecord, messageId: string, topic: string, attempt: number, error: string, now: Millis): void {
  tx.put(k.delivery(sub.id, messageId), { state: 'dead', topic, attempt, deadAt: now, lastError: error } satisfies DeliveryRow);
  tx.put(k.dead(sub.id, now, messageId), 1);
  bump(tx, topic, sub.id, { inFlight: -1, deadLettered: 1 });
}

/** One delivery of the message ended for good; the last one deletes the message. */
function releaseMessage(tx: KvTx, topic: string, messageId: string): void {
  const open = tx.get<number>(k.messageOpen(topic, messageId));
  if (open === undefined) return;
  if (open <= 1) {
    tx.remove(k.message(topic, messageId));
    tx.remove(k.messageOpen(topic, messageId));
  } else {
    tx.put(k.messageOpen(topic, messageId), open - 1);
  }
}

/** Engines may hand back a Buffer (lmdb); callers get a plain Uint8Array of their own. */
function copyMessage(record: MessageRecord): MessageRecord {
  return { ...record, payload: new Uint8Array(record.payload) };
}
