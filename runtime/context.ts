/**
 * What an actor's code sees: its context. The async and the generator form share everything but
 * `receive` (and `sleep`), which resolves a promise in one form and is yielded in the other.
 */
import type { ActorBody, ActorDefinition } from './actor.js';
import type { Match, ReceivePattern } from './mailbox.js';
import type { TaskDefinition } from './offload.js';
import type { Pid, Ref } from './pid.js';
import type { ExitReason, Timeout } from './signals.js';

/** Something `send` accepts as a destination: a pid, a registered name, or an alias (see `alias`). */
export type Destination = Pid | string | Ref;

/** A pending `sendAfter`; pass it to `cancelTimer`. */
export interface TimerRef {
  readonly id: number;
}

/** Outcome of `register`: expected failures are results, not exceptions (STYLE.md). */
export type RegisterResult =
  | { ok: true }
  | { ok: false; error: 'name_taken' | 'already_named' | 'noproc' | 'invalid_name' };

export interface SpawnOptions {
  /** Scheduler to run on (see docs/guide.md); default: the placement policy. */
  scheduler?: number;
}

/** A snapshot of an actor for observers: the data of Erlang's `process_info`. */
export interface ProcessInfo {
  pid: Pid;
  /** What the actor is doing: `runnable` (queued to run), `running`, `waiting` (in receive), `suspended` (awaiting I/O). */
  status: 'runnable' | 'running' | 'waiting' | 'suspended' | 'exited';
  kind: 'async' | 'generator' | 'inbox';
  /** `module#name` of its definition, when spawned from one. */
  definition: string | undefined;
  messageQueueLength: number;
  links: Pid[];
  /** Monitors this actor holds. */
  monitors: { ref: Ref; pid: Pid }[];
  /** Actors monitoring this one. */
  monitoredBy: Pid[];
  registeredName: string | undefined;
  trapExit: boolean;
  /** Messages taken by receive. */
  received: number;
  /** Messages sent (to any destination). */
  sent: number;
  /** Turns the scheduler gave it (each turn runs up to its message budget). */
  reductions: number;
}

/** What an actor may spawn: a definition (any scheduler) or a bare function (this scheduler only). */
export type Spawnable<A extends unknown[]> = ActorDefinition<A> | ActorBody<A>;

export interface BaseContext {
  /** This actor's pid. */
  readonly self: Pid;

  /** Sends a copy of `message`. Dropped silently if `dest` is a dead pid; throws BadArgError for an unknown name and UnsendableError for a value that cannot be sent. */
  send(dest: Destination, message: unknown): void;

  spawn<A extends unknown[]>(actor: Spawnable<A>, ...args: A): Pid;
  spawnOpt<A extends unknown[]>(actor: Spawnable<A>, args: A, options: SpawnOptions & { link?: boolean }): Pid;
  /** Spawns and links atomically: the link exists before the child runs. */
  spawnLink<A extends unknown[]>(actor: Spawnable<A>, ...args: A): Pid;
  /** Spawns and monitors atomically. */
  spawnMonitor<A extends unknown[]>(actor: Spawnable<A>, ...args: A): { pid: Pid; ref: Ref };

  /** Links to `pid` (bidirectional). A dead `pid` sends this actor an exit signal `noproc` at once. */
  link(pid: Pid): void;
  unlink(pid: Pid): void;
  /**
   * Monitors `pid`: exactly one DOWN message when it exits (at once, `noproc`, if it already has).
   * With `alias` (Erlang's `monitor(process, Pid, [{alias, Mode}])`), the ref is also an alias of
   * this actor (see `alias`), active until the monitor ends (demonitor or DOWN); with
   * `'reply_demonitor'` the first message through it also ends the monitor, so a request whose
   * reply came needs no demonitor. Marks the mailbox like `makeRef`.
   */
  monitor(pid: Pid, options?: { alias?: 'demonitor' | 'reply_demonitor' }): Ref;
  /** Removes a monitor; with `flush`, also removes its DOWN message if one arrived. True if it was active. */
  demonitor(ref: Ref, options?: { flush?: boolean }): boolean;
  /** Turns exit trapping on or off; returns the previous setting. */
  trapExit(on: boolean): boolean;

  /** Ends this actor with `reason` (does not return). */
  exit(reason: ExitReason): never;
  /** Sends an exit signal to `pid` (Erlang's `exit/2`); `'kill'` cannot be trapped. */
  exit(pid: Pid, reason: ExitReason): void;

  register(name: string): RegisterResult;
  unregister(): boolean;
  whereis(name: string): Pid | undefined;

  /** Sends `message` to `dest` after `ms`; the timer is cancelled if the destination exits. */
  sendAfter(ms: number, dest: Destination, message: unknown): TimerRef;
  /** Cancels a timer; true when it was still pending. */
  cancelTimer(timer: TimerRef): boolean;

  /** A fresh ref; also marks the mailbox so `receive(match, timeout, ref)` skips older messages. */
  makeRef(): Ref;

  /**
   * Erlang's `alias()`: a fresh ref that is also an address of this actor. Messages sent to it
   * arrive only while it is active: after `unalias`, or after the first message with
   * `{ reply: true }`, they are dropped. Request/reply uses it so a reply that comes after the
   * caller gave up never lands in its mailbox. Marks the mailbox like `makeRef`.
   */
  alias(options?: { reply?: boolean }): Ref;
  /** Deactivates an alias; true if it was active. */
  unalias(alias: Ref): boolean;

  /**
   * Runs a task (see `defineTask`) on this scheduler's piscina pool; the actor awaits (or, as a
   * generator, yields) the promise while its scheduler keeps serving other actors.
   */
  offload<A extends unknown[], R>(task: TaskDefinition<A, R>, ...args: A): Promise<R>;

  /** Observer data for `pid` (default: this actor), or undefined if it is not alive on this scheduler. */
  info(pid?: Pid): ProcessInfo | undefined;
}

/**
 * The context of an actor, in either form. In an async actor, `await ctx.receive(...)`; in a
 * generator actor, `yield ctx.receive(...)` (the scheduler resumes the generator with the
 * message; no promise is made). The type says Promise for both so one signature serves both
 * forms; a generator must only yield it.
 */
export interface Context extends BaseContext {
  /**
   * Erlang's `receive ... after`: the first message in arrival order that `match` accepts (any
   * message without `match`); the others stay in place, in order. `timeoutMs` 0 polls, Infinity
   * (default) waits forever; on timeout resolves to TIMEOUT. With `since` (a ref from
   * `makeRef`), scanning starts where the mailbox stood when that ref was made: use it when
   * `match` only accepts messages carrying that ref (replies), so older messages are skipped.
   *
   * `match` may also be a pattern, `{ type: 'reply' }`: a message matches when it is a plain
   * object with each of the pattern's keys as an own property whose value is `===` the
   * pattern's. Same result as the equivalent function, but scanned without a call per message,
   * and an actor that receives by the same pattern again skips the messages it already found
   * not to match (docs/guide.md, "Receiving").
   */
  receive<T = any>(match?: Match | ReceivePattern): Promise<T>;
  receive<T = any>(match: Match | ReceivePattern | undefined, timeoutMs: number, since?: Ref): Promise<T | Timeout>;
  /** Waits `ms` without taking any message. */
  sleep(ms: number): Promise<void>;
}
