/**
 * Deliveries of cursor subscriptions (pull or websocket without a filter: `isCursorSub`),
 * which take every message of their topic: the same state machine as deliveries.ts, kept
 * as a cursor over the topic's log instead of rows per delivery. Runs inside the caller's
 * write transaction. Rows and their invariants: schema.ts.
 *
 *   publish ──► (log row; nothing per subscription)
 *   claim   ──► log from cursor.next: +lease per message, cursor.next moves, +1 leaseBatch
 *               due entries ≤ now: ready leases, and leaseBatch entries whose seqs are checked
 *               for leases past their deadline (seqs below the first lease are skipped)
 *   ack     ──► −lease                  (+1 ackedLog row per ack call; the lane's lease
 *                                        batches go too once no lease is left)
 *   fail    ──► lease ready + due entry at retryAt, or dead (delivery + dead rows)
 *   sweep   ──► −ackedLog, cursor.forgotten moves up to the floor it recorded
 *
 * Rows touched per delivery on the common path: claim reads its log entry and the message
 * and writes its lease; ack removes the lease; and the message's `open` count when it went
 * to more than one subscription.
 */
import { KEY_MAX, prefixEnd, type Key, type KvTx } from './engine.js';
import { bump } from './counters.js';
import {
  copyMessage, DEAD, formatCursorAckId, IN_FLIGHT, k, laneOf, parseCursorAckId, READY,
  type AckedLogRow, type CursorRow, type DeliveryRow, type LeaseRow, type StoredMessage,
} from './schema.js';
import type { AckOutcome, DeliveryLease, FailOutcome, MessageRecord, Millis, ReleaseOutcome, SubscriptionRecord } from './types.js';

/** Starts `sub`'s cursor at `published` (the topic's count so far): it gets what comes after. */
export function start(tx: KvTx, sub: { id: string; topic: string }, published: number): void {
  tx.put(k.cursor(sub.id), [published, published, published, sub.topic] satisfies CursorRow);
}

/** Whether subscription `subId` has unread messages, read without writing; undefined when it
 * is not a cursor subscription (its lane tells the caller the rest). */
export function anyUnread(tx: KvTx, subId: string): boolean | undefined {
  const cursor = tx.get<CursorRow>(k.cursor(subId));
  if (!cursor) return undefined;
  return tx.range(k.log(cursor[3], cursor[0]), prefixEnd(k.logOfTopic(cursor[3])), 1).length > 0;
}

/** The earliest time anything of `sub` is due: its lane's first entry or its first unread
 * message's publish time (a lease batch may make it earlier than needed, never later). */
export function nextDueAt(tx: KvTx, sub: SubscriptionRecord): Millis | null {
  const lane = laneOf(sub);
  const [first] = tx.range(k.lane(lane), prefixEnd(k.lane(lane)), 1);
  const unread = firstUnread(tx, sub);
  const publishedAt = unread === undefined ? undefined : tx.get<StoredMessage>(k.message(sub.topic, unread))?.record.publishedAt;
  const times = [first?.key[2] as number | undefined, publishedAt].filter((t): t is number => t !== undefined);
  return times.length === 0 ? null : Math.min(...times);
}

/** Claims up to `max` deliveries of `sub` (see MessageStore.claimDue): due entries of its
 * lane first (retries, hand-backs, leases past their deadline), then unread messages. */
