/**
 * One actor: its mailbox, its links and monitors, and the state of its receive. The object is
 * also the context its code gets, and it is its mailbox (a subclass, as Erlang's process struct
 * holds its message queue inline): one object per actor instead of two, whose header and
 * link were 32 of the ~540 bytes an idle actor weighed (SPEC.md §4 R3-spawn).
 *
 *   Scheduler ──run(budget)──▶ Process ──next(msg)──▶ generator body      (no promise per message)
 *                                      └─resolve(msg)─▶ async body's receive promise
 *   body ──ctx.send/link/monitor/…──▶ Scheduler (routing, signals, exits)
 *
 * Only this scheduler's thread touches a Process.
 */
import { spawnableKind, type ActorBody, type ActorDefinition, type ActorKind } from './actor.js';
import type {
  Context,
  Destination,
  ProcessInfo,
  RegisterResult,
  SpawnOptions,
  Spawnable,
  TimerRef,
} from './context.js';
import { ActorExitedError, BadArgError } from './errors.js';
import type { KeyTable } from './key-table.js';
import { Mailbox, NO_MESSAGE, Pattern, type MailboxMark, type Match, type ReceivePattern } from './mailbox.js';
import type { TaskDefinition } from './offload.js';
import { Pid, Ref } from './pid.js';
import type { Scheduler } from './scheduler.js';
import { binaryEpoch, claimBinaries, releaseBinariesOf } from './shared-binary.js';
import { TIMEOUT, type ExitReason } from './signals.js';

/**
 * Lifecycle of an actor. Starting: spawned, its function not yet called. Running: its code runs,
 * or will resume from a microtask (async form). Waiting: blocked in receive. Suspended: a
 * generator that yielded a promise. Exited: gone.
 */
export const Status = { Starting: 0, Running: 1, Waiting: 2, Suspended: 3, Exited: 4 } as const;
export type Status = (typeof Status)[keyof typeof Status];

/** `Process.state`: the Status in the low bits, and whether it is in the run queue. */
const STATUS_BITS = 7;
const QUEUED = 8;

/** The one value every generator receive yields (the receive state lives on the process). */
const RECEIVE_OP = Object.freeze({ receiveOp: true as const });
type ReceiveOp = typeof RECEIVE_OP;

const NEVER_MATCH: Match = () => false;

/**
 * What an inbox (`system.inbox()`) holds as its actor: it has no code of its own, and `kind`
 * tells it apart from an actor adopted before its module loaded (which holds null).
 */
const INBOX: Spawnable<any[]> = async () => {};

// Kept in this module: an imported binding read on every delivery may be a getter call (see
// codec-copy.ts). Shared binaries a message carries are claimed by the actor it is delivered
// to, which releases them when it exits; the counters make messages without any cost one test.
const BINARY_EPOCH = binaryEpoch;

/** A promise a generator actor yielded was rejected: `error` is thrown in at its yield. */
class Rejection {
  constructor(readonly error: unknown) {}
}

/** Thrown by `ctx.exit(reason)` to unwind the actor's own code. */
class SelfExit {
  constructor(readonly reason: ExitReason) {}
}

/** The exit reason a throw out of an actor's code stands for. */
export function reasonOfThrow(thrown: unknown): ExitReason {
  if (thrown instanceof SelfExit) return thrown.reason;
  if (thrown instanceof ActorExitedError) return thrown.reason;
  return thrown;
}

export class Process extends Mailbox implements Context {
  // Fields in the order a hop touches them (after the mailbox's own): V8 lays them out in this
  // order, so the hot ones share cache lines and the rare ones come last. Fewer fields also make
  // an idle actor smaller (SPEC.md §4 R3-spawn).
  /**
   * The Status, with QUEUED (in the scheduler's run queue) as a bit above it: one field for both
   * (8 bytes of every idle actor; R3-spawn). Read and written through `status` and `queued`.
   */
  private state: number = Status.Starting;
  readonly scheduler: Scheduler;

