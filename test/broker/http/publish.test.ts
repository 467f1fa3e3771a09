/**
 * Publishing over HTTP: JSON and base64 payloads (delivered back in the encoding they came in),
 * attributes, routing keys, idempotency (202 / 200 duplicate / 409), the payload limit on the
 * payload's bytes (413), and batches with bad entries answered in place.
 * The broker runs with a 1 KiB payload limit so the limit's edges are cheap to reach.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, startTestBroker, uniqueTopic, type TestBroker } from './support.js';

const LIMIT = 1024;
let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker({ maxPayloadBytes: LIMIT });
});
afterAll(async () => {
  await t?.stop();
});

/** A topic with one pull subscription, to read back what was published. */
async function topicWithPull(filter?: string): Promise<{ topic: string; subId: string }> {
  const topic = uniqueTopic();
  expect((await t.admin.post('/v1/topics', { name: topic })).status).toBe(201);
  const sub = await t.admin.post(`/v1/topics/${topic}/subscriptions`, { protocol: 'pull', ...(filter ? { filter } : {}) });
  expect(sub.status).toBe(201);
  return { topic, subId: sub.body.id };
}

async function pullAll(subId: string): Promise<any[]> {
  const res = await t.admin.post(`/v1/subscriptions/${subId}/pull`, { max: 100 });
  expect(res.status).toBe(200);
  return res.body.messages;
}

describe('http publish - one message', () => {
  it('202 {id, duplicate:false}; the message comes back as published', async () => {
    const { topic, subId } = await topicWithPull();
    const res = await t.admin.post(`/v1/topics/${topic}/messages`, {
      payload: { order: 7, items: ['a', 'b'], note: 'é✓' },
      attributes: { region: 'eu', source: 'test' },
      routingKey: 'orders.created',
      ttlMs: 60_000,
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), duplicate: false });
    const [message] = await pullAll(subId);
    expect(message).toEqual({
      ackId: expect.any(String),
      id: res.body.id,
      payload: { order: 7, items: ['a', 'b'], note: 'é✓' },
      attributes: { region: 'eu', source: 'test' },
      routingKey: 'orders.created',
      publishedAt: expect.stringMatching(/Z$/),
      attempt: 1,
      redelivered: false,
    });
  });

  it('payloadBase64 is stored as its bytes and answered as base64; any JSON value is a payload', async () => {
    const { topic, subId } = await topicWithPull();
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const b64 = await t.admin.post(`/v1/topics/${topic}/messages`, { payloadBase64: bytes.toString('base64') });
    expect(b64.status).toBe(202);
    for (const payload of [null, 0, 'text', [1, [2]], false]) {
      expect((await t.admin.post(`/v1/topics/${topic}/messages`, { payload })).status).toBe(202);
    }
    const messages = await pullAll(subId);
    const binary = messages.find((m) => m.id === b64.body.id);
    expect(binary.payloadBase64).toBe(bytes.toString('base64'));
    expect(binary).not.toHaveProperty('payload');
    expect(binary.attributes).toEqual({});
    expect(binary.routingKey).toBe('');
    const jsonPayloads = messages.filter((m) => m.id !== b64.body.id).map((m) => m.payload);
    expect(jsonPayloads).toEqual(expect.arrayContaining([null, 0, 'text', [1, [2]], false]));
  });

  it('the routing key decides which filtered subscriptions get the message', async () => {
    const { topic, subId } = await topicWithPull('orders.*');
    await t.admin.post(`/v1/topics/${topic}/messages`, { payload: 1, routingKey: 'orders.created' });
    await t.admin.post(`/v1/topics/${topic}/messages`, { payload: 2, routingKey: 'billing.created' });
    await t.admin.post(`/v1/topics/${topic}/messages`, { payload: 3 });
    expect((await pullAll(subId)).map((m) => m.payload)).toEqual([1]);
  });

  it('bad messages are 400 invalid_request naming the field', async () => {
    const { topic } = await topicWithPull();
    const path = `/v1/topics/${topic}/messages`;
    expectError(await t.admin.post(path, {}), 400, 'invalid_request', 'payload');
    expectError(await t.admin.post(path, { payload: 1, payloadBase64: 'AA==' }), 400, 'invalid_request', 'payload');
    expectError(await t.admin.post(path, { payloadBase64: 'not base64!' }), 400, 'invalid_request', 'payloadBase64');
    expectError(await t.admin.post(path, { payloadBase64: 'AAAAA' }), 400, 'invalid_request', 'payloadBase64');
    expectError(await t.admin.post(path, { payloadBase64: 12 }), 400, 'invalid_request', 'payloadBase64');
    expectError(await t.admin.post(path, { payload: 1, attributes: [] }), 400, 'invalid_request', 'attributes');
    expectError(await t.admin.post(path, { payload: 1, attributes: { region: 5 } }), 400, 'invalid_request', 'attributes.region');
    expectError(await t.admin.post(path, { payload: 1, routingKey: 7 }), 400, 'invalid_request', 'routingKey');
    expectError(await t.admin.post(path, { payload: 1, ttlMs: 0 }), 400, 'invalid_request', 'ttlMs');
    expectError(await t.admin.post(path, { payload: 1, ttlMs: 'soon' }), 400, 'invalid_request', 'ttlMs');
    expectError(await t.admin.post(path, { payload: 1, idempotencyKey: '' }), 400, 'invalid_request', 'idempotencyKey');
    expectError(await t.admin.post(path, { payload: 1, idempotencyKey: 'k', extra: true }), 400, 'invalid_request', 'extra');
    expectError(await t.admin.post(path, { payload: 1, idempotencyKey: 'b' }, { headers: { 'idempotency-key': 'a' } }), 400, 'invalid_request', 'idempotencyKey');
    expectError(await t.admin.post(path, { payload: 1 }, { headers: { 'idempotency-key': 'é' } }), 400, 'invalid_request', 'Idempotency-Key');
  });

  it('unknown topic is 404 topic_not_found; a bad topic name is 400 invalid_topic_name', async () => {
    expectError(await t.admin.post(`/v1/topics/${uniqueTopic('none')}/messages`, { payload: 1 }), 404, 'topic_not_found');
    expectError(await t.admin.post(`/v1/topics/${uniqueTopic('none')}/batch`, { messages: [] }), 404, 'topic_not_found');
    expectError(await t.admin.post('/v1/topics/no%20pe/messages', { payload: 1 }), 400, 'invalid_topic_name');
  });
});

