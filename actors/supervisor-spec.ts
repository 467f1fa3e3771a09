/**
 * Child specifications of a supervisor: their types, validation (misuse throws "expected X, got:
 * Y"), and what a supervisor does to one child: start it, and shut it down (OTP's
 * `supervisor:do_start_child` and `shutdown/2`).
 *
 * Specs hold functions and definitions, which cannot be sent; they live inside the supervisor
 * (its `init` makes them). A spec sent in a call (`startChild` on a running supervisor) names its
 * start by module reference instead (`toWire`), resolved where the supervisor runs.
 */
import {
  BadArgError,
  Pid,
  TIMEOUT,
  isDownMessage,
  isExitMessage,
  type ActorDefinition,
  type Context,
  type ExitReason,
} from '../runtime/index.js';
import { lookupDefinition } from '../runtime/internal.js';
import { isVia, type ServerName } from './gen.js';
import { isServerModule, settle, startSteps, type GenServerCallbacks, type Returns, type ServerModule, type StartResult } from './gen-server.js';
import { refOf, resolveExport, type ModuleRef } from './modules.js';
import { describeReason } from './reasons.js';
import { report, type ChildRef } from './reports.js';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';
/** permanent: always restarted; transient: restarted unless it exits orderly; temporary: never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';
/** How long a child may take to stop after `shutdown` before it is killed; brutal_kill kills at once. */
export type Shutdown = number | 'brutal_kill' | 'infinity';
export type ChildType = 'worker' | 'supervisor';

/**
 * A start function: starts the child linked to the supervisor (`ctx` is the supervisor's) and
 * returns its pid or a StartResult. It may be async, or a generator that `yield*`s operations.
 * A dynamic child's extra arguments follow `ctx`.
 */
export type StartFunction = (ctx: Context, ...extra: any[]) => Returns<Pid | StartResult>;

/** How a child is started. */
export type ChildStart =
  /** Spawned linked with `args` (a dynamic child's extra arguments appended). */
  | { actor: ActorDefinition | ModuleRef; args?: unknown[] }
  /** A GenServer, linked; `args` go to its init (a dynamic child's first extra argument replaces them). */
  | { server: ServerModule | GenServerCallbacks | ModuleRef; args?: unknown; name?: ServerName }
  /** A nested supervisor, linked; `args` go to its module's init (as for a server). */
  | { supervisor: SupervisorModule | SupervisorSpec | ModuleRef; args?: unknown; name?: ServerName }
  | StartFunction;

export interface ChildSpec {
  /** Unique among the supervisor's children. */
  id: string;
  start: ChildStart;
  /** Default: permanent. */
  restart?: RestartType;
  /** Default: 5000 ms for a worker, infinity for a supervisor. */
  shutdown?: Shutdown;
  /** Default: supervisor when `start` is `{supervisor}`, else worker. */
  type?: ChildType;
  /** Scheduler to place the child on (passed through to spawn; definitions and defined modules only). */
  scheduler?: number;
}

export interface SupervisorSpec {
  /** Default: one_for_one. */
  strategy?: Strategy;
  /** Most restarts allowed in `periodMs` (default 3); one more and the supervisor exits `shutdown`. */
  intensity?: number;
  /** Default: 5000 ms. */
  periodMs?: number;
  /** Started in order, stopped in reverse. simple_one_for_one: exactly one template, no child started by init. */
  children: ChildSpec[];
}

/** A supervisor callback module (OTP's `Module:init/1`), from `Supervisor.define`. */
export interface SupervisorModule<A = any> extends ModuleRef {
  readonly init: (args: A, ctx: Context) => Returns<SupervisorSpec | { ignore: true }>;
}

/** A spec with its defaults filled in. */
export interface NormalSpec {
  id: string;
  start: ChildStart;
  restart: RestartType;
  shutdown: Shutdown;
  type: ChildType;
  scheduler: number | undefined;
}

export interface NormalSupervisorSpec {
  strategy: Strategy;
  intensity: number;
  periodMs: number;
  children: NormalSpec[];
}

const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'];
const RESTARTS: readonly RestartType[] = ['permanent', 'transient', 'temporary'];

const supervisorModules = new WeakSet<object>();

export function markSupervisorModule(mod: SupervisorModule): void {
  supervisorModules.add(mod);
}

export function isSupervisorModule(v: unknown): v is SupervisorModule {
  return typeof v === 'object' && v !== null && supervisorModules.has(v);
}

