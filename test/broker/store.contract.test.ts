/**
 * The MessageStore contract, run over every backend (STYLE: one contract suite, every
 * implementation). lmdb runs on real files in a temp dir, removed after each test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MessageStore } from '../../broker/store/index.js';
import { backends, message, subscription, T0, text, topic, type BackendFixture } from './store-support.js';

describe.each(backends)('store contract ($name)', ({ make }) => {
  let fixture: BackendFixture;
  let store: MessageStore;
  beforeEach(() => {
    fixture = make();
    store = fixture.open();
  });
  afterEach(async () => {
    await store.close();
    fixture.cleanup();
  });

  const pull = { kind: 'subscription' as const };
  const laneOf = (subscriptionId: string) => ({ ...pull, subscriptionId });

  describe('topics', () => {
    it('store - create is idempotent and returns the stored topic when the name is taken', async () => {
      expect(await store.createTopic(topic('orders'))).toEqual({ outcome: 'created', topic: topic('orders') });
      const again = await store.createTopic(topic('orders', { maxAttempts: 99 }));
      expect(again).toEqual({ outcome: 'exists', topic: topic('orders') });
      expect(await store.getTopic('orders')).toEqual(topic('orders'));
      expect(await store.getTopic('nope')).toBeUndefined();
    });

    it('store - lists topics in name order, page by page with a cursor', async () => {
      const names = ['c', 'a', 'b.x', 'b', 'd-1', 'e_2'];
      for (const n of names) await store.createTopic(topic(n));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await store.listTopics({ limit: 4, cursor });
        seen.push(...page.topics.map((t) => t.name));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(seen).toEqual([...names].sort());
      expect(pages).toBe(2);
      expect(await store.listTopics({ limit: 10 })).toMatchObject({ nextCursor: null });
    });

    it('store - deleting a topic removes its subscriptions, messages and dedup records', async () => {
      await store.createTopic(topic('t'));
      const sub = subscription('t');
      await store.createSubscription(sub);
      await store.publish('t', [message({ idempotencyKey: 'k1' })], T0);
      expect(await store.deleteTopic('t')).toBe(true);
      expect(await store.deleteTopic('t')).toBe(false);
      expect(await store.getTopic('t')).toBeUndefined();
      expect(await store.getSubscription(sub.id)).toBeUndefined();
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 10 })).toEqual([]);
      // Re-created, the topic starts empty: the old idempotency key is forgotten.
      await store.createTopic(topic('t'));
      expect(await store.topicStats('t')).toMatchObject({ published: 0, pending: 0, subscriptions: 0 });
      expect(await store.publish('t', [message({ idempotencyKey: 'k1', text: 'other' })], T0)).toMatchObject([{ ok: true, duplicate: false }]);
    });

    it('store - topics whose names extend each other stay apart ("a" vs "a.b")', async () => {
      for (const n of ['a', 'a.b', 'a-', 'b']) await store.createTopic(topic(n));
      const a = subscription('a');
      const ab = subscription('a.b');
      await store.createSubscription(a);
      await store.createSubscription(ab);
      await store.publish('a', [message({ idempotencyKey: 'k' })], T0);
      await store.publish('a.b', [message({ idempotencyKey: 'k' })], T0);
      expect((await store.listSubscriptions('a')).map((s) => s.id)).toEqual([a.id]);
      expect(await store.deleteTopic('a')).toBe(true);
      expect(await store.getSubscription(ab.id)).toEqual(ab);
      expect(await store.topicStats('a.b')).toMatchObject({ published: 1, pending: 1, subscriptions: 1 });
      expect(await store.claimDue({ lane: laneOf(ab.id), now: T0, max: 10 })).toHaveLength(1);
    });

    it('store - any idempotency key text works, and goes with its topic', async () => {
      await store.createTopic(topic('t'));
      const keys = ['😀', '\uffff\uffff', 'a/b?c=d', ' ', 'ключ'];
      const first = await store.publish('t', keys.map((key) => message({ idempotencyKey: key })), T0);
      expect(first!.every((r) => r.ok && !r.duplicate)).toBe(true);
      const again = await store.publish('t', keys.map((key) => message({ idempotencyKey: key })), T0);
      expect(again!.every((r) => r.ok && r.duplicate)).toBe(true);
      await store.deleteTopic('t');
      await store.createTopic(topic('t'));
      const fresh = await store.publish('t', keys.map((key) => message({ idempotencyKey: key })), T0);
      expect(fresh!.every((r) => r.ok && !r.duplicate)).toBe(true);
      expect(await store.sweep({ now: T0 + 1e9, ackedBefore: 0 })).toEqual({ dedup: keys.length, acked: 0 });
    });

    it('store - ids that are not printable ASCII are refused at the call', async () => {
      await store.createTopic(topic('t'));
      await expect(store.publish('t', [message({ id: 'é' })], T0)).rejects.toThrow(/printable ASCII/);
      await expect(store.createSubscription(subscription('t', { id: '' }))).rejects.toThrow(/printable ASCII/);
    });

    it('store - publishing to a missing topic resolves undefined', async () => {
      expect(await store.publish('missing', [message()], T0)).toBeUndefined();
      expect(await store.topicStats('missing')).toBeUndefined();
    });
  });

  describe('subscriptions', () => {
    it('store - create, get, list by topic, delete', async () => {
      await store.createTopic(topic('t'));
      expect(await store.createSubscription(subscription('missing'))).toEqual({ ok: false, error: 'topic_not_found' });
      const a = subscription('t');
      const b = subscription('t', { protocol: 'https', endpoint: 'https://example.test/h' });
      expect(await store.createSubscription(a)).toEqual({ ok: true });
      expect(await store.createSubscription(b)).toEqual({ ok: true });
      expect(await store.getSubscription(a.id)).toEqual(a);
      expect((await store.listSubscriptions('t')).map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
      expect(await store.topicStats('t')).toMatchObject({ subscriptions: 2 });
      expect(await store.deleteSubscription(a.id)).toBe(true);
      expect(await store.deleteSubscription(a.id)).toBe(false);
      expect(await store.topicStats('t')).toMatchObject({ subscriptions: 1 });
      expect(await store.subscriptionStats(a.id)).toBeUndefined();
    });

    it('store - a pending subscription gets nothing; once active it gets what is published after', async () => {
      await store.createTopic(topic('t'));
      const hook = subscription('t', { protocol: 'http' });
      await store.createSubscription(hook);
      await store.publish('t', [message({ text: 'before' })], T0);
      const active = await store.activateSubscription(hook.id, T0 + 1);
      expect(active).toMatchObject({ status: 'active', confirmToken: null, activatedAt: T0 + 1 });
      expect(await store.activateSubscription(hook.id, T0 + 99)).toEqual(active);
      await store.publish('t', [message({ text: 'after' })], T0 + 2);
      const leases = await store.claimDue({ lane: { kind: 'push' }, now: T0 + 2, max: 10 });
      expect(leases.map((l) => text(l.message.payload))).toEqual(['after']);
      expect(await store.activateSubscription('nope', T0)).toBeUndefined();
    });

    it('store - deleting a subscription drops its deliveries and its share of the topic stats', async () => {
      await store.createTopic(topic('t'));
      const a = subscription('t');
      const b = subscription('t');
      await store.createSubscription(a);
      await store.createSubscription(b);
      await store.publish('t', [message(), message()], T0);
      await store.claimDue({ lane: laneOf(a.id), now: T0, max: 1 });
      expect(await store.topicStats('t')).toMatchObject({ published: 2, pending: 4 });
      await store.deleteSubscription(a.id);
      expect(await store.topicStats('t')).toMatchObject({ published: 2, pending: 2, subscriptions: 1 });
      expect(await store.claimDue({ lane: laneOf(b.id), now: T0, max: 10 })).toHaveLength(2);
    });
    it('store - a deleted subscription leaves nothing behind: an id reused later starts empty', async () => {
      await store.createTopic(topic('t'));
      for (const protocol of ['pull', 'http'] as const) {
        const over = { protocol, maxAttempts: 1, status: 'active' as const };
        const gone = subscription('t', over);
        const stays = subscription('t');
        await store.createSubscription(gone);
        await store.createSubscription(stays);
        const lane = protocol === 'pull' ? laneOf(gone.id) : { kind: 'push' as const };
        const msgs = [message({ text: 'acked' }), message({ text: 'dead' }), message({ text: 'in flight' }), message({ text: 'never claimed' })];
        await store.publish('t', msgs, T0);
        const leases = await store.claimDue({ lane, now: T0, max: 3 });
        const byText = (t: string) => leases.find((l) => text(l.message.payload) === t)!;
        // Claim order among equal due times is not promised: name the three claimed ones.
        const claimed = leases.map((l) => text(l.message.payload));
        const [a, d] = [claimed[0], claimed[1]];
        expect(await store.ack(gone.id, [byText(a).ackId], T0)).toEqual(['acked']);
        expect(await store.fail(gone.id, byText(d).ackId, { error: 'x', retryAt: T0, now: T0 })).toBe('dead');
        expect(await store.deleteSubscription(gone.id)).toBe(true);
        // The other subscription still gets every message, payload and all.
        const got = await store.claimDue({ lane: laneOf(stays.id), now: T0, max: 10 });
        expect(got.map((l) => text(l.message.payload)).sort()).toEqual(msgs.map((m) => text(m.payload)).sort());
        expect(await store.ack(stays.id, got.map((l) => l.ackId), T0)).toEqual(['acked', 'acked', 'acked', 'acked']);
        // Same id again: none of the old deliveries, dead letters or ackIds come back.
        await store.createSubscription(gone);
        expect(await store.claimDue({ lane, now: T0 + 1e9, max: 10 })).toEqual([]);
        expect(await store.listDeadLetters(gone.id, 10)).toEqual([]);
        expect(await store.ack(gone.id, leases.map((l) => l.ackId), T0)).toEqual(['unknown', 'unknown', 'unknown']);
        expect(await store.subscriptionStats(gone.id)).toEqual({ pending: 0, inFlight: 0, delivered: 0, failed: 0, deadLettered: 0, expired: 0 });
        await store.deleteSubscription(gone.id);
        await store.deleteSubscription(stays.id);
        expect(await store.topicStats('t')).toMatchObject({ pending: 0, deadLettered: 0, subscriptions: 0 });
      }
    });
  });

  describe('publish and fan-out', () => {
    it('store - one delivery per matching active subscription, with the message as published', async () => {
      await store.createTopic(topic('t'));
      const all = subscription('t');
      const eu = subscription('t', { filter: 'orders.*.eu' });
      const hash = subscription('t', { filter: '#' });
      for (const s of [all, eu, hash]) await store.createSubscription(s);
      const m1 = message({ routingKey: 'orders.new.eu', attributes: { a: '1' }, encoding: 'base64', text: 'one' });
      const m2 = message({ routingKey: 'orders.new.us' });
      const m3 = message(); // empty key: only no filter and '#'
      expect(await store.publish('t', [m1, m2, m3], T0)).toEqual([m1, m2, m3].map((m) => ({ ok: true, id: m.id, duplicate: false })));
      const ids = async (subId: string) => (await store.claimDue({ lane: laneOf(subId), now: T0, max: 10 })).map((l) => l.message.id).sort();
      expect(await ids(all.id)).toEqual([m1.id, m2.id, m3.id].sort());
      expect(await ids(eu.id)).toEqual([m1.id]);
      expect(await ids(hash.id)).toEqual([m1.id, m2.id, m3.id].sort());
      const [lease] = await store.claimDue({ lane: laneOf(eu.id), now: T0 + 60_000, max: 1 });
      expect(lease.message).toEqual({
        id: m1.id, topic: 't', payload: new TextEncoder().encode('one'), encoding: 'base64', attributes: { a: '1' },
        routingKey: 'orders.new.eu', publishedAt: T0, expiresAt: T0 + 86_400_000,
      });
    });

    it('store - a message nobody matches is counted as published and not delivered', async () => {
      await store.createTopic(topic('t'));
      const eu = subscription('t', { filter: 'eu' });
      await store.createSubscription(eu);
      await store.publish('t', [message({ routingKey: 'us' })], T0);
      expect(await store.topicStats('t')).toMatchObject({ published: 1, pending: 0 });
      expect(await store.claimDue({ lane: laneOf(eu.id), now: T0, max: 10 })).toEqual([]);
    });

    it('store - fan-out follows subscription changes between publishes', async () => {
      await store.createTopic(topic('t'));
      const a = subscription('t');
      await store.createSubscription(a);
      await store.publish('t', [message()], T0);
      const b = subscription('t', { filter: 'x' });
      await store.createSubscription(b);
      await store.publish('t', [message({ routingKey: 'x' })], T0);
      await store.deleteSubscription(a.id);
      await store.publish('t', [message({ routingKey: 'x' })], T0);
      expect(await store.subscriptionStats(b.id)).toMatchObject({ pending: 2 });
      expect(await store.topicStats('t')).toMatchObject({ published: 3, pending: 2, subscriptions: 1 });
    });

    it('store - each subscription counts its own deliveries: with or without a filter, active from creation or later', async () => {
      await store.createTopic(topic('t'));
      const early = subscription('t');
      const eu = subscription('t', { filter: 'eu' });
      const hook = subscription('t', { protocol: 'http' }); // pending until activated
      for (const s of [early, eu, hook]) await store.createSubscription(s);
      await store.publish('t', [message({ routingKey: 'eu' }), message({ routingKey: 'us' })], T0);
      const late = subscription('t');
      await store.createSubscription(late);
      await store.activateSubscription(hook.id, T0);
      await store.publish('t', [message({ routingKey: 'eu' })], T0);
      await store.publish('t', [message({ idempotencyKey: 'once' }), message({ idempotencyKey: 'once' })], T0); // one is a duplicate
      const pending = async (id: string) => (await store.subscriptionStats(id))!.pending;
      expect([await pending(early.id), await pending(eu.id), await pending(hook.id), await pending(late.id)]).toEqual([4, 2, 2, 2]);
      await store.claimDue({ lane: laneOf(early.id), now: T0, max: 3 });
      expect(await store.subscriptionStats(early.id)).toMatchObject({ pending: 1, inFlight: 3 });
      expect(await store.topicStats('t')).toMatchObject({ published: 4, pending: 10 });
    });

    it('store - a write that fails part-way leaves nothing behind, and concurrent writes still commit', async () => {
      await store.createTopic(topic('t'));
      const sub = subscription('t');
      await store.createSubscription(sub);
      const taken = message();
      await store.publish('t', [taken], T0);
      const fine = message({ idempotencyKey: 'k' });
      const [bad, ok] = await Promise.allSettled([
        store.publish('t', [fine, { ...taken }], T0), // the second id is taken: misuse, throws
        store.publish('t', [message()], T0),
      ]);
      expect(bad.status).toBe('rejected');
      expect(ok.status).toBe('fulfilled');
      expect(await store.topicStats('t')).toMatchObject({ published: 2, pending: 2 });
      // The first entry of the failed call was rolled back with it, dedup record included.
      expect(await store.publish('t', [message({ idempotencyKey: 'k', text: 'other' })], T0)).toMatchObject([{ ok: true, duplicate: false }]);
    });

    it('store - concurrent publishes all resolve and all are there (group commit)', async () => {
      await store.createTopic(topic('t'));
      const sub = subscription('t');
      await store.createSubscription(sub);
      const msgs = Array.from({ length: 200 }, (_, i) => message({ text: `n${i}` }));
      const results = await Promise.all(msgs.map((m) => store.publish('t', [m], T0)));
      expect(results.flat().every((r) => r?.ok)).toBe(true);
      const got = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 1000 });
      expect(got.map((l) => l.message.id).sort()).toEqual(msgs.map((m) => m.id).sort());
      expect(await store.subscriptionStats(sub.id)).toMatchObject({ pending: 0, inFlight: 200 });
    });
  });

  describe('deliveries', () => {
    async function oneSub(over = {}) {
      await store.createTopic(topic('t'));
      const sub = subscription('t', over);
      await store.createSubscription(sub);
      return sub;
    }

    it('store - ack ends the attempt once; stale and unknown ackIds are told apart', async () => {
      const sub = await oneSub();
      const [m] = [message()];
      await store.publish('t', [m], T0);
      const [lease] = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 10 });
      expect(lease).toMatchObject({ subscriptionId: sub.id, attempt: 1, redelivered: false, deadline: T0 + 30_000 });
      expect(await store.ack(sub.id, [lease.ackId, lease.ackId, 'garbage', '7:nope', `9:${m.id}`], T0 + 1)).toEqual([
        'acked', 'stale', 'unknown', 'unknown', 'unknown',
      ]);
      expect(await store.ack('other-sub', [lease.ackId], T0 + 1)).toEqual(['unknown']);
      expect(await store.subscriptionStats(sub.id)).toEqual({ pending: 0, inFlight: 0, delivered: 1, failed: 0, deadLettered: 0, expired: 0 });
      expect(await store.topicStats('t')).toMatchObject({ published: 1, pending: 0, delivered: 1 });
      // Nothing comes back after the deadline: it was acknowledged.
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 100_000, max: 10 })).toEqual([]);
      // After sweep the acked record is gone and the ackId is no longer known.
      expect(await store.sweep({ now: T0 + 2, ackedBefore: T0 + 2 })).toEqual({ dedup: 0, acked: 1 });
      expect(await store.ack(sub.id, [lease.ackId], T0 + 3)).toEqual(['unknown']);
    });

    it('store - a failed attempt is due again at retryAt with the next attempt number', async () => {
      const sub = await oneSub({ maxAttempts: 3 });
      await store.publish('t', [message()], T0);
      const [first] = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 1 });
      expect(await store.fail(sub.id, first.ackId, { error: 'HTTP 500', retryAt: T0 + 1000, now: T0 })).toBe('retry');
      expect(await store.fail(sub.id, first.ackId, { error: 'again', retryAt: T0, now: T0 })).toBe('stale');
      expect(await store.nextDueAt(laneOf(sub.id))).toBe(T0 + 1000);
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 999, max: 1 })).toEqual([]);
      const [second] = await store.claimDue({ lane: laneOf(sub.id), now: T0 + 1000, max: 1 });
      expect(second).toMatchObject({ attempt: 2, redelivered: true });
      expect(await store.ack(sub.id, [first.ackId], T0 + 1001)).toEqual(['stale']);
      expect(await store.subscriptionStats(sub.id)).toMatchObject({ pending: 0, inFlight: 1, failed: 1 });
    });

    it('store - maxAttempts failures make a dead letter; redrive brings it back from attempt 1', async () => {
      const sub = await oneSub({ maxAttempts: 2 });
      const m = message({ text: 'doomed' });
      await store.publish('t', [m], T0);
      let now = T0;
      const outcomes: string[] = [];
      for (let i = 0; i < 2; i++) {
        const [lease] = await store.claimDue({ lane: laneOf(sub.id), now, max: 1 });
        outcomes.push(await store.fail(sub.id, lease.ackId, { error: `boom ${i + 1}`, retryAt: now + 10, now }));
        now += 10;
      }
      expect(outcomes).toEqual(['retry', 'dead']);
      expect(await store.claimDue({ lane: laneOf(sub.id), now: now + 1e9, max: 1 })).toEqual([]);
      const dead = await store.listDeadLetters(sub.id, 10);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ attempts: 2, lastError: 'boom 2', deadAt: T0 + 10 });
      expect(text(dead[0].message.payload)).toBe('doomed');
      expect(await store.subscriptionStats(sub.id)).toMatchObject({ pending: 0, inFlight: 0, failed: 2, deadLettered: 1 });
      expect(await store.topicStats('t')).toMatchObject({ deadLettered: 1, failed: 2, pending: 0 });
      expect(await store.redrive(sub.id, now)).toBe(1);
      expect(await store.listDeadLetters(sub.id, 10)).toEqual([]);
      expect(await store.subscriptionStats(sub.id)).toMatchObject({ pending: 1, deadLettered: 0 });
      const [again] = await store.claimDue({ lane: laneOf(sub.id), now, max: 1 });
      expect(again).toMatchObject({ attempt: 1, redelivered: false });
      expect(again.message.id).toBe(m.id);
    });

    it('store - an attempt past its deadline is handed out again, and dead at maxAttempts', async () => {
      const sub = await oneSub({ maxAttempts: 2, ackDeadlineMs: 100 });
      await store.publish('t', [message()], T0);
      const [first] = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 1 });
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 99, max: 1 })).toEqual([]);
      const [second] = await store.claimDue({ lane: laneOf(sub.id), now: T0 + 100, max: 1 });
      expect(second).toMatchObject({ attempt: 2, redelivered: true, deadline: T0 + 200 });
      expect(await store.ack(sub.id, [first.ackId], T0 + 101)).toEqual(['stale']);
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 200, max: 1 })).toEqual([]);
      expect(await store.listDeadLetters(sub.id, 10)).toMatchObject([{ attempts: 2, lastError: 'ack deadline exceeded' }]);
      expect(await store.subscriptionStats(sub.id)).toMatchObject({ inFlight: 0, failed: 2, deadLettered: 1 });
    });

    it('store - an answered attempt does not come back at its old deadline; an unanswered one does, once', async () => {
      const sub = await oneSub({ maxAttempts: 5, ackDeadlineMs: 100 });
      const [m1, m2, m3, m4] = [message(), message(), message(), message()];
      await store.publish('t', [m4], T0 - 1);
      await store.publish('t', [m1, m2, m3], T0);
      // Two claims leasing until the same deadline; m4, never answered, is in the first.
      expect((await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 1 })).map((l) => l.message.id)).toEqual([m4.id]);
      const first = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 3 });
      const byId = (id: string) => first.find((l) => l.message.id === id)!;
      // m1 acked; m2 failed, retried and claimed again with a later deadline; m3 handed back
      // and claimed again at once: same attempt, same deadline as before.
      expect(await store.ack(sub.id, [byId(m1.id).ackId], T0 + 1)).toEqual(['acked']);
      expect(await store.fail(sub.id, byId(m2.id).ackId, { error: 'x', retryAt: T0 + 10, now: T0 + 1 })).toBe('retry');
      expect(await store.release([{ subscriptionId: sub.id, ackId: byId(m3.id).ackId, retryAt: T0 }])).toEqual(['released']);
      const [again3] = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 1 });
      expect(again3).toMatchObject({ attempt: 1, deadline: T0 + 100 });
      const [again2] = await store.claimDue({ lane: laneOf(sub.id), now: T0 + 10, max: 1 });
      expect(again2).toMatchObject({ attempt: 2, deadline: T0 + 110 });
      // At T0 + 100 only m3's and m4's attempts are over, and each comes back once.
      const atFirstDeadline = await store.claimDue({ lane: laneOf(sub.id), now: T0 + 100, max: 10 });
      expect(atFirstDeadline.map((l) => [l.message.id, l.attempt]).sort()).toEqual([[m3.id, 2], [m4.id, 2]].sort());
      expect(await store.subscriptionStats(sub.id)).toEqual({ pending: 0, inFlight: 3, delivered: 1, failed: 3, deadLettered: 0, expired: 0 });
      expect(await store.ack(sub.id, [again2.ackId, ...atFirstDeadline.map((l) => l.ackId)], T0 + 105)).toEqual(['acked', 'acked', 'acked']);
      // Everything answered: past every deadline nothing comes back, and the lane is empty.
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 1_000, max: 10 })).toEqual([]);
      expect(await store.nextDueAt(laneOf(sub.id))).toBeNull();
      expect(await store.subscriptionStats(sub.id)).toEqual({ pending: 0, inFlight: 0, delivered: 4, failed: 3, deadLettered: 0, expired: 0 });
    });

    it('store - nextDueAt is never later than the first due delivery', async () => {
      const sub = await oneSub({ ackDeadlineMs: 1000 });
      expect(await store.nextDueAt(laneOf(sub.id))).toBeNull();
      await store.publish('t', [message(), message()], T0);
      expect(await store.nextDueAt(laneOf(sub.id))).toBe(T0);
      const [a] = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 1 });
      expect(await store.nextDueAt(laneOf(sub.id))).toBe(T0);
      const [b] = await store.claimDue({ lane: laneOf(sub.id), now: T0 + 5, max: 1 });
      expect(await store.nextDueAt(laneOf(sub.id))).toBe(T0 + 1000);
      await store.fail(sub.id, b.ackId, { error: 'x', retryAt: T0 + 500, now: T0 + 6 });
      expect(await store.nextDueAt(laneOf(sub.id))).toBe(T0 + 500);
      await store.ack(sub.id, [a.ackId], T0 + 7);
      const next = (await store.nextDueAt(laneOf(sub.id)))!;
      expect(next).toBeLessThanOrEqual(T0 + 500);
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 499, max: 10 })).toEqual([]);
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 500, max: 10 })).toHaveLength(1);
    });

    it('store - a claim sees every write issued before it, durable yet or not', async () => {
      const sub = await oneSub();
      const m = message();
      const published = store.publish('t', [m], T0); // not awaited
      const [lease] = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 10 });
      expect(lease.message.id).toBe(m.id);
      await published;
      const released = store.release([{ subscriptionId: sub.id, ackId: lease.ackId, retryAt: T0 }]);
      expect((await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 10 })).map((l) => l.message.id)).toEqual([m.id]);
      expect(await released).toEqual(['released']);
      // And one that finds nothing is not held up when no write is under way.
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 10 })).toEqual([]);
    });

    it('store - a lease length can be given per claim', async () => {
      const sub = await oneSub();
      await store.publish('t', [message()], T0);
      const [lease] = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 1, leaseMs: 5 });
      expect(lease.deadline).toBe(T0 + 5);
      await expect(store.claimDue({ lane: laneOf(sub.id), now: T0, max: 1, leaseMs: 0 })).rejects.toThrow(/leaseMs/);
    });

    it('store - release hands an attempt back uncounted: same attempt number next time, no failure', async () => {
      const sub = await oneSub({ maxAttempts: 1 });
      const m = message();
      await store.publish('t', [m], T0);
      const [first] = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 1 });
      expect(await store.subscriptionStats(sub.id)).toMatchObject({ pending: 0, inFlight: 1 });
      const other = { subscriptionId: sub.id, ackId: `1:${m.id}x`, retryAt: T0 };
      expect(await store.release([{ subscriptionId: sub.id, ackId: first.ackId, retryAt: T0 + 500 }, other])).toEqual(['released', 'unknown']);
      expect(await store.release([{ subscriptionId: sub.id, ackId: first.ackId, retryAt: T0 }])).toEqual(['unknown']);
      expect(await store.subscriptionStats(sub.id)).toEqual({ pending: 1, inFlight: 0, delivered: 0, failed: 0, deadLettered: 0, expired: 0 });
      expect(await store.nextDueAt(laneOf(sub.id))).toBe(T0 + 500);
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 499, max: 1 })).toEqual([]);
      // Released any number of times, a maxAttempts-1 delivery still gets its one real attempt.
      for (let i = 0; i < 3; i++) {
        const [again] = await store.claimDue({ lane: laneOf(sub.id), now: T0 + 500, max: 1 });
        expect(again).toMatchObject({ attempt: 1, redelivered: false });
        expect(await store.release([{ subscriptionId: sub.id, ackId: again.ackId, retryAt: T0 + 500 }])).toEqual(['released']);
      }
      const [last] = await store.claimDue({ lane: laneOf(sub.id), now: T0 + 500, max: 1 });
      expect(await store.ack(sub.id, [first.ackId], T0 + 501)).toEqual(['acked']); // same attempt, same ackId text
      expect(await store.release([{ subscriptionId: sub.id, ackId: last.ackId, retryAt: T0 }])).toEqual(['stale']);
      expect(await store.topicStats('t')).toMatchObject({ pending: 0, delivered: 1, failed: 0 });
    });

    it('store - push subscriptions share the push lane; pull ones have their own', async () => {
      await store.createTopic(topic('t'));
      const hookA = subscription('t', { protocol: 'http', status: 'active' });
      const hookB = subscription('t', { protocol: 'https', status: 'active' });
      const puller = subscription('t');
      for (const s of [hookA, hookB, puller]) await store.createSubscription(s);
      await store.publish('t', [message()], T0);
      const push = await store.claimDue({ lane: { kind: 'push' }, now: T0, max: 10 });
      expect(push.map((l) => l.subscriptionId).sort()).toEqual([hookA.id, hookB.id].sort());
      expect(await store.claimDue({ lane: laneOf(puller.id), now: T0, max: 10 })).toHaveLength(1);
      expect(await store.nextDueAt({ kind: 'push' })).toBe(T0 + 30_000);
    });

    it('store - expired messages are dropped at claim time and counted', async () => {
      await store.createTopic(topic('t', { messageTtlMs: 1000 }));
      const sub = subscription('t');
      await store.createSubscription(sub);
      await store.publish('t', [message({ ttlMs: 10, text: 'short' }), message({ text: 'topic ttl' }), message({ ttlMs: 5000, text: 'capped' })], T0);
      const early = await store.claimDue({ lane: laneOf(sub.id), now: T0 + 10, max: 10 });
      expect(early.map((l) => text(l.message.payload)).sort()).toEqual(['capped', 'topic ttl']);
      expect(early.every((l) => l.message.expiresAt === T0 + 1000)).toBe(true);
      // The two in flight pass their TTL before their deadline: both expire, not redelivered.
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 40_000, max: 10 })).toEqual([]);
      expect(await store.subscriptionStats(sub.id)).toMatchObject({ pending: 0, inFlight: 0, expired: 3 });
      expect(await store.topicStats('t')).toMatchObject({ pending: 0, expired: 3 });
    });
  });

  describe('cursor subscriptions (pull or websocket without a filter)', () => {
    async function cursorSub(over = {}) {
      await store.createTopic(topic('t'));
      const sub = subscription('t', over);
      await store.createSubscription(sub);
      return sub;
    }
    const claim = async (subId: string, now: number, max = 10) => store.claimDue({ lane: laneOf(subId), now, max });
    const ids = (leases: { message: { id: string } }[]) => leases.map((l) => l.message.id);

    it('store - a subscription created after messages were published gets none of them', async () => {
      const early = await cursorSub();
      const before = [message(), message()];
      await store.publish('t', before, T0);
      const late = subscription('t', { protocol: 'websocket' });
      await store.createSubscription(late);
      expect(await store.subscriptionStats(late.id)).toMatchObject({ pending: 0 });
      expect(await store.nextDueAt(laneOf(late.id))).toBeNull();
      expect(await claim(late.id, T0)).toEqual([]);
      const after = message();
      await store.publish('t', [after], T0 + 1);
      expect(ids(await claim(late.id, T0 + 1))).toEqual([after.id]);
      expect(ids(await claim(early.id, T0 + 1)).sort()).toEqual([...before, after].map((m) => m.id).sort());
    });

    it('store - acks out of order end their own deliveries; an unanswered lease below the cursor comes back once', async () => {
      const sub = await cursorSub({ ackDeadlineMs: 100, maxAttempts: 5 });
      const msgs = Array.from({ length: 5 }, () => message());
      await store.publish('t', msgs, T0);
      const first = await claim(sub.id, T0, 3);
      const later = await claim(sub.id, T0 + 50, 10);
      expect(ids([...first, ...later]).sort()).toEqual(msgs.map((m) => m.id).sort());
      // Ack the third and the first of the first claim, and the last of the second; leave the rest.
      expect(await store.ack(sub.id, [first[2].ackId, first[0].ackId, later[1].ackId], T0 + 60)).toEqual(['acked', 'acked', 'acked']);
      expect(await store.ack(sub.id, [first[2].ackId], T0 + 61)).toEqual(['stale']);
      // At the first deadline only the unanswered lease of the first claim comes back.
      const again = await claim(sub.id, T0 + 100);
      expect(again.map((l) => [l.message.id, l.attempt, l.redelivered])).toEqual([[first[1].message.id, 2, true]]);
      expect(await store.ack(sub.id, [first[1].ackId], T0 + 101)).toEqual(['stale']);
      // At the second, the unanswered one of the second claim; the acked ones never.
      expect(ids(await claim(sub.id, T0 + 150))).toEqual([later[0].message.id]);
      expect(await claim(sub.id, T0 + 199)).toEqual([]);
      expect(await store.subscriptionStats(sub.id)).toEqual({ pending: 0, inFlight: 2, delivered: 3, failed: 2, deadLettered: 0, expired: 0 });
    });

    it('store - ackIds of a cursor subscription: another seq, another message or a swept ack are unknown', async () => {
      const sub = await cursorSub();
      const [m1, m2, m3] = [message(), message(), message()];
      await store.publish('t', [m1, m2, m3], T0);
      const [a, b] = await claim(sub.id, T0, 2);
      const swap = (ackId: string, id: string) => `${ackId.slice(0, ackId.indexOf(':'))}:${id}`;
      const seqOf = (ackId: string) => Number(ackId.slice(ackId.indexOf('.') + 1, ackId.indexOf(':')));
      const unclaimed = `1.${Math.max(seqOf(a.ackId), seqOf(b.ackId)) + 1}:${m3.id}`;
      expect(await store.ack(sub.id, [swap(a.ackId, b.message.id), unclaimed, `1:${m1.id}`], T0)).toEqual(['unknown', 'unknown', 'unknown']);
      // b acked out of order: stale until the sweep forgets it, which needs a's ack too.
      expect(await store.ack(sub.id, [b.ackId], T0 + 1)).toEqual(['acked']);
      expect(await store.sweep({ now: T0 + 2, ackedBefore: T0 + 2 })).toEqual({ dedup: 0, acked: 1 });
      expect(await store.ack(sub.id, [b.ackId], T0 + 3)).toEqual(['stale']);
      expect(await store.ack(sub.id, [a.ackId], T0 + 3)).toEqual(['acked']);
      expect(await store.sweep({ now: T0 + 4, ackedBefore: T0 + 4 })).toEqual({ dedup: 0, acked: 1 });
      expect(await store.ack(sub.id, [a.ackId, b.ackId], T0 + 5)).toEqual(['unknown', 'unknown']);
      // The unclaimed one is still handed out, once.
      expect(ids(await claim(sub.id, T0 + 5))).toEqual([m3.id]);
      expect(await claim(sub.id, T0 + 6)).toEqual([]);
    });

    it('store - an ack out of order is forgotten by the sweep only once the acknowledged prefix passes it', async () => {
      const sub = await cursorSub();
      await store.publish('t', [message(), message(), message()], T0);
      const [a, b, c] = await claim(sub.id, T0, 3);
      expect(await store.ack(sub.id, [a.ackId], T0)).toEqual(['acked']);
      expect(await store.ack(sub.id, [c.ackId], T0)).toEqual(['acked']);
      expect(await store.sweep({ now: T0 + 1, ackedBefore: T0 + 1 })).toEqual({ dedup: 0, acked: 2 });
      expect(await store.ack(sub.id, [a.ackId, c.ackId], T0 + 1)).toEqual(['unknown', 'stale']);
      expect(await store.ack(sub.id, [b.ackId], T0 + 2)).toEqual(['acked']);
      expect(await store.sweep({ now: T0 + 3, ackedBefore: T0 + 3 })).toEqual({ dedup: 0, acked: 1 });
      expect(await store.ack(sub.id, [b.ackId, c.ackId], T0 + 3)).toEqual(['unknown', 'unknown']);
    });

    it('store - a lease batch that finds nothing at its deadline leaves the later ones', async () => {
      const sub = await cursorSub({ ackDeadlineMs: 100 });
      await store.publish('t', [message(), message()], T0);
      const [a] = await claim(sub.id, T0, 1);
      const [b] = await claim(sub.id, T0 + 50, 1);
      expect(await store.ack(sub.id, [a.ackId], T0 + 60)).toEqual(['acked']);
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 100, max: 10 })).toEqual([]);
      expect(await store.nextDueAt(laneOf(sub.id))).toBe(T0 + 150);
      expect(ids(await claim(sub.id, T0 + 150))).toEqual([b.message.id]);
    });

    it('store - a dead letter below the cursor: redriven, acked, and its message kept for the other subscriptions', async () => {
      const sub = await cursorSub({ maxAttempts: 1 });
      const other = subscription('t');
      await store.createSubscription(other);
      const [m1, m2] = [message({ text: 'one' }), message({ text: 'two' })];
      await store.publish('t', [m1, m2], T0);
      const [l1, l2] = await claim(sub.id, T0);
      expect(await store.fail(sub.id, l1.ackId, { error: 'bad', retryAt: T0, now: T0 })).toBe('dead');
      expect(await store.ack(sub.id, [l2.ackId, l1.ackId], T0)).toEqual(['acked', 'stale']);
      expect(await store.listDeadLetters(sub.id, 10)).toMatchObject([{ attempts: 1, lastError: 'bad' }]);
      expect(await store.redrive(sub.id, T0 + 1)).toBe(1);
      const [back] = await claim(sub.id, T0 + 1);
      expect(back).toMatchObject({ attempt: 1, redelivered: false });
      expect(text(back.message.payload)).toBe(text(l1.message.payload));
      expect(await store.ack(sub.id, [back.ackId], T0 + 2)).toEqual(['acked']);
      // The other subscription still gets both, payloads intact.
      expect((await claim(other.id, T0 + 2)).map((l) => text(l.message.payload)).sort()).toEqual(['one', 'two']);
    });

    it('store - nack and release of a cursor delivery, then expiry of a ready one', async () => {
      await store.createTopic(topic('t', { messageTtlMs: 1000 }));
      const sub = subscription('t', { maxAttempts: 3 });
      await store.createSubscription(sub);
      await store.publish('t', [message(), message()], T0);
      const [a, b] = await claim(sub.id, T0);
      expect(await store.fail(sub.id, a.ackId, { error: 'nack', retryAt: T0, now: T0 })).toBe('retry');
      expect(await store.release([{ subscriptionId: sub.id, ackId: b.ackId, retryAt: T0 + 2000 }])).toEqual(['released']);
      const [a2] = await claim(sub.id, T0);
      expect(a2).toMatchObject({ attempt: 2, redelivered: true });
      expect(a2.message.id).toBe(a.message.id);
      expect(await store.ack(sub.id, [a2.ackId], T0 + 1)).toEqual(['acked']);
      // b's message is past its TTL when it is due again: dropped, counted, never handed out.
      expect(await claim(sub.id, T0 + 2000)).toEqual([]);
      expect(await store.subscriptionStats(sub.id)).toEqual({ pending: 0, inFlight: 0, delivered: 1, failed: 1, deadLettered: 0, expired: 1 });
      expect(await store.nextDueAt(laneOf(sub.id))).toBeNull();
    });

    it('store - claims in small steps hand out every message once, whatever the interleaving of acks', async () => {
      const sub = await cursorSub({ ackDeadlineMs: 1000 });
      const msgs = Array.from({ length: 40 }, () => message());
      await store.publish('t', msgs.slice(0, 20), T0);
      const seen: string[] = [];
      let now = T0;
      for (let round = 0; round < 30; round++) {
        if (round === 5) await store.publish('t', msgs.slice(20), now);
        const leases = await claim(sub.id, now, 3);
        seen.push(...ids(leases));
        // Ack every other one, newest first; the rest are acked in the next round.
        await store.ack(sub.id, leases.filter((_, i) => i % 2 === 0).reverse().map((l) => l.ackId), now);
        await store.ack(sub.id, leases.filter((_, i) => i % 2 === 1).map((l) => l.ackId), now + 1);
        now += 10;
      }
      expect(seen.sort()).toEqual(msgs.map((m) => m.id).sort());
      expect(await claim(sub.id, now + 10_000)).toEqual([]);
      expect(await store.subscriptionStats(sub.id)).toMatchObject({ pending: 0, inFlight: 0, delivered: 40, failed: 0 });
    });

    it('store - reopened after claims, the cursor stays: nothing is handed out twice, unanswered leases come back', async () => {
      if (!fixture.reopen) return;
      const sub = await cursorSub({ ackDeadlineMs: 100 });
      const msgs = Array.from({ length: 6 }, () => message());
      await store.publish('t', msgs, T0);
      const claimed = await claim(sub.id, T0, 4);
      await store.ack(sub.id, [claimed[1].ackId], T0);
      await store.close();
      store = fixture.reopen();
      const rest = await claim(sub.id, T0);
      expect(ids(rest).sort()).toEqual(msgs.map((m) => m.id).filter((id) => !ids(claimed).includes(id)).sort());
      expect(await store.ack(sub.id, rest.map((l) => l.ackId), T0)).toEqual(['acked', 'acked']);
      expect(await claim(sub.id, T0 + 99)).toEqual([]);
      const back = await claim(sub.id, T0 + 100);
      expect(ids(back).sort()).toEqual(ids([claimed[0], claimed[2], claimed[3]]).sort());
      expect(await store.ack(sub.id, back.map((l) => l.ackId), T0 + 101)).toEqual(['acked', 'acked', 'acked']);
    });
  });

  describe('dedup', () => {
    it('store - same key and content within the window is a duplicate; other content conflicts', async () => {
      await store.createTopic(topic('t', { dedupWindowMs: 1000 }));
      const sub = subscription('t');
      await store.createSubscription(sub);
      const first = message({ idempotencyKey: 'k', attributes: { a: '1', b: '2' }, routingKey: 'r' });
      const same = message({ idempotencyKey: 'k', attributes: { b: '2', a: '1' }, routingKey: 'r' });
      const otherKey = message({ idempotencyKey: 'k', attributes: { a: '1', b: '2' }, routingKey: 'r2' });
      const otherBody = message({ idempotencyKey: 'k', attributes: { a: '1', b: '2' }, routingKey: 'r', text: 'x' });
      expect(await store.publish('t', [first, same, otherKey], T0)).toEqual([
        { ok: true, id: first.id, duplicate: false },
        { ok: true, id: first.id, duplicate: true },
        { ok: false, error: 'idempotency_conflict', firstId: first.id },
      ]);
      expect(await store.publish('t', [otherBody], T0 + 999)).toEqual([{ ok: false, error: 'idempotency_conflict', firstId: first.id }]);
      expect(await store.topicStats('t')).toMatchObject({ published: 1, pending: 1 });
      // Past the window the key is free again.
      expect(await store.publish('t', [otherBody], T0 + 1000)).toEqual([{ ok: true, id: otherBody.id, duplicate: false }]);
      expect(await store.sweep({ now: T0 + 1000, ackedBefore: 0 })).toEqual({ dedup: 0, acked: 0 });
      expect(await store.sweep({ now: T0 + 2000, ackedBefore: 0 })).toEqual({ dedup: 1, acked: 0 });
      expect(await store.claimDue({ lane: laneOf(sub.id), now: T0 + 2000, max: 10 })).toHaveLength(2);
    });
  });

  describe('API keys', () => {
    it('store - create, get, find by hash, list, delete', async () => {
      const key = { id: 'key-1', keyHash: 'ab'.repeat(32), name: 'ci', role: 'publisher' as const, topics: ['orders.#'], ratePerSec: 50, createdAt: T0 };
      await store.createKey(key);
      await expect(store.createKey(key)).rejects.toThrow(/already exists/);
      expect(await store.getKey('key-1')).toEqual(key);
      expect(await store.findKeyByHash(key.keyHash)).toEqual(key);
      expect(await store.findKeyByHash('00')).toBeUndefined();
      expect(await store.listKeys()).toEqual([key]);
      expect(await store.deleteKey('key-1')).toBe(true);
      expect(await store.deleteKey('key-1')).toBe(false);
      expect(await store.findKeyByHash(key.keyHash)).toBeUndefined();
    });
  });

  it('store - reopened on the same data, everything accepted before close is there', async () => {
    if (!fixture.reopen) return; // memory keeps nothing across processes by design
    await store.createTopic(topic('t'));
    const sub = subscription('t');
    await store.createSubscription(sub);
    await store.createKey({ id: 'k', keyHash: 'h', name: 'n', role: 'admin', topics: null, ratePerSec: null, createdAt: T0 });
    const msgs = Array.from({ length: 50 }, (_, i) => message({ text: `n${i}`, idempotencyKey: `i${i}` }));
    await Promise.all(msgs.map((m) => store.publish('t', [m], T0)));
    await store.close();
    store = fixture.reopen();
    expect(await store.getTopic('t')).toEqual(topic('t'));
    expect(await store.getSubscription(sub.id)).toEqual(sub);
    expect(await store.findKeyByHash('h')).toMatchObject({ id: 'k' });
    expect(await store.topicStats('t')).toMatchObject({ published: 50, pending: 50 });
    const leases = await store.claimDue({ lane: laneOf(sub.id), now: T0, max: 100 });
    expect(leases.map((l) => text(l.message.payload)).sort()).toEqual(msgs.map((m) => text(m.payload)).sort());
    expect(await store.publish('t', [{ ...msgs[0], id: 'again' }], T0 + 1)).toEqual([{ ok: true, id: msgs[0].id, duplicate: true }]);
  });

  it('store - calls after close reject', async () => {
    await store.close();
    await expect(store.getTopic('t')).rejects.toThrow(/closed/);
    await expect(store.createTopic(topic('t'))).rejects.toThrow(/closed/);
  });

  it('store - counters stay consistent with the deliveries under random operations', async () => {
    // A small model: every published message reaches each subscription exactly once as
    // exactly one of pending | inFlight | delivered | deadLettered | expired, nothing invented.
    type Op = { kind: 'publish'; ttl: number | null } | { kind: 'claim'; max: number } | { kind: 'ack' } | { kind: 'fail' } | { kind: 'release' } | { kind: 'tick'; ms: number } | { kind: 'redrive' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('publish' as const), ttl: fc.option(fc.integer({ min: 1, max: 500 })) }),
      fc.record({ kind: fc.constant('claim' as const), max: fc.integer({ min: 1, max: 3 }) }),
      fc.constant({ kind: 'ack' as const }),
      fc.constant({ kind: 'fail' as const }),
      fc.constant({ kind: 'release' as const }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 200 }) }),
      fc.constant({ kind: 'redrive' as const }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), async (ops) => {
        const name = `model-${++run}`;
        await store.createTopic(topic(name, { messageTtlMs: 1000 }));
        const sub = subscription(name, { maxAttempts: 2, ackDeadlineMs: 100 });
        await store.createSubscription(sub);
        let now = T0;
        const published = new Set<string>();
        const acked = new Set<string>();
        let held: string[] = [];
        for (const op of ops) {
          if (op.kind === 'publish') {
            const m = message({ ttlMs: op.ttl });
            await store.publish(name, [m], now);
            published.add(m.id);
          } else if (op.kind === 'claim') {
            const leases = await store.claimDue({ lane: laneOf(sub.id), now, max: op.max });
            for (const l of leases) expect(published.has(l.message.id)).toBe(true);
            held.push(...leases.map((l) => l.ackId));
          } else if (op.kind === 'ack' && held.length > 0) {
            const [ackId] = held.splice(0, 1);
            const [outcome] = await store.ack(sub.id, [ackId], now);
            if (outcome === 'acked') {
              const id = ackId.slice(ackId.indexOf(':') + 1);
              expect(acked.has(id)).toBe(false);
              acked.add(id);
            }
          } else if (op.kind === 'fail' && held.length > 0) {
            const [ackId] = held.splice(0, 1);
            await store.fail(sub.id, ackId, { error: 'x', retryAt: now + 50, now });
          } else if (op.kind === 'release' && held.length > 0) {
            const [ackId] = held.splice(0, 1);
            await store.release([{ subscriptionId: sub.id, ackId, retryAt: now + 20 }]);
          } else if (op.kind === 'tick') {
            now += op.ms;
          } else if (op.kind === 'redrive') {
            await store.redrive(sub.id, now);
          }
        }
        const s = (await store.subscriptionStats(sub.id))!;
        for (const v of Object.values(s)) expect(v).toBeGreaterThanOrEqual(0);
        expect(s.delivered).toBe(acked.size);
        expect(s.pending + s.inFlight + s.delivered + s.deadLettered + s.expired).toBe(published.size);
        const t = (await store.topicStats(name))!;
        expect(t).toMatchObject({ published: published.size, pending: s.pending + s.inFlight, delivered: s.delivered, deadLettered: s.deadLettered, expired: s.expired, failed: s.failed });
        held = [];
      }),
      { numRuns: fixture.name === 'lmdb' ? 15 : 60 },
    );
  });
});
