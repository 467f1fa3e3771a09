/**
 * The scheduler of one thread: its process table, run queue, names, timers and the routing of
 * messages and signals. It knows nothing of worker_threads: what is not local goes through the
 * `Transport` it is given (STYLE.md: "the core does not know about threads").
 *
 *   send/spawn/link/monitor/exit ──▶ Scheduler ──local──▶ Process.deliver ──▶ run queue
 *                                            └─remote─▶ Transport (SAB queues, another issue)
 *   run queue ──drain (microtask; a macrotask every SLICE reductions)──▶ Process.run(budget)
 *
 * Fairness: a reduction is a message taken or a send made. Each actor turn runs at most
 * `processBudget` of them; after `sliceBudget` the scheduler yields to the event loop
 * (setImmediate), so timers and I/O of the
 * thread run even while actors flood each other with messages.
 */
import type { Logger } from 'pino';
import { actorKind, type ActorKind } from './actor.js';
import { copy } from './codec.js';
import type { Destination, ProcessInfo, RegisterResult, SpawnOptions, Spawnable, TimerRef } from './context.js';
import { BadArgError, SerialsExhaustedError } from './errors.js';
import { KeyTable } from './key-table.js';
import { Offloader } from './offload.js';
import { Pid, Ref, isPid, isRef, setRefExportHook } from './pid.js';
import { DEMONITOR, MonitorEntry, NO_ALIAS, Process, REPLY_DEMONITOR, Status, type MonitorAliasMode } from './process.js';
import { ProcessTable } from './process-table.js';
import { ReceiveTimers } from './receive-timers.js';
import { binaryEpoch } from './shared-binary.js';
import { isDownMessage, type DownMessage, type ExitMessage, type ExitReason } from './signals.js';
import { queueJob } from './microtask.js';

/** Where messages and signals to pids of other schedulers go. */
export interface Transport {
  /** Encodes and sends to a pid or an alias; throws (UnsendableError) before anything is sent if it cannot. */
  sendMessage(to: Pid | Ref, message: unknown): void;
  exitSignal(from: Pid, to: Pid, reason: ExitReason, viaLink: boolean): void;
  link(from: Pid, to: Pid): void;
  unlink(from: Pid, to: Pid): void;
  monitor(watcher: Pid, target: Pid, ref: Ref): void;
  /** A monitor fired: `down` goes to its watcher, whose monitor entry ends with it. */
  down(watcher: Pid, down: DownMessage): void;
  demonitor(watcher: Pid, target: Pid, ref: Ref): void;
  spawn(actor: Spawnable<any[]>, args: unknown[], options: SpawnOptions, linkTo: Pid | undefined, parent: Pid | undefined): Pid;
  /**
   * Tells the owner of `pid` (elsewhere) that it now holds `name`; absent on a lone scheduler.
   * Called after the name is in the shared table, where every thread sees it at once: so it
   * first pushes a spawn of `pid` still waiting in a batch (see RingTransport.spawnPending).
   */
  adoptName?(pid: Pid, name: string): void;
  /** Pushes a spawn frame still waiting in a batch, before a pid is made visible outside the rings. */
  pushPendingSpawn?(): void;
}

/**
 * Where names live: a Map on a lone scheduler, a SharedArrayBuffer table shared by every
 * scheduler thread otherwise (so a registration is seen everywhere at once).
 */
export interface NameService {
  register(name: string, pid: Pid): 'ok' | 'name_taken' | 'table_full' | 'invalid_name';
  unregister(name: string): boolean;
  whereis(name: string): Pid | undefined;
  /** Frees `name` only if `pid` still holds it (its actor exited). */
  release(name: string, pid: Pid): void;
  names(): string[];
}

/** Names of a scheduler that has no other schedulers. */
export class LocalNames implements NameService {
  private readonly map = new Map<string, Pid>(); // name → pid
  register(name: string, pid: Pid): 'ok' | 'name_taken' | 'invalid_name' {
    if (typeof name !== 'string' || name.length === 0) return 'invalid_name';
    if (this.map.has(name)) return 'name_taken';
    this.map.set(name, pid);
    return 'ok';
  }
  unregister(name: string): boolean {
    return this.map.delete(name);
  }
  whereis(name: string): Pid | undefined {
    return this.map.get(name);
  }
  release(name: string, pid: Pid): void {
    if (this.map.get(name)?.equals(pid)) this.map.delete(name);
  }
  names(): string[] {
    return [...this.map.keys()];
  }
}

/** A scheduler with no other schedulers: every remote pid counts as dead. */
export const NO_TRANSPORT: Transport = {
  sendMessage() {},
  exitSignal() {},
  link() {},
  unlink() {},
  monitor() {},
  demonitor() {},
  down() {},
  spawn() {
    throw new BadArgError('spawn: no other scheduler is running (start the system with schedulers > 0)');
  },
};