  /**
   * What drives its code. Generator form: the generator, from the start of its code until it
   * exits. Async form (and an inbox): the resolver of the pending receive's promise while it
   * waits, else null. One field for both, since an actor is one form or the other (8 bytes of
   * every idle actor; R3-spawn).
   */
  private driver: Generator<unknown, unknown, unknown> | ((message: any) => void) | null = null;
  /** Current receive: predicate (or pattern), timer and, for the async form, the resolver of its promise. */
  private match: Match | Pattern | undefined = undefined;
  received = 0;
  sent = 0;
  turns = 0;
  /** The seq of this receive's pending timeout in the scheduler's ReceiveTimers; 0: none. */
  receiveTimer = 0;
  /**
   * Generator form: the value to resume it with (a Rejection: an error to throw in). Async form
   * (and an inbox): a message a receive found but held back to yield (reduction budget), else
   * NO_MESSAGE. Before the actor starts: its arguments; after it exited: its exit reason (one
   * field for uses that never overlap). After the fields above: a generator's hop (a receive
   * that waited) does not read it.
   */
  private input: unknown = undefined;
  readonly self: Pid;

  /**
   * What was spawned (kept for `describe` and `kind`); INBOX for an inbox, null for an adopted
   * actor whose module is loading.
   */
  private actor: Spawnable<any[]> | null;
  /** Links, monitors, names, timers, refs: rare, so kept in a record made on first use. */
  private extra: ProcessExtras | null = null;
  /** Who spawned it (null: the system, from outside any actor). */
  parent: Pid | null = null;

  /** An actor of `actor` (null: adopted, its module still loading; see Scheduler.adoptSpawn). */
  constructor(scheduler: Scheduler, pid: Pid, actor: Spawnable<any[]> | null, args: unknown[] | null) {
    super();
    this.scheduler = scheduler;
    this.self = pid;
    this.actor = actor;
    this.input = args;
    this.initCold(); // the mailbox's cold fields after ours (see Mailbox.initCold)
    if (args !== null && BINARY_EPOCH.created !== BINARY_EPOCH.seen) claimBinaries(this, args);
  }

  get status(): Status {
    return (this.state & STATUS_BITS) as Status;
  }
  set status(s: Status) {
    this.state = (this.state & QUEUED) | s;
  }

  /** In the scheduler's run queue (Scheduler.enqueue sets it, its run loop clears it). */
  get queued(): boolean {
    return (this.state & QUEUED) !== 0;
  }
  set queued(q: boolean) {
    this.state = q ? this.state | QUEUED : this.state & STATUS_BITS;
  }

  /** An inbox: no code of its own, driven from outside (see Scheduler.spawnInbox). */
  static inbox(scheduler: Scheduler, pid: Pid): Process {
    const p = new Process(scheduler, pid, INBOX, null);
    p.status = Status.Running;
    p.input = NO_MESSAGE; // nothing held (see `input`)
    return p;
  }

  /**
   * How its code is written, from what was spawned (no field of its own: 8 bytes less per
   * actor). A started generator tells by `gen` alone (GenServer calls read this).
   */
  get kind(): ActorKind | 'inbox' {
    if (this.gen !== null) return 'generator';
    const actor = this.actor;
    if (actor === null) return 'async'; // adopted, module loading: as Scheduler.adoptSpawn always said
    if (actor === INBOX) return 'inbox';
    return spawnableKind(actor);
  }

  /** Why it exited (undefined while it lives). */
  get exitReason(): ExitReason {
    return this.status === Status.Exited ? this.input : undefined;
  }

  /** This actor's mailbox: the process itself (see above). */
  get mailbox(): Mailbox {
    return this;
  }

  /** The definition it was spawned from (undefined for a bare function). */
  get definition(): ActorDefinition | undefined {
    const actor = this.actor;
    return actor !== null && typeof actor === 'object' ? actor : undefined;
  }

  /** The generator of a started generator actor, else null (see `driver`). */
  private get gen(): Generator<unknown, unknown, unknown> | null {
    const d = this.driver;
    return typeof d === 'object' ? d : null; // null, too, is an object
  }

  /** Takes the resolver of a waiting async receive (see `driver`). */
  private takeResolver(): (message: any) => void {
    const resolve = this.driver as (message: any) => void;
    this.driver = null;
    return resolve;
  }

  private ext(): ProcessExtras {
    return (this.extra ??= new ProcessExtras());
  }

