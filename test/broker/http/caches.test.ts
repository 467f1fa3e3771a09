/**
 * The frontend's two caches on their own, over a real memory store: the topic cache and the
 * key cache never keep a record that a change notice or a deletion made stale — including a
 * read that was already on its way when the change happened (the generation check).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Authenticator, hashKey } from '../../../broker/http/auth.js';
import { SubscriptionCache } from '../../../broker/http/subscription-cache.js';
import { TopicCache } from '../../../broker/http/topic-cache.js';
import { openStore, type MessageStore } from '../../../broker/store/index.js';
import { eventually } from '../../support/receive.js';

const T0 = Date.UTC(2026, 0, 1);
const options = { messageTtlMs: 60_000, maxAttempts: 3, dedupWindowMs: 1000 };
const stores: MessageStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

/** Reads through to a real store; each read can be held until the test lets it finish. */
function heldReads(store: MessageStore) {
  const listeners = new Set<(topic: string) => void>();
  const held: Array<() => void> = [];
  let hold = false;
  const gate = () => (hold ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve());
  return {
    service: {
      async getTopic(name: string) {
        const topic = await store.getTopic(name);
        await gate();
        return topic;
      },
      async findKeyByHash(hash: string) {
        const key = await store.findKeyByHash(hash);
        await gate();
        return key;
      },
      onTopicChanged(listener: (topic: string) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    notify: (topic: string) => listeners.forEach((l) => l(topic)),
    listeners,
    holdReads: (on: boolean) => (hold = on),
    release: () => held.splice(0).forEach((resolve) => resolve()),
    reads: () => held.length,
  };
}

function store(): MessageStore {
  const s = openStore({ backend: 'memory' });
  stores.push(s);
  return s;
}

describe('topic cache', () => {
  it('serves from the LRU after the first read, and reads again after a change notice', async () => {
    const s = store();
    const h = heldReads(s);
    const cache = new TopicCache(h.service, 10);
    await s.createTopic({ name: 'a', options, createdAt: T0 });
    expect((await cache.get('a'))?.options.maxAttempts).toBe(3);
    await s.deleteTopic('a');
    await s.createTopic({ name: 'a', options: { ...options, maxAttempts: 7 }, createdAt: T0 });
    expect((await cache.get('a'))?.options.maxAttempts).toBe(3); // cached
    h.notify('a');
    expect((await cache.get('a'))?.options.maxAttempts).toBe(7);
    cache.close();
    expect(h.listeners.size).toBe(0);
  });

  it('does not cache unknown topics, and a read overtaken by a change notice is not cached', async () => {
    const s = store();
    const h = heldReads(s);
    const cache = new TopicCache(h.service, 10);
    expect(await cache.get('b')).toBeUndefined();
    await s.createTopic({ name: 'b', options, createdAt: T0 });
    expect(await cache.get('b')).toBeDefined();

    await s.createTopic({ name: 'c', options, createdAt: T0 });
    h.holdReads(true);
    const slow = cache.get('c'); // has read the record, is held before answering
    await eventually(() => h.reads() === 1, 'one read through');
    await s.deleteTopic('c');
    h.notify('c');
    h.holdReads(false);
    h.release();
    expect(await slow).toBeDefined(); // the read itself answers what it saw
    expect(await cache.get('c')).toBeUndefined(); // but did not cache it
  });
});

describe('key cache', () => {
  const record = (id: string, key: string) => ({ id, keyHash: hashKey(key), name: id, role: 'publisher' as const, topics: ['orders.#'], ratePerSec: null, createdAt: T0 });

  it('a forgotten key is looked up again, and a lookup overtaken by forget is not cached', async () => {
    const s = store();
    const h = heldReads(s);
    const auth = new Authenticator(h.service, 'admin-key');
    await s.createKey(record('k1', 'secret-1'));
    const principal = await auth.authenticate('Bearer secret-1');
    expect(principal).toMatchObject({ kind: 'key', id: 'k1', role: 'publisher' });
    expect(principal.topics?.[0].matches('orders.eu')).toBe(true);
    await s.deleteKey('k1');
    await expect(auth.authenticate('Bearer secret-1')).resolves.toMatchObject({ id: 'k1' }); // cached
    auth.forget('k1');
    await expect(auth.authenticate('Bearer secret-1')).rejects.toMatchObject({ statusCode: 401 });

    await s.createKey(record('k2', 'secret-2'));
    h.holdReads(true);
    const slow = auth.authenticate('Bearer secret-2');
    await eventually(() => h.reads() === 1, 'one read through');
    await s.deleteKey('k2');
    auth.forget('k2');
    h.holdReads(false);
    h.release();
    await expect(slow).resolves.toMatchObject({ id: 'k2' });
    await expect(auth.authenticate('Bearer secret-2')).rejects.toMatchObject({ statusCode: 401 });
  });

  it('the admin key is recognised without the store', async () => {
    const auth = new Authenticator(
      { findKeyByHash: () => Promise.reject(new Error('the admin key must not be looked up')) },
      'the-admin-key',
    );
    await expect(auth.authenticate('Bearer the-admin-key')).resolves.toMatchObject({ kind: 'bootstrap', role: 'admin' });
  });
});


describe('subscription cache', () => {
  it('keeps only the fixed facts of existing subscriptions; forget makes the next get read again', async () => {
    const s = store();
    let reads = 0;
    const cache = new SubscriptionCache({
      async getSubscription(id: string) {
        reads++;
        return s.getSubscription(id);
      },
    });
    await s.createTopic({ name: 't', options, createdAt: T0 });
    const sub = {
      id: 'sub-1', topic: 't', protocol: 'pull', endpoint: null, filter: null, status: 'active', confirmToken: null, secret: 'x'.repeat(64),
      maxAttempts: 3, ackDeadlineMs: 30_000, backoff: { initialMs: 1000, maxMs: 60_000, multiplier: 2 }, createdAt: T0, activatedAt: T0,
    } as const;
    expect(await cache.get('sub-1')).toBeUndefined(); // not there yet, and not remembered as missing
    await s.createSubscription(sub as never);
    expect(await cache.get('sub-1')).toEqual({ id: 'sub-1', topic: 't', protocol: 'pull' });
    expect(await cache.get('sub-1')).toEqual({ id: 'sub-1', topic: 't', protocol: 'pull' });
    expect(reads).toBe(2); // the miss, then one read for both gets
    await s.deleteSubscription('sub-1');
    expect(await cache.get('sub-1')).toBeDefined(); // deletion is found by the routes' store calls…
    cache.forget('sub-1'); // …which then drop the entry
    expect(await cache.get('sub-1')).toBeUndefined();
    expect(reads).toBe(3);
  });
});
