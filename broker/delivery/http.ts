/**
 * One webhook POST with undici, and its outcome as data (never a throw).
 *
 * Each thread keeps one undici Agent: it holds a keep-alive connection pool per endpoint
 * origin, so delivery tasks on the same scheduler thread reuse connections to the same
 * subscriber. Tasks are spread over threads, so each thread pools its own connections.
 */
import { Agent, request } from 'undici';
import type { SignedRequest } from './notification.js';

/** `ok`: a 2xx answer within the timeout. Anything else failed, with a short reason. */
export type PostOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly status: number | null; readonly error: string };

/** Bytes of a subscriber's answer that are read (and dropped) so the connection can be reused. */
const MAX_ANSWER_BYTES = 64 * 1024;

let agent: Agent | undefined;

function agentOfThisThread(): Agent {
  // Idle connections close after 4 s: below the 5 s keep-alive of Node's http server, so the
  // client never writes on a socket the server is closing.
  agent ??= new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 4_000 });
  return agent;
}

/** POSTs `req` to `url`; the whole exchange (connect, headers, body) must end within `timeoutMs`. */
export async function post(url: string, req: SignedRequest, timeoutMs: number): Promise<PostOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'user-agent': 'postbox-webhook/1', ...req.headers },
      body: req.body,
      dispatcher: agentOfThisThread(),
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    // Read the answer (bounded) so the socket returns to the pool; its content is ignored.
    await res.body.dump({ limit: MAX_ANSWER_BYTES }).catch(() => {});
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode };
    return { ok: false, status: res.statusCode, error: `HTTP ${res.statusCode}` };
  } catch (error) {
    if (signal.aborted) return { ok: false, status: null, error: `timeout after ${timeoutMs} ms` };
    return { ok: false, status: null, error: describe(error) };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}