  /** Linked pids by key. */
  get links(): Map<number, Pid> | null {
    return this.extra?.links ?? null;
  }
  set links(v: Map<number, Pid> | null) {
    this.ext().links = v;
  }
  /** Monitors this actor holds: ref key → target. */
  get monitors(): KeyTable<MonitorEntry> | null {
    return this.extra?.monitors ?? null;
  }
  set monitors(v: KeyTable<MonitorEntry> | null) {
    this.ext().monitors = v;
  }
  /** Monitors on this actor: ref key → watcher. */
  get monitoredBy(): KeyTable<MonitorEntry> | null {
    return this.extra?.monitoredBy ?? null;
  }
  set monitoredBy(v: KeyTable<MonitorEntry> | null) {
    this.ext().monitoredBy = v;
  }
  /** Timers aimed at this actor (cancelled when it exits). */
  get timers(): Set<number> | null {
    return this.extra?.timers ?? null;
  }
  set timers(v: Set<number> | null) {
    this.ext().timers = v;
  }
  /** Active aliases: ref key → whether the first message deactivates it. */
  get aliases(): KeyTable<boolean> | null {
    return this.extra?.aliases ?? null;
  }
  set aliases(v: KeyTable<boolean> | null) {
    this.ext().aliases = v;
  }
  get registeredName(): string | null {
    return this.extra?.registeredName ?? null;
  }
  set registeredName(v: string | null) {
    this.ext().registeredName = v;
  }
  get trapping(): boolean {
    return this.extra?.trapping ?? false;
  }
  set trapping(v: boolean) {
    this.ext().trapping = v;
  }

  // ── scheduler side ──────────────────────────────────────────────────────────

  /** Sets the code of an actor adopted before its module had loaded (see Scheduler.adoptSpawn). */
  assignBody(actor: Spawnable<any[]>, args: unknown[]): void {
    this.actor = actor;
    this.input = args;
    // Not by the counters: other frames were decoded since these arguments were.
    if (args.length > 0) claimBinaries(this, args);
  }

  /** True when a new message may let this actor continue. */
  get wantsMessages(): boolean {
    return this.status === Status.Waiting;
  }

  /**
   * One turn: start the actor, or feed it messages, for at most `budget` messages.
   * Returns the reductions used. Called only by the scheduler's run loop.
   */
  run(budget: number): number {
    this.turns++;
    if (this.status === Status.Starting) return this.start();
    if (this.gen !== null) return this.runGenerator(budget); // a started generator (`kind` is one more load)
    // Async form: hand one message to the pending receive; its code resumes in a microtask.
    if (this.status !== Status.Waiting) return 0;
    const held = this.input;
    const m = held !== NO_MESSAGE ? held : this.mailbox.take(this.match);
    if (m === NO_MESSAGE) return 0;
    this.input = NO_MESSAGE;
    this.finishAsyncReceive(m);
    return 1;
  }

  private start(): number {
    const actor = this.actor!;
    const body: ActorBody<any[]> = typeof actor === 'function' ? actor : actor.body;
    const args = this.input as unknown[];
    this.input = undefined;
    this.status = Status.Running;
    if (spawnableKind(actor) === 'generator') {
      try {
        this.driver = (body as (...a: unknown[]) => Generator)(this, ...args);
      } catch (e) {
        this.scheduler.exitProcess(this, reasonOfThrow(e));
        return 1;
      }
      this.input = undefined;
      return this.runGenerator(this.scheduler.processBudget);
    }
    this.input = NO_MESSAGE; // nothing held (see `input`)
    let result: Promise<unknown>;
    try {
      result = (body as (...a: unknown[]) => Promise<unknown>)(this, ...args);
    } catch (e) {
      this.scheduler.exitProcess(this, reasonOfThrow(e));
      return 1;
    }
    Promise.resolve(result).then(
      () => this.scheduler.exitProcess(this, 'normal'),
      (e) => this.scheduler.exitProcess(this, reasonOfThrow(e)),
    );
    return 1;
  }

