/**
 * The actor system: what `start()` returns. It owns the schedulers and is the entry point for
 * code that is not an actor (the main program, tests): spawn, send, exit, names, timers,
 * observer data, inboxes to talk with actors, and an orderly shutdown.
 */
import { availableParallelism } from 'node:os';
import pino, { type Logger } from 'pino';
import { closeBinaryHeap, openBinaryHeap } from './binary-codec.js';
import { BinaryHeap, type SharedMemoryInfo } from './binary-heap.js';
import type { Context, Destination, ProcessInfo, RegisterResult, SpawnOptions, Spawnable, TimerRef } from './context.js';
import { SystemStoppedError } from './errors.js';
import { Pid } from './pid.js';
import type { Process } from './process.js';
import type { ThreadHeap } from './shared-binary.js';
import { RingTransport } from './ring-transport.js';
import { REF_BLOCK, SCHEDULER_IDS, Scheduler } from './scheduler.js';
import { stopActors } from './shutdown.js';
import type { ExitReason } from './signals.js';
import { loadDefinition } from './thread-protocol.js';
import { SchedulerThreads } from './threads.js';

export interface StartOptions {
  /** pino logger for runtime reports; default: pino at `logLevel`. */
  logger?: Logger;
  /** Level of the default logger (default: POSTBOX_LOG_LEVEL or 'warn'). */
  logLevel?: string;
  /** Messages one actor may take per turn before others run. */
  processBudget?: number;
  /** Reductions before a scheduler yields to the event loop. */
  sliceBudget?: number;
  /** How long `shutdown` lets top-level actors stop before killing what is left (ms). */
  shutdownTimeoutMs?: number;
  /**
   * Scheduler threads (worker_threads) besides the main thread's scheduler. Default 0: every
   * actor runs on the main thread. Use `os.availableParallelism()` for one per core.
   */
  schedulers?: number;
  /** Bytes of each scheduler's ring (its cross-thread public queue); default 4 MiB. */
  ringBytes?: number;
  /**
   * How long an idle scheduler thread polls its ring before parking, in µs. Default: each
   * thread learns it, spinning only while a peer answers within a wake-up's time (adaptive-spin.ts).
   */
  spinMicros?: number;
  /** A scheduler thread whose event loop has not turned for this long is replaced (default 5000 ms). */
  stallTimeoutMs?: number;
  /** Capacity of the shared name table when there are scheduler threads (default 4096). */
  maxNames?: number;
  /** worker_threads resource limits of each scheduler thread. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
  /**
   * A plain Uint8Array of this many bytes or more crosses threads through the shared binary
   * heap instead of the ring (still a copy for the receiver; see docs/binaries.md). Default
   * 64 KiB; Infinity: never.
   */
  binaryThreshold?: number;
  /** Most bytes the shared binary heap may grow to (SharedBinary and transit); default 1 GiB, at most 4 GiB. */
  sharedMemoryBytes?: number;
}

const DEFAULT_BINARY_THRESHOLD = 64 * 1024;
const DEFAULT_SHARED_MEMORY_BYTES = 1024 * 1024 * 1024;

/** An actor driven from outside (the main program or a test): receive, link, monitor like an actor. */
export interface Inbox extends Context {
  /** Ends the inbox (reason `normal`). */
  close(): void;
}

// Assigned by ActorSystem's static block: read private state without exposing it.
var schedulerOfSystem: (system: ActorSystem) => Scheduler;
var threadsOfSystem: (system: ActorSystem) => SchedulerThreads | undefined;

export class ActorSystem {
  readonly #scheduler: Scheduler;
  readonly #logger: Logger;
  readonly #shutdownTimeoutMs: number;
  /** The pid exit signals from the system come from (not an actor). */
  readonly #systemPid: Pid;
  #stopped = false;
  #onRejection: (reason: unknown) => void;
  readonly #threads: SchedulerThreads | undefined;
  readonly #transport: RingTransport | undefined;
  /** Next worker scheduler for round-robin placement. */
  #nextPlacement = 0;
  /** The shared binary heap as opened on this thread (slot 0). */
  readonly #binaries: ThreadHeap;

