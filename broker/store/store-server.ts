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
/** Several operations in one message, answered together once all have settled: the publish
 * path sends every publish of an event-loop turn this way (broker/server/publish-batcher.ts),
 * so a burst of HTTP publishes costs one call, not one each. */
interface StoreBatchRequest {
  readonly batch: readonly StoreRequest[];
}
export type StoreAnswer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: { name: string; message: string } };

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

  handleCall(request: StoreRequest | StoreBatchRequest, from: From, state: StoreState, ctx: Context) {
    if ('batch' in request) {
      if (!Array.isArray(request.batch)) return { reply: answerError(new TypeError('expected batch to be an array of store requests')), state };
      // Each operation starts now (lmdb commits them together) and fails alone.
      void Promise.all(request.batch.map((r) => run(state.store, r))).then((answers) => GenServer.reply(ctx, from, answers));
    } else {
      void run(state.store, request).then((answer) => GenServer.reply(ctx, from, answer));
    }
    return { noreply: true, state };
  },

  async terminate(_reason: unknown, state: StoreState) {
    // Waits for writes in flight (their callers get their answers), then closes the files.
    await state.store.close();
  },
});

/** Starts one operation; never rejects: a refusal is an answer (`ok: false`). */
function run(store: MessageStore, request: StoreRequest): Promise<StoreAnswer> {
  if (!OPS.has(request.op)) return Promise.resolve(answerError(new TypeError(`unknown store operation: ${String(request.op)}`)));
  try {
    return (store[request.op] as (...a: readonly unknown[]) => Promise<unknown>)(...request.args).then(
      (value): StoreAnswer => ({ ok: true, value }),
      answerError,
    );
  } catch (error) {
    return Promise.resolve(answerError(error));
  }
}

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
  return valueOf(op, answer);
}

/** One operation of a batch, typed like `storeCall`'s arguments. */
export type StoreBatchItem<O extends StoreOp = StoreOp> = { readonly op: O; readonly args: OpArgs<O> };

/**
 * Runs several store operations with one call; answers come back in order, each a value or
 * the StoreOperationError `storeCall` would have thrown (one failing does not fail the others).
 * The whole call rejects only as a call does (NoProcError, CallTimeoutError).
 */
export async function storeCallBatch<O extends StoreOp>(caller: Caller, items: readonly StoreBatchItem<O>[]): Promise<(OpValue<O> | StoreOperationError)[]> {
  const answers = await (GenServer.call(caller, STORE_SERVER, { batch: items } satisfies StoreBatchRequest, STORE_SERVER_TIMEOUT_MS) as Op<StoreAnswer[]>);
  return answers.map((answer, i) => {
    try {
      return valueOf(items[i]!.op, answer);
    } catch (error) {
      return error as StoreOperationError;
    }
  });
}

function valueOf<O extends StoreOp>(op: O, answer: StoreAnswer): OpValue<O> {
  if (!answer.ok) throw new StoreOperationError(op, answer.error.name, answer.error.message);
  return answer.value as OpValue<O>;
}
