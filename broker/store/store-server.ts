/**
 * The store as a component of the supervision tree: a GenServer that owns one `MessageStore`
 * (opened in `init`, closed in `terminate`) and answers every other component by message.
 *
 *   frontend / shards / pull / retrievers / delivery tasks (any thread)
 *        │ GenServer.call('postbox.store', {op, args})
 *        ▼
 *   StoreServer ── store[op](...args) ──► promise ──► GenServer.reply(from, {ok, value})
 *
 * A call is answered later (`noreply`), when its promise settles, so the server takes the
 * next request at once: many publishes are in flight together and lmdb commits them as one
 * transaction (group commit), which a one-at-a-time server would defeat.
 *
 * A failing store operation is answered as `{ok:false, error}` and re-thrown by the client
 * (`storeCall`) in the caller: a bad request fails that caller, not the store server.
 * The store lives on the thread that opened it (lmdb handles are per process, and the
 * store's fan-out cache assumes one writer), so StoreServer must be started on scheduler 0.
 */
import { GenServer, type Caller, type From, type Op } from '../../actors/index.js';
import type { Context } from '../../runtime/index.js';
import { openStore, type StoreConfig } from './index.js';
import type { MessageStore } from './types.js';

/** The registered name of the store server. */
export const STORE_SERVER = 'postbox.store';

/** The store operations reachable by message (everything but `backend` and `close`). */
export type StoreOp = Exclude<keyof MessageStore, 'backend' | 'close'>;
type OpArgs<O extends StoreOp> = Parameters<MessageStore[O]>;
type OpValue<O extends StoreOp> = Awaited<ReturnType<MessageStore[O]>>;

interface StoreRequest {
  readonly op: StoreOp;
  readonly args: readonly unknown[];
}
type StoreAnswer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: { name: string; message: string } };

interface StoreState {
  readonly store: MessageStore;
}

/** Raised in a caller when the store rejected its operation (the store server goes on). */
export class StoreOperationError extends Error {
  override readonly name = 'StoreOperationError';
  constructor(
    readonly op: StoreOp,
    readonly causeName: string,
    message: string,
  ) {
    super(`store ${op} failed: ${causeName}: ${message}`);
  }
}

const OPS: ReadonlySet<string> = new Set<StoreOp>([
  'createTopic', 'getTopic', 'listTopics', 'deleteTopic', 'topicStats',
  'createSubscription', 'getSubscription', 'activateSubscription', 'deleteSubscription', 'listSubscriptions', 'subscriptionStats',
  'publish', 'claimDue', 'nextDueAt', 'ack', 'fail', 'release', 'listDeadLetters', 'redrive', 'sweep',
  'createKey', 'getKey', 'findKeyByHash', 'listKeys', 'deleteKey',
]);

export const StoreServer = GenServer.define(import.meta.url, 'StoreServer', {
  init(config: StoreConfig, ctx: Context) {
    // Trap exits so a supervisor's shutdown runs terminate, which closes the store cleanly.
    ctx.trapExit(true);
    return { ok: true, state: { store: openStore(config) } satisfies StoreState };
  },

  handleCall(request: StoreRequest, from: From, state: StoreState, ctx: Context) {
    if (!OPS.has(request.op)) {
      return { reply: answerError(new TypeError(`unknown store operation: ${String(request.op)}`)), state };
    }
    let pending: Promise<unknown>;
    try {
      pending = (state.store[request.op] as (...a: readonly unknown[]) => Promise<unknown>)(...request.args);
    } catch (error) {
      return { reply: answerError(error), state };
    }
    pending.then(
      (value) => GenServer.reply(ctx, from, { ok: true, value } satisfies StoreAnswer),
      (error: unknown) => GenServer.reply(ctx, from, answerError(error)),
    );
    return { noreply: true, state };
  },

  async terminate(_reason: unknown, state: StoreState) {
    // Waits for writes in flight (their callers get their answers), then closes the files.
    await state.store.close();
  },
});

function answerError(error: unknown): StoreAnswer {
  const e = error instanceof Error ? error : new Error(String(error));
  return { ok: false, error: { name: e.name, message: e.message } };
}

/**
 * Runs one store operation through the store server, from any actor, inbox or outside code:
 * `await storeCall(ctx, 'publish', topic, messages, now)`. Rejects with StoreOperationError
 * when the store refused it, and with the call errors of GenServer.call (NoProcError while the
 * store server is restarting, CallTimeoutError) otherwise.
 */
export function storeCall<O extends StoreOp>(caller: Caller, op: O, ...args: OpArgs<O>): Promise<OpValue<O>> {
  return storeCallWithin(caller, STORE_SERVER_TIMEOUT_MS, op, ...args);
}

/** How long a store call may take before the caller gives up (a stuck disk, not a slow one). */
export const STORE_SERVER_TIMEOUT_MS = 30_000;

export async function storeCallWithin<O extends StoreOp>(caller: Caller, timeoutMs: number, op: O, ...args: OpArgs<O>): Promise<OpValue<O>> {
  const answer = await (GenServer.call(caller, STORE_SERVER, { op, args } satisfies StoreRequest, timeoutMs) as Op<StoreAnswer>);
  if (!answer.ok) throw new StoreOperationError(op, answer.error.name, answer.error.message);
  return answer.value as OpValue<O>;
}