function isModuleRef(v: unknown): v is ModuleRef {
  return typeof v === 'object' && v !== null && typeof (v as ModuleRef).module === 'string' && typeof (v as ModuleRef).name === 'string';
}

function fail(what: string, expected: string, got: unknown): never {
  throw new BadArgError(`${what}: expected ${expected}, got: ${describeReason(got)}`);
}

/** Validates a supervisor spec and fills in defaults; throws BadArgError on misuse. */
export function normaliseSupervisorSpec(what: string, spec: unknown): NormalSupervisorSpec {
  if (typeof spec !== 'object' || spec === null) fail(what, 'a supervisor spec {strategy, intensity, periodMs, children}', spec);
  const s = spec as SupervisorSpec;
  const strategy = s.strategy ?? 'one_for_one';
  if (!STRATEGIES.includes(strategy)) fail(what, `strategy to be one of ${STRATEGIES.join(', ')}`, strategy);
  const intensity = s.intensity ?? 3;
  if (!Number.isInteger(intensity) || intensity < 0) fail(what, 'intensity to be an integer >= 0', intensity);
  const periodMs = s.periodMs ?? 5_000;
  if (typeof periodMs !== 'number' || !(periodMs > 0)) fail(what, 'periodMs to be a number > 0', periodMs);
  if (!Array.isArray(s.children)) fail(what, 'children to be an array of child specs', s.children);
  const children = s.children.map((c) => normaliseChildSpec(what, c));
  const ids = new Set<string>();
  for (const c of children) {
    if (ids.has(c.id)) fail(what, 'unique child ids', c.id);
    ids.add(c.id);
  }
  if (strategy === 'simple_one_for_one' && children.length !== 1) {
    fail(what, 'exactly one child spec (the template) for simple_one_for_one', `${children.length} specs`);
  }
  return { strategy, intensity, periodMs, children };
}

export function normaliseChildSpec(what: string, spec: unknown): NormalSpec {
  if (typeof spec !== 'object' || spec === null) fail(what, 'a child spec {id, start, restart?, shutdown?, type?}', spec);
  const c = spec as ChildSpec;
  if (typeof c.id !== 'string' || c.id.length === 0) fail(what, 'a child spec id (a non-empty string)', c.id);
  checkStart(`${what} (child ${c.id})`, c.start);
  const restart = c.restart ?? 'permanent';
  if (!RESTARTS.includes(restart)) fail(`${what} (child ${c.id})`, `restart to be one of ${RESTARTS.join(', ')}`, restart);
  const type = c.type ?? (typeof c.start === 'object' && 'supervisor' in c.start ? 'supervisor' : 'worker');
  if (type !== 'worker' && type !== 'supervisor') fail(`${what} (child ${c.id})`, "type to be 'worker' or 'supervisor'", type);
  const shutdown = c.shutdown ?? (type === 'supervisor' ? 'infinity' : 5_000);
  if (shutdown !== 'brutal_kill' && shutdown !== 'infinity' && !(typeof shutdown === 'number' && shutdown >= 0)) {
    fail(`${what} (child ${c.id})`, "shutdown to be ms >= 0, 'brutal_kill' or 'infinity'", shutdown);
  }
  if (c.scheduler !== undefined && !(Number.isInteger(c.scheduler) && c.scheduler >= 0)) {
    fail(`${what} (child ${c.id})`, 'scheduler to be an integer >= 0', c.scheduler);
  }
  return { id: c.id, start: c.start, restart, shutdown, type, scheduler: c.scheduler };
}

function checkStart(what: string, start: unknown): void {
  if (typeof start === 'function') return;
  if (typeof start !== 'object' || start === null) fail(what, 'start to be {actor}, {server}, {supervisor} or a start function', start);
  const s = start as Record<string, unknown>;
  if ('actor' in s) {
    const a = s.actor as ActorDefinition;
    if (!(typeof a === 'object' && a !== null && ('body' in a || isModuleRef(a)))) fail(what, 'start.actor to be an actor definition', a);
    if (s.args !== undefined && !Array.isArray(s.args)) fail(what, 'start.args to be an array', s.args);
  } else if ('server' in s) {
    const m = s.server;
    if (!isServerModule(m) && !isModuleRef(m) && !(typeof m === 'object' && m !== null && typeof (m as GenServerCallbacks).init === 'function')) {
      fail(what, 'start.server to be a GenServer module or callbacks', m);
    }
  } else if ('supervisor' in s) {
    const m = s.supervisor;
    if (!isSupervisorModule(m) && !isModuleRef(m)) normaliseSupervisorSpec(`${what} start.supervisor`, m);
  } else {
    fail(what, 'start to be {actor}, {server}, {supervisor} or a start function', start);
  }
  if ('name' in s && s.name !== undefined && !(typeof s.name === 'string' && s.name.length > 0) && !isVia(s.name)) {
    fail(what, 'start.name to be a string or {via: [registry, key]}', s.name);
  }
}

