/**
 * The load generator's HTTP side: a small JSON client for the broker's API over a pool of
 * keep-alive connections (keepalive-client.ts; one pool per role, so publishers and consumers
 * never queue behind each other), and the setup calls the workloads need. Bench code does not
 * import from test/; this follows test/broker/support/http-client.ts.
 */
import { KeepAliveClient } from './keepalive-client.js';

export class Api {
  readonly #client: KeepAliveClient;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #jsonHeaders: Readonly<Record<string, string>>;

  /** `connections`: sockets kept open to the broker, i.e. the most requests in flight. */
  constructor(
    readonly baseUrl: string,
    key: string,
    connections: number,
  ) {
    this.#client = new KeepAliveClient(baseUrl, connections);
    this.#headers = { authorization: `Bearer ${key}` };
    this.#jsonHeaders = { ...this.#headers, 'content-type': 'application/json' };
  }

  /** One request; `body` is sent as it is when already a string (the publisher pre-serialises). */
  async call<T = any>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: T; retryAfterS?: number }> {
    const answer =
      body === undefined
        ? await this.#client.request(method, path, this.#headers)
        : await this.#client.request(method, path, this.#jsonHeaders, typeof body === 'string' ? body : JSON.stringify(body));
    const parsed = answer.body.length > 0 ? (JSON.parse(answer.body) as T) : (undefined as T);
    return answer.retryAfterS === undefined ? { status: answer.status, body: parsed } : { status: answer.status, body: parsed, retryAfterS: answer.retryAfterS };
  }

  /** Like `call`, but anything other than `expected` throws with the answer. */
  async expect<T = any>(expected: number | number[], method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const r = await this.call<T>(method, path, body);
    const ok = Array.isArray(expected) ? expected.includes(r.status) : r.status === expected;
    if (!ok) throw new Error(`${method} ${path}: expected ${String(expected)}, got ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

export function createTopic(api: Api, name: string): Promise<unknown> {
  return api.expect([200, 201], 'POST', '/v1/topics', { name });
}

export async function subscribePull(api: Api, topic: string): Promise<string> {
  const sub = await api.expect<{ id: string }>(201, 'POST', `/v1/topics/${topic}/subscriptions`, { protocol: 'pull' });
  return sub.id;
}

/** Creates an http subscription to `endpoint`; it becomes active once the endpoint confirms it. */
export async function subscribeWebhook(api: Api, topic: string, endpoint: string): Promise<string> {
  const sub = await api.expect<{ id: string }>(201, 'POST', `/v1/topics/${topic}/subscriptions`, { protocol: 'http', endpoint });
  return sub.id;
}

/** Waits until every subscription is active (webhooks confirm asynchronously). */
export async function waitActive(api: Api, ids: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const id of ids) {
    for (;;) {
      const s = await api.expect<{ status: string }>(200, 'GET', `/v1/subscriptions/${id}`);
      if (s.status === 'active') break;
      if (Date.now() > deadline) throw new Error(`subscription ${id} was not confirmed within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
