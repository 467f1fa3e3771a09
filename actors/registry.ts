/**
 * Registry: a name registry server (Elixir's Registry, `:via` names). Any key (string or
 * number) names one pid; the registry monitors each pid it names and frees its keys when it
 * exits. GenServers and supervisor children take a name `{via: [registry, key]}`, and call,
 * cast and stop accept one.
 *
 *   GenServer start {name: {via}} ──call {$via:'register'}──▶ Registry ──monitor──▶ pid
 *   call(ctx, {via}, req) ──call {$via:'whereis'}──▶ Registry ──pid──▶ then the call itself
 *   cast(ctx, {via}, msg) ──cast {$via:'send'}────▶ Registry ──forwards, in order──▶ pid
 *   pid exits ──DOWN──▶ Registry frees its keys
 *
 * Lookups are calls to the registry (there is no shared table across threads), so a via call
 * costs two round trips; names used on hot paths are better held as pids. A key freed by an
 * exit on another thread may briefly still be held when the replacement registers (the DOWN is
 * in flight): registration then reports `already_registered`.
 */
import { ActorSystem, BadArgError, Pid, isDownMessage, type Context, type Ref } from '../runtime/index.js';
import { call, cast, type RegisterViaResult, type RegistryKey, type ServerRef, type Via, type ViaCast, type ViaRequest } from './gen.js';
import { define, start as startServer, startLink as startServerLink, type GenServerCallbacks, type StartResult } from './gen-server.js';
import { Op, type Caller } from './op.js';
import { describeReason } from './reasons.js';
import type { ChildSpec } from './supervisor-spec.js';

interface Holder {
  mref: Ref;
  keys: Set<RegistryKey>;
}

interface State {
  byKey: Map<RegistryKey, Pid>;
  /** By pid string: its monitor and the keys it holds. */
  byPid: Map<string, Holder>;
}

type Request = ViaRequest | { $reg: 'keys'; pid: Pid } | { $reg: 'count' };

function release(ctx: Context, state: State, key: RegistryKey): boolean {
  const pid = state.byKey.get(key);
  if (pid === undefined) return false;
  state.byKey.delete(key);
  const holder = state.byPid.get(pid.toString());
  if (holder !== undefined) {
    holder.keys.delete(key);
    if (holder.keys.size === 0) {
      ctx.demonitor(holder.mref, { flush: true });
      state.byPid.delete(pid.toString());
    }
  }
  return true;
}

const callbacks: GenServerCallbacks<State, undefined, Request> = {
  init: () => ({ ok: true, state: { byKey: new Map(), byPid: new Map() } }),

  handleCall(req, _from, state, ctx) {
    if ('$via' in req) {
      switch (req.$via) {
        case 'whereis':
          return { reply: state.byKey.get(req.key), state };
        case 'register': {
          const holder = state.byKey.get(req.key);
          if (holder !== undefined) {
            return { reply: { ok: false, error: 'already_registered', pid: holder } satisfies RegisterViaResult, state };
          }
          const k = req.pid.toString();
          let h = state.byPid.get(k);
          if (h === undefined) {
            // A dead pid gets its DOWN at once: the key is freed when it is handled.
            h = { mref: ctx.monitor(req.pid), keys: new Set() };
            state.byPid.set(k, h);
          }
          h.keys.add(req.key);
          state.byKey.set(req.key, req.pid);
          return { reply: { ok: true } satisfies RegisterViaResult, state };
        }
        case 'unregister':
          return { reply: release(ctx, state, req.key), state };
      }
    }
    if (req.$reg === 'keys') return { reply: [...(state.byPid.get(req.pid.toString())?.keys ?? [])], state };
    if (req.$reg === 'count') return { reply: state.byKey.size, state };
    throw new BadArgError(`Registry: unknown request ${describeReason(req)}`);
  },

  handleCast(msg: ViaCast, state, ctx) {
    if (msg.$via === 'send') {
      const pid = state.byKey.get(msg.key);
      if (pid !== undefined) ctx.send(pid, msg.msg);
    }
    return { noreply: true, state };
  },

  handleInfo(msg, state) {
    if (isDownMessage(msg)) {
      const k = msg.pid.toString();
      const h = state.byPid.get(k);
      if (h !== undefined && h.mref.equals(msg.ref)) {
        for (const key of h.keys) state.byKey.delete(key);
        state.byPid.delete(k);
      }
    }
    return { noreply: true, state };
  },
};

