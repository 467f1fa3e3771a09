/**
 * Task: run a function as an actor and await its result (Elixir's Task).
 *
 *   owner ── alias({reply}) ── spawn(link?) task ── monitor(task)
 *   task: value = await fn(ctx, ...args) ──{$task: alias, value}──▶ owner's alias; exits normal
 *   owner: Task.await ── receive result or DOWN(monitor), timeout ──▶ value | TaskExitError | TaskTimeoutError
 *
 * `Task.async` links the task to an owning actor, so a crash also reaches the owner as an exit
 * signal (fatal unless it traps exits), as in Elixir; `asyncNolink` does not. Either way the
 * awaiting side gets the crash as a TaskExitError with the task's exit reason. Only the owner
 * may await a task.
 */
import { ActorSystem, BadArgError, TIMEOUT, defineActor, type Context, type ExitReason, type Inbox, type Pid, type Ref } from '../runtime/index.js';
import { TaskExitError, TaskTimeoutError } from './errors.js';
import { settle } from './gen-server.js';
import { defineExport, refOf, resolveExport, type ModuleRef } from './modules.js';
import { Op, drive, type Caller } from './op.js';
import { describeReason } from './reasons.js';

/** A task's function: gets the task's own context, returns its result (or a promise of it, or is a generator). */
export type TaskFunction<A extends unknown[] = any[], T = unknown> = (ctx: Context, ...args: A) => T | PromiseLike<T> | Generator<unknown, T, any>;

/** A task function defined in a module, so a task can run on any scheduler. */
export interface TaskModule<A extends unknown[] = any[], T = unknown> extends ModuleRef {
  readonly fn: TaskFunction<A, T>;
}

/** A running task, as its owner holds it. Plain data except for who may await it. */
export interface Task<T = unknown> {
  readonly pid: Pid;
  readonly owner: Pid;
  /** The owner's alias the result comes to. */
  readonly ref: Ref;
  /** The owner's monitor of the task. */
  readonly mref: Ref;
  /** Phantom: the result type. */
  readonly __result?: T;
}

export interface TaskOptions {
  /** Link the task to the owner (default: true for `async`, false for `asyncNolink`; always false from outside code). */
  link?: boolean;
  /** Scheduler to run on (TaskModule only). */
  scheduler?: number;
}

/** The outcome of `yield`: a result, an exit, or undefined while still running. */
export type TaskOutcome<T> = { ok: true; value: T } | { ok: false; reason: ExitReason } | undefined;

interface ResultMessage {
  readonly $task: Ref;
  readonly value: unknown;
}

const taskModules = new WeakSet<object>();
function isTaskModule(v: unknown): v is TaskModule {
  return typeof v === 'object' && v !== null && taskModules.has(v);
}

/** Inboxes of tasks started from outside code (closed once the task is awaited). */
const inboxes = new WeakMap<Task<any>, Inbox>();

function* runTask(ctx: Context, fn: TaskFunction, args: unknown[], replyTo: Ref): Generator<unknown, void, any> {
  const value: unknown = yield* settle(fn(ctx, ...args));
  ctx.send(replyTo, { $task: replyTo, value } satisfies ResultMessage);
}

interface GoMessage {
  readonly $go: Ref;
}

/**
 * Runs tasks of defined modules (any scheduler). It waits for its owner's go first: the owner
 * monitors it after spawning, and on another thread the task could otherwise finish before the
 * monitor is in place (the owner would see `noproc` instead of the result or the crash). The go
 * is sent after the monitor, so it arrives after it.
 */
export const TaskRunner = defineActor(import.meta.url, 'TaskRunner', async (ctx, mod: ModuleRef, args: unknown[], replyTo: Ref) => {
  await ctx.receive((m: GoMessage) => typeof m === 'object' && m !== null && replyTo.equals(m.$go));
  await drive(
    (function* () {
      const m = yield* resolveExport(mod, isTaskModule);
      yield* runTask(ctx, m.fn, args, replyTo);
    })(),
  );
});

/** Defines a task function exported as `name` from the module at `moduleUrl`, so it can run on any scheduler. */
export function define<A extends unknown[], T>(moduleUrl: string, name: string, fn: TaskFunction<A, T>): TaskModule<A, T> {
  if (typeof fn !== 'function') throw new BadArgError(`Task.define: expected a function, got: ${describeReason(fn)}`);
  const mod: TaskModule<A, T> = Object.freeze({ module: moduleUrl, name, fn });
  defineExport('Task.define', moduleUrl, name, mod);
  taskModules.add(mod);
  return mod;
}

/** Starts a task with options; see `async`. */
export function asyncOpt<A extends unknown[], T>(
  caller: Caller,
  task: TaskFunction<A, T> | TaskModule<A, T>,
  args: A,
  options: TaskOptions = {},
): Task<T> {
  if (typeof task !== 'function' && !isTaskModule(task)) {
    throw new BadArgError(`Task.async: expected a function or a Task.define module, got: ${describeReason(task)}`);
  }
  const fromOutside = caller instanceof ActorSystem;
  const owner: Context = fromOutside ? caller.inbox() : caller;
  const link = !fromOutside && options.link === true;
  const ref = owner.alias({ reply: true });
  let pid: Pid;
  if (isTaskModule(task)) {
    const spawnOptions = { link, scheduler: options.scheduler };
    pid = fromOutside
      ? caller.spawnOpt(TaskRunner, [refOf(task), args, ref], spawnOptions)
      : owner.spawnOpt(TaskRunner, [refOf(task), args, ref], spawnOptions);
  } else {
    if (options.scheduler !== undefined) throw new BadArgError('Task.async: a plain function runs on the caller\'s scheduler; use Task.define to place it');
    const fn = task as TaskFunction;
    const body = async (ctx: Context, a: unknown[], replyTo: Ref) => drive(runTask(ctx, fn, a, replyTo));
    pid = fromOutside ? caller.spawn(body, args, ref) : owner.spawnOpt(body, [args, ref], { link });
  }
  const handle: Task<T> = { pid, owner: owner.self, ref, mref: owner.monitor(pid) };
  if (isTaskModule(task)) owner.send(pid, { $go: ref } satisfies GoMessage);
  if (fromOutside) inboxes.set(handle, owner as Inbox);
  return handle;
}

