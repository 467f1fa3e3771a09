/**
 * Supervisor: a GenServer callback module (OTP's supervisor is a gen_server). It traps exits,
 * starts its children in order, restarts them by their restart type and its strategy, gives up
 * when restarts exceed its intensity, and stops its children in reverse order when it stops.
 *
 *   parent ──startLink──▶ SupervisorServer.init: trapExit, start children in order
 *   child exits ──EXIT──▶ handleInfo: report, restart type → restart by strategy
 *                          one_for_one: the child │ rest_for_one: it and those after │ one_for_all: all
 *                          too many restarts in periodMs ──▶ {stop: 'shutdown'} ──▶ parent decides
 *   client ──call──▶ handleCall: startChild / terminateChild / restartChild / deleteChild / which / count
 *   parent EXIT, stop ──▶ terminate: children shut down in reverse start order
 *
 * Its own loop is the async form, so a child's start function may be an async function that
 * awaits postbox operations (or a generator that `yield*`s them).
 */
import { BadArgError, Pid, isExitMessage, isOrderlyExit, type Context, type ExitReason } from '../runtime/index.js';
import { callSteps, type From, type ServerName, type ServerRef } from './gen.js';
import {
  define as defineServer,
  settle,
  startSteps,
  type CallResult,
  type GenServerCallbacks,
  type InfoResult,
  type InitResult,
  type StartOptions,
  type StartResult,
} from './gen-server.js';
import { defineExport, refOf, resolveExport, type ModuleRef } from './modules.js';
import { Op, type Caller } from './op.js';
import { describeReason } from './reasons.js';
import { report, type ChildRef } from './reports.js';
import {
  isSupervisorModule,
  markSupervisorModule,
  normaliseChildSpec,
  normaliseSupervisorSpec,
  shutdownChild,
  shutdownMany,
  startChild as startChildSteps,
  toWire,
  type ChildSpec,
  type ChildType,
  type NormalSpec,
  type NormalSupervisorSpec,
  type RestartType,
  type SupervisorModule,
  type SupervisorSpec,
} from './supervisor-spec.js';

/** One child as `whichChildren` reports it (`pid` undefined: not running). */
export interface ChildInfo {
  id: string;
  pid: Pid | undefined;
  type: ChildType;
  restart: RestartType;
}

export interface ChildCounts {
  /** Child specs (dynamic children of simple_one_for_one count one each). */
  specs: number;
  /** Children running. */
  active: number;
  supervisors: number;
  workers: number;
}

/** Outcome of terminateChild / deleteChild. */
export type ChildResult = { ok: true } | { ok: false; error: 'not_found' | 'running' };

/** Outcome of startChild / restartChild. */
export type StartChildResult = StartResult | { ok: false; error: 'already_present' | 'running' | 'not_found' };

interface Child extends ChildRef {
  spec: NormalSpec;
  /** Extra start arguments of a dynamic child. */
  extra: unknown[];
  /** Unique within the supervisor (dynamic children share their template's id). */
  key: number;
  /** The pid it had before it last stopped (for restart reports). */
  previousPid?: Pid;
}

interface State {
  strategy: NormalSupervisorSpec['strategy'];
  intensity: number;
  periodMs: number;
  /** In start order. */
  children: Child[];
  byPid: Map<string, Child>;
  template: NormalSpec | undefined;
  /** Times of recent restarts (performance.now()). */
  restarts: number[];
  nextKey: number;
}

type Request =
  | { $sup: 'startChild'; spec?: ChildSpec; extra?: unknown[] }
  | { $sup: 'terminateChild'; id?: string; pid?: Pid }
  | { $sup: 'restartChild'; id: string }
  | { $sup: 'deleteChild'; id: string }
  | { $sup: 'whichChildren' }
  | { $sup: 'countChildren' };

/** A misuse found by the supervisor, thrown as BadArgError on the caller's side. */
interface BadArgReply {
  $badarg: string;
}

type Args = { mod: ModuleRef; args: unknown };

// ── the callback module ──────────────────────────────────────────────────────

