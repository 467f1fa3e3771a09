/**
 * Subscriptions over HTTP, end to end through the broker's actors: create (pull active at once,
 * http/https pending with a confirmation token), read with stats (never the secret), confirm,
 * delete; pull with long-poll bounds, ack / nack outcomes, dead letters and redrive.
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

async function topic(options: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueTopic();
  expect((await t.admin.post('/v1/topics', { name, ...options })).status).toBe(201);
  return name;
}

async function pullSub(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await t.admin.post(`/v1/topics/${name}/subscriptions`, { protocol: 'pull', ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

describe('http subscriptions - create and read', () => {
  it('pull: 201 active with a secret; GET has stats and no secret', async () => {
    const name = await topic({ maxAttempts: 4 });
    const res = await t.admin.post(`/v1/topics/${name}/subscriptions`, { protocol: 'pull', filter: 'orders.#', ackDeadlineMs: 5000 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      topic: name,
      protocol: 'pull',
      endpoint: null,
      filter: 'orders.#',
      maxAttempts: 4, // the topic's
      backoff: { initialMs: 1000, maxMs: 60_000, multiplier: 2 },
      ackDeadlineMs: 5000,
      status: 'active',
      createdAt: expect.any(String),
      activatedAt: expect.any(String),
      secret: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const read = await t.admin.get(`/v1/subscriptions/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(read.body).not.toHaveProperty('confirmToken');
    const { secret: _secret, ...shown } = res.body;
    expect(read.body).toEqual({ ...shown, stats: { pending: 0, inFlight: 0, delivered: 0, failed: 0, deadLettered: 0, expired: 0 } });
  });

  it('http/https: 201 pending; confirm with the wrong token is 400, with the right one active', async () => {
    const name = await topic();
    const res = await t.admin.post(`/v1/topics/${name}/subscriptions`, {
      protocol: 'https',
      endpoint: 'https://hooks.example.com/postbox?x=1',
      maxAttempts: 3,
      backoff: { initialMs: 200, maxMs: 5000, multiplier: 3 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ protocol: 'https', endpoint: 'https://hooks.example.com/postbox?x=1', status: 'pending', activatedAt: null, maxAttempts: 3 });
    expect(res.body.backoff).toEqual({ initialMs: 200, maxMs: 5000, multiplier: 3 });
    const id = res.body.id;
    expectError(await t.admin.post(`/v1/subscriptions/${id}/confirm`, { token: 'wrong' }), 400, 'invalid_token');
    expectError(await t.admin.post(`/v1/subscriptions/${id}/confirm`, {}), 400, 'invalid_request', 'token');
    // The token goes to the endpoint; the test reads it where the broker keeps it.
    const token = (await t.broker.service.getSubscription(id))!.confirmToken!;
    const confirmed = await t.admin.post(`/v1/subscriptions/${id}/confirm`, { token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ id, status: 'active', activatedAt: expect.any(String) });
    expect((await t.admin.get(`/v1/subscriptions/${id}`)).body.status).toBe('active');
    expectError(await t.admin.post(`/v1/subscriptions/${crypto.randomUUID()}/confirm`, { token }), 404, 'subscription_not_found');
  });

  it('endpoints: http(s) subscriptions need an URL of their scheme; pull and websocket take none', async () => {
    const name = await topic();
    const path = `/v1/topics/${name}/subscriptions`;
    expectError(await t.admin.post(path, { protocol: 'http' }), 400, 'invalid_request', 'endpoint');
    expectError(await t.admin.post(path, { protocol: 'http', endpoint: 'ftp://example.com/x' }), 400, 'invalid_request', 'endpoint');
    expectError(await t.admin.post(path, { protocol: 'http', endpoint: 'not a url' }), 400, 'invalid_request', 'endpoint');
    expectError(await t.admin.post(path, { protocol: 'https', endpoint: 'http://example.com/x' }), 400, 'invalid_request', 'endpoint');
    expectError(await t.admin.post(path, { protocol: 'http', endpoint: 'javascript:alert(1)' }), 400, 'invalid_request', 'endpoint');
    expectError(await t.admin.post(path, { protocol: 'pull', endpoint: 'http://example.com' }), 400, 'invalid_request', 'endpoint');
    expect((await t.admin.post(path, { protocol: 'http', endpoint: 'http://127.0.0.1:9/hook' })).body.status).toBe('pending');
    expect((await t.admin.post(path, { protocol: 'websocket' })).body).toMatchObject({ status: 'active', endpoint: null });
  });

  it('bad fields are 400 invalid_request naming them (filter, backoff, bounds)', async () => {
    const name = await topic();
    const path = `/v1/topics/${name}/subscriptions`;
    expectError(await t.admin.post(path, {}), 400, 'invalid_request', 'protocol');
    expectError(await t.admin.post(path, { protocol: 'smtp' }), 400, 'invalid_request', 'protocol');
    expectError(await t.admin.post(path, { protocol: 'pull', filter: 'a..b' }), 400, 'invalid_request', 'filter');
    expectError(await t.admin.post(path, { protocol: 'pull', filter: 'a*' }), 400, 'invalid_request', 'filter');
    expectError(await t.admin.post(path, { protocol: 'pull', filter: 3 }), 400, 'invalid_request', 'filter');
    expectError(await t.admin.post(path, { protocol: 'pull', backoff: { initialMs: 0 } }), 400, 'invalid_request', 'backoff.initialMs');
    expectError(await t.admin.post(path, { protocol: 'pull', backoff: { jitter: 1 } }), 400, 'invalid_request', 'backoff.jitter');
    expectError(await t.admin.post(path, { protocol: 'pull', backoff: 'fast' }), 400, 'invalid_request', 'backoff');
    expectError(await t.admin.post(path, { protocol: 'pull', maxAttempts: 0 }), 400, 'invalid_request', 'maxAttempts');
    expectError(await t.admin.post(path, { protocol: 'pull', ackDeadlineMs: 0 }), 400, 'invalid_request', 'ackDeadlineMs');
    expectError(await t.admin.post(`/v1/topics/${uniqueTopic('none')}/subscriptions`, { protocol: 'pull' }), 404, 'topic_not_found');
  });

  it('unknown ids are 404 subscription_not_found on every subscription route; DELETE is 204 once', async () => {
    const id = await pullSub(await topic());
    expect((await t.admin.delete(`/v1/subscriptions/${id}`)).status).toBe(204);
    for (const bad of [id, 'nope', 'x'.repeat(300)]) {
      expectError(await t.admin.get(`/v1/subscriptions/${bad}`), 404, 'subscription_not_found');
      expectError(await t.admin.delete(`/v1/subscriptions/${bad}`), 404, 'subscription_not_found');
      expectError(await t.admin.post(`/v1/subscriptions/${bad}/pull`, {}), 404, 'subscription_not_found');
      expectError(await t.admin.post(`/v1/subscriptions/${bad}/ack`, { ackIds: ['1:x'] }), 404, 'subscription_not_found');
      expectError(await t.admin.post(`/v1/subscriptions/${bad}/nack`, { ackIds: ['1:x'] }), 404, 'subscription_not_found');
      expectError(await t.admin.get(`/v1/subscriptions/${bad}/dead-letters`), 404, 'subscription_not_found');
      expectError(await t.admin.post(`/v1/subscriptions/${bad}/dead-letters/redrive`), 404, 'subscription_not_found');
    }
  });
});

describe('http pull - pull, ack, nack', () => {
  it('a subscription receives what is published after its 201, and acks count once', async () => {
    const name = await topic();
    await t.admin.post(`/v1/topics/${name}/messages`, { payload: 'before' });
    const id = await pullSub(name);
    for (let i = 0; i < 3; i++) await t.admin.post(`/v1/topics/${name}/messages`, { payload: i });
    const pulled = await t.admin.post(`/v1/subscriptions/${id}/pull`, { max: 2 });
    expect(pulled.body.messages).toHaveLength(2);
    const rest = await t.admin.post(`/v1/subscriptions/${id}/pull`, { max: 10, waitMs: 0 });
    expect(rest.body.messages).toHaveLength(1);
    const all = [...pulled.body.messages, ...rest.body.messages];
    expect(all.map((m: { payload: number }) => m.payload).sort()).toEqual([0, 1, 2]);
    const ackIds = all.map((m: { ackId: string }) => m.ackId);
    expect((await t.admin.post(`/v1/subscriptions/${id}/ack`, { ackIds })).body).toEqual({ acked: 3 });
    // Acked again: stale, not an error, not counted.
    expect((await t.admin.post(`/v1/subscriptions/${id}/ack`, { ackIds })).body).toEqual({ acked: 0 });
    expect((await t.admin.get(`/v1/subscriptions/${id}`)).body.stats).toMatchObject({ pending: 0, inFlight: 0, delivered: 3 });
  });

  it('a long poll answers when a message arrives', async () => {
    const name = await topic();
    const id = await pullSub(name);
    const poll = t.admin.post(`/v1/subscriptions/${id}/pull`, { waitMs: 20_000 });
    // Whether the poll is parked before or after this publish, it answers with the message.
    const published = await t.admin.post(`/v1/topics/${name}/messages`, { payload: 'late' });
    const res = await poll;
    expect(res.status).toBe(200);
    expect(res.body.messages.map((m: { id: string }) => m.id)).toEqual([published.body.id]);
  });

  it('unknown or malformed ackIds are 400 invalid_ack_id', async () => {
    const name = await topic();
    const id = await pullSub(name);
    await t.admin.post(`/v1/topics/${name}/messages`, { payload: 1 });
    const [message] = (await t.admin.post(`/v1/subscriptions/${id}/pull`, {})).body.messages;
    expectError(await t.admin.post(`/v1/subscriptions/${id}/ack`, { ackIds: ['garbage'] }), 400, 'invalid_ack_id', 'garbage');
    expectError(await t.admin.post(`/v1/subscriptions/${id}/ack`, { ackIds: [7] }), 400, 'invalid_ack_id', 'ackIds[0]');
    expectError(await t.admin.post(`/v1/subscriptions/${id}/ack`, { ackIds: [''] }), 400, 'invalid_ack_id');
    expectError(await t.admin.post(`/v1/subscriptions/${id}/nack`, { ackIds: ['9:nope'] }), 400, 'invalid_ack_id');
    expectError(await t.admin.post(`/v1/subscriptions/${id}/ack`, { ackIds: 'x' }), 400, 'invalid_request', 'ackIds');
    // Another subscription's ackId is unknown here.
    const other = await pullSub(name);
    expectError(await t.admin.post(`/v1/subscriptions/${other}/ack`, { ackIds: [message.ackId] }), 400, 'invalid_ack_id');
    expect((await t.admin.post(`/v1/subscriptions/${id}/ack`, { ackIds: [message.ackId] })).body).toEqual({ acked: 1 });
  });

  it('a subscription deleted with its topic (the frontend cache not told) is 404 on pull, ack and nack, not served from the cache', async () => {
    const name = await topic();
    const id = await pullSub(name);
    await t.admin.post(`/v1/topics/${name}/messages`, { payload: 1 });
    const [message] = (await t.admin.post(`/v1/subscriptions/${id}/pull`, {})).body.messages; // now cached
    expect((await t.admin.delete(`/v1/topics/${name}`)).status).toBe(204);
    expectError(await t.admin.post(`/v1/subscriptions/${id}/ack`, { ackIds: [message.ackId] }), 404, 'subscription_not_found');
    expectError(await t.admin.post(`/v1/subscriptions/${id}/nack`, { ackIds: [message.ackId] }), 404, 'subscription_not_found');
    expectError(await t.admin.post(`/v1/subscriptions/${id}/pull`, { waitMs: 0 }), 404, 'subscription_not_found');
  });

  it('pull and ack of a subscription deleted and still cached in a second frontend are 404', async () => {
    const name = await topic();
    const id = await pullSub(name);
    const second = await t.extraApp({});
    await second.client.post(`/v1/topics/${name}/messages`, { payload: 2 });
    const [message] = (await second.client.post(`/v1/subscriptions/${id}/pull`, {})).body.messages; // cached there
    expect((await t.admin.delete(`/v1/subscriptions/${id}`)).status).toBe(204); // through the first
    expectError(await second.client.post(`/v1/subscriptions/${id}/ack`, { ackIds: [message.ackId] }), 404, 'subscription_not_found');
    expectError(await second.client.post(`/v1/subscriptions/${id}/pull`, { waitMs: 0 }), 404, 'subscription_not_found');
  });

  it('nack redelivers at once with the next attempt and redelivered: true', async () => {
    const name = await topic();
    const id = await pullSub(name);
    await t.admin.post(`/v1/topics/${name}/messages`, { payloadBase64: 'AAE=' });
    const [first] = (await t.admin.post(`/v1/subscriptions/${id}/pull`, {})).body.messages;
    expect(first).toMatchObject({ attempt: 1, redelivered: false, payloadBase64: 'AAE=' });
    const nacked = await t.admin.post(`/v1/subscriptions/${id}/nack`, { ackIds: [first.ackId] });
    expect(nacked.status).toBe(200);
    expect(nacked.body).toEqual({ nacked: 1 });
    const [second] = (await t.admin.post(`/v1/subscriptions/${id}/pull`, { waitMs: 5000 })).body.messages;
    expect(second).toMatchObject({ id: first.id, attempt: 2, redelivered: true, payloadBase64: 'AAE=' });
    expect(second.ackId).not.toBe(first.ackId);
  });

  it('pull bounds: max 1..100, waitMs 0..30000; only pull subscriptions are pulled', async () => {
    const name = await topic();
    const id = await pullSub(name);
    for (const body of [{ max: 0 }, { max: 101 }, { max: 'ten' }, { waitMs: -1 }, { waitMs: 30_001 }, { wait: 5 }]) {
      expectError(await t.admin.post(`/v1/subscriptions/${id}/pull`, body), 400, 'invalid_request', Object.keys(body)[0]);
    }
    const hook = await t.admin.post(`/v1/topics/${name}/subscriptions`, { protocol: 'http', endpoint: 'http://127.0.0.1:9/x' });
    expectError(await t.admin.post(`/v1/subscriptions/${hook.body.id}/pull`, {}), 400, 'invalid_request', 'protocol');
    expectError(await t.admin.post(`/v1/subscriptions/${hook.body.id}/ack`, { ackIds: ['1:x'] }), 400, 'invalid_request', 'protocol');
  });
});

describe('http dead letters - list and redrive', () => {
  it('a message nacked at maxAttempts is a dead letter; redrive makes it pullable again', async () => {
    const name = await topic();
    const id = await pullSub(name, { maxAttempts: 1 });
    const published = await t.admin.post(`/v1/topics/${name}/messages`, { payload: { n: 1 }, attributes: { a: 'b' }, routingKey: 'k' });
    const [message] = (await t.admin.post(`/v1/subscriptions/${id}/pull`, {})).body.messages;
    expect((await t.admin.post(`/v1/subscriptions/${id}/nack`, { ackIds: [message.ackId] })).status).toBe(200);

    const dead = await t.admin.get(`/v1/subscriptions/${id}/dead-letters?limit=10`);
    expect(dead.status).toBe(200);
    expect(dead.body).toEqual({
      messages: [
        {
          id: published.body.id,
          payload: { n: 1 },
          attributes: { a: 'b' },
          routingKey: 'k',
          publishedAt: expect.any(String),
          attempts: 1,
          lastError: expect.any(String),
          deadAt: expect.any(String),
        },
      ],
    });
    expect((await t.admin.get(`/v1/subscriptions/${id}`)).body.stats.deadLettered).toBe(1);
    expectError(await t.admin.get(`/v1/subscriptions/${id}/dead-letters?limit=0`), 400, 'invalid_request', 'limit');

    expect((await t.admin.post(`/v1/subscriptions/${id}/dead-letters/redrive`, {})).body).toEqual({ redriven: 1 });
    expect((await t.admin.get(`/v1/subscriptions/${id}/dead-letters`)).body).toEqual({ messages: [] });
    const [again] = (await t.admin.post(`/v1/subscriptions/${id}/pull`, { waitMs: 5000 })).body.messages;
    expect(again).toMatchObject({ id: published.body.id, payload: { n: 1 } });
  });
});
