/**
 * The HTTP API's edges, as a client on 127.0.0.1 sees them: health probes, unknown routes (404)
 * and wrong methods (405), content types (415), bodies that are not JSON (invalid_json), and
 * URLs the router cannot read — every one answered as `{"error":{"code","message"}}`.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, startTestBroker, uniqueTopic, type TestBroker } from './support.js';

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.stop();
});

describe('http health - probes need no key', () => {
  it('GET /healthz is 200 {status:"ok"} without a key', async () => {
    const res = await t.admin.get('/healthz', { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 while every component runs', async () => {
    const res = await t.admin.get('/readyz', { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describe('http routing - unknown route 404, wrong method 405', () => {
  it('an unknown path is 404 not_found, even without a key', async () => {
    expectError(await t.admin.get('/v2/topics', { key: null }), 404, 'not_found', '/v2/topics');
    expectError(await t.admin.post('/nothing/here', { a: 1 }), 404, 'not_found');
  });

  it('a known path with another method is 405 with Allow', async () => {
    const put = await t.admin.send('PUT', '/v1/topics');
    expectError(put, 405, 'method_not_allowed');
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    const patch = await t.admin.send('PATCH', '/v1/subscriptions/some-id');
    expectError(patch, 405, 'method_not_allowed');
    expect(patch.headers.allow).toBe('GET, HEAD, DELETE');
    const get = await t.admin.get('/v1/topics/x/messages', { key: null });
    expectError(get, 405, 'method_not_allowed');
    expect(get.headers.allow).toBe('POST');
    // Whatever the body: the method is wrong before the body is read.
    expectError(await t.admin.send('PUT', '/v1/topics/x', { raw: '{bad', contentType: 'application/json' }), 405, 'method_not_allowed');
    expectError(await t.admin.send('PUT', '/v1/topics/x', { raw: 'x', contentType: 'text/plain' }), 405, 'method_not_allowed');
  });

  it('/metrics and the websocket stream are not served yet (404)', async () => {
    expectError(await t.admin.get('/metrics'), 404, 'not_found');
    expectError(await t.admin.get('/v1/subscriptions/x/stream'), 404, 'not_found');
  });

  it('a URL with bad percent-encoding is 400 invalid_request', async () => {
    expectError(await t.admin.get('/v1/topics/%zz'), 400, 'invalid_request');
  });

  it('a request Node cannot parse is 400 in our shape, and the connection closes', async () => {
    const url = new URL(t.broker.url);
    const socket = net.connect(Number(url.port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write('NOT HTTP AT ALL\r\n\r\n');
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
  });

  it('a path parameter longer than the router takes is 400, not a 5xx', async () => {
    expectError(await t.admin.get(`/v1/topics/${'a'.repeat(5000)}`), 400, 'invalid_request');
  });
});

describe('http bodies - only application/json, parsed or refused clearly', () => {
  it('a body that is not JSON is 400 invalid_json', async () => {
    expectError(await t.admin.post('/v1/topics', undefined, { raw: '{"name": "a",' }), 400, 'invalid_json');
    expectError(await t.admin.post('/v1/topics', undefined, { raw: 'name=a' }), 400, 'invalid_json');
  });

  it('JSON of the wrong shape is 400 invalid_request naming the field', async () => {
    expectError(await t.admin.post('/v1/topics', [1, 2]), 400, 'invalid_request', 'body');
    expectError(await t.admin.post('/v1/topics', 'a string'), 400, 'invalid_request', 'body');
    expectError(await t.admin.post('/v1/topics', {}), 400, 'invalid_request', 'name');
    expectError(await t.admin.post('/v1/topics', { name: 'a', maxAttempts: '3' }), 400, 'invalid_request', 'maxAttempts');
    expectError(await t.admin.post('/v1/topics', { name: 'a', color: 'red' }), 400, 'invalid_request', 'color');
  });

  it('a __proto__ key is refused as invalid JSON, never reaching an object', async () => {
    expectError(await t.admin.post('/v1/topics', undefined, { raw: '{"name":"a","__proto__":{"x":1}}' }), 400, 'invalid_json');
  });

  it('other content types are 415, any charset of application/json is fine', async () => {
    const name = uniqueTopic();
    expectError(await t.admin.post('/v1/topics', undefined, { raw: `{"name":"${name}"}`, contentType: 'text/plain' }), 415, 'unsupported_media_type');
    expectError(await t.admin.post('/v1/topics', undefined, { raw: `name=${name}`, contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    expectError(await t.admin.post('/v1/topics', undefined, { raw: `{"name":"${name}"}`, contentType: 'application/jsonx' }), 415, 'unsupported_media_type');
    expectError(await t.admin.post('/v1/topics', undefined, { raw: `{"name":"${name}"}`, contentType: null }), 415, 'unsupported_media_type');
    const latin1 = await t.admin.post('/v1/topics', undefined, { raw: `{"name":"${name}"}`, contentType: 'application/json; charset=ISO-8859-1' });
    expect(latin1.status).toBe(201);
    const upper = await t.admin.post('/v1/topics', undefined, { raw: `{"name":"${name}"}`, contentType: 'Application/JSON;charset=utf-8' });
    expect(upper.status).toBe(200);
  });

  it('a body on a route that takes none is ignored; a POST whose body is optional may have none', async () => {
    const topic = uniqueTopic();
    expect((await t.admin.post('/v1/topics', { name: topic })).status).toBe(201);
    const sub = await t.admin.post(`/v1/topics/${topic}/subscriptions`, { protocol: 'pull' });
    // No body and no Content-Type at all, and an empty JSON body: both read as {}.
    expect((await t.admin.send('POST', `/v1/subscriptions/${sub.body.id}/pull`)).body).toEqual({ messages: [] });
    expect((await t.admin.post(`/v1/subscriptions/${sub.body.id}/pull`, undefined, { raw: '', contentType: 'application/json' })).status).toBe(200);
    expect((await t.admin.send('POST', `/v1/subscriptions/${sub.body.id}/dead-letters/redrive`)).body).toEqual({ redriven: 0 });
    // A body where one is required but missing: the shape is wrong, not the JSON.
    expectError(await t.admin.send('POST', `/v1/subscriptions/${sub.body.id}/ack`), 400, 'invalid_request', 'body');
  });
});