export interface SchedulerOptions {
  node?: number;
  id?: number;
  /** Reductions (messages taken, sends made) one actor may use in a turn before others run. */
  processBudget?: number;
  /** Reductions before the scheduler yields to the event loop. */
  sliceBudget?: number;
  logger?: Logger;
  transport?: Transport;
  names?: NameService;
  /** Allocates pid serials (shared counters when other threads spawn here too). */
  allocateSerial?: () => number;
  /**
   * Reserves `REF_BLOCK` consecutive ref serials and returns the first. On a scheduler thread
   * the blocks come from a shared counter, so a thread that replaces a dead one never makes a
   * ref (or alias) its predecessor made; default: a local counter.
   */
  reserveRefs?: () => number;
  /** Threads of this scheduler's pool for offloaded work (default: one per core). */
  offloadThreads?: number;
}

/**
 * Pid and ref serials of one scheduler run from 1 to SERIAL_LIMIT − 1 (2^44 − 1). Past that a
 * spawn or makeRef throws SerialsExhaustedError: a serial is never reused, and one above the
 * limit would make `pidKey` inexact. At a million spawns (or refs) per second on one scheduler
 * that is 204 days of uptime; at 100,000 per second 5.6 years; at 20,000 per second 28 years.
 */
export const SERIAL_LIMIT = 2 ** 44;

/** Scheduler ids run from 0 to SCHEDULER_IDS − 1 (`start` accepts up to 511 scheduler threads). */
export const SCHEDULER_IDS = 512;

/**
 * A number naming a pid or ref in this node's tables (a string key would cost an allocation per
 * link, monitor and alias): (node · SCHEDULER_IDS + scheduler) · SERIAL_LIMIT + serial. Exact
 * (below 2^53) and one-to-one for every pid and ref of a system: node 0 (postbox has one node;
 * the Scheduler refuses any other), scheduler < SCHEDULER_IDS (`start` refuses more),
 * serial < SERIAL_LIMIT (exhaustion throws). A pid that names no actor of the system (another
 * node, a scheduler id out of range) gets a key of 2^53 or more, which never equals the key of
 * one that does.
 */
export function pidKey(pid: Pid | Ref): number {
  return (pid.node * SCHEDULER_IDS + pid.scheduler) * SERIAL_LIMIT + pid.serial;
}

/** Throws SerialsExhaustedError if `serial` (just allocated on `scheduler`) is past SERIAL_LIMIT. */
export function checkSerial(serial: number, scheduler: number, what: 'pid' | 'ref'): number {
  if (serial + (what === 'ref' ? REF_BLOCK - 1 : 0) >= SERIAL_LIMIT) {
    throw new SerialsExhaustedError(
      `${what} serials of scheduler ${scheduler} are exhausted (${serial} of ${SERIAL_LIMIT}); restart the system to start over`,
    );
  }
  return serial;
}

/** The arguments of an actor spawned with none (shared: a process never changes its arguments). */
const NO_ARGS: unknown[] = Object.freeze([]) as unknown as unknown[];

/** Ref serials reserved at a time (one shared-counter update per block on scheduler threads). */
export const REF_BLOCK = 4096;

interface TimerEntry {
  handle: ReturnType<typeof setTimeout>;
  /** The local actor the timer belongs to (its destination), if any. */
  owner: Process | undefined;
}

/** FIFO of runnable actors: a growable ring (no per-message allocation or array truncation). */
class RunQueue {
  private items: (Process | undefined)[] = new Array(1024).fill(undefined);
  private mask = 1023;
  private head = 0;
  private tail = 0;
  get length(): number {
    return this.tail - this.head;
  }
  push(p: Process): void {
    if (this.tail - this.head > this.mask) this.grow();
    this.items[this.tail++ & this.mask] = p;
  }
  shift(): Process {
    const i = this.head++ & this.mask;
    const p = this.items[i]!;
    this.items[i] = undefined;
    return p;
  }
  private grow(): void {
    const size = this.mask + 1;
    const next: (Process | undefined)[] = new Array(size * 2).fill(undefined);
    for (let k = 0; k < size; k++) next[k] = this.items[(this.head + k) & this.mask];
    this.items = next;
    this.mask = size * 2 - 1;
    this.tail = size;
    this.head = 0;
  }
}

export class Scheduler {
  readonly node: number;
  readonly id: number;
  readonly processBudget: number;
  readonly sliceBudget: number;
  logger: Logger | undefined;
  transport: Transport;

  /** Live actors by pid serial (see process-table.ts). */
  private readonly processes = new ProcessTable();
  private readonly names: NameService;
  private readonly allocateSerial: () => number;
  private readonly reserveRefs: () => number;
  /**
   * Active aliases: the owner, or for a monitor's alias (`monitorAlias`) the monitor, but only
   * once its ref has been encoded for another thread (`publishAlias`; see Ref.monitor).
   */
  private readonly aliasTable = new KeyTable<Process | MonitorEntry>(16);
  private readonly timers = new Map<number, TimerEntry>();
  /** Timeouts of waiting receives (one Node timer for all; see receive-timers.ts). */
  readonly receiveTimers = new ReceiveTimers();
  private readonly exitWaiters = new Map<number, ((reason: ExitReason) => void)[]>();
  private readonly runQueue = new RunQueue();
  private serial = 0;
  /** The last ref serial handed out, and the last one of the block it belongs to. */
  private refSerial = 0;
  private refBlockEnd = 0;
  private refBlocks = 0;
  private timerSerial = 0;

