/**
 * The generic request/reply layer every behaviour uses (OTP's `gen`): naming a server (pid,
 * registered name, or `via` a registry), `call` with its guarantees, `cast`, `reply`, and the
 * wire shapes of those messages.
 *
 *   caller                                   server (GenServer loop)
 *   ── ref = monitor(server, {alias: reply_demonitor}) ──▶
 *   ── send {$gen:'call', pid, ref, req} ───────────────────────▶ handleCall ─┐
 *   ◀── receive reply-to-ref or DOWN(ref), timeout, since ref ◀───────────────┘ reply(from, value)
 *       (the reply ends the alias and the monitor; a DOWN ends the alias)
 *   ── on timeout: unalias, demonitor (flush): a late reply to an inactive alias is dropped
 *
 * One ref serves as monitor and alias, as in OTP 25's gen:call; the receive starts at its
 * mailbox mark and still sees a DOWN that a dead server triggers at once.
 *
 * On the same thread the call and reply envelopes are handed over uncopied (sendCall,
 * sendReply): only the request and the reply value are copied.
 */
import { ActorSystem, BadArgError, Pid, Ref, TIMEOUT, type Context, type DownMessage, type ExitReason } from '../runtime/index.js';
import { copy, isPid, sendOwned } from '../runtime/internal.js';
import { CallExitError, CallTimeoutError, NoProcError } from './errors.js';
import { Op, type Caller } from './op.js';
import { describeReason } from './reasons.js';

/** A key in a registry (see actors/registry.ts). */
export type RegistryKey = string | number;

/**
 * A name held in a registry server: `{ via: [registry, key] }`, where `registry` is the
 * registry's pid or registered name. Any server that answers the via protocol below can be one.
 */
export interface Via {
  readonly via: readonly [registry: Pid | string, key: RegistryKey];
}

/** How a caller names a server. */
export type ServerRef = Pid | string | Via;

/** A name a server can be started under: a registered name, or a via name. */
export type ServerName = string | Via;

/** Who made a call: pass it to `reply` (it is plain data, so it may be kept in state or sent on). */
export interface From {
  readonly pid: Pid;
  /** The caller's reply alias. */
  readonly ref: Ref;
}

/** Wire shapes (internal): what `call`, `cast` and `stop` send, and what `reply` sends back. */
export interface CallMessage {
  readonly $gen: 'call';
  /** The caller and its reply alias, flat: one object to copy per call, not two. */
  readonly pid: Pid;
  readonly ref: Ref;
  readonly req: unknown;
}
export interface CastMessage {
  readonly $gen: 'cast';
  readonly msg: unknown;
}
export interface StopMessage {
  readonly $gen: 'stop';
  readonly reason: ExitReason;
}
export interface ReplyMessage {
  readonly $reply: Ref;
  readonly value: unknown;
}
export type GenMessage = CallMessage | CastMessage | StopMessage;

/**
 * The via protocol: the requests a registry server answers. `whereis` replies with a pid or
 * undefined; `register` with `{ok: true}` or `{ok: false, error: 'already_registered', pid}`;
 * `unregister` with a boolean; the cast `send` forwards `msg` to the holder of `key` (dropped if
 * none).
 */
export type ViaRequest =
  | { readonly $via: 'whereis'; readonly key: RegistryKey }
  | { readonly $via: 'register'; readonly key: RegistryKey; readonly pid: Pid }
  | { readonly $via: 'unregister'; readonly key: RegistryKey };
export type ViaCast = { readonly $via: 'send'; readonly key: RegistryKey; readonly msg: unknown };

export type RegisterViaResult = { ok: true } | { ok: false; error: 'already_registered'; pid: Pid };

export function isVia(v: unknown): v is Via {
  if (typeof v !== 'object' || v === null || !Array.isArray((v as Via).via)) return false;
  const [registry, key] = (v as Via).via;
  return (isPid(registry) || typeof registry === 'string') && (typeof key === 'string' || typeof key === 'number');
}

export function isServerRef(v: unknown): v is ServerRef {
  return isPid(v) || (typeof v === 'string' && v.length > 0) || isVia(v);
}

function checkServerRef(what: string, server: unknown): asserts server is ServerRef {
  if (!isServerRef(server)) {
    throw new BadArgError(`${what}: expected a pid, a registered name or {via: [registry, key]}, got: ${describeReason(server)}`);
  }
}

