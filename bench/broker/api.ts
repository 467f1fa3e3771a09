/**
 * The load generator's HTTP side: a small JSON client for the broker's API over undici with a
 * keep-alive Agent (one per role, so publishers and consumers never queue behind each other),
 * and the setup calls the workloads need. Bench code does not import from test/; this follows
 * test/broker/support/http-client.ts.
 */
import { Agent, request } from 'undici';

export class Api {
  readonly #agent: Agent;
  readonly #auth: string;

  /** `connections`: sockets kept open to the broker, i.e. the most requests in flight. */
  constructor(
    readonly baseUrl: string,
    key: string,
    connections: number,
  ) {
    this.#agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000 });
    this.#auth = `Bearer ${key}`;
  }

  /** One request; `body` is sent as it is when already a string (the publisher pre-serialises). */
  async call<T = any>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: T; retryAfterS?: number }> {
    const res = await request(this.baseUrl + path, {
      method,
      dispatcher: this.#agent,
      headers: body === undefined ? { authorization: this.#auth } : { authorization: this.#auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    const retryAfter = Number(res.headers['retry-after']);
    return { status: res.statusCode, body: text.length > 0 ? JSON.parse(text) : undefined, ...(retryAfter >= 0 ? { retryAfterS: retryAfter } : {}) };
  }

  /** Like `call`, but anything other than `expected` throws with the answer. */
  async expect<T = any>(expected: number | number[], method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const r = await this.call<T>(method, path, body);
    const ok = Array.isArray(expected) ? expected.includes(r.status) : r.status === expected;
    if (!ok) throw new Error(`${method} ${path}: expected ${String(expected)}, got ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  close(): Promise<void> {
    return this.#agent.close();
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
