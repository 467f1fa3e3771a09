/**
 * Webhook delivery end to end, over every store backend: real subscriber servers on
 * 127.0.0.1, a real actor system (two schedulers: tasks are spread over both threads), the
 * store server and the Delivery tree.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { sendConfirmation, ConfirmationFailedError, deliveryStats } from '../../../broker/delivery/index.js';
import { storeCall } from '../../../broker/store/store-server.js';
import type { StoreConfig } from '../../../broker/store/index.js';
import { tempDir } from '../store-support.js';
import { deadEndpoint, Hook, Slice, type Received } from './support.js';

const backends: Array<{ name: string; config: () => { store: StoreConfig; cleanup: () => void } }> = [
  { name: 'memory', config: () => ({ store: { backend: 'memory' }, cleanup: () => {} }) },
  {
    name: 'lmdb',
    config: () => {
      const path = tempDir();
      return { store: { backend: 'lmdb', path }, cleanup: () => rmSync(path, { recursive: true, force: true }) };
    },
  },
];

const tiny = { initialMs: 5, maxMs: 40, multiplier: 2 };

describe.each(backends)('webhook delivery ($name)', ({ config }) => {
  let slice: Slice;
  let hooks: Hook[];
  let cleanup: () => void;

  let store: StoreConfig;
  // A generous delivery timeout, so that on a machine loaded by parallel test files no healthy
  // delivery outlives it and is retried; the test of a hanging endpoint restarts with 500 ms.
  const startSlice = (deliveryTimeoutMs = 5_000) =>
    Slice.start({ store, schedulers: 1, delivery: { schedulers: [0, 1], deliveryTimeoutMs, leaseMarginMs: 10_000, breaker: { openMs: 50 } } });

  beforeEach(async () => {
    const c = config();
    cleanup = c.cleanup;
    store = c.store;
    hooks = [];
    slice = await startSlice();
  });
  afterEach(async () => {
    await slice.stop();
    for (const h of hooks) await h.close();
    cleanup();
  });

  async function hook(answer?: (r: Received) => number | 'hang' | 'hold'): Promise<Hook> {
    const h = await Hook.start(answer);
    hooks.push(h);
    return h;
  }

  it('delivery - a healthy endpoint gets every message once, signed, with the notification body and headers', async () => {
    await slice.topic('orders');
    const h = await hook();
    const sub = await slice.subscribe('orders', h.url, h.secret);
    const json = Array.from({ length: 40 }, (_, i) => ({ json: { n: i, text: 'ünïcødé ✓' } }));
    const ids = await slice.publish('orders', json);
    const [binId] = await slice.publish('orders', [
      { payload: new Uint8Array([0, 255, 1, 2]), encoding: 'base64', attributes: { kind: 'bin' }, routingKey: 'orders.eu' },
    ]);
    await slice.until(sub.id, (s) => s.delivered === 41, 'all 41 delivered');

    expect(h.received.every((r) => r.signatureOk)).toBe(true);
    const got = h.notifications();
    expect(got.map((n) => n.id).sort()).toEqual([...ids, binId].sort()); // each once
    for (const r of h.received) {
      expect(r.headers['x-postbox-message-id']).toBe(r.body.id);
      expect(r.headers['x-postbox-attempt']).toBe('1');
      expect(r.headers['x-postbox-signature']).toMatch(/^[0-9a-f]{64}$/);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
    }
    const first = got.find((n) => n.id === ids[0]);
    expect(first).toEqual({
      type: 'Notification',
      id: ids[0],
      topic: 'orders',
      subscriptionId: sub.id,
      payload: { n: 0, text: 'ünïcødé ✓' },
      attributes: {},
      routingKey: '',
      publishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      attempt: 1,
    });
    const bin = got.find((n) => n.id === binId);
    expect(bin).toMatchObject({ payloadBase64: Buffer.from([0, 255, 1, 2]).toString('base64'), attributes: { kind: 'bin' }, routingKey: 'orders.eu' });
    expect(bin).not.toHaveProperty('payload');
    expect(await slice.stats(sub.id)).toMatchObject({ pending: 0, inFlight: 0, delivered: 41, failed: 0 });
  });

  it('delivery - failing endpoints (500, timeout, refused) are retried and dead-lettered at maxAttempts; a healthy one on the topic gets everything', async () => {
    await slice.stop();
    slice = await startSlice(500);
    await slice.topic('t');
    const healthy = await hook();
    const err500 = await hook(() => 500);
    const slow = await hook(() => 'hang');
    const refused = await deadEndpoint();
    const good = await slice.subscribe('t', healthy.url, healthy.secret);
    const bad = await slice.subscribe('t', err500.url, err500.secret, { maxAttempts: 3, backoff: tiny });
    const hung = await slice.subscribe('t', slow.url, slow.secret, { maxAttempts: 2, backoff: tiny });
    const gone = await slice.subscribe('t', refused, 'x', { maxAttempts: 3, backoff: tiny });
    const ids = await slice.publish('t', Array.from({ length: 10 }, (_, i) => ({ json: i })));

    await slice.until(good.id, (s) => s.delivered === 10, 'healthy subscriber got all 10');
    for (const [sub, attempts] of [[bad, 3], [hung, 2], [gone, 3]] as const) {
      await slice.until(sub.id, (s) => s.deadLettered === 10, `${sub.endpoint} dead-lettered all 10`, 20_000);
      const dead = await storeCall(slice.system, 'listDeadLetters', sub.id, 100);
      expect(dead.map((d) => d.message.id).sort()).toEqual([...ids].sort());
      expect(dead.every((d) => d.attempts === attempts)).toBe(true);
    }
    const lastErrors = async (id: string) => (await storeCall(slice.system, 'listDeadLetters', id, 1))[0].lastError;
    expect(await lastErrors(bad.id)).toBe('HTTP 500');
    expect(await lastErrors(hung.id)).toMatch(/timeout after 500 ms/);
    expect(await lastErrors(gone.id)).toMatch(/ECONNREFUSED/);

    // Every attempt counted reached the endpoint: held back by an open breaker is not an attempt.
    expect((await slice.stats(bad.id))!.failed).toBe(err500.received.length);
    expect(err500.received.length).toBe(30);
    // Each message was tried as attempt 1, 2, 3, in that order, with the attempt in the header.
    for (const id of ids) {
      const attempts = err500.received.filter((r) => r.body.id === id).map((r) => Number(r.headers['x-postbox-attempt']));
      expect(attempts).toEqual([1, 2, 3]);
    }
    // The healthy endpoint got every message as attempt 1. A repeat can only be a retry after
    // an attempt that outlived the 500 ms delivery timeout (at-least-once; it happens on a
    // machine loaded by parallel test files), never a second attempt 1.
    const got = healthy.notifications();
    expect([...new Set(got.map((n) => n.id))].sort()).toEqual([...ids].sort());
    expect(got.filter((n) => n.attempt === 1).map((n) => n.id).sort()).toEqual([...ids].sort());
    expect((await slice.stats(good.id))!.deadLettered).toBe(0);
  });

  it('delivery - an open breaker holds deliveries back without counting attempts, and probes close it again', async () => {
    let failing = true;
    const h = await hook(() => (failing ? 503 : 200));
    const d = await Slice.start({ store: { backend: 'memory' }, delivery: { breaker: { minCalls: 3, failureRatio: 0.5, openMs: 100, windowMs: 10_000 } } });
    try {
      await d.topic('b');
      const sub = await d.subscribe('b', h.url, h.secret, { maxAttempts: 1000, backoff: tiny });
      await d.publish('b', Array.from({ length: 20 }, (_, i) => ({ json: i })));
      await eventuallyAsync(async () => (await deliveryStats(d.system)).endpoints.some((e) => e.endpoint === h.url && e.state !== 'closed'), 'the breaker opened');
      failing = false;
      await d.until(sub.id, (s) => s.delivered === 20, 'all delivered after recovery');
      const s = (await d.stats(sub.id))!;
      expect(s.failed).toBe(h.received.filter((r) => r.body.type === 'Notification').length - 20);
      expect((await deliveryStats(d.system)).endpoints.find((e) => e.endpoint === h.url)?.state ?? 'closed').toBe('closed');
    } finally {
      await d.stop();
    }
  });

  it('confirmation - the endpoint gets a signed SubscriptionConfirmation; a non-2xx answer rejects', async () => {
    await slice.topic('c');
    const h = await hook();
    const sub = { id: 'sub-c', topic: 'c', protocol: 'http' as const, endpoint: h.url, filter: null, maxAttempts: 3, backoff: tiny, ackDeadlineMs: 1000, status: 'pending' as const, secret: h.secret, confirmToken: 'tok-1', createdAt: 0, activatedAt: null };
    await sendConfirmation(sub);
    expect(h.received).toHaveLength(1);
    expect(h.received[0].body).toEqual({ type: 'SubscriptionConfirmation', subscriptionId: 'sub-c', topic: 'c', token: 'tok-1' });
    expect(h.received[0].signatureOk).toBe(true);
    h.answer = () => 404;
    await expect(sendConfirmation(sub)).rejects.toBeInstanceOf(ConfirmationFailedError);
    await expect(sendConfirmation({ ...sub, endpoint: await deadEndpoint() })).rejects.toThrow(/ECONNREFUSED/);
  });
});

async function eventuallyAsync(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