function* initWith(ctx: Context, spec: NormalSupervisorSpec): Generator<unknown, InitResult<State>, any> {
  ctx.trapExit(true);
  const state: State = {
    strategy: spec.strategy,
    intensity: spec.intensity,
    periodMs: spec.periodMs,
    children: [],
    byPid: new Map(),
    template: spec.strategy === 'simple_one_for_one' ? spec.children[0] : undefined,
    restarts: [],
    nextKey: 0,
  };
  if (state.template !== undefined) return { ok: true, state };
  for (const s of spec.children) {
    const child = newChild(state, s, []);
    const r = yield* startChildSteps(ctx, s, [], startSupervisorLinked);
    if (r.ok) {
      setPid(state, child, r.pid);
    } else if (r.error !== 'ignore') {
      report(ctx, 'start_error', child, r.error);
      state.children.pop();
      yield* stopChildren(ctx, state);
      return { stop: { shutdown: { failedToStartChild: s.id, reason: r.error } } };
    }
  }
  return { ok: true, state };
}

const callbacks: GenServerCallbacks<State, Args> = {
  *init(args, ctx) {
    const mod = yield* resolveExport(args.mod, isSupervisorModule);
    const spec: unknown = yield* settle(mod.init(args.args, ctx));
    if (typeof spec === 'object' && spec !== null && (spec as { ignore?: boolean }).ignore === true) return { ignore: true };
    return yield* initWith(ctx, normaliseSupervisorSpec(`supervisor ${mod.name} init`, spec));
  },

  *handleCall(req: Request, _from: From, state, ctx): Generator<unknown, CallResult<State>, any> {
    try {
      return { reply: yield* handleRequest(ctx, state, req), state };
    } catch (e) {
      if (e instanceof BadArgError) return { reply: { $badarg: e.message } satisfies BadArgReply, state };
      throw e;
    }
  },

  *handleInfo(msg, state, ctx): Generator<unknown, InfoResult<State>, any> {
    if (isExitMessage(msg)) {
      const child = state.byPid.get(msg.from.toString());
      if (child === undefined) return { noreply: true, state }; // not (or no longer) ours
      return (yield* onChildExit(ctx, state, child, msg.reason)) ? { noreply: true, state } : { stop: 'shutdown', state };
    }
    if (typeof msg === 'object' && msg !== null && msg.$sup === 'retry') {
      const child = state.children.find((c) => c.key === msg.key);
      if (child === undefined || child.pid !== undefined) return { noreply: true, state };
      return (yield* restart(ctx, state, child, 'retry')) ? { noreply: true, state } : { stop: 'shutdown', state };
    }
    return { noreply: true, state };
  },

  *terminate(_reason, state, ctx) {
    yield* stopChildren(ctx, state);
  },
};

/** Supervisors of `define`d modules run this server (any scheduler). */
export const SupervisorServer = defineServer(import.meta.url, 'SupervisorServer', callbacks, { form: 'async' });

function newChild(state: State, spec: NormalSpec, extra: unknown[]): Child {
  const child: Child = { id: spec.id, pid: undefined, type: spec.type, spec, extra, key: state.nextKey++ };
  state.children.push(child);
  return child;
}

function setPid(state: State, child: Child, pid: Pid | undefined): void {
  if (child.pid !== undefined) {
    state.byPid.delete(child.pid.toString());
    child.previousPid = child.pid;
  }
  child.pid = pid;
  if (pid !== undefined) state.byPid.set(pid.toString(), child);
}

function removeChild(state: State, child: Child): void {
  setPid(state, child, undefined);
  const i = state.children.indexOf(child);
  if (i >= 0) state.children.splice(i, 1);
}

/** Stops every running child, newest first (simple_one_for_one: all at once). */
function* stopChildren(ctx: Context, state: State): Generator<unknown, void, any> {
  if (state.template !== undefined) {
    const running = state.children.filter((c) => c.pid !== undefined);
    if (running.length > 0) yield* shutdownMany(ctx, running, state.template.shutdown);
    for (const c of running) setPid(state, c, undefined);
    return;
  }
  for (let i = state.children.length - 1; i >= 0; i--) {
    const c = state.children[i]!;
    if (c.pid === undefined) continue;
    yield* shutdownChild(ctx, c, c.spec.shutdown);
    setPid(state, c, undefined);
  }
}

