/**
 * The actor system: what `start()` returns. It owns the schedulers and is the entry point for
 * code that is not an actor (the main program, tests): spawn, send, exit, names, timers,
 * observer data, inboxes to talk with actors, and an orderly shutdown.
 */
import pino, { type Logger } from 'pino';
import type { Context, Destination, ProcessInfo, RegisterResult, SpawnOptions, Spawnable, TimerRef } from './context.js';
import { SystemStoppedError } from './errors.js';
import { Pid } from './pid.js';
import type { Process } from './process.js';
import { Scheduler } from './scheduler.js';
import type { ExitReason } from './signals.js';

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
}

/** An actor driven from outside (the main program or a test): receive, link, monitor like an actor. */
export interface Inbox extends Context {
  /** Ends the inbox (reason `normal`). */
  close(): void;
}

// Assigned by ActorSystem's static block: reads the private scheduler without exposing it.
// eslint-disable-next-line prefer-const
var schedulerOfSystem: (system: ActorSystem) => Scheduler;

export class ActorSystem {
  readonly #scheduler: Scheduler;
  readonly #logger: Logger;
  readonly #shutdownTimeoutMs: number;
  /** The pid exit signals from the system come from (not an actor). */
  readonly #systemPid: Pid;
  #stopped = false;
  #onRejection: (reason: unknown) => void;

  constructor(options: StartOptions = {}) {
    this.#logger = options.logger ?? pino({ level: options.logLevel ?? process.env.POSTBOX_LOG_LEVEL ?? 'warn' });
    this.#scheduler = new Scheduler({
      logger: this.#logger,
      processBudget: options.processBudget,
      sliceBudget: options.sliceBudget,
    });
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

  /** Spawns `actor` with `args` (copied), from outside any actor. */
  spawn<A extends unknown[]>(actor: Spawnable<A>, ...args: A): Pid {
    this.#checkRunning();
    return this.#scheduler.spawn(actor as Spawnable<any[]>, args, {});
  }

  spawnOpt<A extends unknown[]>(actor: Spawnable<A>, args: A, options: SpawnOptions = {}): Pid {
    this.#checkRunning();
    return this.#scheduler.spawn(actor as Spawnable<any[]>, args, options);
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

  /**
   * Stops every actor: top-level actors (spawned from outside any actor) get an exit signal
   * `shutdown`, newest first, so trapping ones (supervisors) can stop their children in order;
   * what is left after `shutdownTimeoutMs` is killed. Timers are cancelled. Resolves when done;
   * the process may then exit by itself.
   */
  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const s = this.#scheduler;
    const roots = s
      .pids()
      .map((pid) => s.local(pid)!)
      .filter((p) => p.parent === null && p.kind !== 'inbox')
      .reverse();
    const exited = roots.map((p) => s.join(p.self));
    for (const p of roots) s.exitSignal(this.#systemPid, p.self, 'shutdown', false);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(exited),
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.#shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const pid of s.pids()) {
      const p = s.local(pid);
      if (p) s.exitProcess(p, p.kind === 'inbox' ? 'shutdown' : 'killed');
    }
    s.cancelAllTimers();
    process.off('unhandledRejection', this.#onRejection);
  }

  #checkRunning(): void {
    if (this.#stopped) throw new SystemStoppedError('the actor system has been shut down');
  }

  static {
    schedulerOfSystem = (system) => system.#scheduler;
  }
}

/** The scheduler behind a system (exported through runtime/internal.ts only). */
export function schedulerOf(system: ActorSystem): Scheduler {
  return schedulerOfSystem(system);
}

/** Starts an actor system on this thread. */
export async function start(options: StartOptions = {}): Promise<ActorSystem> {
  return new ActorSystem(options);
}
