/**
 * Topics over HTTP: create (201 / 200 same / 409 other options), names, option bounds, list
 * pages with cursors, read with stats, delete (subscriptions go too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, startTestBroker, uniqueTopic, type TestBroker } from './support.js';

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.stop();
});

describe('http topics - create', () => {
  it('201 with defaults filled in, 200 for the same topic again, 409 topic_exists for other options', async () => {
    const name = uniqueTopic();
    const created = await t.admin.post('/v1/topics', { name });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name,
      options: { messageTtlMs: 7 * 86_400_000, maxAttempts: 10, dedupWindowMs: 300_000 },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const again = await t.admin.post('/v1/topics', { name, maxAttempts: 10 });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    expectError(await t.admin.post('/v1/topics', { name, maxAttempts: 3 }), 409, 'topic_exists', name);
  });

  it('omitted options are the defaults, so re-creating without them after custom ones is 409', async () => {
    const name = uniqueTopic();
    const options = { messageTtlMs: 60_000, maxAttempts: 3, dedupWindowMs: 1000 };
    const created = await t.admin.post('/v1/topics', { name, ...options });
    expect(created.body.options).toEqual(options);
    expectError(await t.admin.post('/v1/topics', { name }), 409, 'topic_exists');
    // A topic as read back can be sent again (options nested).
    expect((await t.admin.post('/v1/topics', { name, options })).status).toBe(200);
  });

  it('invalid topic names are 400 invalid_topic_name', async () => {
    for (const name of ['', 'a b', 'a/b', 'ä', 'x'.repeat(257), 'a*', 7, null]) {
      expectError(await t.admin.post('/v1/topics', { name }), 400, 'invalid_topic_name');
    }
    expect((await t.admin.post('/v1/topics', { name: `A-z_0.9-${'x'.repeat(240)}` })).status).toBe(201);
    expectError(await t.admin.get('/v1/topics/a%20b'), 400, 'invalid_topic_name');
    expectError(await t.admin.get(`/v1/topics/${'y'.repeat(257)}`), 400, 'invalid_topic_name');
    expectError(await t.admin.post('/v1/topics/a%2Fb/messages', { payload: 1 }), 400, 'invalid_topic_name');
  });

  it('options out of bounds are 400 invalid_request naming the option', async () => {
    const name = uniqueTopic();
    expectError(await t.admin.post('/v1/topics', { name, messageTtlMs: 0 }), 400, 'invalid_request', 'messageTtlMs');
    expectError(await t.admin.post('/v1/topics', { name, maxAttempts: 0 }), 400, 'invalid_request', 'maxAttempts');
    expectError(await t.admin.post('/v1/topics', { name, maxAttempts: 2.5 }), 400, 'invalid_request', 'maxAttempts');
    expectError(await t.admin.post('/v1/topics', { name, dedupWindowMs: -1 }), 400, 'invalid_request', 'dedupWindowMs');
    expectError(await t.admin.post('/v1/topics', { name, options: { maxAttempts: 0 } }), 400, 'invalid_request', 'options.maxAttempts');
    expectError(await t.admin.post('/v1/topics', { name, options: { nope: 1 } }), 400, 'invalid_request', 'options.nope');
    expectError(await t.admin.post('/v1/topics', { name, maxAttempts: 2, options: {} }), 400, 'invalid_request', 'maxAttempts');
  });
});

describe('http topics - list, read, delete', () => {
  it('lists in pages with nextCursor, null on the last page', async () => {
    const prefix = uniqueTopic('page');
    const names = [0, 1, 2, 3, 4].map((i) => `${prefix}.${i}`);
    for (const name of names) await t.admin.post('/v1/topics', { name });
    const seen: string[] = [];
    let cursor: string | null = `${prefix}.`; // start just before this test's topics
    for (let pages = 0; cursor !== null && pages < 100; pages++) {
      const res: { status: number; body: { topics: Array<{ name: string }>; nextCursor: string | null } } = await t.admin.get(`/v1/topics?limit=2&cursor=${encodeURIComponent(cursor)}`);
      expect(res.status).toBe(200);
      expect(res.body.topics.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.topics.map((x) => x.name));
      cursor = res.body.nextCursor;
    }
    expect(seen.filter((n) => n.startsWith(prefix))).toEqual(names);
    const last = await t.admin.get(`/v1/topics?limit=1000&cursor=${encodeURIComponent(names[4])}`);
    expect(last.body.nextCursor).toBeNull();
    expect(last.body.topics[0]).toEqual({ name: expect.any(String), options: expect.any(Object), createdAt: expect.any(String) });
  });

  it('bad list parameters are 400 invalid_request naming them', async () => {
    expectError(await t.admin.get('/v1/topics?limit=0'), 400, 'invalid_request', 'limit');
    expectError(await t.admin.get('/v1/topics?limit=1001'), 400, 'invalid_request', 'limit');
    expectError(await t.admin.get('/v1/topics?limit=ten'), 400, 'invalid_request', 'limit');
    expectError(await t.admin.get(`/v1/topics?cursor=${'c'.repeat(300)}`), 400, 'invalid_request', 'cursor');
  });

  it('GET /v1/topics/:topic has the options and stats; unknown is 404 topic_not_found', async () => {
    const name = uniqueTopic();
    await t.admin.post('/v1/topics', { name });
    await t.admin.post(`/v1/topics/${name}/subscriptions`, { protocol: 'pull' });
    await t.admin.post(`/v1/topics/${name}/messages`, { payload: 'x' });
    const res = await t.admin.get(`/v1/topics/${name}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name,
      options: { messageTtlMs: expect.any(Number), maxAttempts: 10, dedupWindowMs: 300_000 },
      createdAt: expect.any(String),
      stats: { published: 1, pending: 1, delivered: 0, failed: 0, deadLettered: 0, expired: 0, subscriptions: 1 },
    });
    expectError(await t.admin.get(`/v1/topics/${uniqueTopic('missing')}`), 404, 'topic_not_found');
  });

  it('DELETE is 204 and takes the subscriptions along; then 404', async () => {
    const name = uniqueTopic();
    await t.admin.post('/v1/topics', { name });
    const sub = await t.admin.post(`/v1/topics/${name}/subscriptions`, { protocol: 'pull' });
    await t.admin.post(`/v1/topics/${name}/messages`, { payload: 'x' }); // the topic is now in the frontend's cache
    expect((await t.admin.delete(`/v1/topics/${name}`)).status).toBe(204);
    expectError(await t.admin.get(`/v1/topics/${name}`), 404, 'topic_not_found');
    expectError(await t.admin.post(`/v1/topics/${name}/messages`, { payload: 'x' }), 404, 'topic_not_found');
    expectError(await t.admin.get(`/v1/subscriptions/${sub.body.id}`), 404, 'subscription_not_found');
    expectError(await t.admin.delete(`/v1/topics/${name}`), 404, 'topic_not_found');
    // Created again, it is a new, empty topic.
    expect((await t.admin.post('/v1/topics', { name, maxAttempts: 2 })).status).toBe(201);
    expect((await t.admin.get(`/v1/topics/${name}`)).body.options.maxAttempts).toBe(2);
  });
});