  /** Reductions (messages taken, sends) since the scheduler last yielded to the event loop. */
  reductions = 0;
  private draining = false;
  private drainPending = false;
  /** Exit signals waiting to be applied (processed iteratively so long link chains cannot overflow the stack). */
  private readonly pendingSignals: [from: Pid, to: Pid, reason: ExitReason, viaLink: boolean][] = [];
  private applyingSignals = false;

  /** This thread's pool for blocking work (threads start on first use). */
  readonly offloader: Offloader;

  /** Called for every actor that exits (for observers, supervisors of other threads, tests). */
  onExit: ((pid: Pid, reason: ExitReason) => void) | undefined;

  constructor(options: SchedulerOptions = {}) {
    this.node = options.node ?? 0;
    this.id = options.id ?? 0;
    this.processBudget = options.processBudget ?? 1000;
    this.sliceBudget = options.sliceBudget ?? 20_000;
    this.logger = options.logger;
    this.transport = options.transport ?? NO_TRANSPORT;
    this.names = options.names ?? new LocalNames();
    if (this.node !== 0) throw new RangeError(`expected node 0 (pidKey has no room for others), got: ${String(this.node)}`);
    if (!Number.isInteger(this.id) || this.id < 0 || this.id >= SCHEDULER_IDS) {
      throw new RangeError(`expected a scheduler id from 0 to ${SCHEDULER_IDS - 1}, got: ${String(this.id)}`);
    }
    this.allocateSerial =
      options.allocateSerial ?? (() => (this.serial < SERIAL_LIMIT - 1 ? ++this.serial : checkSerial(this.serial + 1, this.id, 'pid')));
    this.reserveRefs = options.reserveRefs ?? (() => this.refBlocks++ * REF_BLOCK + 1);
    this.offloader = new Offloader(options.offloadThreads);
  }

  // ── run loop ────────────────────────────────────────────────────────────────

  private readonly drainFromMicrotask = (): void => {
    this.drainPending = false;
    this.drain();
  };

  private readonly drainFromMacrotask = (): void => {
    this.drainPending = false;
    this.reductions = 0;
    this.drain();
  };

  /** Queues an actor to run (once, however often it is woken). */
  enqueue(p: Process): void {
    if (p.queued) return;
    p.queued = true;
    this.runQueue.push(p);
    if (!this.draining && !this.drainPending) this.scheduleDrain();
  }

  private scheduleDrain(): void {
    this.drainPending = true;
    if (this.reductions < this.sliceBudget) queueJob(this.drainFromMicrotask);
    else setImmediate(this.drainFromMacrotask);
  }

  /**
   * Counts one reduction done outside the run loop (an async receive that found its message at
   * once); false when the slice is spent and the actor must wait for the next turn.
   */
  spendReduction(): boolean {
    return ++this.reductions < this.sliceBudget;
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    const queue = this.runQueue;
    try {
      while (queue.length > 0) {
        if (this.reductions >= this.sliceBudget) {
          // Yield to timers and I/O; the next slice starts from a macrotask.
          this.drainPending = true;
          setImmediate(this.drainFromMacrotask);
          return;
        }
        const p = queue.shift();
        p.queued = false;
        if (p.status === Status.Exited) continue;
        p.run(this.processBudget);
        this.reductions++;
      }
    } finally {
      this.draining = false;
    }
  }

  /** Runnable actors not yet run. */
  get runQueueLength(): number {
    return this.runQueue.length;
  }

  // ── processes ───────────────────────────────────────────────────────────────

  /** Live actors on this scheduler. */
  get processCount(): number {
    return this.processes.size;
  }

  local(pid: Pid): Process | undefined {
    return pid.scheduler === this.id && pid.node === this.node ? this.processes.get(pid.serial) : undefined;
  }

  isLocal(pid: Pid): boolean {
    return pid.scheduler === this.id && pid.node === this.node;
  }

  /** The pids of every live actor here, oldest first. */
  pids(): Pid[] {
    return this.processes.values().map((p) => p.self);
  }

  spawn(actor: Spawnable<any[]>, args: unknown[], options: SpawnOptions, linkTo?: Process, parent?: Pid): Pid {
    checkSpawnable(actor);
    if (options.scheduler !== undefined && options.scheduler !== this.id) {
      if (typeof actor === 'function') {
        throw new BadArgError('spawn: a bare function can only run on its own scheduler; use defineActor for others');
      }
      return this.transport.spawn(actor, args, options, linkTo?.self, parent ?? linkTo?.self);
    }
    // No arguments (the usual idle worker): nothing to copy, and no array of its own to keep.
    const copiedArgs = Array.isArray(args) && args.length === 0 ? NO_ARGS : (copy(args) as unknown[]);
    return this.spawnLocal(actor, copiedArgs, linkTo?.self ?? undefined, parent ?? linkTo?.self).self;
  }