/**
 * A child spec as plain data, to send to a running supervisor: definitions and modules become
 * their references. A start function or an inline callback module cannot be sent.
 */
export function toWire(spec: ChildSpec): ChildSpec {
  normaliseChildSpec('startChild', spec);
  return { ...spec, start: startToWire(spec.id, spec.start) };
}

function startToWire(id: string, start: ChildStart): ChildStart {
  if (typeof start === 'function') {
    throw new BadArgError(`startChild (child ${id}): a start function cannot be sent to a supervisor; name a defined actor, server or supervisor module`);
  }
  if ('actor' in start) return { ...start, actor: refOf(start.actor) };
  if ('server' in start) {
    if (!isServerModule(start.server) && !isModuleRef(start.server)) {
      throw new BadArgError(`startChild (child ${id}): an inline callback module cannot be sent to a supervisor; use GenServer.define`);
    }
    return { ...start, server: refOf(start.server) };
  }
  const sup = start.supervisor;
  if (isSupervisorModule(sup) || isModuleRef(sup)) return { ...start, supervisor: refOf(sup) };
  return { ...start, supervisor: { ...sup, children: sup.children.map(toWire) } };
}

// ── starting a child ─────────────────────────────────────────────────────────

/** Starts a supervisor linked to the caller (provided by supervisor.ts; it depends on this file). */
export type StartSupervisor = (
  ctx: Context,
  sup: SupervisorModule | SupervisorSpec,
  args: unknown,
  options: { name?: ServerName; scheduler?: number },
) => Generator<unknown, StartResult, any>;

function isDefinition(v: unknown): v is ActorDefinition {
  return typeof v === 'object' && v !== null && 'body' in v && 'kind' in v;
}

/** Finds an actor definition from a reference, importing its module if needed. */
function* resolveActor(a: ActorDefinition | ModuleRef): Generator<unknown, ActorDefinition, any> {
  if (isDefinition(a)) return a;
  const found = lookupDefinition(a.module, a.name);
  if (found !== undefined) return found;
  return yield* resolveExport(a, isDefinition);
}

/**
 * Starts one child linked to the supervisor. `{ok: true, pid: undefined}`-like outcomes (a child
 * whose start returned `ignore`) come back as `{ok: false, error: 'ignore'}`; a throw becomes
 * `{ok: false, error}`.
 */
export function* startChild(
  ctx: Context,
  spec: NormalSpec,
  extra: unknown[],
  startSupervisor: StartSupervisor,
): Generator<unknown, StartResult, any> {
  const s = spec.start;
  try {
    if (typeof s === 'function') {
      const r: unknown = yield* settle(s(ctx, ...extra));
      if (r instanceof Pid) return { ok: true, pid: r };
      if (typeof r === 'object' && r !== null && typeof (r as StartResult).ok === 'boolean') return r as StartResult;
      return { ok: false, error: new BadArgError(`start function of child ${spec.id} returned ${describeReason(r)}; expected a pid or a start result`) };
    }
    if ('actor' in s) {
      const def = yield* resolveActor(s.actor);
      const pid = ctx.spawnOpt(def, [...(s.args ?? []), ...extra], { link: true, scheduler: spec.scheduler });
      return { ok: true, pid };
    }
    const args = extra.length > 0 ? extra[0] : s.args;
    if ('server' in s) {
      const server = isModuleRef(s.server) && !isServerModule(s.server) ? yield* resolveExport(s.server, isServerModule) : s.server;
      return yield* startSteps(ctx, ctx, server as ServerModule | GenServerCallbacks, args, true, {
        name: s.name,
        scheduler: spec.scheduler,
      });
    }
    let sup = s.supervisor;
    if (isModuleRef(sup) && !isSupervisorModule(sup)) sup = yield* resolveExport(sup, isSupervisorModule);
    return yield* startSupervisor(ctx, sup as SupervisorModule | SupervisorSpec, args, { name: s.name, scheduler: spec.scheduler });
  } catch (e) {
    if (ctx.info() === undefined) throw e; // the supervisor itself was ended meanwhile
    return { ok: false, error: e };
  }
}