export function claim(tx: KvTx, sub: SubscriptionRecord, now: Millis, max: number, leaseMs: Millis | undefined): DeliveryLease[] {
  const lane = laneOf(sub);
  const deadline = now + (leaseMs ?? sub.ackDeadlineMs);
  const leases: DeliveryLease[] = [];
  const leased: number[] = [];
  const lease = (seq: number, messageId: string, record: MessageRecord, attempt: number) => {
    tx.put(k.lease(sub.id, seq), [IN_FLIGHT, attempt, deadline, messageId] satisfies LeaseRow);
    leased.push(seq);
    leases.push({ ackId: formatCursorAckId(attempt, seq, messageId), subscriptionId: sub.id, message: copyMessage(record), attempt, redelivered: attempt > 1, deadline });
  };
  /** The message of a lease, or undefined when it is gone or past its TTL (then counted). */
  const live = (seq: number, messageId: string, wasInFlight: boolean): StoredMessage | undefined => {
    const stored = tx.get<StoredMessage>(k.message(sub.topic, messageId));
    if (stored && stored.record.expiresAt > now) return stored;
    tx.remove(k.lease(sub.id, seq));
    if (stored) {
      bump(tx, sub.topic, sub.id, wasInFlight ? { inFlight: -1, expired: 1 } : { pending: -1, expired: 1 });
      releaseMessage(tx, sub.topic, messageId, seq);
    }
    return undefined;
  };

  // Every entry handled leaves the range [lane, ≤ now] (removed; new leases are due at a
  // deadline > now since leaseMs ≥ 1), so re-reading from the lane's start makes progress.
  const end: Key = [...k.lane(lane), now, KEY_MAX];
  let floor: number | undefined;
  lane: while (leases.length < max) {
    const limit = max - leases.length;
    const batch = tx.range<number | readonly number[]>(k.lane(lane), end, limit);
    for (const { key, value } of batch) {
      tx.remove(key);
      if (typeof key[4] === 'string') {
        // A ready lease (failed, nacked, handed back or redriven) due now.
        const seq = value as number;
        const row = tx.get<LeaseRow>(k.lease(sub.id, seq));
        if (row?.[0] !== READY) continue; // not expected: a ready lease has exactly this entry
        const stored = live(seq, row[3], false);
        if (!stored) continue;
        bump(tx, sub.topic, sub.id, { pending: -1, inFlight: 1 });
        lease(seq, row[3], stored.record, row[1] + 1);
        continue;
      }
      // A lease batch at its deadline: which of its seqs are still in flight past it?
      // Everything below the first lease has ended (the acknowledged prefix), unread.
      floor ??= firstLease(tx, sub.id) ?? Infinity;
      const seqs = value as readonly number[];
      for (let i = 0; i < seqs.length; i++) {
        if (leases.length >= max) {
          tx.put(key, seqs.slice(i)); // the rest, for the next claim
          break lane;
        }
        const seq = seqs[i];
        if (seq < floor) continue;
        const row = tx.get<LeaseRow>(k.lease(sub.id, seq));
        if (row?.[0] !== IN_FLIGHT || row[2] > now) continue; // ended, or leased again since
        const stored = live(seq, row[3], true);
        if (!stored) continue;
        // The consumer let its deadline pass: that attempt failed.
        bump(tx, sub.topic, sub.id, { failed: 1 });
        if (row[1] >= sub.maxAttempts) bury(tx, sub, seq, row[3], row[1], 'ack deadline exceeded', now);
        else lease(seq, row[3], stored.record, row[1] + 1);
      }
    }
    if (batch.length < limit) break; // the range held no more
  }

  if (leases.length < max) {
    const cursor = tx.get<CursorRow>(k.cursor(sub.id));
    if (cursor) {
      let next = cursor[0];
      while (leases.length < max) {
        const limit = max - leases.length;
        const unread = tx.range<string>(k.log(sub.topic, next), prefixEnd(k.logOfTopic(sub.topic)), limit);
        for (const { key, value: messageId } of unread) {
          const seq = key[2] as number;
          next = seq + 1;
          const stored = tx.get<StoredMessage>(k.message(sub.topic, messageId));
          if (!stored) continue; // not expected: a message outlives its deliveries
          if (stored.record.expiresAt <= now) {
            bump(tx, sub.topic, sub.id, { pending: -1, expired: 1 });
            releaseMessage(tx, sub.topic, messageId, seq);
            continue;
          }
          bump(tx, sub.topic, sub.id, { pending: -1, inFlight: 1 });
          lease(seq, messageId, stored.record, 1);
        }
        if (unread.length < limit) break; // read to the end of the log
      }
      if (next !== cursor[0]) tx.put(k.cursor(sub.id), [next, cursor[1], cursor[2], cursor[3]] satisfies CursorRow);
    }
  }

  if (leased.length === 0 && firstLease(tx, sub.id) === undefined) {
    // Nothing handed out and nothing left to watch (the last lease ended by expiry, say):
    // the lane's remaining lease batches would find nothing (see ack).
    for (const { key } of tx.range(k.lane(lane), prefixEnd(k.lane(lane)))) tx.remove(key);
  }
  if (leased.length > 0) {
    // One entry for the whole claim. Its key is unique unless a claim at the same deadline
    // leased the same first seq (handed back and claimed again): then the lists merge.
    const key = k.leaseBatch(lane, deadline, sub.id, leased[0]);
    const earlier = tx.get<number[]>(key);
    tx.put(key, earlier ? [...earlier, ...leased] : leased);
  }
  return leases;
}