  /** Creates and queues an actor here; `args` are already copied. */
  spawnLocal(actor: Spawnable<any[]>, args: unknown[], linkTo: Pid | undefined, parent?: Pid): Process {
    const pid = new Pid(this.node, this.id, this.allocateSerial());
    const p = new Process(this, pid, actor, args);
    pid.local = p;
    p.parent = parent ?? null;
    this.processes.set(pid.serial, p);
    if (linkTo !== undefined) {
      addLink(p, linkTo);
      const parentProcess = this.local(linkTo);
      if (parentProcess) addLink(parentProcess, pid);
      else this.transport.link(pid, linkTo);
    }
    this.enqueue(p);
    return p;
  }

  /** An actor with no code of its own, driven from outside (tests, the main program). */
  spawnInbox(): Process {
    const pid = new Pid(this.node, this.id, this.allocateSerial());
    const p = Process.inbox(this, pid);
    pid.local = p;
    this.processes.set(pid.serial, p);
    return p;
  }

  /** Resolves with the exit reason once `pid` has exited (at once with `noproc` if it is not alive here). */
  join(pid: Pid): Promise<ExitReason> {
    const p = this.local(pid);
    if (!p) return Promise.resolve('noproc');
    return new Promise((resolve) => {
      const list = this.exitWaiters.get(pid.serial);
      if (list) list.push(resolve);
      else this.exitWaiters.set(pid.serial, [resolve]);
    });
  }

  /**
   * Ends an actor: frees its name and timers, sends exit signals along its links and DOWN
   * messages to its monitors. Idempotent.
   */
  exitProcess(p: Process, reason: ExitReason): void {
    if (p.status === Status.Exited) return;
    p.terminate(reason);
    p.self.local = undefined;
    this.processes.delete(p.self.serial);
    if (p.registeredName !== null) {
      // Free only what this actor still holds: another thread may have reused the name.
      this.names.release(p.registeredName, p.self);
      p.registeredName = null;
    }
    if (p.aliases !== null) {
      for (const key of p.aliases.keyList()) this.aliasTable.delete(key);
      p.aliases = null;
    }
    if (p.timers !== null) {
      for (const id of p.timers) {
        const t = this.timers.get(id);
        if (t) clearTimeout(t.handle);
        this.timers.delete(id);
      }
      p.timers = null;
    }
    if (p.monitors !== null) {
      for (const entry of p.monitors.values()) {
        const { ref, pid } = entry;
        this.endAlias(entry);
        const target = this.local(pid);
        if (target) target.monitoredBy?.delete(pidKey(ref));
        else this.transport.demonitor(p.self, pid, ref);
      }
      p.monitors = null;
    }
    if (p.monitoredBy !== null) {
      for (const entry of p.monitoredBy.values()) {
        const { ref, watcher } = entry;
        const down: DownMessage = { type: 'DOWN', ref, pid: p.self, reason };
        const w = this.local(watcher);
        if (w) {
          w.monitors?.delete(entry.key);
          this.endAlias(entry);
          w.deliver(down);
        } else {
          this.transport.down(watcher, down);
        }
      }
      p.monitoredBy = null;
    }
    if (p.links !== null) {
      const linkReason = reason === 'kill' ? 'killed' : reason;
      for (const pid of p.links.values()) {
        // The other side removes its end of the link when the signal is applied.
        this.pendingSignals.push([p.self, pid, linkReason, true]);
      }
      p.links = null;
    }
    if (reason instanceof Error && p.kind !== 'inbox') {
      this.logger?.debug({ pid: p.self.toString(), reason: reason.message, stack: reason.stack }, 'actor exited with an error');
    }
    const waiters = this.exitWaiters.get(p.self.serial);
    if (waiters) {
      this.exitWaiters.delete(p.self.serial);
      for (const w of waiters) w(reason);
    }
    this.onExit?.(p.self, reason);
    this.applySignals();
  }

  // ── messages ────────────────────────────────────────────────────────────────

  /** Resolves a name to a pid, or throws BadArgError (Erlang's badarg). */
  resolve(dest: Destination): Pid | Ref {
    if (dest instanceof Pid || dest instanceof Ref) return dest;
    if (typeof dest === 'string') {
      const pid = this.names.whereis(dest);
      if (pid === undefined) throw new BadArgError(`send: no actor is registered as "${dest}"`);
      return pid;
    }
    throw new BadArgError(`send: expected a pid, a registered name or an alias, got: ${describeValue(dest)}`);
  }