  private runGenerator(budget: number): number {
    const gen = this.gen!;
    const scheduler = this.scheduler;
    // Reductions count messages taken and sends made (Scheduler.send counts those), as in
    // Erlang, so an actor that sends a lot between two receives still yields its thread.
    const start = scheduler.reductions;
    while (scheduler.reductions - start < budget) {
      let input: unknown;
      let thrown = false;
      if (this.status === Status.Waiting) {
        const m = this.mailbox.take(this.match);
        if (m === NO_MESSAGE) return scheduler.reductions - start;
        this.endWait();
        this.received++;
        input = m;
      } else if (this.status === Status.Running) {
        input = this.input;
        this.input = undefined;
        if (input instanceof Rejection) {
          thrown = true;
          input = input.error;
        }
      } else {
        return scheduler.reductions - start; // suspended on a promise, or exited
      }
      scheduler.reductions++;
      let step: IteratorResult<unknown>;
      try {
        step = thrown ? gen.throw(input) : gen.next(input);
      } catch (e) {
        this.scheduler.exitProcess(this, reasonOfThrow(e));
        return scheduler.reductions - start;
      }
      if ((this.status as Status) === Status.Exited) return scheduler.reductions - start; // its code may have ended it
      if (step.done) {
        this.scheduler.exitProcess(this, 'normal');
        return scheduler.reductions - start;
      }
      const op = step.value;
      if (op === RECEIVE_OP) continue; // receive() set our state: Waiting, or Running with input
      if (isThenable(op)) {
        this.status = Status.Suspended;
        op.then(
          (v) => this.resumeGenerator(v),
          (e) => this.resumeGenerator(new Rejection(e)),
        );
        return scheduler.reductions - start;
      }
      this.scheduler.exitProcess(
        this,
        new TypeError(`generator actor yielded ${typeof op}; expected ctx.receive(...), ctx.sleep(...) or a promise`),
      );
      return scheduler.reductions - start;
    }
    // Budget spent with work left: let others run first.
    if (this.status === Status.Running || (this.status === Status.Waiting && this.mailbox.length > 0)) {
      this.scheduler.enqueue(this);
    }
    return scheduler.reductions - start;
  }

  private resumeGenerator(value: unknown): void {
    if (this.status !== Status.Suspended) return;
    this.status = Status.Running;
    this.input = value;
    this.scheduler.enqueue(this);
  }

  /** A message arrived for this actor (on this thread). */
  deliver(message: unknown): void {
    if (BINARY_EPOCH.created !== BINARY_EPOCH.seen) claimBinaries(this, message);
    this.mailbox.push(message);
    if (this.state === Status.Waiting) this.scheduler.enqueue(this); // waiting, and not queued yet
  }

  /** The scheduler ended this actor: stop waiting, drop everything it held. */
  terminate(reason: ExitReason): void {
    this.status = Status.Exited;
    this.input = reason; // read back by `exitReason`
    if (this.receiveTimer !== 0) this.scheduler.receiveTimers.cancel(this);
    this.driver = null;
    this.match = undefined;
    this.mailbox.clear();
    releaseBinariesOf(this); // those it received, in its mailbox or in its state
  }

  private endWait(): void {
    this.status = Status.Running;
    this.match = undefined;
    if (this.receiveTimer !== 0) this.scheduler.receiveTimers.cancel(this);
  }

  private finishAsyncReceive(message: unknown): void {
    const resolve = this.takeResolver();
    this.endWait();
    this.received++;
    resolve(message);
  }

  /** The receive's timeout passed (called by ReceiveTimers, which has cleared `receiveTimer`). */
  onReceiveTimeout(): void {
    if (this.status !== Status.Waiting) return;
    if (this.gen !== null) {
      this.endWait();
      this.input = TIMEOUT;
      this.scheduler.enqueue(this);
    } else {
      const resolve = this.takeResolver();
      this.endWait();
      resolve(TIMEOUT);
    }
  }

  private checkAlive(): void {
    if (this.status === Status.Exited) throw new ActorExitedError(this.exitReason);
  }

  // ── context: receive ────────────────────────────────────────────────────────

