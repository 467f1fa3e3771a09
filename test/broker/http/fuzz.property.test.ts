/**
 * Property: no request body, content type or path parameter makes any route answer a 5xx, and
 * every error is `{"error":{"code","message"}}`. fast-check builds requests to every route with
 * real ids and random ones, bodies that are random bytes, random JSON, or objects made of the
 * route's own field names holding hostile values (wrong types, huge numbers, deep nesting).
 * fast-check prints the seed and the shrunk request when it fails.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueTopic, type HttpResponse, type RawClient, type SendOptions, type TestBroker } from './support.js';

let t: TestBroker;
let topic: string;
let pullId: string;
let hookId: string;
beforeAll(async () => {
  t = await startTestBroker({ maxPayloadBytes: 4096 });
  topic = uniqueTopic('fuzz');
  await t.admin.post('/v1/topics', { name: topic });
  pullId = (await t.admin.post(`/v1/topics/${topic}/subscriptions`, { protocol: 'pull' })).body.id;
  hookId = (await t.admin.post(`/v1/topics/${topic}/subscriptions`, { protocol: 'http', endpoint: 'http://127.0.0.1:9/x' })).body.id;
});
afterAll(async () => {
  await t?.stop();
});

interface Route {
  readonly method: string;
  /** Builds the path from a topic name and a subscription id (real or random). */
  readonly path: (topic: string, id: string) => string;
  /** Field names the route reads, so random objects often reach deep validation. */
  readonly fields: readonly string[];
}

const MESSAGE = ['payload', 'payloadBase64', 'attributes', 'routingKey', 'ttlMs', 'idempotencyKey'];
const ROUTES: readonly Route[] = [
  { method: 'POST', path: () => '/v1/keys', fields: ['name', 'role', 'topics', 'ratePerSec'] },
  { method: 'DELETE', path: (_t, id) => `/v1/keys/${id}`, fields: [] },
  { method: 'POST', path: () => '/v1/topics', fields: ['name', 'messageTtlMs', 'maxAttempts', 'dedupWindowMs', 'options'] },
  { method: 'GET', path: (tp) => `/v1/topics?limit=${encodeURIComponent(tp)}&cursor=${encodeURIComponent(tp)}`, fields: [] },
  { method: 'GET', path: (tp) => `/v1/topics/${tp}`, fields: [] },
  { method: 'POST', path: (tp) => `/v1/topics/${tp}/messages`, fields: MESSAGE },
  { method: 'POST', path: (tp) => `/v1/topics/${tp}/batch`, fields: ['messages'] },
  { method: 'POST', path: (tp) => `/v1/topics/${tp}/subscriptions`, fields: ['protocol', 'endpoint', 'filter', 'maxAttempts', 'backoff', 'ackDeadlineMs'] },
  { method: 'GET', path: (_t, id) => `/v1/subscriptions/${id}`, fields: [] },
  { method: 'POST', path: (_t, id) => `/v1/subscriptions/${id}/confirm`, fields: ['token'] },
  { method: 'POST', path: (_t, id) => `/v1/subscriptions/${id}/pull`, fields: ['max'] }, // no waitMs: a valid one would park the run
  { method: 'POST', path: (_t, id) => `/v1/subscriptions/${id}/ack`, fields: ['ackIds'] },
  { method: 'POST', path: (_t, id) => `/v1/subscriptions/${id}/nack`, fields: ['ackIds'] },
  { method: 'GET', path: (_t, id) => `/v1/subscriptions/${id}/dead-letters?limit=${encodeURIComponent(id)}`, fields: [] },
  { method: 'POST', path: (_t, id) => `/v1/subscriptions/${id}/dead-letters/redrive`, fields: [] },
  { method: 'PUT', path: (tp) => `/v1/topics/${tp}`, fields: [] },
];

/** Values that are wrong in as many ways as possible, and some that are right. */
const hostile: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1, 1e308, -1e308, 2 ** 53, 0.5, '', 'pull', 'http', 'https', 'websocket', 'publisher', 'admin', '#', '*.a', 'a..b', 'http://127.0.0.1:9/x', 'AAE=', '1:x', 'x'.repeat(5000)),
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A real id or name (read when the request is built, after beforeAll made them), or junk. */
const pathParam = (...real: Array<() => string>): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...real).map((read) => read()),
    fc.string({ maxLength: 300 }).map(encodeURIComponent),
    fc.constantFrom('x', '%zz', '..', 'a.b', '%00'),
  );

const body = (route: Route): fc.Arbitrary<SendOptions> =>
  fc.oneof(
    // The route's own fields with hostile values.
    fc
      .dictionary(fc.constantFrom(...route.fields, 'extra', 'constructor'), hostile, { maxKeys: route.fields.length + 1 })
      .filter((o) => !('waitMs' in o))
      .map((json): SendOptions => ({ json })),
    // Any JSON at all.
    fc.jsonValue({ maxDepth: 4 }).map((json): SendOptions => ({ json: json ?? null })),
    // Bytes, with any of several content types (or none).
    fc
      .tuple(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1'))), fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain', 'application/octet-stream', null))
      .map(([raw, contentType]): SendOptions => ({ raw, contentType })),
    // No body.
    fc.constant<SendOptions>({}),
  );

const request = fc
  .constantFrom(...ROUTES)
  .chain((route) =>
    fc.record({
      route: fc.constant(route),
      topic: pathParam(() => topic),
      id: pathParam(() => pullId, () => hookId),
      body: body(route),
      key: fc.constantFrom<'admin' | 'none' | 'bogus'>('admin', 'admin', 'admin', 'none', 'bogus'),
    }),
  );

function check(res: HttpResponse, label: string): void {
  expect(res.status, label).toBeLessThan(500);
  if (res.status >= 400 && res.body !== '') {
    expect(res.body, label).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  }
}

describe('http fuzz - bad input never gets a 5xx', () => {
  it('every route, random bodies, content types, ids and keys', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ route, topic: tp, id, body: options, key }) => {
        const client: RawClient = t.admin;
        const path = route.path(tp, id);
        const res = await client.send(route.method, path, { ...options, key: key === 'admin' ? undefined : key === 'none' ? null : 'pbk_bogus' });
        check(res, `${route.method} ${path} ${JSON.stringify(options).slice(0, 300)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      }),
      { numRuns: 400 },
    );
  });

  it('batch entries: any entry gets a result in place, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.dictionary(fc.constantFrom(...MESSAGE), hostile, { maxKeys: 4 }), hostile), { maxLength: 20 }), async (messages) => {
        const res = await t.admin.post(`/v1/topics/${topic}/batch`, { messages });
        check(res, JSON.stringify(messages).slice(0, 300));
        if (res.status === 202) {
          expect(res.body.results).toHaveLength(messages.length);
          for (const result of res.body.results) expect('id' in result || 'error' in result).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});