  /** Copy-on-send to any destination; to a dead pid it is dropped silently. */
  send(dest: Destination, message: unknown): void {
    this.reductions++;
    // Fast path: a pid made here still pointing at its live actor. Tested by its constructor, not
    // `instanceof Pid`: V8 (Node 20) compiles that instanceof here to a generic builtin call
    // (≈230 instructions per send under callgrind); a constructor load is a map check.
    const cached = typeof dest === 'object' && dest !== null ? ((dest as Pid).local as Process | undefined) : undefined;
    if (cached !== undefined && (dest as Pid).constructor === Pid) {
      cached.deliver(copy(message));
      return;
    }
    if (dest instanceof Pid) this.sendTo(dest, message);
    else this.sendTo(this.resolve(dest), message); // an alias (a reply) or a name
  }

  private sendTo(to: Pid | Ref, message: unknown): void {
    if (to.scheduler === this.id && to.node === this.node) {
      const copied = copy(message);
      if (isRef(to)) this.deliverToAlias(to, copied);
      else this.processes.get(to.serial)?.deliver(copied);
    } else {
      this.transport.sendMessage(to, message);
    }
  }

  /** Delivers an already copied (or decoded) message to a local actor or alias; false if it is gone. */
  deliverLocal(to: Pid | Ref, message: unknown): boolean {
    // By constructor, not instanceof (a generic builtin call in V8; see `send`): every reply of a
    // call and every message from another thread comes through here.
    if (to.constructor === Ref) return this.deliverToAlias(to as Ref, message);
    const p = this.local(to as Pid);
    if (p === undefined) return false;
    p.deliver(message);
    return true;
  }

  private deliverToAlias(alias: Ref, message: unknown): boolean {
    // A monitor's alias on its own thread: the ref is the one monitorAlias made (see Ref.monitor).
    const monitor = alias.monitor as MonitorEntry | undefined;
    if (monitor !== undefined) {
      if (monitor.alias === NO_ALIAS) return false; // inactive alias: dropped, as in Erlang
      return this.deliverToMonitorAlias(monitor, message);
    }
    const key = pidKey(alias);
    const owner = this.aliasTable.get(key);
    if (owner === undefined) return false; // inactive alias: dropped, as in Erlang
    // By constructor (see `send`): the table holds only these two kinds.
    if (owner.constructor === MonitorEntry) return this.deliverToMonitorAlias(owner as MonitorEntry, message);
    const p = owner as Process;
    if (p.aliases!.get(key) === true) {
      this.aliasTable.delete(key);
      p.aliases!.delete(key);
    }
    p.deliver(message);
    return true;
  }

  addAlias(p: Process, ref: Ref, once: boolean): void {
    const key = pidKey(ref);
    this.aliasTable.set(key, p);
    (p.aliases ??= new KeyTable()).set(key, once);
  }

  removeAlias(p: Process, ref: Ref): boolean {
    if (!(ref instanceof Ref)) return false;
    const key = pidKey(ref);
    const owner = (ref.monitor as MonitorEntry | undefined) ?? this.aliasTable.get(key);
    if (owner instanceof MonitorEntry) {
      // A monitor's alias: deactivated, the monitor stays (Erlang's unalias/1).
      if (owner.watcher !== p.self || owner.alias === NO_ALIAS) return false;
      this.endAlias(owner);
      return true;
    }
    if (owner !== p) return false;
    this.aliasTable.delete(key);
    p.aliases?.delete(key);
    return true;
  }

  /**
   * Erlang's `monitor(process, Pid, [{alias, Mode}])`: one ref that is both a monitor of `pid` and
   * an alias of `p`, deactivated when the monitor ends (demonitor, DOWN, either side's exit); with
   * `reply_demonitor`, the first message through the alias also removes the monitor. A call needs
   * one ref, one monitor record and no demonitor instead of an alias and a monitor apart (see
   * actors/gen.ts). `ref` is made by the caller (Process.makeRef marks the mailbox).
   */
  monitorAlias(p: Process, pid: Pid, ref: Ref, mode: MonitorAliasMode): Ref {
    const entry = this.addMonitor(p, pid, ref, pidKey(ref));
    if (entry !== undefined) {
      entry.alias = mode === 'reply_demonitor' ? REPLY_DEMONITOR : DEMONITOR;
      // Not in the alias table yet: on this thread the ref itself leads to the monitor, and it
      // enters the table when encoded for another thread (publishAlias, through exportRef).
      ref.monitor = entry;
    }
    return ref;
  }

  /** Makes an active monitor alias reachable through the alias table (its ref leaves the thread). */
  publishAlias(entry: MonitorEntry): void {
    if (entry.alias !== NO_ALIAS && !entry.published) {
      entry.published = true;
      this.aliasTable.set(entry.key, entry);
    }
  }

  /** Deactivates a monitor's alias, if it has one (the monitor itself is not touched). */
  private endAlias(entry: MonitorEntry): void {
    if (entry.alias === NO_ALIAS) return;
    entry.alias = NO_ALIAS;
    entry.ref.monitor = undefined;
    if (entry.published) {
      entry.published = false;
      this.aliasTable.delete(entry.key);
    }
  }