/** Steps that resolve a server name to a pid, or undefined when nobody holds it. */
export function* whereisSteps(ctx: Context, server: ServerRef): Generator<unknown, Pid | undefined, any> {
  if (isPid(server)) return server;
  if (typeof server === 'string') return ctx.whereis(server);
  const [registry, key] = server.via;
  try {
    return yield* callSteps<Pid | undefined>(ctx, registry, { $via: 'whereis', key } satisfies ViaRequest, 5_000);
  } catch (e) {
    if (e instanceof CallExitError) return undefined; // no registry: nobody holds the name
    throw e;
  }
}

/** Resolves a server name to a pid (undefined when nobody holds it). */
export function whereis(caller: Caller, server: ServerRef): Op<Pid | undefined> {
  checkServerRef('whereis', server);
  return new Op(caller, 'whereis', (ctx) => whereisSteps(ctx, server));
}

/**
 * Sends `request` to `server` and waits for its reply: resolves with the reply; rejects with
 * CallTimeoutError after `timeoutMs` (a reply that comes later is dropped, never left in the
 * mailbox), with NoProcError when the server is not running, and with CallExitError (its
 * `reason`) when the server exits before replying. It does not promise the server did not act on
 * a request whose call timed out.
 */
export function call<T = any>(caller: Caller, server: ServerRef, request: unknown, timeoutMs = 5_000): Op<T> {
  checkServerRef('call', server);
  checkTimeout('call', timeoutMs);
  return new CallOp<T>(caller, server, request, timeoutMs, false);
}

function checkTimeout(what: string, ms: unknown): void {
  if (typeof ms !== 'number' || !(ms >= 0)) throw new BadArgError(`${what}: expected a timeout of 0 or more ms, got: ${String(ms)}`);
}

/**
 * The steps of `call`, for behaviours that compose them with `yield*` (a via name is first
 * resolved through its registry).
 */
export function callSteps<T>(ctx: Context, server: ServerRef, request: unknown, timeoutMs: number): Generator<unknown, T, any> {
  if (isPid(server) || typeof server === 'string') return new CallOp<T>(ctx, server, request, timeoutMs, true) as unknown as Generator<unknown, T, any>;
  return viaCallSteps<T>(ctx, server, request, timeoutMs);
}

function* viaCallSteps<T>(ctx: Context, server: Via, request: unknown, timeoutMs: number): Generator<unknown, T, any> {
  const pid = yield* whereisSteps(ctx, server);
  if (pid === undefined) throw new NoProcError(server);
  return yield* new CallOp<T>(ctx, pid, request, timeoutMs, true, server) as unknown as Generator<unknown, T, any>;
}

const REPLY_DEMONITOR = Object.freeze({ alias: 'reply_demonitor' } as const);

const START = 0;
const WAITING = 1;
const FLUSHING = 2;
const DONE = 3;

/**
 * One call: the operation `call` returns and, in the same object, its steps, written out as an
 * iterator instead of a generator function. A call is the hot path of every behaviour, and a
 * generator per call (its object, two resumptions and a result object per step) measured ~10% of
 * a same-thread call, an operation and its steps apart one more object. `next` returns the
 * object itself as its result (`yield*` and `drive` read `done` and `value` at once), so a step
 * allocates nothing. `callSteps` makes one that is only steps (`stepsOnly`), for `yield*`.
 *
 *   START ──monitor+alias, send, receive──▶ WAITING ──reply──▶ done (value)
 *                                             │ DOWN ──▶ throws NoProcError / CallExitError
 *                                             └ TIMEOUT ──(a reply came meanwhile: FLUSHING, take it)──▶ throws CallTimeoutError
 */
class CallOp<T> extends Op<T> {
  done = false;
  value: unknown = undefined;
  private state = START;
  private ref: Ref | null = null;
  /** The server when named by pid (tested once here, not per step). */
  private readonly pid: Pid | null;
  /** Where the steps run: the caller's context, or the inbox an operation from outside runs in. */
  private ctx: Context | null;

  constructor(
    caller: Caller,
    private readonly server: ServerRef,
    private readonly request: unknown,
    private readonly timeoutMs: number,
    private readonly stepsOnly: boolean,
    /** The name the caller used, for errors (a via name resolved to `server`). */
    private readonly name: ServerRef = server,
  ) {
    super(caller, 'call', null, stepsOnly);
    this.ctx = stepsOnly ? (caller as Context) : null;
    this.pid = isPid(server) ? server : null;
  }