  /** Use `start()`. */
  constructor(options: StartOptions, logger: Logger, threads?: SchedulerThreads, heap?: BinaryHeap) {
    this.#logger = logger;
    this.#threads = threads;
    this.#binaries = openBinaryHeap(
      heap ?? createHeap(options, 1),
      0,
      options.binaryThreshold ?? DEFAULT_BINARY_THRESHOLD,
    );
    if (threads) {
      this.#transport = new RingTransport({
        self: 0,
        rings: threads.rings,
        serials: threads.serials,
        refBlocks: threads.refBlocks,
        loadDefinition,
        onError: (error) => logger.error({ err: error }, 'bad frame on the scheduler ring'),
        adaptiveSpin: threads.adaptiveSpin,
      });
    }
    const transport = this.#transport;
    this.#scheduler = new Scheduler({
      logger,
      processBudget: options.processBudget,
      sliceBudget: options.sliceBudget,
      transport,
      names: threads?.names,
      allocateSerial: transport ? () => transport.allocateSerial(0) : undefined,
      reserveRefs: transport ? () => transport.reserveRefs(0) : undefined,
    });
    if (threads && transport) {
      transport.attach(this.#scheduler);
      threads.onDown = (id) => {
        // The thread is gone: drop the shared-binary references it held (its handles died with
        // it). Now or never: its replacement, which starts next, reuses the slot.
        try {
          this.#binaries.heap.dropSlot(id);
        } catch (error) {
          logger.error({ err: error, scheduler: id }, 'could not drop the shared-binary references of a dead scheduler thread (they leak)');
        }
        this.#scheduler.schedulerDown(id);
      };
    }
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5_000;
    this.#systemPid = new Pid(this.#scheduler.node, this.#scheduler.id, 0);
    // A stray rejected promise in actor code must not take the thread down (crash isolation):
    // Node's default for an unhandled rejection is to exit the process.
    this.#onRejection = (reason: unknown) => {
      this.#logger.error({ err: reason }, 'unhandled promise rejection (ignored by postbox)');
    };
    process.on('unhandledRejection', this.#onRejection);
  }

  /** The logger runtime reports go to. */
  get logger(): Logger {
    return this.#logger;
  }

  /**
   * Spawns `actor` with `args` (copied), from outside any actor. With scheduler threads, a
   * definition goes to the next thread in turn (round robin); a bare function runs here.
   */
  spawn<A extends unknown[]>(actor: Spawnable<A>, ...args: A): Pid {
    return this.spawnOpt(actor, args);
  }

  /** Spawns with options: `{ scheduler: id }` places it (0 is the main thread). */
  spawnOpt<A extends unknown[]>(actor: Spawnable<A>, args: A, options: SpawnOptions = {}): Pid {
    this.#checkRunning();
    let placed = options;
    if (options.scheduler === undefined && this.#threads && typeof actor === 'object') {
      placed = { ...options, scheduler: 1 + (this.#nextPlacement++ % this.#threads.count) };
    }
    return this.#scheduler.spawn(actor as Spawnable<any[]>, args, placed);
  }

  /** Schedulers in this system: the main thread's (id 0) and one per scheduler thread. */
  get schedulers(): number {
    return 1 + (this.#threads?.count ?? 0);
  }

  /** Sends a copy of `message` (see Context.send). */
  send(dest: Destination, message: unknown): void {
    this.#checkRunning();
    this.#scheduler.send(dest, message);
  }

  /** Sends an exit signal to `pid` from the system (`'kill'` cannot be trapped). */
  exit(pid: Pid, reason: ExitReason): void {
    this.#scheduler.exitSignal(this.#systemPid, pid, reason, false);
  }

  register(name: string, pid: Pid): RegisterResult {
    return this.#scheduler.register(name, pid);
  }

  unregister(name: string): boolean {
    return this.#scheduler.unregister(name);
  }

  whereis(name: string): Pid | undefined {
    return this.#scheduler.whereis(name);
  }

  sendAfter(ms: number, dest: Destination, message: unknown): TimerRef {
    this.#checkRunning();
    return this.#scheduler.sendAfter(ms, dest, message);
  }

  cancelTimer(timer: TimerRef): boolean {
    return this.#scheduler.cancelTimer(timer);
  }

  /** A mailbox for code outside actors, with the full actor context. Close it when done. */
  inbox(): Inbox {
    this.#checkRunning();
    const p = this.#scheduler.spawnInbox() as Process & Inbox;
    const scheduler = this.#scheduler;
    p.close = () => scheduler.exitProcess(p, 'normal');
    return p;
  }

  /** Resolves with `pid`'s exit reason once it has exited (`noproc` if it is not alive). */
  join(pid: Pid): Promise<ExitReason> {
    return this.#scheduler.join(pid);
  }

  /** Observer data for a live actor. */
  info(pid: Pid): ProcessInfo | undefined {
    return this.#scheduler.processInfo(pid);
  }

  /** Every live actor, oldest first. */
  processes(): Pid[] {
    return this.#scheduler.pids();
  }

  /** What this system's shared binary heap holds now, over all its threads. */
  sharedMemoryInfo(): SharedMemoryInfo {
    return this.#binaries.heap.info();
  }

  /**
   * Stops every actor: top-level actors (spawned from outside any actor) get an exit signal
   * `shutdown`, newest first, so trapping ones (supervisors) can stop their children in order;
   * what is left after `shutdownTimeoutMs` is killed. Timers are cancelled. Resolves when done;
   * the process may then exit by itself.
   */
  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // The main thread's top-level actors first (supervisors there may stop children on
    // scheduler threads), then each scheduler thread's.
    await stopActors(this.#scheduler, this.#systemPid, this.#shutdownTimeoutMs);
    await this.#threads?.shutdown(this.#shutdownTimeoutMs);
    await this.#transport?.stop();
    // Binaries still held here stay readable; new ones go to another running system, if any.
    closeBinaryHeap(this.#binaries);
    process.off('unhandledRejection', this.#onRejection);
  }

  #checkRunning(): void {
    if (this.#stopped) throw new SystemStoppedError('the actor system has been shut down');
  }

  static {
    schedulerOfSystem = (system) => system.#scheduler;
    threadsOfSystem = (system) => system.#threads;
  }
}

/** The scheduler behind a system (exported through runtime/internal.ts only). */
export function schedulerOf(system: ActorSystem): Scheduler {
  return schedulerOfSystem(system);
}

/** The scheduler threads behind a system (internal: fault-injection tests crash them). */
export function threadsOf(system: ActorSystem): SchedulerThreads | undefined {
  return threadsOfSystem(system);
}

/**
 * Internal, for tests: the next pid serial scheduler `id` hands out becomes `next.pid`, and the
 * next block of ref serials it reserves starts at `next.ref` (1 + a multiple of REF_BLOCK), as
 * if that many had been used already. The main thread's scheduler drops its current ref block;
 * a scheduler thread that has made refs first uses up the rest of its block.
 */
export function presetSerials(system: ActorSystem, id: number, next: { pid?: number; ref?: number }): void {
  const threads = threadsOfSystem(system);
  if (!Number.isInteger(id) || id < 0 || id > (threads?.count ?? 0)) throw new RangeError(`presetSerials: no scheduler ${String(id)}`);
  const { pid, ref } = next;
  if (pid !== undefined && !(Number.isSafeInteger(pid) && pid >= 1)) throw new RangeError(`presetSerials: expected a pid serial >= 1, got: ${String(pid)}`);
  if (ref !== undefined && !(Number.isSafeInteger(ref) && ref >= 1 && (ref - 1) % REF_BLOCK === 0)) {
    throw new RangeError(`presetSerials: expected a ref serial 1 + k·${REF_BLOCK}, got: ${String(ref)}`);
  }
  threads?.presetSerials(id, pid, ref === undefined ? undefined : (ref - 1) / REF_BLOCK);
  if (id === 0) schedulerOfSystem(system).presetSerials(pid, ref === undefined ? undefined : (ref - 1) / REF_BLOCK);
}

/**
 * Starts an actor system: a scheduler on this thread and `schedulers` more on worker threads.
 * Resolves once every thread is ready.
 */
export async function start(options: StartOptions = {}): Promise<ActorSystem> {
  const logLevel = options.logLevel ?? process.env.POSTBOX_LOG_LEVEL ?? 'warn';
  const logger = options.logger ?? pino({ level: logLevel });
  const count = options.schedulers ?? 0;
  if (!Number.isInteger(count) || count < 0) throw new TypeError(`expected schedulers to be a whole number >= 0, got: ${String(count)}`);
  if (count >= SCHEDULER_IDS) {
    // pidKey (scheduler.ts) packs scheduler id and serial into one exact float64 integer.
    throw new RangeError(`expected schedulers to be at most ${SCHEDULER_IDS - 1}, got: ${String(count)}`);
  }
  const threshold = options.binaryThreshold ?? DEFAULT_BINARY_THRESHOLD;
  if (typeof threshold !== 'number' || !(threshold >= 0)) {
    throw new TypeError(`expected binaryThreshold to be 0 or more bytes (Infinity: never), got: ${String(threshold)}`);
  }
  const heap = createHeap(options, count + 1);
  const threads =
    count === 0
      ? undefined
      : await SchedulerThreads.start({
          count,
          ringBytes: options.ringBytes ?? 4 * 1024 * 1024,
          // Without a fixed figure each thread learns when spinning pays (adaptive-spin.ts).
          spinMicros: options.spinMicros ?? 'adaptive',
          stallTimeoutMs: options.stallTimeoutMs ?? 5_000,
          maxNames: options.maxNames ?? 4096,
          binaries: { buffer: heap.buffer, threshold },
          resourceLimits: options.resourceLimits,
          processBudget: options.processBudget,
          sliceBudget: options.sliceBudget,
          logLevel: logger.level,
          logger,
        });
  return new ActorSystem(options, logger, threads, heap);
}

/** The shared binary heap of a system with `slots` schedulers (checks `sharedMemoryBytes`). */
function createHeap(options: StartOptions, slots: number): BinaryHeap {
  return BinaryHeap.create({ limitBytes: options.sharedMemoryBytes ?? DEFAULT_SHARED_MEMORY_BYTES, slots });
}