  /** A message to an active monitor's alias (see monitorAlias). */
  private deliverToMonitorAlias(entry: MonitorEntry, message: unknown): boolean {
    const owner = entry.watcher.local as Process | undefined;
    if (owner === undefined) return false; // cannot happen: the owner's exit ended the alias
    if (entry.alias === REPLY_DEMONITOR) {
      const key = entry.key;
      this.endAlias(entry);
      owner.monitors!.delete(key);
      if (this.isLocal(entry.pid)) {
        // By the table when the pid is a copy (it came from another thread): only the pid made
        // at spawn carries its process (Pid.local).
        const target = (entry.pid.local as Process | undefined) ?? this.processes.get(entry.pid.serial);
        target?.monitoredBy?.delete(key);
      } else {
        this.transport.demonitor(owner.self, entry.pid, entry.ref);
      }
    }
    owner.deliver(message);
    return true;
  }

  // ── signals: exits, links, monitors ─────────────────────────────────────────

  /**
   * An exit signal from `from` to `to`. `viaLink`: it comes from a linked actor's exit (then
   * `kill` is an ordinary reason); otherwise it is `exit(pid, reason)`, where `kill` is untrappable.
   */
  exitSignal(from: Pid, to: Pid, reason: ExitReason, viaLink: boolean): void {
    this.pendingSignals.push([from, to, reason, viaLink]);
    this.applySignals();
  }

  private applySignals(): void {
    if (this.applyingSignals) return;
    this.applyingSignals = true;
    try {
      for (let i = 0; i < this.pendingSignals.length; i++) {
        const [from, to, reason, viaLink] = this.pendingSignals[i]!;
        this.applyExitSignal(from, to, reason, viaLink);
      }
    } finally {
      this.pendingSignals.length = 0;
      this.applyingSignals = false;
    }
  }

  private applyExitSignal(from: Pid, to: Pid, reason: ExitReason, viaLink: boolean): void {
    if (!this.isLocal(to)) {
      this.transport.exitSignal(from, to, reason, viaLink);
      return;
    }
    const target = this.processes.get(to.serial);
    if (target === undefined) return;
    if (viaLink) {
      // A link's exit signal ends the link; after an unlink it is dropped, as in Erlang.
      if (target.links?.delete(pidKey(from)) !== true) return;
    }
    if (reason === 'kill' && !viaLink) {
      this.exitProcess(target, 'killed');
    } else if (target.trapping) {
      const msg: ExitMessage = { type: 'EXIT', from, reason };
      target.deliver(msg);
    } else if (reason === 'normal') {
      // A normal exit of a linked actor is ignored; exit(self(), normal) ends the caller.
      if (!viaLink && from.equals(to)) this.exitProcess(target, 'normal');
    } else {
      this.exitProcess(target, reason);
    }
  }

  /** Links `p` and `pid`; a dead `pid` sends `p` an exit signal `noproc` at once. */
  link(p: Process, pid: Pid): void {
    if (!(pid instanceof Pid)) throw new BadArgError(`link: expected a pid, got: ${describeValue(pid)}`);
    if (pid.equals(p.self)) return;
    if (this.isLocal(pid)) {
      const other = this.processes.get(pid.serial);
      if (other === undefined) {
        // Not a link's signal (there is no link): like exit/2 with `noproc`.
        this.exitSignal(pid, p.self, 'noproc', false);
        return;
      }
      addLink(other, p.self);
    } else {
      this.transport.link(p.self, pid);
    }
    addLink(p, pid);
  }

  unlink(p: Process, pid: Pid): void {
    if (!(pid instanceof Pid)) throw new BadArgError(`unlink: expected a pid, got: ${describeValue(pid)}`);
    p.links?.delete(pidKey(pid));
    const other = this.local(pid);
    if (other) other.links?.delete(pidKey(p.self));
    else if (!this.isLocal(pid)) this.transport.unlink(p.self, pid);
  }

  /** Remote side of a link: `from` (on another scheduler) linked to `to` (here). */
  acceptLink(from: Pid, to: Pid): void {
    const target = this.local(to);
    if (target) addLink(target, from);
    else this.transport.exitSignal(to, from, 'noproc', true); // ends the linker's half of the link
  }

  monitor(p: Process, pid: Pid): Ref {
    const ref = this.makeRef();
    this.addMonitor(p, pid, ref);
    return ref;
  }

  /** Adds a monitor under `ref`; undefined when `pid` is already dead (the DOWN is sent). */
  private addMonitor(p: Process, pid: Pid, ref: Ref, key = pidKey(ref)): MonitorEntry | undefined {
    if (!isPid(pid)) throw new BadArgError(`monitor: expected a pid, got: ${describeValue(pid)}`);
    const entry = new MonitorEntry(ref, pid, p.self, key);
    (p.monitors ??= new KeyTable()).set(key, entry);
    if (this.isLocal(pid)) {
      const target = (pid.local as Process | undefined) ?? this.processes.get(pid.serial);
      if (target === undefined || target === p) {
        if (target === undefined) {
          p.monitors.delete(key);
          p.deliver({ type: 'DOWN', ref, pid, reason: 'noproc' } satisfies DownMessage);
          return undefined;
        }
        return entry; // monitoring oneself never fires, as in Erlang
      }
      (target.monitoredBy ??= new KeyTable()).set(key, entry);
    } else {
      this.transport.monitor(p.self, pid, ref);
    }
    return entry;
  }