  receive(match?: Match | ReceivePattern, timeoutMs: number = Infinity, since?: Ref): any {
    this.checkAlive();
    if (this.status === Status.Waiting) throw new BadArgError('receive: this actor is already waiting in a receive');
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      throw new BadArgError(`receive: expected a timeout of 0 or more ms, got: ${String(timeoutMs)}`);
    }
    let mark: MailboxMark | undefined;
    if (since !== undefined) {
      const extra = this.extra;
      if (extra !== null && since === extra.lastRef) mark = extra.lastRefMark;
    }
    let m: Match | Pattern | undefined;
    if (match === undefined || typeof match === 'function') {
      m = match;
      this.mailbox.beginReceive(mark);
    } else {
      m = this.patternOf(match);
      this.mailbox.beginPatternReceive(m, mark);
    }
    // A generator actor has its generator from the start of its code (see `start`) until it exits.
    return this.gen !== null ? this.receiveGenerator(m, timeoutMs) : this.receiveAsync(m, timeoutMs);
  }

  /**
   * The compiled form of a receive pattern: the one this actor used last when `pattern` equals it
   * (keeping its scan memo), else a new one, which becomes the one kept.
   */
  private patternOf(pattern: ReceivePattern): Pattern {
    if (typeof pattern !== 'object' || pattern === null) {
      throw new BadArgError(`receive: expected a match function or a pattern object, got: ${describeArg(pattern)}`);
    }
    const extra = this.ext();
    const last = extra.pattern;
    if (last !== null && last.sameAs(pattern)) return last;
    const compiled = Pattern.compile(pattern);
    if (compiled === undefined) {
      throw new BadArgError(
        'receive: a pattern is a plain object with at least one key, each value a string, number, boolean, bigint, null or undefined',
      );
    }
    extra.pattern = compiled;
    return compiled;
  }

  private receiveGenerator(match: Match | Pattern | undefined, timeoutMs: number): ReceiveOp {
    // The run loop takes the message (and counts the reduction); here we only set the state.
    this.status = Status.Waiting;
    this.match = match;
    if (timeoutMs === 0) {
      const m = this.mailbox.take(match);
      this.endWait();
      if (m !== NO_MESSAGE) this.received++;
      this.input = m === NO_MESSAGE ? TIMEOUT : m;
    } else if (timeoutMs !== Infinity) {
      this.receiveTimer = this.scheduler.receiveTimers.add(this, timeoutMs);
    }
    return RECEIVE_OP;
  }

  private receiveAsync(match: Match | Pattern | undefined, timeoutMs: number): Promise<unknown> {
    const scheduler = this.scheduler;
    const m = this.mailbox.take(match);
    if (m !== NO_MESSAGE) {
      if (scheduler.spendReduction()) {
        this.received++;
        return Promise.resolve(m);
      }
      // Budget spent: hand the message over from the run queue, after other work has run.
      this.input = m;
    } else if (timeoutMs === 0) {
      return Promise.resolve(TIMEOUT);
    }
    this.status = Status.Waiting;
    this.match = match;
    if (this.input !== NO_MESSAGE) scheduler.enqueue(this);
    else if (timeoutMs !== Infinity) this.receiveTimer = this.scheduler.receiveTimers.add(this, timeoutMs);
    return new Promise((resolve) => {
      this.driver = resolve;
    });
  }

  sleep(ms: number): any {
    return this.receive(NEVER_MATCH, ms);
  }

  // ── context: everything else goes through the scheduler ──────────────────────

  send(dest: Destination, message: unknown): void {
    this.checkAlive();
    this.scheduler.send(dest, message);
    this.sent++;
  }

  /**
   * Internal (actors/gen.ts, through runtime/internal.ts `sendOwned`): sends an envelope this
   * actor built for this one send, from values already copied or immutable (pids, refs,
   * primitives), and never touches again. On this thread it is handed over as it is: copying it
   * would only duplicate a private object (the call and reply envelopes of a GenServer call were
   * ~10% of a same-thread call). To another thread it is encoded like any message.
   */
  sendOwned(dest: Pid | Ref, envelope: object): void {
    this.checkAlive();
    const scheduler = this.scheduler;
    if (dest.scheduler === scheduler.id && dest.node === scheduler.node) {
      scheduler.reductions++; // as Scheduler.send counts a send
      // By constructor, not instanceof (a generic builtin call in V8; see Scheduler.send).
      const cached = dest.constructor === Pid ? ((dest as Pid).local as Process | undefined) : undefined;
      if (cached !== undefined) cached.deliver(envelope);
      else scheduler.deliverLocal(dest, envelope); // dropped if gone, like any send
    } else {
      scheduler.send(dest, envelope);
    }
    this.sent++;
  }

  spawn<A extends unknown[]>(actor: Spawnable<A>, ...args: A): Pid {
    this.checkAlive();
    return this.scheduler.spawn(actor, args, {}, undefined, this.self);
  }

  spawnOpt<A extends unknown[]>(actor: Spawnable<A>, args: A, options: SpawnOptions & { link?: boolean }): Pid {
    this.checkAlive();
    return this.scheduler.spawn(actor, args, options, options.link ? this : undefined, this.self);
  }

  spawnLink<A extends unknown[]>(actor: Spawnable<A>, ...args: A): Pid {
    this.checkAlive();
    return this.scheduler.spawn(actor, args, {}, this, this.self);
  }

  spawnMonitor<A extends unknown[]>(actor: Spawnable<A>, ...args: A): { pid: Pid; ref: Ref } {
    this.checkAlive();
    const pid = this.scheduler.spawn(actor, args, {}, undefined, this.self);
    return { pid, ref: this.scheduler.monitor(this, pid) };
  }

  link(pid: Pid): void {
    this.checkAlive();
    this.scheduler.link(this, pid);
    this.checkAlive(); // linking to a dead actor may have ended us (noproc)
  }

  unlink(pid: Pid): void {
    this.checkAlive();
    this.scheduler.unlink(this, pid);
  }

  monitor(pid: Pid, options?: { alias?: MonitorAliasMode }): Ref {
    this.checkAlive();
    const mode = options?.alias;
    if (mode === undefined) return this.scheduler.monitor(this, pid);
    if (mode !== 'demonitor' && mode !== 'reply_demonitor') {
      throw new BadArgError(`monitor: expected alias 'demonitor' or 'reply_demonitor', got: ${String(mode)}`);
    }
    return this.scheduler.monitorAlias(this, pid, this.makeRef(), mode);
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    this.checkAlive();
    return this.scheduler.demonitor(this, ref, options?.flush === true);
  }

  trapExit(on: boolean): boolean {
    this.checkAlive();
    const was = this.trapping;
    this.trapping = on === true;
    return was;
  }

  exit(reason: ExitReason): never;
  exit(pid: Pid, reason: ExitReason): void;
  exit(pidOrReason: unknown, reason?: ExitReason): void {
    this.checkAlive();
    if (arguments.length < 2) {
      this.scheduler.exitProcess(this, pidOrReason);
      throw new SelfExit(pidOrReason);
    }
    if (!(pidOrReason instanceof Pid)) throw new BadArgError(`exit: expected a pid, got: ${String(pidOrReason)}`);
    this.scheduler.exitSignal(this.self, pidOrReason, reason, false);
    this.checkAlive(); // an exit signal to ourselves may have ended us
  }

  register(name: string): RegisterResult {
    this.checkAlive();
    return this.scheduler.register(name, this.self);
  }

  unregister(): boolean {
    this.checkAlive();
    return this.registeredName !== null && this.scheduler.unregister(this.registeredName);
  }

  whereis(name: string): Pid | undefined {
    return this.scheduler.whereis(name);
  }

  sendAfter(ms: number, dest: Destination, message: unknown): TimerRef {
    this.checkAlive();
    return this.scheduler.sendAfter(ms, dest, message);
  }

  cancelTimer(timer: TimerRef): boolean {
    return this.scheduler.cancelTimer(timer);
  }

  makeRef(): Ref {
    const ref = this.scheduler.makeRef();
    const extra = this.ext();
    extra.lastRef = ref;
    this.mailbox.markInto(extra.lastRefMark);
    return ref;
  }

  offload<A extends unknown[], R>(task: TaskDefinition<A, R>, ...args: A): Promise<R> {
    this.checkAlive();
    return this.scheduler.offloader.run(task, args);
  }

  alias(options?: { reply?: boolean }): Ref {
    this.checkAlive();
    const ref = this.makeRef();
    this.scheduler.addAlias(this, ref, options?.reply === true);
    return ref;
  }

  unalias(alias: Ref): boolean {
    return this.scheduler.removeAlias(this, alias);
  }

  info(pid?: Pid): ProcessInfo | undefined {
    return this.scheduler.processInfo(pid ?? this.self);
  }

  /** An async receive's message held back to yield (see `input`): still counted as queued. */
  private holdsMessage(): boolean {
    return this.status === Status.Waiting && this.gen === null && this.input !== NO_MESSAGE;
  }

  /** Observer data for this actor. */
  describe(): ProcessInfo {
    const statusName: ProcessInfo['status'] = this.queued
      ? 'runnable'
      : (['runnable', 'running', 'waiting', 'suspended', 'exited'] as const)[this.status]!;
    return {
      pid: this.self,
      status: statusName,
      kind: this.kind,
      definition: this.definition ? `${this.definition.module}#${this.definition.name}` : undefined,
      messageQueueLength: this.mailbox.length + (this.holdsMessage() ? 1 : 0),
      links: this.links ? [...this.links.values()] : [],
      monitors: this.monitors ? this.monitors.values().map(({ ref, pid }) => ({ ref, pid })) : [],
      monitoredBy: this.monitoredBy ? this.monitoredBy.values().map((m) => m.watcher) : [],
      registeredName: this.registeredName ?? undefined,
      trapExit: this.trapping,
      received: this.received,
      sent: this.sent,
      reductions: this.turns,
    };
  }
}