/** Ends the in-flight attempts named by `ackIds` as delivered (one outcome each). */
export function ack(tx: KvTx, sub: SubscriptionRecord, ackIds: readonly string[], now: Millis): AckOutcome[] {
  let acked = 0;
  let firstSeq = 0;
  const outcomes = ackIds.map((ackId): AckOutcome => {
    const found = leaseOf(tx, sub, ackId);
    if (found.outcome !== 'current') return found.outcome;
    tx.remove(k.lease(sub.id, found.seq));
    releaseMessage(tx, sub.topic, found.messageId, found.seq);
    if (acked++ === 0) firstSeq = found.seq;
    return 'acked';
  });
  if (acked > 0) {
    const cursor = tx.get<CursorRow>(k.cursor(sub.id))!;
    const first = firstLease(tx, sub.id);
    const floor = first ?? cursor[0];
    if (first === undefined) {
      // Nothing of `sub` is handed out or waiting any more: its lane holds only lease
      // batches that would find nothing at their deadlines. Dropping them now spares a claim
      // at each of those deadlines (and nextDueAt answers null).
      const lane = laneOf(sub);
      for (const { key } of tx.range(k.lane(lane), prefixEnd(k.lane(lane)))) tx.remove(key);
    }
    // One sweep row per call.
    tx.put(k.ackedLog(now, sub.id, firstSeq), [acked, floor, cursor[2]] satisfies AckedLogRow);
    bump(tx, sub.topic, sub.id, { inFlight: -acked, delivered: acked });
  }
  return outcomes;
}

/** Ends the in-flight attempt named by `ackId` as failed: ready at `retryAt`, or dead. */
export function fail(tx: KvTx, sub: SubscriptionRecord, ackId: string, error: string, retryAt: Millis, now: Millis): FailOutcome {
  const found = leaseOf(tx, sub, ackId);
  if (found.outcome !== 'current') return found.outcome;
  bump(tx, sub.topic, sub.id, { failed: 1 });
  if (found.attempt >= sub.maxAttempts) {
    bury(tx, sub, found.seq, found.messageId, found.attempt, error, now);
    return 'dead';
  }
  makeReady(tx, sub, found.seq, found.messageId, found.attempt, retryAt);
  return 'retry';
}

/** Makes the in-flight attempt named by `ackId` ready again at `retryAt`, uncounted (see
 * deliveries.handBack). */
export function handBack(tx: KvTx, sub: SubscriptionRecord, ackId: string, retryAt: Millis): ReleaseOutcome {
  const found = leaseOf(tx, sub, ackId);
  if (found.outcome !== 'current') return found.outcome;
  makeReady(tx, sub, found.seq, found.messageId, found.attempt - 1, retryAt);
  return 'released';
}

/** Makes the dead letter `messageId` (its dead row already removed) ready at `now`. */
export function redriveOne(tx: KvTx, sub: SubscriptionRecord, messageId: string, seq: number, now: Millis): void {
  tx.remove(k.delivery(sub.id, messageId));
  tx.put(k.lease(sub.id, seq), [READY, 0, now, messageId] satisfies LeaseRow);
  tx.put(k.due(laneOf(sub), now, sub.id, messageId), seq);
}

/** Removes `sub`'s leases, lane entries, unread messages and cursor, releasing their
 * messages (its dead letters are the caller's: deliveries.dropAll). */
export function dropAll(tx: KvTx, sub: SubscriptionRecord): void {
  for (const { key, value } of tx.range<LeaseRow>(k.leasesOfSub(sub.id), prefixEnd(k.leasesOfSub(sub.id)))) {
    tx.remove(key);
    releaseMessage(tx, sub.topic, value[3], key[2] as number);
  }
  const lane = laneOf(sub);
  for (const { key } of tx.range(k.lane(lane), prefixEnd(k.lane(lane)))) tx.remove(key);
  const cursor = tx.get<CursorRow>(k.cursor(sub.id));
  if (!cursor) return;
  for (const { key, value } of tx.range<string>(k.log(sub.topic, cursor[0]), prefixEnd(k.logOfTopic(sub.topic)))) {
    releaseMessage(tx, sub.topic, value, key[2] as number);
  }
  tx.remove(k.cursor(sub.id));
}

/** The sweep's part: forgets the ack calls made before `before` (their ackIds become
 * unknown once no lease is below the floor they recorded); answers how many acks. */