  /** Remote side of a monitor: `watcher` (elsewhere) monitors `target` (here). */
  acceptMonitor(watcher: Pid, target: Pid, ref: Ref): void {
    const t = this.local(target);
    if (t) {
      const key = pidKey(ref);
      t.monitoredBy ??= new KeyTable();
      t.monitoredBy.set(key, new MonitorEntry(ref, target, watcher, key));
    } else {
      this.transport.down(watcher, { type: 'DOWN', ref, pid: target, reason: 'noproc' });
    }
  }

  demonitor(p: Process, ref: Ref, flush: boolean): boolean {
    if (!(ref instanceof Ref)) throw new BadArgError(`demonitor: expected a ref, got: ${describeValue(ref)}`);
    const key = pidKey(ref);
    const entry = p.monitors?.get(key);
    if (entry) {
      p.monitors!.delete(key);
      this.endAlias(entry);
      const target = this.local(entry.pid);
      if (target) target.monitoredBy?.delete(key);
      else if (!this.isLocal(entry.pid)) this.transport.demonitor(p.self, entry.pid, ref);
    }
    if (flush) p.mailbox.removeAll((m) => isDownMessage(m) && m.ref.equals(ref));
    return entry !== undefined;
  }

  /** A DOWN from another scheduler for a monitor held here: the monitor ends, the message arrives. */
  acceptDown(watcher: Pid, down: DownMessage): void {
    const w = this.local(watcher);
    if (w === undefined) return;
    const key = pidKey(down.ref);
    const entry = w.monitors?.get(key);
    if (entry === undefined) return; // demonitored meanwhile: no DOWN, as in Erlang
    w.monitors!.delete(key);
    this.endAlias(entry);
    w.deliver(down);
  }

  /** Remote side of demonitor. */
  acceptDemonitor(target: Pid, ref: Ref): void {
    this.local(target)?.monitoredBy?.delete(pidKey(ref));
  }

  makeRef(): Ref {
    if (this.refSerial === this.refBlockEnd) {
      const first = checkSerial(this.reserveRefs(), this.id, 'ref');
      this.refSerial = first - 1;
      this.refBlockEnd = first - 1 + REF_BLOCK;
    }
    return new Ref(this.node, this.id, ++this.refSerial);
  }

  /**
   * Tests only (presetSerials in system.ts): the local counters start over at pid serial `pid`
   * and ref block `refBlock` (the shared counters of a system with threads are set apart), and
   * the current block of refs is dropped.
   */
  presetSerials(pid: number | undefined, refBlock: number | undefined): void {
    if (pid !== undefined) this.serial = pid - 1;
    if (refBlock !== undefined) this.refBlocks = refBlock;
    this.refSerial = this.refBlockEnd = 0;
  }

  // ── names ───────────────────────────────────────────────────────────────────

  register(name: string, pid: Pid): RegisterResult {
    if (typeof name !== 'string' || name.length === 0) return { ok: false, error: 'invalid_name' };
    if (!(pid instanceof Pid)) throw new BadArgError(`register: expected a pid, got: ${describeValue(pid)}`);
    const p = this.local(pid);
    if (p === undefined && !this.isLocal(pid) && this.transport.adoptName) {
      // An actor of another scheduler: claim the name here (atomic in the shared table), then
      // tell its owner, which frees the name again if the actor is gone or already named.
      // A thread that finds the name must not reach the actor before its spawn frame does.
      this.transport.pushPendingSpawn?.();
      const result = this.names.register(name, pid);
      if (result === 'table_full') throw new BadArgError('register: the name table is full (see the maxNames option)');
      if (result !== 'ok') return { ok: false, error: result };
      this.transport.adoptName(pid, name);
      return { ok: true };
    }
    if (p === undefined) return { ok: false, error: 'noproc' };
    if (p.registeredName !== null) return { ok: false, error: 'already_named' };
    const result = this.names.register(name, pid);
    if (result === 'table_full') throw new BadArgError('register: the name table is full (see the maxNames option)');
    if (result !== 'ok') return { ok: false, error: result };
    p.registeredName = name;
    return { ok: true };
  }

  unregister(name: string): boolean {
    const pid = this.names.whereis(name);
    if (pid === undefined) return false;
    const p = this.local(pid);
    // (A name of an actor on another scheduler is freed in the shared table; its owner clears
    // its own record when the actor exits, and a stale record frees nothing it does not hold.)
    this.names.unregister(name);
    if (p) p.registeredName = null;
    return true;
  }

  whereis(name: string): Pid | undefined {
    return this.names.whereis(name);
  }

  get nameService(): NameService {
    return this.names;
  }

  registeredNames(): string[] {
    return this.names.names();
  }

  // ── other threads ───────────────────────────────────────────────────────────