/**
 * Runs `task(ctx, ...args)` as a new actor, linked to the calling actor, and returns its handle
 * at once; `await(handle)` gives the result. A plain function runs on the caller's scheduler.
 */
export function async<A extends unknown[], T>(caller: Caller, task: TaskFunction<A, T> | TaskModule<A, T>, ...args: A): Task<T> {
  return asyncOpt(caller, task, args, { link: true });
}

/** Like `async`, not linked: a crash reaches the owner only through `await`. */
export function asyncNolink<A extends unknown[], T>(caller: Caller, task: TaskFunction<A, T> | TaskModule<A, T>, ...args: A): Task<T> {
  return asyncOpt(caller, task, args, { link: false });
}

/** The context a task is awaited from: its owner (an inbox of its own when started from outside code). */
function ownerContext(what: string, caller: Caller, task: Task<any>): Context {
  if (typeof task !== 'object' || task === null || !('mref' in task)) throw new BadArgError(`${what}: expected a task, got: ${describeReason(task)}`);
  const ctx = caller instanceof ActorSystem ? inboxes.get(task) : caller;
  if (ctx === undefined || !task.owner.equals(ctx.self)) {
    throw new BadArgError(`${what}: only the task's owner may await it (owner ${task.owner}, caller ${caller instanceof ActorSystem ? 'the system' : ctx?.self})`);
  }
  return ctx;
}

function isResultOf(task: Task<any>) {
  return (m: any) =>
    typeof m === 'object' && m !== null && ((m.$task !== undefined && task.ref.equals(m.$task)) || (m.type === 'DOWN' && task.mref.equals(m.ref)));
}

/** Ends the owner's interest in a task: no result or DOWN will come after this. */
function* forget(ctx: Context, task: Task<any>): Generator<unknown, void, any> {
  ctx.demonitor(task.mref, { flush: true });
  if (!ctx.unalias(task.ref)) {
    yield ctx.receive((m) => typeof m === 'object' && m !== null && task.ref.equals(m.$task), 0);
  }
  const inbox = inboxes.get(task);
  if (inbox !== undefined) {
    inboxes.delete(task);
    inbox.close();
  }
}

/**
 * Waits for the task's result: resolves with it; rejects with TaskExitError (its `reason`) if
 * the task exited first, or TaskTimeoutError after `timeoutMs`, after which the task is killed.
 * A task can be awaited once.
 */
export function await_<T>(caller: Caller, task: Task<T>, timeoutMs = 5_000): Op<T> {
  const ctx = ownerContext('Task.await', caller, task);
  return new Op(ctx, 'Task.await', function* (c) {
    const got: ResultMessage | { type: 'DOWN'; reason: ExitReason } | typeof TIMEOUT = yield c.receive(isResultOf(task), timeoutMs);
    if (got === TIMEOUT) {
      c.unlink(task.pid);
      c.exit(task.pid, 'kill');
      yield* forget(c, task);
      throw new TaskTimeoutError(timeoutMs);
    }
    yield* forget(c, task);
    if ('$task' in got) return got.value as T;
    throw new TaskExitError(got.reason);
  });
}

/**
 * Waits up to `timeoutMs` without giving up on the task: `{ok: true, value}`, `{ok: false,
 * reason}` when it exited, or undefined while it still runs (yield again, or await).
 */
export function yield_<T>(caller: Caller, task: Task<T>, timeoutMs = 5_000): Op<TaskOutcome<T>> {
  const ctx = ownerContext('Task.yield', caller, task);
  return new Op(ctx, 'Task.yield', function* (c) {
    const got: ResultMessage | { type: 'DOWN'; reason: ExitReason } | typeof TIMEOUT = yield c.receive(isResultOf(task), timeoutMs);
    if (got === TIMEOUT) return undefined;
    yield* forget(c, task);
    return '$task' in got ? { ok: true, value: got.value as T } : { ok: false, reason: got.reason };
  });
}

/**
 * Stops a task (exit `shutdown`, then `kill` after `timeoutMs`) unless it has finished: resolves
 * with its outcome if it finished first, else undefined.
 */
export function shutdown<T>(caller: Caller, task: Task<T>, timeoutMs = 5_000): Op<TaskOutcome<T>> {
  const ctx = ownerContext('Task.shutdown', caller, task);
  return new Op(ctx, 'Task.shutdown', function* (c) {
    c.unlink(task.pid);
    c.exit(task.pid, 'shutdown');
    let got: ResultMessage | { type: 'DOWN'; reason: ExitReason } | typeof TIMEOUT = yield c.receive(isResultOf(task), timeoutMs);
    if (got === TIMEOUT) {
      c.exit(task.pid, 'kill');
      got = yield c.receive(isResultOf(task));
    }
    yield* forget(c, task);
    if (got !== TIMEOUT && '$task' in got) return { ok: true, value: got.value as T };
    return undefined;
  });
}

export { await_ as await, yield_ as yield };