/** A child exited by itself: report, then restart by its type. False: restart intensity exceeded. */
function* onChildExit(ctx: Context, state: State, child: Child, reason: ExitReason): Generator<unknown, boolean, any> {
  if (!isOrderlyExit(reason)) report(ctx, 'child_terminated', child, reason);
  setPid(state, child, undefined);
  const { restart: type } = child.spec;
  if (type === 'temporary' || (type === 'transient' && isOrderlyExit(reason))) {
    if (type === 'temporary' || state.template !== undefined) removeChild(state, child);
    return true;
  }
  return yield* restart(ctx, state, child, reason);
}

/** Counts a restart; false when there are now more than `intensity` in the period. */
function addRestart(state: State): boolean {
  const now = performance.now();
  state.restarts.push(now);
  while (state.restarts.length > 0 && now - state.restarts[0]! > state.periodMs) state.restarts.shift();
  return state.restarts.length <= state.intensity;
}

/**
 * Restarts `child` and, by the strategy, its group: the others of the group are stopped newest
 * first, then all started in order. A start that fails is retried from a message to ourselves
 * (each retry counts as a restart), so calls are served meanwhile.
 */
function* restart(ctx: Context, state: State, child: Child, reason: ExitReason): Generator<unknown, boolean, any> {
  if (!addRestart(state)) {
    report(ctx, 'reached_max_restart_intensity', child, reason, { intensity: state.intensity, periodMs: state.periodMs });
    return false;
  }
  let group: Child[];
  if (state.strategy === 'rest_for_one') group = state.children.slice(state.children.indexOf(child));
  else if (state.strategy === 'one_for_all') group = state.children.slice();
  else group = [child];
  for (let i = group.length - 1; i >= 0; i--) {
    const c = group[i]!;
    if (c === child || c.pid === undefined) continue;
    yield* shutdownChild(ctx, c, c.spec.shutdown);
    setPid(state, c, undefined);
    if (c.spec.restart === 'temporary') removeChild(state, c);
  }
  for (const c of group) {
    if (!state.children.includes(c)) continue; // a temporary one, removed above
    const r = yield* startChildSteps(ctx, c.spec, c.extra, startSupervisorLinked);
    if (r.ok) {
      setPid(state, c, r.pid);
      const previousPid = c.previousPid?.toString();
      report(ctx, 'child_restarted', c, reason, c === child ? { previousPid } : { previousPid, restartedWith: child.id });
    } else if (r.error === 'ignore') {
      if (state.template !== undefined) removeChild(state, c);
    } else {
      report(ctx, 'start_error', c, r.error);
      ctx.send(ctx.self, { $sup: 'retry', key: c.key });
      return true;
    }
  }
  return true;
}

function* handleRequest(ctx: Context, state: State, req: Request): Generator<unknown, unknown, any> {
  if (typeof req !== 'object' || req === null || typeof req.$sup !== 'string') {
    throw new BadArgError(`supervisor: expected a supervisor request, got: ${describeReason(req)}`);
  }
  switch (req.$sup) {
    case 'startChild':
      return yield* handleStartChild(ctx, state, req);
    case 'terminateChild': {
      const child =
        req.pid !== undefined ? state.byPid.get(req.pid.toString()) : state.template === undefined ? findById(state, req.id!) : undefined;
      if (child === undefined) return { ok: false, error: 'not_found' } satisfies ChildResult;
      if (child.pid !== undefined) {
        yield* shutdownChild(ctx, child, child.spec.shutdown);
        setPid(state, child, undefined);
      }
      if (child.spec.restart === 'temporary' || state.template !== undefined) removeChild(state, child);
      return { ok: true } satisfies ChildResult;
    }
    case 'restartChild': {
      const child = findById(state, req.id);
      if (child === undefined || state.template !== undefined) return { ok: false, error: 'not_found' };
      if (child.pid !== undefined) return { ok: false, error: 'running' };
      const r = yield* startChildSteps(ctx, child.spec, [], startSupervisorLinked);
      if (r.ok) setPid(state, child, r.pid);
      return r;
    }
    case 'deleteChild': {
      const child = findById(state, req.id);
      if (child === undefined || state.template !== undefined) return { ok: false, error: 'not_found' } satisfies ChildResult;
      if (child.pid !== undefined) return { ok: false, error: 'running' } satisfies ChildResult;
      removeChild(state, child);
      return { ok: true } satisfies ChildResult;
    }
    case 'whichChildren':
      return state.children.map((c): ChildInfo => ({ id: c.id, pid: c.pid, type: c.type, restart: c.spec.restart }));
    case 'countChildren': {
      const counts: ChildCounts = { specs: state.children.length, active: 0, supervisors: 0, workers: 0 };
      for (const c of state.children) {
        if (c.pid !== undefined) counts.active++;
        if (c.type === 'supervisor') counts.supervisors++;
        else counts.workers++;
      }
      if (state.template !== undefined && state.children.length === 0) counts.specs = 1;
      return counts;
    }
    default:
      throw new BadArgError(`supervisor: unknown request ${describeReason((req as { $sup: unknown }).$sup)}`);
  }
}

