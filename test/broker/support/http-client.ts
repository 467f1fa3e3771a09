/** A small JSON client for the broker's HTTP API (undici, keep-alive), for tests and benches. */
import { Agent, request } from 'undici';

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Record<string, string | string[] | undefined>;
}

export class ApiClient {
  readonly #agent: Agent;

  constructor(
    readonly baseUrl: string,
    readonly key: string,
    connections = 16,
  ) {
    this.#agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 10_000 });
  }

  async call<T = any>(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await request(this.baseUrl + path, {
      method,
      dispatcher: this.#agent,
      headers: { authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text.length > 0 ? JSON.parse(text) : undefined, headers: res.headers };
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