/** The registry server (a GenServer module: it can run on any scheduler, under a supervisor). */
export const RegistryServer = define(import.meta.url, 'RegistryServer', callbacks);

export interface RegistryOptions {
  /** Registered name of the registry itself (how `via` names usually refer to it). */
  name?: string;
  scheduler?: number;
}

/** Starts a registry, not linked. */
export function start(caller: Caller, options: RegistryOptions = {}): Op<StartResult> {
  return startServer(caller, RegistryServer, undefined, options);
}

/** Starts a registry linked to the caller. */
export function startLink(caller: Caller, options: RegistryOptions = {}): Op<StartResult> {
  return startServerLink(caller, RegistryServer, undefined, options);
}

/** A child spec for a registry registered as `name` (start it before the children that use it). */
export function childSpec(id: string, name: string, options: Omit<ChildSpec, 'id' | 'start'> = {}): ChildSpec {
  if (typeof name !== 'string' || name.length === 0) throw new BadArgError(`Registry.childSpec: expected a registry name, got: ${describeReason(name)}`);
  return { ...options, id, start: { server: RegistryServer, name } };
}

/** The via name of `key` in `registry`. */
export function via(registry: Pid | string, key: RegistryKey): Via {
  if (!(registry instanceof Pid) && !(typeof registry === 'string' && registry.length > 0)) {
    throw new BadArgError(`Registry.via: expected a registry pid or name, got: ${describeReason(registry)}`);
  }
  if (typeof key !== 'string' && typeof key !== 'number') throw new BadArgError(`Registry.via: expected a string or number key, got: ${describeReason(key)}`);
  return { via: [registry, key] };
}

/**
 * Names `pid` (default: the calling actor) `key`. Resolves `{ok: false, error:
 * 'already_registered', pid}` when another pid holds it.
 */
export function register(caller: Caller, registry: ServerRef, key: RegistryKey, pid?: Pid): Op<RegisterViaResult> {
  const who = pid ?? (caller instanceof ActorSystem ? undefined : caller.self);
  if (!(who instanceof Pid)) throw new BadArgError('Registry.register: outside an actor, pass the pid to register');
  return call(caller, registry, { $via: 'register', key, pid: who } satisfies ViaRequest);
}

/** Frees `key`; true if it was held. */
export function unregister(caller: Caller, registry: ServerRef, key: RegistryKey): Op<boolean> {
  return call(caller, registry, { $via: 'unregister', key } satisfies ViaRequest);
}

/** The pid holding `key`, or undefined. */
export function lookup(caller: Caller, registry: ServerRef, key: RegistryKey): Op<Pid | undefined> {
  return call(caller, registry, { $via: 'whereis', key } satisfies ViaRequest);
}

/** The keys `pid` holds. */
export function keys(caller: Caller, registry: ServerRef, pid: Pid): Op<RegistryKey[]> {
  return call(caller, registry, { $reg: 'keys', pid } satisfies Request);
}

/** How many keys are held. */
export function count(caller: Caller, registry: ServerRef): Op<number> {
  return call(caller, registry, { $reg: 'count' } satisfies Request);
}

/** Sends `message` (a plain message, not a cast) to the holder of `key`, through the registry; dropped if none. */
export function send(caller: Caller, registry: ServerRef, key: RegistryKey, message: unknown): void {
  cast(caller, registry, { $via: 'send', key, msg: message } satisfies ViaCast);
}