describe('http publish - idempotency', () => {
  it('same key and content: 200 duplicate with the first id; other content: 409; per topic', async () => {
    const { topic, subId } = await topicWithPull();
    const path = `/v1/topics/${topic}/messages`;
    const first = await t.admin.post(path, { payload: { a: 1 }, attributes: { x: '1', y: '2' }, idempotencyKey: 'k1' });
    expect(first.status).toBe(202);
    // Attributes in another order are the same content.
    const again = await t.admin.post(path, { payload: { a: 1 }, attributes: { y: '2', x: '1' }, idempotencyKey: 'k1' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: first.body.id, duplicate: true });
    expectError(await t.admin.post(path, { payload: { a: 2 }, idempotencyKey: 'k1' }), 409, 'idempotency_conflict', first.body.id);
    expectError(await t.admin.post(path, { payload: { a: 1 }, attributes: { x: '1', y: '2' }, routingKey: 'r', idempotencyKey: 'k1' }), 409, 'idempotency_conflict');
    // The Idempotency-Key header works like the field.
    const byHeader = await t.admin.post(path, { payload: { a: 1 }, attributes: { x: '1', y: '2' } }, { headers: { 'idempotency-key': 'k1' } });
    expect(byHeader.body).toEqual({ id: first.body.id, duplicate: true });
    // Another topic has its own keys.
    const other = await topicWithPull();
    expect((await t.admin.post(`/v1/topics/${other.topic}/messages`, { payload: { a: 2 }, idempotencyKey: 'k1' })).status).toBe(202);
    expect(await pullAll(subId)).toHaveLength(1);
  });
});