  override [Symbol.iterator](): Generator<unknown, T, any> {
    return this.stepsOnly ? (this as unknown as Generator<unknown, T, any>) : this.startSteps();
  }

  protected override steps(ctx: Context): Generator<unknown, T, any> {
    const server = this.server;
    if (this.pid === null && typeof server !== 'string') return viaCallSteps<T>(ctx, server as Via, this.request, this.timeoutMs);
    this.ctx = ctx;
    return this as unknown as Generator<unknown, T, any>;
  }

  next(input?: unknown): IteratorResult<unknown, T> {
    try {
      switch (this.state) {
        case START:
          return this.start();
        case WAITING:
          return this.answer(input as ReplyMessage | DownMessage | typeof TIMEOUT);
        case FLUSHING:
          throw new CallTimeoutError(this.name, this.timeoutMs);
        default:
          return { done: true, value: undefined as T };
      }
    } catch (e) {
      this.finish(undefined);
      throw e;
    }
  }

  throw(e: unknown): IteratorResult<unknown, T> {
    this.finish(undefined);
    throw e;
  }

  return(value: T): IteratorResult<unknown, T> {
    return this.finish(value);
  }

  private start(): IteratorResult<unknown, T> {
    const ctx = this.ctx!;
    // A via name was resolved before (viaCallSteps).
    const pid = this.pid ?? ctx.whereis(this.server as string);
    if (pid === undefined) throw new NoProcError(this.name);
    const self = ctx.self;
    if (pid.serial === self.serial && pid.equals(self)) {
      throw new BadArgError('call: a server cannot call itself (it would wait for its own reply forever)');
    }
    // One ref is the monitor and the reply alias (Erlang's monitor with {alias, reply_demonitor}):
    // the reply deactivates the alias and ends the monitor, so no DOWN can follow it; a DOWN
    // deactivates the alias. The receive starts at the ref's mailbox mark, and a DOWN the monitor
    // sends at once (dead server) comes after that mark.
    const ref = ctx.monitor(pid, REPLY_DEMONITOR);
    this.ref = ref;
    sendCall(ctx, pid, ref, this.request);
    this.state = WAITING;
    this.value = ctx.receive(
      (m) =>
        typeof m === 'object' &&
        m !== null &&
        ((m.$reply !== undefined && (m.$reply === ref || ref.equals(m.$reply))) ||
          (m.type === 'DOWN' && (m.ref === ref || ref.equals(m.ref)))),
      this.timeoutMs,
      ref,
    );
    return this as IteratorResult<unknown, T>;
  }

  private answer(got: ReplyMessage | DownMessage | typeof TIMEOUT): IteratorResult<unknown, T> {
    if (got === TIMEOUT) {
      const ctx = this.ctx!;
      const ref = this.ref!;
      // An active alias means nothing came through it; if a reply did (between the timer and
      // now), take it out so it never reaches a later receive.
      const active = ctx.unalias(ref);
      ctx.demonitor(ref, { flush: true });
      if (active) throw new CallTimeoutError(this.name, this.timeoutMs);
      this.state = FLUSHING;
      this.value = ctx.receive((m) => typeof m === 'object' && m !== null && ref.equals(m.$reply), 0, ref);
      return this as IteratorResult<unknown, T>;
    }
    if ('$reply' in got) return this.finish(got.value as T);
    throw got.reason === 'noproc' ? new NoProcError(this.name) : new CallExitError(this.name, got.reason);
  }

  private finish(value: T | undefined): IteratorResult<unknown, T> {
    this.state = DONE;
    this.done = true;
    this.value = value;
    this.ref = null;
    this.ctx = null;
    return this as IteratorResult<unknown, T>;
  }
}

/**
 * Sends `message` to `server` without waiting (OTP's cast): it never fails, even when nobody
 * holds the name or the server is dead (then the message is dropped). A via name is sent through
 * its registry, which forwards it in order.
 */
export function cast(caller: Caller, server: ServerRef, message: unknown): void {
  checkServerRef('cast', server);
  const msg: CastMessage = { $gen: 'cast', msg: message };
  if (isPid(server)) {
    caller.send(server, msg);
  } else if (typeof server === 'string') {
    const pid = caller.whereis(server);
    if (pid !== undefined) caller.send(pid, msg);
  } else {
    const [registry, key] = server.via;
    const pid = isPid(registry) ? registry : caller.whereis(registry);
    if (pid !== undefined) caller.send(pid, { $gen: 'cast', msg: { $via: 'send', key, msg } satisfies ViaCast } satisfies CastMessage);
  }
}