function findById(state: State, id: string): Child | undefined {
  return state.children.find((c) => c.id === id);
}

function* handleStartChild(ctx: Context, state: State, req: Request & { $sup: 'startChild' }): Generator<unknown, StartChildResult, any> {
  if (state.template !== undefined) {
    if (req.extra === undefined) throw new BadArgError('startChild: a simple_one_for_one supervisor takes extra start arguments (an array), not a child spec');
    const r = yield* startChildSteps(ctx, state.template, req.extra, startSupervisorLinked);
    if (r.ok) setPid(state, newChild(state, state.template, req.extra), r.pid);
    return r;
  }
  if (req.spec === undefined) throw new BadArgError('startChild: this supervisor takes a child spec, not extra arguments (it is not simple_one_for_one)');
  const spec = normaliseChildSpec('startChild', req.spec);
  const existing = findById(state, spec.id);
  if (existing !== undefined) {
    return existing.pid !== undefined ? { ok: false, error: 'already_started', pid: existing.pid } : { ok: false, error: 'already_present' };
  }
  const r = yield* startChildSteps(ctx, spec, [], startSupervisorLinked);
  if (r.ok) setPid(state, newChild(state, spec, []), r.pid);
  else if (r.error === 'ignore' && spec.restart !== 'temporary') newChild(state, spec, []);
  return r;
}

// ── starting supervisors ─────────────────────────────────────────────────────

function inlineCallbacks(spec: NormalSupervisorSpec): GenServerCallbacks<State, undefined> {
  return { ...callbacks, init: (_args, ctx) => initWith(ctx, spec) };
}

function* startSupervisorSteps(
  ctx: Context,
  origin: Context | Caller,
  sup: SupervisorModule | SupervisorSpec,
  args: unknown,
  link: boolean,
  options: StartOptions,
): Generator<unknown, StartResult, any> {
  if (isSupervisorModule(sup)) {
    return yield* startSteps(ctx, origin, SupervisorServer, { mod: refOf(sup), args } satisfies Args, link, options);
  }
  if (options.scheduler !== undefined) {
    throw new BadArgError('Supervisor.start: an inline supervisor spec runs on the caller\'s scheduler; use Supervisor.define to place it');
  }
  const spec = normaliseSupervisorSpec('Supervisor.start', sup);
  return yield* startSteps(ctx, origin, inlineCallbacks(spec), undefined, link, options, 'async');
}

function startSupervisorLinked(
  ctx: Context,
  sup: SupervisorModule | SupervisorSpec,
  args: unknown,
  options: { name?: ServerName; scheduler?: number },
): Generator<unknown, StartResult, any> {
  return startSupervisorSteps(ctx, ctx, sup, args, true, options);
}

function checkSupervisor(what: string, sup: unknown): asserts sup is SupervisorModule | SupervisorSpec {
  if (!isSupervisorModule(sup)) normaliseSupervisorSpec(what, sup);
}

// ── public API ───────────────────────────────────────────────────────────────

/**
 * Defines a supervisor module exported as `name` from the module at `moduleUrl`: `init(args, ctx)`
 * returns its spec (or `{ignore: true}`). Defined supervisors can run on any scheduler.
 */