describe('http publish - payload limit (413 on the payload bytes)', () => {
  it('a JSON payload whose UTF-8 JSON is at the limit passes, one byte over is 413', async () => {
    const { topic } = await topicWithPull();
    const path = `/v1/topics/${topic}/messages`;
    const atLimit = 'x'.repeat(LIMIT - 2); // JSON.stringify adds the two quotes
    expect((await t.admin.post(path, { payload: atLimit })).status).toBe(202);
    expectError(await t.admin.post(path, { payload: `${atLimit}x` }), 413, 'payload_too_large', 'payload');
    // Multi-byte characters count as their UTF-8 bytes.
    expectError(await t.admin.post(path, { payload: 'é'.repeat(LIMIT / 2) }), 413, 'payload_too_large');
    // Whitespace in the request does not count: the payload is measured as JSON.stringify writes it.
    const padded = `{"payload": [ ${Array.from({ length: 200 }, () => '1').join(' ,   ')} ]}`;
    expect((await t.admin.post(path, undefined, { raw: padded })).status).toBe(202);
  });

  it('a base64 payload is measured decoded', async () => {
    const { topic } = await topicWithPull();
    const path = `/v1/topics/${topic}/messages`;
    expect((await t.admin.post(path, { payloadBase64: Buffer.alloc(LIMIT, 7).toString('base64') })).status).toBe(202);
    expectError(await t.admin.post(path, { payloadBase64: Buffer.alloc(LIMIT + 1, 7).toString('base64') }), 413, 'payload_too_large', 'payloadBase64');
  });

  it('a body far over any valid publish is 413 payload_too_large too (fastify body limit)', async () => {
    const { topic } = await topicWithPull();
    const huge = JSON.stringify({ payload: 'x'.repeat(2_000_000) });
    expectError(await t.admin.post(`/v1/topics/${topic}/messages`, undefined, { raw: huge }), 413, 'payload_too_large');
    expectError(await t.admin.post(`/v1/topics/${topic}/batch`, undefined, { raw: huge }), 413, 'payload_too_large');
    expectError(await t.admin.post('/v1/topics', undefined, { raw: huge }), 413, 'payload_too_large');
  });
});

describe('http publish - batch', () => {
  it('202 {results}: good entries published together, bad ones answered in place', async () => {
    const { topic, subId } = await topicWithPull();
    const first = await t.admin.post(`/v1/topics/${topic}/messages`, { payload: 'once', idempotencyKey: 'dup' });
    const res = await t.admin.post(`/v1/topics/${topic}/batch`, {
      messages: [
        { payload: 1 },
        { payload: 2, ttlMs: -5 },
        'not an object',
        { payloadBase64: Buffer.from('bin').toString('base64'), routingKey: 'r' },
        { payload: 'x'.repeat(LIMIT) },
        { payload: 'once', idempotencyKey: 'dup' },
        { payload: 'other', idempotencyKey: 'dup' },
      ],
    });
    expect(res.status).toBe(202);
    const r = res.body.results;
    expect(r).toHaveLength(7);
    expect(r[0]).toEqual({ id: expect.any(String), duplicate: false });
    expect(r[1]).toEqual({ error: { code: 'invalid_request', message: expect.stringContaining('messages[1].ttlMs') } });
    expect(r[2]).toEqual({ error: { code: 'invalid_request', message: expect.stringContaining('messages[2]') } });
    expect(r[3]).toEqual({ id: expect.any(String), duplicate: false });
    expect(r[4]).toEqual({ error: { code: 'payload_too_large', message: expect.stringContaining('messages[4].payload') } });
    expect(r[5]).toEqual({ id: first.body.id, duplicate: true });
    expect(r[6]).toEqual({ error: { code: 'idempotency_conflict', message: expect.any(String) } });
    const pulled = await pullAll(subId);
    expect(pulled.map((m) => m.id).sort()).toEqual([first.body.id, r[0].id, r[3].id].sort());
  });

  it('1000 entries are fine, 1001 is 400 batch_too_large; messages must be an array', async () => {
    const topic = uniqueTopic();
    await t.admin.post('/v1/topics', { name: topic });
    const full = await t.admin.post(`/v1/topics/${topic}/batch`, { messages: Array.from({ length: 1000 }, (_, i) => ({ payload: i })) });
    expect(full.status).toBe(202);
    expect(full.body.results.every((x: { duplicate: boolean }) => x.duplicate === false)).toBe(true);
    expectError(await t.admin.post(`/v1/topics/${topic}/batch`, { messages: Array.from({ length: 1001 }, () => ({ payload: 0 })) }), 400, 'batch_too_large');
    expectError(await t.admin.post(`/v1/topics/${topic}/batch`, { messages: { payload: 1 } }), 400, 'invalid_request', 'messages');
    expectError(await t.admin.post(`/v1/topics/${topic}/batch`, {}), 400, 'invalid_request', 'messages');
    expect((await t.admin.post(`/v1/topics/${topic}/batch`, { messages: [] })).body).toEqual({ results: [] });
  });
});