// ── shutting a child down ────────────────────────────────────────────────────

/**
 * Stops one child as its spec says and waits until it has exited (OTP's `shutdown/2`): unlink
 * (so its exit sends no EXIT), then `shutdown` and, after the timeout, `kill`; or `kill` at once
 * for brutal_kill. A child that had already exited is reaped from the mailbox. Reports an exit
 * other than the one asked for. Returns the child's exit reason.
 */
export function* shutdownChild(ctx: Context, child: ChildRef, shutdown: Shutdown): Generator<unknown, ExitReason, any> {
  const pid = child.pid!;
  const mref = ctx.monitor(pid);
  ctx.unlink(pid);
  // Exited before we asked? Its EXIT is already here (on this thread, or it was sent before the unlink).
  const early = yield ctx.receive((m) => isExitMessage(m) && pid.equals(m.from), 0);
  if (early !== TIMEOUT) {
    yield ctx.receive((m) => isDownMessage(m) && mref.equals(m.ref));
    const reason = (early as { reason: ExitReason }).reason;
    if (!isExpectedShutdown(reason, 'shutdown')) report(ctx, 'shutdown_error', child, reason);
    return reason;
  }
  const isDown = (m: unknown) => isDownMessage(m) && mref.equals(m.ref);
  let expected: ExitReason = 'shutdown';
  let down: unknown;
  if (shutdown === 'brutal_kill') {
    expected = 'killed';
    ctx.exit(pid, 'kill');
    down = yield ctx.receive(isDown);
  } else {
    ctx.exit(pid, 'shutdown');
    down = yield ctx.receive(isDown, shutdown === 'infinity' ? Infinity : shutdown);
    if (down === TIMEOUT) {
      ctx.exit(pid, 'kill');
      down = yield ctx.receive(isDown);
    }
  }
  const reason = (down as { reason: ExitReason }).reason;
  if (!isExpectedShutdown(reason, expected)) report(ctx, 'shutdown_error', child, reason);
  return reason;
}

function isExpectedShutdown(reason: ExitReason, expected: ExitReason): boolean {
  return reason === expected || reason === 'shutdown' || reason === 'normal' || reason === 'noproc' ||
    (typeof reason === 'object' && reason !== null && !(reason instanceof Error) && 'shutdown' in reason);
}

/** Shuts down many children at once (simple_one_for_one): all asked together, one deadline. */
export function* shutdownMany(ctx: Context, children: ChildRef[], shutdown: Shutdown): Generator<unknown, void, any> {
  const pending = new Map<string, { child: ChildRef; mref: ReturnType<Context['monitor']> }>();
  for (const child of children) {
    const pid = child.pid!;
    const mref = ctx.monitor(pid);
    ctx.unlink(pid);
    pending.set(mref.toString(), { child, mref });
    ctx.exit(pid, shutdown === 'brutal_kill' ? 'kill' : 'shutdown');
  }
  const deadline = typeof shutdown === 'number' ? Date.now() + shutdown : Infinity;
  let killed = shutdown === 'brutal_kill';
  while (pending.size > 0) {
    const left = deadline === Infinity ? Infinity : Math.max(0, deadline - Date.now());
    const down = yield ctx.receive((m) => isDownMessage(m) && pending.has(m.ref.toString()), killed ? Infinity : left);
    if (down === TIMEOUT) {
      killed = true;
      for (const { child } of pending.values()) ctx.exit(child.pid!, 'kill');
      continue;
    }
    const d = down as { ref: { toString(): string }; reason: ExitReason };
    const entry = pending.get(d.ref.toString())!;
    pending.delete(d.ref.toString());
    if (!isExpectedShutdown(d.reason, shutdown === 'brutal_kill' ? 'killed' : 'shutdown')) report(ctx, 'shutdown_error', entry.child, d.reason);
  }
  // Children that exited before being asked left EXIT messages: reap them.
  const pids = children.map((c) => c.pid!);
  for (;;) {
    const m = yield ctx.receive((x) => isExitMessage(x) && pids.some((p) => p.equals(x.from)), 0);
    if (m === TIMEOUT) break;
  }
}
