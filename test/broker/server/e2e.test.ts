/**
 * The broker end to end, as issue 8 asks: real HTTP subscribers, a pull consumer, the server's
 * actors on two threads, an lmdb store in a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../broker/server/broker.js';
import { ApiClient } from '../support/http-client.js';
import { Subscriber } from '../support/subscriber.js';
import { eventually } from '../../support/receive.js';

/** How long a wait in these tests may take on a loaded 2-core machine. */
const WAIT_MS = 60_000;

const ADMIN = 'test-admin-key-0123456789';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(): Promise<{ broker: RunningBroker; api: ApiClient }> {
  const dir = mkdtempSync(join(tmpdir(), 'postbox-e2e-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const b = await startBroker({
    store: { backend: 'lmdb', path: dir },
    adminKey: ADMIN,
    port: 0,
    schedulers: 1,
    logLevel: 'silent',
    drainMs: 2_000,
    // Short breaker cool-down and hold-back, so a failing endpoint is tried again soon.
    delivery: { breaker: { openMs: 200 }, holdBackMs: 50 },
  });
  cleanups.push(() => b.stop());
  const api = new ApiClient(b.url, ADMIN, 32);
  cleanups.push(() => api.close());
  return { broker: b, api };
}

async function subscriber(api: ApiClient): Promise<Subscriber> {
  const s = await Subscriber.start(api);
  cleanups.push(() => s.close());
  return s;
}


