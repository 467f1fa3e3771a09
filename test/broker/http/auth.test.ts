/**
 * Keys, roles and topic patterns (SPEC §3 "Who may do what"), and throttling: 401 without a
 * known key, 403 for a key without the role or outside its patterns, 429 with Retry-After over
 * a key's rate (an injected clock steps time; nothing sleeps).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../broker/http/auth.js';
import { hashKey } from '../../../broker/http/auth.js';
import { RateLimiter } from '../../../broker/http/rate-limit.js';
import { ADMIN_KEY, expectError, startTestBroker, uniqueTopic, type TestBroker } from './support.js';

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.stop();
});

describe('http keys - create and delete (admin)', () => {
  it('POST /v1/keys is 201 with the key shown once; the store keeps only its hash', async () => {
    const res = await t.admin.post('/v1/keys', { name: 'orders-writer', role: 'publisher', topics: ['orders.#'], ratePerSec: 50 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'orders-writer', role: 'publisher', topics: ['orders.#'], ratePerSec: 50 });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.key).toMatch(/^pbk_[A-Za-z0-9_-]{43}$/);
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
    const stored = await t.broker.service.findKeyByHash(hashKey(res.body.key));
    expect(stored).toMatchObject({ id: res.body.id, role: 'publisher' });
    expect(JSON.stringify(stored)).not.toContain(res.body.key);
  });

  it('bad key bodies are 400 invalid_request naming the field', async () => {
    expectError(await t.admin.post('/v1/keys', { role: 'publisher' }), 400, 'invalid_request', 'name');
    expectError(await t.admin.post('/v1/keys', { name: 'k', role: 'root' }), 400, 'invalid_request', 'role');
    expectError(await t.admin.post('/v1/keys', { name: 'k', role: 'publisher', topics: 'orders' }), 400, 'invalid_request', 'topics');
    expectError(await t.admin.post('/v1/keys', { name: 'k', role: 'publisher', topics: ['orders..eu'] }), 400, 'invalid_request', 'topics[0]');
    expectError(await t.admin.post('/v1/keys', { name: 'k', role: 'admin', topics: ['a'] }), 400, 'invalid_request', 'topics');
    expectError(await t.admin.post('/v1/keys', { name: 'k', role: 'publisher', ratePerSec: 0 }), 400, 'invalid_request', 'ratePerSec');
    expectError(await t.admin.post('/v1/keys', { name: 'k', role: 'publisher', ratePerSec: '5' }), 400, 'invalid_request', 'ratePerSec');
  });

  it('DELETE /v1/keys/:id is 204, then the key is refused at once; unknown ids are 404', async () => {
    const client = await t.client({ role: 'subscriber' });
    expect((await client.get('/v1/topics')).status).toBe(200); // now cached by the frontend
    expect((await t.admin.delete(`/v1/keys/${client.keyId}`)).status).toBe(204);
    expectError(await client.get('/v1/topics'), 401, 'unauthorized');
    expectError(await t.admin.delete(`/v1/keys/${client.keyId}`), 404, 'key_not_found');
    expectError(await t.admin.delete(`/v1/keys/${'x'.repeat(300)}`), 404, 'key_not_found');
  });
});

describe('http auth - 401 without a known key', () => {
  it('no Authorization, another scheme, an empty or unknown key: 401 with WWW-Authenticate', async () => {
    const path = '/v1/topics';
    const none = await t.admin.get(path, { key: null });
    expectError(none, 401, 'unauthorized');
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expectError(await t.admin.get(path, { key: null, headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }), 401, 'unauthorized');
    expectError(await t.admin.get(path, { key: null, headers: { authorization: 'Bearer ' } }), 401, 'unauthorized');
    expectError(await t.admin.get(path, { key: 'pbk_not-a-real-key' }), 401, 'unauthorized');
    expectError(await t.admin.get(path, { key: `${ADMIN_KEY}x` }), 401, 'unauthorized');
    expectError(await t.admin.get(path, { key: 'k'.repeat(5000) }), 401, 'unauthorized');
  });

  it('the scheme is case-insensitive', async () => {
    expect((await t.admin.get('/v1/topics', { key: null, headers: { authorization: `bearer ${ADMIN_KEY}` } })).status).toBe(200);
  });

  it('401 comes before the body is looked at', async () => {
    expectError(await t.admin.post('/v1/topics', undefined, { key: null, raw: '{bad' }), 401, 'unauthorized');
    expectError(await t.admin.post('/v1/topics', undefined, { key: null, raw: 'x', contentType: 'text/plain' }), 401, 'unauthorized');
  });
});

describe('http roles - who may do what', () => {
  it('publishers publish and read topics; subscribers subscribe and read; only admins manage keys and topics', async () => {
    const topic = uniqueTopic();
    expect((await t.admin.post('/v1/topics', { name: topic })).status).toBe(201);
    const publisher = await t.client({ role: 'publisher' });
    const subscriber = await t.client({ role: 'subscriber' });
    const otherAdmin = await t.client({ role: 'admin' });

    // Keys and topics: admin only (a created admin key too).
    for (const client of [publisher, subscriber]) {
      expectError(await client.post('/v1/keys', { name: 'x', role: 'admin' }), 403, 'forbidden');
      expectError(await client.delete('/v1/keys/whatever'), 403, 'forbidden');
      expectError(await client.post('/v1/topics', { name: uniqueTopic() }), 403, 'forbidden');
      expectError(await client.delete(`/v1/topics/${topic}`), 403, 'forbidden');
      expect((await client.get('/v1/topics')).status).toBe(200);
      expect((await client.get(`/v1/topics/${topic}`)).status).toBe(200);
    }
    expect((await otherAdmin.post('/v1/keys', { name: 'by-admin-key', role: 'subscriber' })).status).toBe(201);

    // Publishing: publishers (and admins), not subscribers.
    expect((await publisher.post(`/v1/topics/${topic}/messages`, { payload: 1 })).status).toBe(202);
    expect((await publisher.post(`/v1/topics/${topic}/batch`, { messages: [{ payload: 1 }] })).status).toBe(202);
    expect((await otherAdmin.post(`/v1/topics/${topic}/messages`, { payload: 1 })).status).toBe(202);
    expectError(await subscriber.post(`/v1/topics/${topic}/messages`, { payload: 1 }), 403, 'forbidden');
    expectError(await subscriber.post(`/v1/topics/${topic}/batch`, { messages: [] }), 403, 'forbidden');

    // Subscriptions: subscribers (and admins), not publishers.
    const sub = await subscriber.post(`/v1/topics/${topic}/subscriptions`, { protocol: 'pull' });
    expect(sub.status).toBe(201);
    expectError(await publisher.post(`/v1/topics/${topic}/subscriptions`, { protocol: 'pull' }), 403, 'forbidden');
    const id = sub.body.id;
    for (const [method, path, body] of [
      ['GET', `/v1/subscriptions/${id}`],
      ['POST', `/v1/subscriptions/${id}/pull`, {}],
      ['POST', `/v1/subscriptions/${id}/ack`, { ackIds: [] }],
      ['POST', `/v1/subscriptions/${id}/nack`, { ackIds: [] }],
      ['POST', `/v1/subscriptions/${id}/confirm`, { token: 'x' }],
      ['GET', `/v1/subscriptions/${id}/dead-letters`],
      ['POST', `/v1/subscriptions/${id}/dead-letters/redrive`],
      ['DELETE', `/v1/subscriptions/${id}`],
    ] as const) {
      expectError(await publisher.send(method, path, { json: body }), 403, 'forbidden');
      expect((await subscriber.send(method, path, { json: body })).status, `${method} ${path}`).toBeLessThan(403);
    }
  });
});

describe('http topic patterns - a key reaches only the topics its patterns match', () => {
  it('publisher with orders.# publishes to orders and orders.eu, not billing', async () => {
    const suffix = uniqueTopic('p');
    const names = { root: `orders`, eu: `orders.eu.${suffix}`, other: `billing.${suffix}` };
    for (const name of Object.values(names)) expect((await t.admin.post('/v1/topics', { name })).status).toBeLessThan(300);
    const publisher = await t.client({ role: 'publisher', topics: ['orders.#'] });
    expect((await publisher.post(`/v1/topics/${names.root}/messages`, { payload: 'a' })).status).toBe(202);
    expect((await publisher.post(`/v1/topics/${names.eu}/messages`, { payload: 'a' })).status).toBe(202);
    expectError(await publisher.post(`/v1/topics/${names.other}/messages`, { payload: 'a' }), 403, 'forbidden', names.other);
    expectError(await publisher.get(`/v1/topics/${names.other}`), 403, 'forbidden');
    // 403 does not depend on existence: nothing is told about topics outside the patterns.
    expectError(await publisher.post(`/v1/topics/billing.nope/messages`, { payload: 'a' }), 403, 'forbidden');
    const listed = (await publisher.get('/v1/topics?limit=1000')).body.topics.map((x: { name: string }) => x.name);
    expect(listed).toContain(names.eu);
    expect(listed).not.toContain(names.other);
  });

  it('subscriber with *.alerts may subscribe to eu.alerts and use that subscription; not one on another topic', async () => {
    const allowed = `${uniqueTopic('s')}.alerts`;
    const denied = `${uniqueTopic('s')}.metrics`;
    for (const name of [allowed, denied]) expect((await t.admin.post('/v1/topics', { name })).status).toBe(201);
    const subscriber = await t.client({ role: 'subscriber', topics: ['*.alerts'] });
    const sub = await subscriber.post(`/v1/topics/${allowed}/subscriptions`, { protocol: 'pull' });
    expect(sub.status).toBe(201);
    expectError(await subscriber.post(`/v1/topics/${denied}/subscriptions`, { protocol: 'pull' }), 403, 'forbidden');
    // The admin's subscription on the denied topic is out of reach by id.
    const foreign = await t.admin.post(`/v1/topics/${denied}/subscriptions`, { protocol: 'pull' });
    expectError(await subscriber.get(`/v1/subscriptions/${foreign.body.id}`), 403, 'forbidden');
    expectError(await subscriber.post(`/v1/subscriptions/${foreign.body.id}/pull`, {}), 403, 'forbidden');
    expect((await subscriber.get(`/v1/subscriptions/${sub.body.id}`)).status).toBe(200);
  });
});

describe('http rate limits - 429 with Retry-After over a key rate', () => {
  it('a key with ratePerSec 2 gets 2 requests, then 429 until the clock moves on', async () => {
    let clock = 1_000_000;
    const app = await t.extraApp({ now: () => clock });
    const created = await app.client.post('/v1/keys', { name: 'slow', role: 'subscriber', ratePerSec: 2 });
    const slow = app.client.as(created.body.key);
    expect((await slow.get('/v1/topics')).status).toBe(200);
    expect((await slow.get('/v1/topics')).status).toBe(200);
    const limited = await slow.get('/v1/topics');
    expectError(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBe('1');
    clock += 499; // not yet one token (2/s → one per 500 ms)
    expectError(await slow.get('/v1/topics'), 429, 'rate_limited');
    clock += 1;
    expect((await slow.get('/v1/topics')).status).toBe(200);
    // The bootstrap admin key is never throttled.
    for (let i = 0; i < 5; i++) expect((await app.client.get('/v1/topics')).status).toBe(200);
    await slow.close();
  });

  it('keys without their own rate get the default rate; a slow rate gives a longer Retry-After', async () => {
    let clock = 5_000_000;
    const app = await t.extraApp({ now: () => clock, defaultRatePerSec: 1 });
    const plain = app.client.as((await app.client.post('/v1/keys', { name: 'plain', role: 'publisher' })).body.key);
    const slow = app.client.as((await app.client.post('/v1/keys', { name: 'slow', role: 'publisher', ratePerSec: 0.1 })).body.key);
    expect((await plain.get('/v1/topics')).status).toBe(200);
    expectError(await plain.get('/v1/topics'), 429, 'rate_limited');
    expect((await slow.get('/v1/topics')).status).toBe(200);
    const limited = await slow.get('/v1/topics');
    expectError(limited, 429, 'rate_limited');
    expect(limited.headers['retry-after']).toBe('10');
    clock += 1000;
    expect((await plain.get('/v1/topics')).status).toBe(200);
    await Promise.all([plain.close(), slow.close()]);
  });
});

describe('rate limiter - token bucket', () => {
  const key = (ratePerSec: number | null, id = 'k'): Principal => ({ kind: 'key', id, name: id, role: 'publisher', topics: null, ratePerSec });

  it('bursts up to one second of its rate, then refills at the rate', () => {
    let now = 0;
    const limiter = new RateLimiter(null, () => now);
    const k = key(10);
    for (let i = 0; i < 10; i++) expect(limiter.take(k)).toBe(0);
    expect(limiter.take(k)).toBe(1);
    now += 100;
    expect(limiter.take(k)).toBe(0);
    expect(limiter.take(k)).toBe(1);
    now += 10_000; // a long pause refills to the burst, not beyond
    for (let i = 0; i < 10; i++) expect(limiter.take(k)).toBe(0);
    expect(limiter.take(k)).toBe(1);
  });

  it('null rate and no default: unlimited; a clock stepping back neither refills nor breaks', () => {
    let now = 10_000;
    const limiter = new RateLimiter(null, () => now);
    for (let i = 0; i < 1000; i++) expect(limiter.take(key(null))).toBe(0);
    const k = key(1, 'back');
    expect(limiter.take(k)).toBe(0);
    now -= 5_000;
    expect(limiter.take(k)).toBe(1);
  });

  it('forget restarts a key with a full bucket', () => {
    const limiter = new RateLimiter(1, () => 0);
    const k = key(null, 'gone');
    expect(limiter.take(k)).toBe(0);
    expect(limiter.take(k)).toBe(1);
    limiter.forget('gone');
    expect(limiter.take(k)).toBe(0);
  });
});
