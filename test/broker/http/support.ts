/**
 * Test support for the HTTP API: a real broker (startBroker: actors, memory store, HTTP on
 * 127.0.0.1) and a raw HTTP client that can send anything (no key, other content types, bodies
 * that are not JSON), so the bad-input answers are tested as a client sees them.
 *
 * `extraApp` builds a second app over the same running broker's service, for what the broker's
 * own options do not expose (an injected clock for rate limits, a small payload limit, a
 * logger to read the audit lines from, a service with a fault injected).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { Agent, request } from 'undici';
import { expect } from 'vitest';
import { buildHttpApp, type HttpAppOptions } from '../../../broker/http/app.js';
import { startBroker, type RunningBroker } from '../../../broker/server/broker.js';

export const ADMIN_KEY = 'http-test-admin-key-0123456789';

export interface HttpResponse<T = any> {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the answer was JSON, else the text ('' for none). */
  readonly body: T;
}

export interface SendOptions {
  /** A value to send as JSON (with Content-Type: application/json unless `contentType` says otherwise). */
  readonly json?: unknown;
  /** Bytes or text sent as they are. */
  readonly raw?: string | Buffer;
  readonly contentType?: string | null;
  /** Bearer key; null sends no Authorization header. Default: the client's key. */
  readonly key?: string | null;
  readonly headers?: Record<string, string>;
}

export class RawClient {
  readonly #agent = new Agent({ connections: 8, keepAliveTimeout: 5_000 });

  constructor(
    readonly baseUrl: string,
    readonly key: string | null = ADMIN_KEY,
  ) {}

  /** The same server, another key. */
  as(key: string | null): RawClient {
    return new RawClient(this.baseUrl, key);
  }

  async send<T = any>(method: string, path: string, options: SendOptions = {}): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? this.key : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | Buffer | undefined;
    if (options.json !== undefined) body = JSON.stringify(options.json);
    if (options.raw !== undefined) body = options.raw;
    const contentType = options.contentType === undefined ? (body === undefined ? null : 'application/json') : options.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
    const res = await request(this.baseUrl + path, { method: method as 'GET', headers, body, dispatcher: this.#agent });
    const text = await res.body.text();
    const type = String(res.headers['content-type'] ?? '');
    let parsed: unknown = text;
    if (type.startsWith('application/json') && text !== '') parsed = JSON.parse(text);
    return { status: res.statusCode, headers: res.headers, body: parsed as T };
  }

  get<T = any>(path: string, options?: SendOptions) {
    return this.send<T>('GET', path, options);
  }
  post<T = any>(path: string, json?: unknown, options: SendOptions = {}) {
    return this.send<T>('POST', path, json === undefined ? options : { ...options, json });
  }
  delete<T = any>(path: string, options?: SendOptions) {
    return this.send<T>('DELETE', path, options);
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

export interface TestBroker {
  readonly broker: RunningBroker;
  readonly admin: RawClient;
  /** Creates a key over the API and returns a client using it. */
  client(body: { name?: string; role: 'admin' | 'publisher' | 'subscriber'; topics?: string[]; ratePerSec?: number }): Promise<RawClient & { keyId: string }>;
  /** A second app over this broker's service (see the file comment), listening on 127.0.0.1. */
  extraApp(options: Partial<HttpAppOptions>): Promise<{ url: string; client: RawClient; close(): Promise<void> }>;
  stop(): Promise<void>;
}

/** A broker on the memory store with one scheduler thread; stop it in afterAll. */
export async function startTestBroker(options: { maxPayloadBytes?: number } = {}): Promise<TestBroker> {
  const broker = await startBroker({
    store: { backend: 'memory' },
    adminKey: ADMIN_KEY,
    port: 0,
    host: '127.0.0.1',
    schedulers: 1,
    metadataShards: 2,
    logLevel: 'silent',
    drainMs: 2_000,
    maxPayloadBytes: options.maxPayloadBytes,
  });
  const admin = new RawClient(broker.url);
  const closers: Array<() => Promise<unknown>> = [() => admin.close()];
  let serial = 0;
  return {
    broker,
    admin,
    async client(body) {
      const created = await admin.post('/v1/keys', { name: body.name ?? `key-${++serial}`, ...body });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const client = Object.assign(admin.as(created.body.key), { keyId: created.body.id as string });
      closers.push(() => client.close());
      return client;
    },
    async extraApp(extra) {
      const app = buildHttpApp({ service: broker.service, adminKey: ADMIN_KEY, logger: pino({ level: 'silent' }), ...extra });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as { port: number };
      const url = `http://127.0.0.1:${port}`;
      const client = new RawClient(url);
      const close = async () => {
        await client.close();
        await app.close();
      };
      closers.push(close);
      return { url, client, close };
    },
    async stop() {
      for (const close of closers.splice(0).reverse()) await close().catch(() => {});
      await broker.stop();
    },
  };
}

/** A pino logger whose lines are kept as parsed objects. */
export function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** Asserts an error answer: status, our shape, the code, and (optionally) text in the message. */
export function expectError(res: HttpResponse, status: number, code: string, messageIncludes?: string): void {
  expect({ status: res.status, body: res.body }, JSON.stringify(res.body)).toMatchObject({ status, body: { error: { code } } });
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(typeof res.body.error.message).toBe('string');
  if (messageIncludes !== undefined) expect(res.body.error.message).toContain(messageIncludes);
}

let topicSerial = 0;
/** A fresh topic name per test, so tests sharing one broker do not meet. */
export function uniqueTopic(prefix = 't'): string {
  return `${prefix}-${process.pid}-${++topicSerial}`;
}