describe('broker end to end', () => {
  it('10,000 messages reach two webhooks and a pull subscription, each delivery well-formed and signed', async () => {
    const { api } = await broker();
    expect((await api.call('POST', '/v1/topics', { name: 'orders' })).status).toBe(201);
    const [a, b] = [await subscriber(api), await subscriber(api)];
    const subA = await a.subscribe('orders');
    const subB = await b.subscribe('orders');
    const pull = await api.call('POST', '/v1/topics/orders/subscriptions', { protocol: 'pull' });
    expect(pull.status).toBe(201);
    expect(a.confirmations[0]).toMatchObject({ type: 'SubscriptionConfirmation', subscriptionId: subA, topic: 'orders' });

    // 9,000 in batches of 1,000, 1,000 one by one (20 in flight).
    const ids = new Set<string>();
    for (let batch = 0; batch < 9; batch++) {
      const messages = Array.from({ length: 1_000 }, (_, i) => ({ payload: { seq: batch * 1_000 + i }, routingKey: 'order.created', attributes: { batch: String(batch) } }));
      const r = await api.call('POST', '/v1/topics/orders/batch', { messages });
      expect(r.status).toBe(202);
      for (const result of r.body.results) ids.add(result.id);
    }
    let next = 9_000;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 10_000) {
          const seq = next++;
          const r = await api.call('POST', '/v1/topics/orders/messages', { payload: { seq }, routingKey: 'order.created' });
          expect(r.status).toBe(202);
          ids.add(r.body.id);
        }
      }),
    );
    expect(ids.size).toBe(10_000);

    const pulled = new Set<string>();
    await eventually(async () => {
      const r = await api.call('POST', `/v1/subscriptions/${pull.body.id}/pull`, { max: 100, waitMs: 1_000 });
      for (const m of r.body.messages) pulled.add(m.id);
      if (r.body.messages.length > 0) await api.call('POST', `/v1/subscriptions/${pull.body.id}/ack`, { ackIds: r.body.messages.map((m: any) => m.ackId) });
      return pulled.size === 10_000;
    }, 'the pull subscription receiving 10,000', 120_000);
    await eventually(() => new Set(a.notifications.map((n) => n.body.id)).size === 10_000 && new Set(b.notifications.map((n) => n.body.id)).size === 10_000, 'both webhooks receiving 10,000', 120_000);

    for (const [hook, subId] of [[a, subA], [b, subB]] as const) {
      expect(new Set(hook.notifications.map((n) => n.body.id))).toEqual(ids);
      for (const n of hook.notifications) {
        expect(n.signatureOk).toBe(true);
        expect(n.body).toMatchObject({ type: 'Notification', topic: 'orders', subscriptionId: subId, routingKey: 'order.created', attempt: 1 });
        expect(typeof n.body.payload.seq).toBe('number');
        expect(new Date(n.body.publishedAt).toISOString()).toBe(n.body.publishedAt);
        expect(n.headers['x-postbox-message-id']).toBe(n.body.id);
        expect(n.headers['x-postbox-attempt']).toBe('1');
        expect(n.headers['content-type']).toMatch(/application\/json/);
      }
    }
    expect(pulled).toEqual(ids);
  }, 240_000);

  it('a failing endpoint is retried with growing delays and dead-lettered, a healthy one gets everything; redrive delivers', async () => {
    const { api } = await broker();
    await api.call('POST', '/v1/topics', { name: 'alerts' });
    const healthy = await subscriber(api);
    const failing = await subscriber(api);
    await healthy.subscribe('alerts');
    const failingId = await failing.subscribe('alerts', { maxAttempts: 4, backoff: { initialMs: 40, maxMs: 1_000, multiplier: 3 } });
    // 500s and dropped connections in turn.
    let calls = 0;
    failing.reply = () => (++calls % 2 === 0 ? 'drop' : 500);

    const ids: string[] = [];
    for (let seq = 0; seq < 20; seq++) ids.push((await api.call('POST', '/v1/topics/alerts/messages', { payload: { seq } })).body.id);
    await eventually(() => new Set(healthy.notifications.map((n) => n.body.id)).size === 20, 'the healthy subscriber receiving all 20', WAIT_MS);
    await eventually(async () => (await api.call('GET', `/v1/subscriptions/${failingId}`)).body.stats.deadLettered === 20, '20 dead letters', WAIT_MS);

    // Every message was tried maxAttempts times (the growing delays are shown, without a clock,
    // by test/broker/delivery and the backoff tests).
    for (const id of ids) {
      const attempts = failing.notifications.filter((n) => n.body.id === id).map((n) => n.body.attempt);
      expect(attempts).toEqual([1, 2, 3, 4]);
    }
    const dead = await api.call('GET', `/v1/subscriptions/${failingId}/dead-letters?limit=100`);
    expect(dead.body.messages).toHaveLength(20);
    expect(dead.body.messages[0]).toMatchObject({ attempts: 4 });
    expect(typeof dead.body.messages[0].lastError).toBe('string');
    expect(healthy.notifications.every((n) => n.body.attempt === 1)).toBe(true);

    failing.reply = () => 200;
    expect((await api.call('POST', `/v1/subscriptions/${failingId}/dead-letters/redrive`)).body).toEqual({ redriven: 20 });
    await eventually(async () => (await api.call('GET', `/v1/subscriptions/${failingId}`)).body.stats.delivered === 20, 'redriven messages delivered', WAIT_MS);
    const afterRedrive = failing.notifications.slice(80);
    expect(new Set(afterRedrive.map((n) => n.body.id))).toEqual(new Set(ids));
    expect(afterRedrive.every((n) => n.signatureOk)).toBe(true);
    expect((await api.call('GET', `/v1/subscriptions/${failingId}`)).body.stats.deadLettered).toBe(0);
  }, 120_000);

  it('the same idempotency key: duplicate with one delivery; other content: 409', async () => {
    const { api } = await broker();
    await api.call('POST', '/v1/topics', { name: 'dedup' });
    const hook = await subscriber(api);
    await hook.subscribe('dedup');
    const first = await api.call('POST', '/v1/topics/dedup/messages', { payload: { n: 1 }, idempotencyKey: 'k1' });
    expect(first.status).toBe(202);
    const again = await api.call('POST', '/v1/topics/dedup/messages', { payload: { n: 1 } }, { 'idempotency-key': 'k1' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: first.body.id, duplicate: true });
    const other = await api.call('POST', '/v1/topics/dedup/messages', { payload: { n: 2 }, idempotencyKey: 'k1' });
    expect(other.status).toBe(409);
    await api.call('POST', '/v1/topics/dedup/messages', { payload: { n: 3 } });
    await eventually(() => hook.notifications.length === 2, 'two deliveries', WAIT_MS);
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.notifications.map((n) => n.body.payload.n).sort()).toEqual([1, 3]);
  }, 60_000);

  it('large payloads (over the shared-binary threshold) arrive intact on every thread', async () => {
    const { api } = await broker();
    await api.call('POST', '/v1/topics', { name: 'big' });
    const hook = await subscriber(api);
    await hook.subscribe('big');
    const bytes = Buffer.alloc(300 * 1024, 0);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const text = 'x'.repeat(200 * 1024);
    // Tasks go round robin over the schedulers: four of each reach both threads.
    for (let i = 0; i < 4; i++) {
      expect((await api.call('POST', '/v1/topics/big/messages', { payloadBase64: bytes.toString('base64'), attributes: { i: String(i) } })).status).toBe(202);
      expect((await api.call('POST', '/v1/topics/big/messages', { payload: { text, i } })).status).toBe(202);
    }
    await eventually(() => hook.notifications.length >= 8, 'eight large deliveries', WAIT_MS);
    const binary = hook.notifications.filter((n) => n.body.payloadBase64 !== undefined);
    const json = hook.notifications.filter((n) => n.body.payload !== undefined);
    expect(binary).toHaveLength(4);
    expect(json).toHaveLength(4);
    for (const n of binary) expect(Buffer.from(n.body.payloadBase64, 'base64').equals(bytes)).toBe(true);
    for (const n of json) expect(n.body.payload.text).toBe(text);
    expect(hook.notifications.every((n) => n.signatureOk)).toBe(true);
  }, 60_000);
});
