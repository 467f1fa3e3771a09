/**
 * One webhook POST with undici, and its outcome as data (never a throw).
 *
 * Each thread keeps one undici Agent: it holds a keep-alive connection pool per endpoint
 * origin, so delivery tasks on the same scheduler thread reuse connections to the same
 * subscriber. Tasks are spread over threads, so each thread pools its own connections.
 *
 * The POST goes through `Agent.dispatch` with a handler, not undici's `request()`: a delivery
 * needs only the status, and `request()` builds a Readable body stream, an abort signal and
 * promise wrappers per call. On this machine that halved the posting side's CPU per webhook
 * (about 110 against 160–230 µs, bench/broker/floor.ts's webhook floor).
 */
import { Agent, type Dispatcher } from 'undici';
import type { SignedRequest } from './notification.js';

/** `ok`: a 2xx answer within the timeout. Anything else failed, with a short reason. */
export type PostOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly status: number | null; readonly error: string };

/** Bytes of a subscriber's answer that are read (and dropped); past them the connection is
 * closed, and the outcome is the status already received. */
export const MAX_ANSWER_BYTES = 64 * 1024;

const USER_AGENT = 'postbox-webhook/1';

let agent: Agent | undefined;

function agentOfThisThread(): Agent {
  // Idle connections close after 4 s: below the 5 s keep-alive of Node's http server, so the
  // client never writes on a socket the server is closing.
  agent ??= new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 4_000 });
  return agent;
}

/** Endpoint URL → what dispatch needs; endpoints are few and reused, so parse each once. */
const targets = new Map<string, { origin: string; path: string }>();
const MAX_TARGETS = 10_000;

function targetOf(url: string): { origin: string; path: string } {
  let target = targets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, target);
  }
  return target;
}

/** POSTs `req` to `url`; the whole exchange (connect, headers, body) must end within `timeoutMs`. */
export function post(url: string, req: SignedRequest, timeoutMs: number): Promise<PostOutcome> {
  let target: { origin: string; path: string };
  try {
    target = targetOf(url);
  } catch (error) {
    return Promise.resolve({ ok: false, status: null, error: describe(error) });
  }
  return new Promise((resolve) => {
    let settled = false;
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let answerBytes = 0;
    const settle = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const byStatus = (): PostOutcome => (status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` });
    // The deadline of the whole exchange. Before the request starts (still connecting) there
    // is nothing to abort yet: the outcome is settled now, and the request aborted when it starts.
    const timer = setTimeout(() => {
      settle({ ok: false, status: null, error: `timeout after ${timeoutMs} ms` });
      controller?.abort(new Error('timeout'));
    }, timeoutMs);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(new Error('timeout'));
      },
      onResponseStart(_c, statusCode) {
        status = statusCode;
      },
      onResponseData(c, chunk) {
        answerBytes += chunk.length;
        if (answerBytes > MAX_ANSWER_BYTES) {
          settle(byStatus());
          c.abort(new Error('answer too large'));
        }
      },
      onResponseEnd() {
        settle(byStatus());
      },
      onResponseError(_c, error) {
        settle({ ok: false, status: null, error: describe(error) });
      },
    };
    try {
      agentOfThisThread().dispatch(
        { origin: target.origin, path: target.path, method: 'POST', headers: { 'user-agent': USER_AGENT, ...req.headers }, body: req.body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
        handler,
      );
    } catch (error) {
      settle({ ok: false, status: null, error: describe(error) });
    }
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}