export function forgetAcked(tx: KvTx, before: Millis): number {
  let forgotten = 0;
  for (const { key, value } of tx.range<AckedLogRow>(k.ackedLogStart(), [...k.ackedLogStart(), before])) {
    tx.remove(key);
    const subId = key[2] as string;
    const cursor = tx.get<CursorRow>(k.cursor(subId));
    // Only for the cursor it was written for (not a later subscription with the same id).
    if (!cursor || cursor[2] !== value[2]) continue;
    forgotten += value[0];
    if (value[1] > cursor[1]) tx.put(k.cursor(subId), [cursor[0], Math.min(value[1], cursor[0]), cursor[2], cursor[3]] satisfies CursorRow);
  }
  return forgotten;
}

/**
 * One delivery of the message ended for good; the last one deletes the message and its log
 * row. No `open` row means one delivery was left (schema.ts). `seq` is the message's place
 * in the log when the caller knows it; otherwise it is read from the message.
 */
export function releaseMessage(tx: KvTx, topic: string, messageId: string, seq?: number): void {
  const open = tx.get<number>(k.messageOpen(topic, messageId));
  if (open === undefined) {
    seq ??= tx.get<StoredMessage>(k.message(topic, messageId))?.seq;
    tx.remove(k.message(topic, messageId));
    if (seq !== undefined) tx.remove(k.log(topic, seq));
  } else if (open <= 2) tx.remove(k.messageOpen(topic, messageId));
  else tx.put(k.messageOpen(topic, messageId), open - 1);
}

type Lookup =
  | { readonly outcome: 'unknown' | 'stale' }
  | { readonly outcome: 'current'; readonly seq: number; readonly messageId: string; readonly attempt: number };

/** Resolves an ackId to the in-flight attempt it names, or says why it does not. */
function leaseOf(tx: KvTx, sub: SubscriptionRecord, ackId: string): Lookup {
  const parsed = parseCursorAckId(ackId);
  if (!parsed) return { outcome: 'unknown' };
  const { seq, messageId, attempt } = parsed;
  const row = tx.get<LeaseRow>(k.lease(sub.id, seq));
  if (row) {
    if (row[3] !== messageId || attempt > row[1]) return { outcome: 'unknown' };
    if (row[0] !== IN_FLIGHT || row[1] !== attempt) return { outcome: 'stale' };
    return { outcome: 'current', seq, messageId, attempt };
  }
  // No lease: ended (acked, expired or dead), or never handed out.
  const dead = tx.get<DeliveryRow>(k.delivery(sub.id, messageId));
  if (dead?.[0] === DEAD && dead[4] === seq) return { outcome: attempt > dead[1] ? 'unknown' : 'stale' };
  const cursor = tx.get<CursorRow>(k.cursor(sub.id));
  if (!cursor || seq >= cursor[0] || seq < cursor[1]) return { outcome: 'unknown' };
  const logged = tx.get<string>(k.log(sub.topic, seq));
  return { outcome: logged !== undefined && logged !== messageId ? 'unknown' : 'stale' };
}

function makeReady(tx: KvTx, sub: SubscriptionRecord, seq: number, messageId: string, attemptsSoFar: number, dueAt: Millis): void {
  tx.put(k.lease(sub.id, seq), [READY, attemptsSoFar, dueAt, messageId] satisfies LeaseRow);
  tx.put(k.due(laneOf(sub), dueAt, sub.id, messageId), seq);
  bump(tx, sub.topic, sub.id, { inFlight: -1, pending: 1 });
}

function bury(tx: KvTx, sub: SubscriptionRecord, seq: number, messageId: string, attempts: number, error: string, now: Millis): void {
  tx.remove(k.lease(sub.id, seq));
  tx.put(k.delivery(sub.id, messageId), [DEAD, attempts, now, error, seq] satisfies DeliveryRow);
  tx.put(k.dead(sub.id, now, messageId), 1);
  bump(tx, sub.topic, sub.id, { inFlight: -1, deadLettered: 1 });
}

function firstLease(tx: KvTx, subId: string): number | undefined {
  const [first] = tx.range(k.leasesOfSub(subId), prefixEnd(k.leasesOfSub(subId)), 1);
  return first === undefined ? undefined : (first.key[2] as number);
}

/** The id of the first message `sub` has not been handed yet, if any. */
function firstUnread(tx: KvTx, sub: SubscriptionRecord): string | undefined {
  const cursor = tx.get<CursorRow>(k.cursor(sub.id));
  if (!cursor) return undefined;
  const [first] = tx.range<string>(k.log(sub.topic, cursor[0]), prefixEnd(k.logOfTopic(sub.topic)), 1);
  return first?.value;
}