  /**
   * An actor spawned here from another thread, whose pid that thread already handed out. Its
   * body comes later if its module is still loading (`startBody`); until then messages wait in
   * its mailbox.
   */
  adoptSpawn(serial: number, linkTo: Pid | null, parent: Pid | null): Process {
    const pid = new Pid(this.node, this.id, serial);
    const p = new Process(this, pid, null, null);
    pid.local = p;
    p.parent = parent;
    this.processes.set(serial, p);
    if (linkTo !== null) {
      // The spawner recorded its side of the link; if it died meanwhile, its exit signal is
      // already on its way here (ordered after this spawn), as with a local spawnLink.
      addLink(p, linkTo);
    }
    return p;
  }

  /** Gives an adopted actor its definition and lets it run. */
  startBody(p: Process, actor: Spawnable<any[]>, args: unknown[]): void {
    if (p.status === Status.Exited) return;
    checkSpawnable(actor);
    p.assignBody(actor, args);
    this.enqueue(p);
  }

  /**
   * Scheduler `id` died: each of its actors counts as exited with `scheduler_down` for the
   * links and monitors held here.
   */
  schedulerDown(id: number, reason: ExitReason = 'scheduler_down'): void {
    for (const p of this.processes.values()) {
      if (p.links !== null) {
        for (const pid of [...p.links.values()]) {
          if (pid.scheduler !== id || this.isLocal(pid)) continue;
          this.pendingSignals.push([pid, p.self, reason, true]); // removes the link when applied
        }
      }
      if (p.monitors !== null) {
        for (const [key, entry] of p.monitors.entries()) {
          const { ref, pid } = entry;
          if (pid.scheduler !== id || this.isLocal(pid)) continue;
          p.monitors.delete(key);
          this.endAlias(entry);
          p.deliver({ type: 'DOWN', ref, pid, reason } satisfies DownMessage);
        }
      }
      if (p.monitoredBy !== null) {
        for (const [key, { watcher }] of p.monitoredBy.entries()) if (watcher.scheduler === id) p.monitoredBy.delete(key);
      }
    }
    this.applySignals();
  }

  // ── timers ──────────────────────────────────────────────────────────────────

  /** Erlang's `send_after`: the message is copied now; the timer belongs to its destination. */
  sendAfter(ms: number, dest: Destination, message: unknown): TimerRef {
    if (typeof ms !== 'number' || !(ms >= 0)) throw new BadArgError(`sendAfter: expected a delay of 0 or more ms, got: ${String(ms)}`);
    if (!(dest instanceof Pid) && !(dest instanceof Ref) && typeof dest !== 'string') {
      throw new BadArgError(`sendAfter: expected a pid, a registered name or an alias, got: ${describeValue(dest)}`);
    }
    const copied = copy(message);
    const id = ++this.timerSerial;
    const owner = dest instanceof Pid ? this.local(dest) : undefined;
    const handle = setTimeout(() => {
      this.timers.delete(id);
      owner?.timers?.delete(id);
      const to = typeof dest === 'string' ? this.names.whereis(dest) : dest;
      if (to === undefined) return; // a name nobody holds at fire time: dropped
      if (to.scheduler === this.id && to.node === this.node) {
        // Copied when the timer was set: make the delivery claim the shared binaries in it.
        if (typeof copied === 'object' && copied !== null) binaryEpoch.created++;
        this.deliverLocal(to, copied);
      } else {
        this.transport.sendMessage(to, copied);
      }
    }, ms);
    this.timers.set(id, { handle, owner });
    if (owner) (owner.timers ??= new Set()).add(id);
    return { id };
  }

  /** True when the timer was still pending (and is now cancelled). */
  cancelTimer(timer: TimerRef): boolean {
    const entry = timer && this.timers.get(timer.id);
    if (!entry) return false;
    clearTimeout(entry.handle);
    this.timers.delete(timer.id);
    entry.owner?.timers?.delete(timer.id);
    return true;
  }

  /** Cancels every timer (shutdown). */
  cancelAllTimers(): void {
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
  }

  // ── observer ────────────────────────────────────────────────────────────────

  processInfo(pid: Pid): ProcessInfo | undefined {
    return this.local(pid)?.describe();
  }
}

function addLink(p: Process, pid: Pid): void {
  (p.links ??= new Map()).set(pidKey(pid), pid);
}

function checkSpawnable(actor: unknown): ActorKind {
  if (typeof actor === 'function') return actorKind(actor);
  if (typeof actor === 'object' && actor !== null && 'body' in actor && 'kind' in actor) {
    return (actor as { kind: ActorKind }).kind;
  }
  throw new BadArgError(`spawn: expected an actor definition or function, got: ${describeValue(actor)}`);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}


// A monitor's alias encoded for another thread enters its scheduler's alias table (see Ref.monitor).
setRefExportHook((ref) => {
  const entry = ref.monitor as MonitorEntry;
  const owner = entry.watcher.local as Process | undefined;
  if (owner !== undefined) owner.scheduler.publishAlias(entry);
});
