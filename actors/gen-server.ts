/**
 * GenServer: the receive loop of a server whose behaviour is a callback module (OTP's
 * gen_server). This file is only the loop and its start protocol; naming and call/cast/reply are
 * the generic layer (gen.ts).
 *
 *   user module (callbacks)            generic (this file)                 starter
 *                                      spawn(loop, spec) ◀──────────────── start/startLink
 *                                      register name (spec.name)
 *   init(args) ─────────────────────▶  {ok,state} | {stop} | {ignore} ──ack──▶ StartResult
 *                                      loop: receive
 *   handleCall(req, from, state) ◀──── {$gen:'call'}  ── reply ──▶ caller's alias
 *   handleCast(msg, state)       ◀──── {$gen:'cast'}
 *   handleInfo(msg, state)       ◀──── anything else (EXIT from non-parents included)
 *   terminate(reason, state)     ◀──── {stop} result, a callback that throws or returns badly,
 *                                      {$gen:'stop'}, EXIT from the parent when trapping exits
 *                                      ──▶ exit(reason)
 *
 * Every call into user code goes through `settle` inside one try: a throw becomes the exit
 * reason and takes the single terminate path (OTP's try_dispatch). A callback may return its
 * result, a promise of it (I/O), or be a generator function (`function*`) that `yield*`s
 * postbox operations such as a call to another server.
 *
 * Two forms of the same loop: a generator actor (no promise per message: the fast path) when no
 * callback is an async function, else an async actor, in which callbacks may `await`
 * operations. `form` in `define` overrides the choice.
 */
import {
  ActorSystem,
  BadArgError,
  Pid,
  Ref,
  TIMEOUT,
  defineActor,
  isExitMessage,
  type Context,
  type ExitReason,
} from '../runtime/index.js';
import { BadReturnValueError } from './errors.js';
import {
  callSteps,
  isVia,
  sendReply,
  type CallMessage,
  type From,
  type GenMessage,
  type RegisterViaResult,
  type ServerName,
  type ViaRequest,
} from './gen.js';
import { defineExport, refOf, resolveExport, type ModuleRef } from './modules.js';
import { Op, drive, type Caller } from './op.js';
import { describeReason, isSystemPid } from './reasons.js';

/** What a callback may return: the result, a promise of it, or (a generator callback) steps ending in it. */
export type Returns<T> = T | PromiseLike<T> | Generator<unknown, T, any>;

export type InitResult<S> = { ok: true; state: S } | { stop: ExitReason } | { ignore: true };
export type CallResult<S, R = unknown> =
  | { reply: R; state: S }
  | { noreply: true; state: S }
  | { stop: ExitReason; reply?: R; state?: S };
export type CastResult<S> = { noreply: true; state: S } | { stop: ExitReason; state?: S };
export type InfoResult<S> = CastResult<S>;

/**
 * A GenServer callback module. Each callback gets the server's context last (to send, spawn,
 * reply later, or `yield*` operations in a generator callback). Only `init` is required; a call
 * or cast without its callback ends the server with an error; unhandled info messages are
 * dropped; `terminate` is skipped when the server is killed or does not trap exits.
 */
export interface GenServerCallbacks<S = any, A = any, Req = any, Res = any, Cast = any> {
  init(args: A, ctx: Context): Returns<InitResult<S>>;
  handleCall?(request: Req, from: From, state: S, ctx: Context): Returns<CallResult<S, Res>>;
  handleCast?(message: Cast, state: S, ctx: Context): Returns<CastResult<S>>;
  handleInfo?(message: any, state: S, ctx: Context): Returns<InfoResult<S>>;
  terminate?(reason: ExitReason, state: S, ctx: Context): Returns<unknown>;
}

export type LoopForm = 'generator' | 'async';

/** A callback module defined with `define`, so it can be started on any scheduler by reference. */
export interface ServerModule<S = any, A = any> extends ModuleRef {
  readonly callbacks: GenServerCallbacks<S, A>;
  readonly form: LoopForm;
}

export interface StartOptions {
  /** Register the server under this name before `init` runs (taken: `already_started`). */
  name?: ServerName;
  /** Scheduler to run on (modules from `define` only). */
  scheduler?: number;
  /** Give up on a slow `init` after this long: the server is killed, the result is `timeout`. Default: wait. */
  timeoutMs?: number;
}

/**
 * Outcome of a start: the pid once `init` returned `{ok}`; else why not — `init`'s stop reason or
 * thrown error, `'ignore'`, `'already_started'` (with the holder's pid) or `'timeout'`.
 */
export type StartResult =
  | { ok: true; pid: Pid }
  | { ok: false; error: 'already_started'; pid: Pid }
  | { ok: false; error: ExitReason };