/**
 * Sends a plain message (not a cast) to a server by any name; false when nobody holds the name
 * (a via name: sent through the registry, so always true once the registry is found).
 */
export function sendTo(caller: Caller, server: ServerRef, message: unknown): boolean {
  checkServerRef('sendTo', server);
  if (isPid(server)) {
    caller.send(server, message);
    return true;
  }
  if (typeof server === 'string') {
    const pid = caller.whereis(server);
    if (pid !== undefined) caller.send(pid, message);
    return pid !== undefined;
  }
  const [registry, key] = server.via;
  const pid = isPid(registry) ? registry : caller.whereis(registry);
  if (pid === undefined) return false;
  caller.send(pid, { $gen: 'cast', msg: { $via: 'send', key, msg: message } satisfies ViaCast } satisfies CastMessage);
  return true;
}

/**
 * Answers a call (OTP's `gen_server:reply`): from `handleCall` for a deferred reply, or from any
 * actor that was handed `from`. A reply to a caller that gave up (timeout) is dropped.
 */
export function reply(caller: Caller, from: From, value: unknown): void {
  if (typeof from !== 'object' || from === null || !(from.ref instanceof Ref)) {
    throw new BadArgError(`reply: expected the \`from\` of a call, got: ${describeReason(from)}`);
  }
  if (caller instanceof ActorSystem) caller.send(from.ref, { $reply: from.ref, value } satisfies ReplyMessage);
  else sendReply(caller, from.ref, value);
}

/**
 * Sends a call envelope. On this thread only the request is copied and the envelope, made here
 * for this send, is handed over as it is (sendOwned); to another thread it is encoded whole.
 */
export function sendCall(ctx: Context, server: Pid, alias: Ref, request: unknown): void {
  const self = ctx.self;
  if (server.scheduler === self.scheduler && server.node === self.node) {
    sendOwned(ctx, server, { $gen: 'call', pid: self, ref: alias, req: copy(request) } satisfies CallMessage);
  } else {
    ctx.send(server, { $gen: 'call', pid: self, ref: alias, req: request } satisfies CallMessage);
  }
}

/** Sends a reply envelope to a caller's alias, as sendCall does a call. */
export function sendReply(ctx: Context, alias: Ref, value: unknown): void {
  const self = ctx.self;
  if (alias.scheduler === self.scheduler && alias.node === self.node) {
    sendOwned(ctx, alias, { $reply: alias, value: copy(value) } satisfies ReplyMessage);
  } else {
    ctx.send(alias, { $reply: alias, value } satisfies ReplyMessage);
  }
}

/**
 * Asks `server` to stop with `reason` (its `terminate` runs) and waits until it has exited.
 * Rejects with NoProcError when it is not running, with CallTimeoutError after `timeoutMs`
 * (the server is then left running), and with CallExitError when it exited with another reason
 * (its terminate failed).
 */
export function stop(caller: Caller, server: ServerRef, reason: ExitReason = 'normal', timeoutMs = Infinity): Op<void> {
  checkServerRef('stop', server);
  checkTimeout('stop', timeoutMs);
  return new Op(caller, 'stop', function* (ctx) {
    const pid = yield* whereisSteps(ctx, server);
    if (pid === undefined) throw new NoProcError(server);
    const mref = ctx.monitor(pid);
    ctx.send(pid, { $gen: 'stop', reason } satisfies StopMessage);
    const down = yield ctx.receive((m) => m?.type === 'DOWN' && mref.equals(m.ref), timeoutMs);
    if (down === TIMEOUT) {
      ctx.demonitor(mref, { flush: true });
      throw new CallTimeoutError(server, timeoutMs);
    }
    const got = (down as { reason: ExitReason }).reason;
    if (got === 'noproc') throw new NoProcError(server);
    if (got !== reason && describeReason(got) !== describeReason(reason)) throw new CallExitError(server, got);
  });
}

export function isCallMessage(m: unknown): m is CallMessage {
  return typeof m === 'object' && m !== null && (m as CallMessage).$gen === 'call';
}
