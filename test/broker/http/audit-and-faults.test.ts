/**
 * What the frontend does around the routes: audit and access log lines (who, what, when,
 * outcome; never a key or a payload), the topic cache following the metadata shards' change
 * notices, and a failing component answered as 503 `unavailable` — with faults injected into
 * the real service, never a fake one.
 */
import net from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../../broker/http/app.js';
import type { BrokerService } from '../../../broker/service.js';
import { ADMIN_KEY, capturingLogger, expectError, startTestBroker, uniqueTopic, type TestBroker } from './support.js';
import { eventually } from '../../support/receive.js';

/** How long a wait in these tests may take on a loaded 2-core machine. */
const WAIT_MS = 10_000;

let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.stop();
});

/** The broker's real service with some methods replaced (fault injection). */
function withFaults(service: BrokerService, faults: Partial<Record<keyof BrokerService, (...args: any[]) => unknown>>): BrokerService {
  return new Proxy(service, {
    get(target, prop, receiver) {
      const fault = faults[prop as keyof BrokerService];
      if (fault !== undefined) return fault;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}


describe('http audit log - one line per mutating call', () => {
  it('records who, what, when and the outcome, refused calls too; reads only get access lines', async () => {
    const { logger, lines } = capturingLogger();
    const clock = Date.UTC(2026, 5, 1, 12, 0, 0);
    const app = await t.extraApp({ logger, now: () => clock });
    const name = uniqueTopic();
    expect((await app.client.post('/v1/topics', { name })).status).toBe(201);
    const key = await app.client.post('/v1/keys', { name: 'reader', role: 'subscriber' });
    const reader = app.client.as(key.body.key);
    expectError(await reader.post('/v1/topics', { name: uniqueTopic() }), 403, 'forbidden');
    expect((await reader.get(`/v1/topics/${name}`)).status).toBe(200);
    expectError(await app.client.post('/v1/topics', undefined, { key: null, json: { name } }), 401, 'unauthorized');
    await reader.close();

    const audit = lines.filter((l) => l.kind === 'audit');
    expect(audit).toEqual([
      expect.objectContaining({
        who: { keyId: 'admin', name: 'admin', role: 'admin' },
        what: { method: 'POST', route: '/v1/topics', target: name },
        when: '2026-06-01T12:00:00.000Z',
        outcome: { status: 201, result: 'ok' },
      }),
      expect.objectContaining({ what: { method: 'POST', route: '/v1/keys', target: key.body.id }, outcome: { status: 201, result: 'ok' } }),
      expect.objectContaining({ who: { keyId: key.body.id, name: 'reader', role: 'subscriber' }, outcome: { status: 403, result: 'forbidden' } }),
      expect.objectContaining({ who: null, outcome: { status: 401, result: 'unauthorized' } }),
    ]);
    const access = lines.filter((l) => l.kind === 'access');
    expect(access).toHaveLength(5);
    expect(access[3]).toMatchObject({ method: 'GET', url: `/v1/topics/${name}`, status: 200, keyId: key.body.id });
    // No secret reaches a log line.
    expect(JSON.stringify(lines)).not.toContain(key.body.key);
  });
});

describe('http topic cache - follows the metadata shards', () => {
  it('a topic deleted and re-created through another frontend is seen with its new options', async () => {
    const other = await t.extraApp({});
    const name = uniqueTopic();
    expect((await t.admin.post('/v1/topics', { name, maxAttempts: 3 })).status).toBe(201);
    expect((await other.client.get(`/v1/topics/${name}`)).body.options.maxAttempts).toBe(3); // cached there now
    expect((await t.admin.delete(`/v1/topics/${name}`)).status).toBe(204);
    expect((await t.admin.post('/v1/topics', { name, maxAttempts: 5 })).status).toBe(201);
    // The change notice travels by message, so the other frontend sees it shortly, not at once.
    await eventually(async () => (await other.client.get(`/v1/topics/${name}`)).body.options?.maxAttempts === 5, 'the cache invalidation', WAIT_MS);
  });
});

describe('http faults - a failing component is 503 unavailable, never lost input', () => {
  it('a service call that rejects is 503 with Retry-After; the others keep working', async () => {
    const service = withFaults(t.broker.service, {
      publish: () => Promise.reject(new Error('store server down')),
      listTopics: () => {
        throw new Error('shard gone');
      },
    });
    const app = await t.extraApp({ service });
    const name = uniqueTopic();
    expect((await app.client.post('/v1/topics', { name })).status).toBe(201);
    const res = await app.client.post(`/v1/topics/${name}/messages`, { payload: 1 });
    expectError(res, 503, 'unavailable');
    expect(res.headers['retry-after']).toBe('1');
    expectError(await app.client.post(`/v1/topics/${name}/batch`, { messages: [{ payload: 1 }] }), 503, 'unavailable');
    expectError(await app.client.get('/v1/topics'), 503, 'unavailable');
    expect((await app.client.get(`/v1/topics/${name}`)).status).toBe(200);
  });

  it('a key lookup that fails is 503, not 401', async () => {
    const service = withFaults(t.broker.service, { findKeyByHash: () => Promise.reject(new Error('store down')) });
    const app = await t.extraApp({ service });
    expectError(await app.client.get('/v1/topics', { key: 'pbk_some-key' }), 503, 'unavailable');
  });

  it('/readyz is 503 when a component is down or the check fails', async () => {
    const down = await t.extraApp({ service: withFaults(t.broker.service, { ready: () => Promise.resolve(false) }) });
    expectError(await down.client.get('/readyz', { key: null }), 503, 'unavailable');
    const broken = await t.extraApp({ service: withFaults(t.broker.service, { ready: () => Promise.reject(new Error('x')) }) });
    expectError(await broken.client.get('/readyz', { key: null }), 503, 'unavailable');
    expect((await broken.client.get('/healthz', { key: null })).status).toBe(200);
  });
});

describe('http shutdown - requests arriving while the app closes', () => {
  it('are answered 503 unavailable in our shape with Connection: close; the one in flight finishes', async () => {
    let pulling!: () => void;
    const pollArrived = new Promise<void>((resolve) => (pulling = resolve));
    const service = withFaults(t.broker.service, {
      pull: (...args: [string, number, number]) => {
        pulling();
        return t.broker.service.pull(...args);
      },
    });
    const app = buildHttpApp({ service, adminKey: ADMIN_KEY, logger: pino({ level: 'silent' }) });
    let closingStarted!: () => void;
    const closeBegan = new Promise<void>((resolve) => (closingStarted = resolve));
    app.addHook('preClose', async () => closingStarted()); // runs after the app's own preClose hook
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const name = uniqueTopic();
    await t.admin.post('/v1/topics', { name });
    const sub = (await t.admin.post(`/v1/topics/${name}/subscriptions`, { protocol: 'pull' })).body;

    // One keep-alive connection: a long poll in flight, then a second request pipelined behind it.
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    const socketClosed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.on('connect', resolve));
    const body = JSON.stringify({ waitMs: 30_000 });
    socket.write(
      `POST /v1/subscriptions/${sub.id}/pull HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    await pollArrived;
    const closed = app.close();
    await closeBegan;
    socket.write(`GET /v1/topics HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n\r\n`);
    await t.admin.post(`/v1/topics/${name}/messages`, { payload: 'last' }); // ends the long poll
    await socketClosed;
    await closed;

    const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toContain('"payload":"last"');
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
  });
});