export function define<A>(moduleUrl: string, name: string, init: SupervisorModule<A>['init']): SupervisorModule<A> {
  if (typeof init !== 'function') throw new BadArgError(`Supervisor.define: expected an init function, got: ${describeReason(init)}`);
  const mod: SupervisorModule<A> = Object.freeze({ module: moduleUrl, name, init });
  defineExport('Supervisor.define', moduleUrl, name, mod);
  markSupervisorModule(mod);
  return mod;
}

/**
 * Starts a supervisor, not linked, from a defined module (with `args` for its init) or an inline
 * spec (runs on the caller's scheduler); resolves once every child has started. If a child
 * fails to start, those started are stopped and the result is
 * `{ok: false, error: {shutdown: {failedToStartChild: id, reason}}}`.
 */
export function start(caller: Caller, sup: SupervisorModule | SupervisorSpec, args?: unknown, options: StartOptions = {}): Op<StartResult> {
  checkSupervisor('Supervisor.start', sup);
  return new Op(caller, 'Supervisor.start', (ctx, origin) => startSupervisorSteps(ctx, origin, sup, args, false, options));
}

/** Like `start`, linked to the caller (its parent). From outside code it is `start`. */
export function startLink(caller: Caller, sup: SupervisorModule | SupervisorSpec, args?: unknown, options: StartOptions = {}): Op<StartResult> {
  checkSupervisor('Supervisor.startLink', sup);
  return new Op(caller, 'Supervisor.startLink', (ctx, origin) => startSupervisorSteps(ctx, origin, sup, args, true, options));
}

function supCall<T>(caller: Caller, what: string, sup: ServerRef, req: Request, timeoutMs: number): Op<T> {
  return new Op(caller, what, function* (ctx) {
    const r: T | BadArgReply = yield* callSteps(ctx, sup, req, timeoutMs);
    if (typeof r === 'object' && r !== null && '$badarg' in r) throw new BadArgError(r.$badarg);
    return r as T;
  });
}

/**
 * Adds and starts a child: a child spec (its start naming a defined actor, server or supervisor
 * module: functions cannot be sent), or, for simple_one_for_one, the extra start arguments.
 */
export function startChild(caller: Caller, sup: ServerRef, child: ChildSpec | unknown[], timeoutMs = Infinity): Op<StartChildResult> {
  const req: Request = Array.isArray(child) ? { $sup: 'startChild', extra: child } : { $sup: 'startChild', spec: toWire(child) };
  return supCall(caller, 'Supervisor.startChild', sup, req, timeoutMs);
}

/**
 * Stops a child by id (its spec is kept, unless temporary; see restartChild/deleteChild), or a
 * dynamic child of simple_one_for_one by pid (removed).
 */
export function terminateChild(caller: Caller, sup: ServerRef, child: string | Pid, timeoutMs = Infinity): Op<ChildResult> {
  const req: Request = child instanceof Pid ? { $sup: 'terminateChild', pid: child } : { $sup: 'terminateChild', id: child };
  return supCall(caller, 'Supervisor.terminateChild', sup, req, timeoutMs);
}

/** Starts again a child stopped by terminateChild. */
export function restartChild(caller: Caller, sup: ServerRef, id: string, timeoutMs = Infinity): Op<StartChildResult> {
  return supCall(caller, 'Supervisor.restartChild', sup, { $sup: 'restartChild', id }, timeoutMs);
}

/** Removes the spec of a stopped child. */
export function deleteChild(caller: Caller, sup: ServerRef, id: string, timeoutMs = Infinity): Op<ChildResult> {
  return supCall(caller, 'Supervisor.deleteChild', sup, { $sup: 'deleteChild', id }, timeoutMs);
}

/** The children in start order, running or not. */
export function whichChildren(caller: Caller, sup: ServerRef, timeoutMs = Infinity): Op<ChildInfo[]> {
  return supCall(caller, 'Supervisor.whichChildren', sup, { $sup: 'whichChildren' }, timeoutMs);
}

export function countChildren(caller: Caller, sup: ServerRef, timeoutMs = Infinity): Op<ChildCounts> {
  return supCall(caller, 'Supervisor.countChildren', sup, { $sup: 'countChildren' }, timeoutMs);
}

export type { ChildSpec, ChildStart, ChildType, RestartType, Shutdown, Strategy, SupervisorModule, SupervisorSpec, StartFunction } from './supervisor-spec.js';