const PROCESS_PROTO: object = Process.prototype;

/** `v instanceof Process`, fast for a process itself (see isPid in pid.ts): every context is one. */
export function isProcess(v: unknown): v is Process {
  if (typeof v !== 'object' || v === null) return false;
  return ((v as Process).constructor === Process && Object.getPrototypeOf(v) === PROCESS_PROTO) || v instanceof Process;
}

/** `Process.sendOwned` for the other layers, which see a Context. */
export function sendOwned(ctx: Context, dest: Pid | Ref, envelope: object): void {
  if (isProcess(ctx)) ctx.sendOwned(dest, envelope);
  else ctx.send(dest, envelope);
}

/**
 * One monitor, as both sides hold it (the watcher in `monitors`, the target in `monitoredBy`):
 * one object per monitor, not one per side. On another thread's side only its own half is used.
 */
export class MonitorEntry {
  declare readonly ref: Ref;
  /** The monitored actor. */
  declare readonly pid: Pid;
  declare readonly watcher: Pid;
  /** `pidKey(ref)`. */
  declare readonly key: number;
  /** Whether `ref` is also an alias of the watcher, and when it ends (Scheduler.monitorAlias). */
  declare alias: MonitorAlias;
  /**
   * Whether the alias is in the scheduler's alias table. On its own thread the ref carries this
   * entry (`Ref.monitor`); it enters the table only when encoded for another thread.
   */
  declare published: boolean;