/** Spawn argument of the loop (plain data). */
interface ServerSpec {
  readonly mod: ModuleRef | null;
  readonly args: unknown;
  /** The starter's alias for the start result. */
  readonly ack: Ref;
  readonly parent: Pid | null;
  readonly name: ServerName | undefined;
}

interface AckMessage {
  readonly $ack: Ref;
  readonly result: StartResult;
}

const modules = new WeakSet<object>();

export function isServerModule(v: unknown): v is ServerModule {
  return typeof v === 'object' && v !== null && modules.has(v);
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;

function formFor(callbacks: GenServerCallbacks): LoopForm {
  return Object.values(callbacks).some((f) => f instanceof AsyncFunction) ? 'async' : 'generator';
}

function checkCallbacks(what: string, callbacks: unknown): asserts callbacks is GenServerCallbacks {
  if (typeof callbacks !== 'object' || callbacks === null || typeof (callbacks as GenServerCallbacks).init !== 'function') {
    throw new BadArgError(`${what}: expected a callback module with an init function, got: ${describeReason(callbacks)}`);
  }
  for (const k of ['handleCall', 'handleCast', 'handleInfo', 'terminate'] as const) {
    const f = (callbacks as GenServerCallbacks)[k];
    if (f !== undefined && typeof f !== 'function') throw new BadArgError(`${what}: expected ${k} to be a function, got: ${typeof f}`);
  }
}

/**
 * Defines a GenServer callback module exported as `name` from the module at `moduleUrl` (pass
 * `import.meta.url`), so that it can be started on any scheduler.
 */
export function define<S, A>(
  moduleUrl: string,
  name: string,
  callbacks: GenServerCallbacks<S, A>,
  options: { form?: LoopForm } = {},
): ServerModule<S, A> {
  checkCallbacks('GenServer.define', callbacks);
  const form = options.form ?? formFor(callbacks);
  if (form !== 'generator' && form !== 'async') throw new BadArgError(`GenServer.define: expected form 'generator' or 'async', got: ${String(form)}`);
  const mod: ServerModule<S, A> = Object.freeze({ module: moduleUrl, name, callbacks, form });
  defineExport('GenServer.define', moduleUrl, name, mod);
  modules.add(mod);
  return mod;
}

// ── the loop ─────────────────────────────────────────────────────────────────

/**
 * Spawned for modules from `define` (any scheduler); the form decides which. Such a server may
 * run on another thread, where it could exit before the starter's monitor is in place (the
 * starter would see `noproc`, not the reason): it waits for the starter's go, sent after the
 * monitor, before anything else (serverLoop does, for a module server).
 *
 * The generator form is serverLoop itself rather than a generator that `yield*`s it: delegation
 * resumes two generators (and makes two result objects) per message, and the `yield*` line was
 * ~3% of a same-thread call profile on its own.
 */
export const GenServerLoop = defineActor(import.meta.url, 'GenServerLoop', serverLoop);

export const GenServerAsyncLoop = defineActor(import.meta.url, 'GenServerAsyncLoop', async (ctx, spec: ServerSpec) => {
  await drive(serverLoop(ctx, spec));
});

interface GoMessage {
  readonly $go: Ref;
}

function isGoFor(spec: ServerSpec) {
  return (m: unknown) => typeof m === 'object' && m !== null && spec.ack.equals((m as GoMessage).$go);
}

/** True while the actor lives (false once its code was ended under it, e.g. `ctx.exit`, a kill). */
function alive(ctx: Context): boolean {
  return ctx.info() !== undefined;
}

/**
 * Runs a callback's return value to its result: an operation or a generator is delegated to, a
 * promise is yielded (awaited, or suspended on by a generator actor).
 */
export function* settle(r: any): Generator<unknown, any, any> {
  if (typeof r === 'object' && r !== null) {
    // An operation returned (not awaited) runs as steps: that works in both loop forms.
    if (r instanceof Op) return yield* r;
    if (typeof r.then === 'function') return yield r;
    if (typeof r.next === 'function' && typeof r[Symbol.iterator] === 'function') return yield* r;
  }
  return r;
}

/** The server: `inline` callbacks (an inline server, started on the caller's scheduler), or null: a module server, which first waits for its go. */
function* serverLoop(ctx: Context, spec: ServerSpec, inline: GenServerCallbacks | null = null): Generator<unknown, void, any> {
  if (inline === null) yield ctx.receive(isGoFor(spec));
  const ackTo = (result: StartResult) => ctx.send(spec.ack, { $ack: spec.ack, result } satisfies AckMessage);
  // A failed start is reported by the ack, not by an exit signal: unlink first, so a starter
  // that does not trap exits is not taken down with us (it gets the reason as its result).
  const failStart = (result: StartResult & { ok: false }, reason: ExitReason): never => {
    ackTo(result);
    if (spec.parent !== null) ctx.unlink(spec.parent);
    return ctx.exit(reason);
  };

  let cb: GenServerCallbacks;
  let state: unknown;
  try {
    cb = inline ?? (yield* resolveExport(spec.mod!, isServerModule)).callbacks;
    if (spec.name !== undefined) {
      const r = yield* registerName(ctx, spec.name);
      if (!r.ok) return failStart({ ok: false, error: 'already_started', pid: r.pid }, 'normal');
    }
    const r: unknown = yield* settle(cb.init(spec.args, ctx));
    if (isObject(r) && r.ok === true && 'state' in r) {
      state = r.state;
    } else if (isObject(r) && 'stop' in r) {
      return failStart({ ok: false, error: r.stop }, r.stop);
    } else if (isObject(r) && r.ignore === true) {
      return failStart({ ok: false, error: 'ignore' }, 'normal');
    } else {
      const reason = new BadReturnValueError('init', r);
      return failStart({ ok: false, error: reason }, reason);
    }
  } catch (e) {
    if (!alive(ctx)) throw e;
    return failStart({ ok: false, error: e }, e);
  }
  ackTo({ ok: true, pid: ctx.self });

  const parent = spec.parent;
  for (;;) {
    const msg: any = yield ctx.receive();
    const tag = typeof msg === 'object' && msg !== null ? (msg as GenMessage).$gen : undefined;
    let callback: 'handleCall' | 'handleCast' | 'handleInfo';
    let r: any;
    try {
      if (tag === 'call') {
        callback = 'handleCall';
        const call = msg as CallMessage;
        if (cb.handleCall === undefined) throw new Error(`GenServer ${ctx.self} got a call but defines no handleCall`);
        r = cb.handleCall(call.req, { pid: call.pid, ref: call.ref }, state, ctx);
        if (typeof r === 'object' && r !== null && 'reply' in r && 'state' in r && !('stop' in r)) {
          // The hot path: an immediate reply, no promise, no generator.
          sendReply(ctx, call.ref, r.reply);
          state = r.state;
          continue;
        }
        r = yield* settle(r);
      } else if (tag === 'cast') {
        callback = 'handleCast';
        if (cb.handleCast === undefined) throw new Error(`GenServer ${ctx.self} got a cast but defines no handleCast`);
        r = yield* settle(cb.handleCast(msg.msg, state, ctx));
      } else if (tag === 'stop') {
        return yield* terminate(ctx, cb, msg.reason, state);
      } else if (isExitMessage(msg) && (parent !== null ? parent.equals(msg.from) : isSystemPid(msg.from))) {
        return yield* terminate(ctx, cb, msg.reason, state);
      } else {
        callback = 'handleInfo';
        if (cb.handleInfo === undefined) continue;
        r = yield* settle(cb.handleInfo(msg, state, ctx));
      }
    } catch (e) {
      if (!alive(ctx)) throw e;
      return yield* terminate(ctx, cb, e, state);
    }
    if (isObject(r)) {
      if ('stop' in r) {
        if (callback === 'handleCall' && 'reply' in r) sendReply(ctx, (msg as CallMessage).ref, r.reply);
        return yield* terminate(ctx, cb, r.stop, 'state' in r ? r.state : state);
      }
      if ('state' in r) {
        if (callback === 'handleCall' && 'reply' in r) {
          sendReply(ctx, (msg as CallMessage).ref, r.reply);
          state = r.state;
          continue;
        }
        if (r.noreply === true) {
          state = r.state;
          continue;
        }
      }
    }
    return yield* terminate(ctx, cb, new BadReturnValueError(callback, r), state);
  }
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null;
}

/** Runs `terminate` (if defined) and exits with `reason`, or with terminate's error if it throws. */
function* terminate(ctx: Context, cb: GenServerCallbacks, reason: ExitReason, state: unknown): Generator<unknown, never, any> {
  let final = reason;
  if (cb.terminate !== undefined) {
    try {
      yield* settle(cb.terminate(reason, state, ctx));
    } catch (e) {
      if (!alive(ctx)) throw e;
      final = e;
    }
  }
  return ctx.exit(final);
}

/** Registers the starting server under its name; a taken name reports its holder. */
function* registerName(ctx: Context, name: ServerName): Generator<unknown, { ok: true } | { ok: false; pid: Pid }, any> {
  if (typeof name === 'string') {
    const r = ctx.register(name);
    if (r.ok) return r;
    const holder = ctx.whereis(name);
    if (r.error === 'name_taken' && holder !== undefined) return { ok: false, pid: holder };
    throw new BadArgError(`GenServer: cannot register as "${name}": ${r.error}`);
  }
  const [registry, key] = name.via;
  const r: RegisterViaResult = yield* callSteps(ctx, registry, { $via: 'register', key, pid: ctx.self } satisfies ViaRequest, 5_000);
  return r.ok ? r : { ok: false, pid: r.pid };
}

// ── starting ─────────────────────────────────────────────────────────────────

/** The steps of a start, for behaviours that compose them (the supervisor). */
export function* startSteps(
  ctx: Context,
  origin: Context | ActorSystem,
  server: ServerModule | GenServerCallbacks,
  args: unknown,
  link: boolean,
  options: StartOptions,
  /** Loop form of an inline callback module (default: chosen from its callbacks). */
  inlineForm?: LoopForm,
): Generator<unknown, StartResult, any> {
  const linked = link && !(origin instanceof ActorSystem);
  const ack = ctx.alias({ reply: true });
  const spec: ServerSpec = {
    mod: isServerModule(server) ? refOf(server) : null,
    args,
    ack,
    parent: linked ? ctx.self : null,
    name: options.name,
  };
  const spawnOptions = { link: linked, scheduler: options.scheduler };
  let pid: Pid;
  if (isServerModule(server)) {
    pid = origin.spawnOpt(server.form === 'async' ? GenServerAsyncLoop : GenServerLoop, [spec], spawnOptions);
  } else {
    if (options.scheduler !== undefined) {
      throw new BadArgError('GenServer.start: an inline callback module runs on the caller\'s scheduler; use GenServer.define to place it');
    }
    const callbacks = server;
    const body =
      (inlineForm ?? formFor(callbacks)) === 'async'
        ? async (c: Context, s: ServerSpec) => drive(serverLoop(c, s, callbacks))
        : function* (c: Context, s: ServerSpec) {
            yield* serverLoop(c, s, callbacks);
          };
    pid = origin.spawnOpt(body, [spec], spawnOptions);
  }
  const mref = ctx.monitor(pid);
  if (isServerModule(server)) ctx.send(pid, { $go: ack } satisfies GoMessage);
  const got: AckMessage | { type: 'DOWN'; reason: ExitReason } | typeof TIMEOUT = yield ctx.receive(
    (m) => typeof m === 'object' && m !== null && (ack.equals(m.$ack) || (m.type === 'DOWN' && mref.equals(m.ref))),
    options.timeoutMs ?? Infinity,
    ack,
  );
  if (got === TIMEOUT) {
    ctx.unalias(ack);
    if (linked) ctx.unlink(pid);
    ctx.exit(pid, 'kill');
    ctx.demonitor(mref, { flush: true });
    return { ok: false, error: 'timeout' };
  }
  ctx.demonitor(mref, { flush: true });
  if ('$ack' in got) return got.result;
  ctx.unalias(ack);
  return { ok: false, error: got.reason };
}

function checkServer(what: string, server: unknown): asserts server is ServerModule | GenServerCallbacks {
  if (!isServerModule(server)) checkCallbacks(what, server);
}

function checkOptions(what: string, options: StartOptions): void {
  if (typeof options !== 'object' || options === null) throw new BadArgError(`${what}: expected options, got: ${describeReason(options)}`);
  if (options.name !== undefined && !(typeof options.name === 'string' && options.name.length > 0) && !isVia(options.name)) {
    throw new BadArgError(`${what}: expected name to be a string or {via: [registry, key]}, got: ${describeReason(options.name)}`);
  }
}

/**
 * Starts a server, not linked, and resolves once its `init` has returned (see StartResult). A
 * `define`d module may be placed on any scheduler; an inline callback object runs on the
 * caller's scheduler.
 */
export function start<A>(caller: Caller, server: ServerModule<any, A> | GenServerCallbacks<any, A>, args?: A, options: StartOptions = {}): Op<StartResult> {
  checkServer('GenServer.start', server);
  checkOptions('GenServer.start', options);
  return new Op(caller, 'GenServer.start', (ctx, origin) => startSteps(ctx, origin, server, args, false, options));
}

/**
 * Like `start`, linked to the caller (the server's parent: an exit signal from it runs
 * `terminate` when the server traps exits). A failed start does not send the caller an exit
 * signal. From outside code (the system) there is no one to link to: it is `start`.
 */
export function startLink<A>(caller: Caller, server: ServerModule<any, A> | GenServerCallbacks<any, A>, args?: A, options: StartOptions = {}): Op<StartResult> {
  checkServer('GenServer.startLink', server);
  checkOptions('GenServer.startLink', options);
  return new Op(caller, 'GenServer.startLink', (ctx, origin) => startSteps(ctx, origin, server, args, true, options));
}