  // Declared, not defined, and set here: V8 (Node 20) runs field definitions (with or without an
  // initializer) as a function of its own, which it did not inline here (a monitor per call).
  constructor(ref: Ref, pid: Pid, watcher: Pid, key: number) {
    this.ref = ref;
    this.pid = pid;
    this.watcher = watcher;
    this.key = key;
    this.alias = NO_ALIAS;
    this.published = false;
  }
}

/** A monitor's alias: none; ends with the monitor; ends (and ends the monitor) at the first message. */
export const NO_ALIAS = 0;
export const DEMONITOR = 1;
export const REPLY_DEMONITOR = 2;
type MonitorAlias = typeof NO_ALIAS | typeof DEMONITOR | typeof REPLY_DEMONITOR;
export type MonitorAliasMode = 'demonitor' | 'reply_demonitor';

class ProcessExtras {
  links: Map<number, Pid> | null = null;
  // Key tables, not Maps: a call adds and removes a monitor (and an alias) each time (key-table.ts).
  monitors: KeyTable<MonitorEntry> | null = null;
  monitoredBy: KeyTable<MonitorEntry> | null = null;
  timers: Set<number> | null = null;
  /** Active aliases (ref keys), removed from the scheduler's table when the actor exits. */
  aliases: KeyTable<boolean> | null = null;
  registeredName: string | null = null;
  trapping = false;
  /** The last ref made here and the mailbox position at that moment. */
  lastRef: Ref | null = null;
  /** Rewritten in place by each makeRef (read only by the receive that names `lastRef`). */
  readonly lastRefMark: { arrival: number; epoch: number } = { arrival: 0, epoch: 0 };
  /** The receive pattern used last, with its scan memo (mailbox.ts). */
  pattern: Pattern | null = null;
}

function describeArg(v: unknown): string {
  return v === null ? 'null' : typeof v;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}
