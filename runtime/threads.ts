/**
 * The scheduler threads of a system, run from the main thread: it creates the shared memory,
 * starts one worker per scheduler, watches them, and replaces any that dies or stalls.
 *
 *   main thread (scheduler 0)                         worker i (scheduler i)
 *   ─────────────────────────                         ──────────────────────
 *   rings[0..N], serials, names, heartbeats ──start──▶ scheduler-thread.ts (via thread-loader)
 *   and the shared binary heap
 *   ◀── 'ready' ───────────────────────────────────── heartbeat: Atomics.add(heartbeats[i]) every heartbeatMs
 *   watchdog: heartbeat unchanged for stallTimeoutMs ─▶ worker.terminate()
 *   worker 'exit' (died, killed, out of memory) ──▶ its actors count as exited `scheduler_down`:
 *       names freed, its shared-binary references dropped, 'scheduler_down' to every other
 *       scheduler (they fire links and monitors), a new thread with the same id; frames for
 *       the dead thread's actors and aliases are dropped (pid serials and ref serials come
 *       from shared counters, so the new thread's never repeat the dead one's)
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { RecordRing } from 'sharedarraybuffer-queue';
import { REF_BLOCK } from './scheduler.js';
import { SharedNames } from './shared-names-service.js';
import { siblingModule, startWorker } from './thread-loader.js';
import type { ControlMessage, ThreadData } from './thread-protocol.js';

export interface ThreadsOptions {
  /** Scheduler threads besides the main thread's scheduler. */
  count: number;
  /** Bytes of each scheduler's ring (its public queue). */
  ringBytes: number;
  /** How long a waiting scheduler spins before parking, in µs. */
  /** µs an idle thread polls its ring before parking, or learned per thread (adaptive-spin.ts). */
  spinMicros: number | 'adaptive';
  /** A thread whose heartbeat has not moved for this long is terminated and replaced. */
  stallTimeoutMs: number;
  /** Capacity of the shared name table. */
  maxNames: number;
  /** The shared binary heap every thread opens (slot = scheduler id), and the promotion threshold. */
  binaries: { buffer: SharedArrayBuffer; threshold: number };
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
  processBudget?: number;
  sliceBudget?: number;
  logLevel: string;
  logger: Logger;
}

export class SchedulerThreads {
  readonly rings: RecordRing[];
  /** Pid-serial counters, one 64-bit word per scheduler (RingTransport.allocateSerial). */
  readonly serials: BigInt64Array;
  /** Ref-serial block counters, one per scheduler (RingTransport.reserveRefs). */
  readonly refBlocks: BigInt64Array;
  readonly names: SharedNames;
  private readonly heartbeats: Int32Array;
  private readonly workers: (Worker | undefined)[];
  private readonly lastBeat: number[];
  private readonly quietMs: number[];
  /** Threads past their startup (module loading can take longer than a stall timeout). */
  private readonly ready: boolean[];
  private readonly watchdog: ReturnType<typeof setInterval>;
  private stopping = false;
  /** Restarts so far, per scheduler id (observer data). */
  readonly restarts: number[];
  /** Called on the main thread when scheduler `id` went down (before its replacement starts). */
  onDown: (id: number) => void = () => {};

  /** Whether each thread learns its spin (its rings were made with `spinMicros: 0`). */
  get adaptiveSpin(): boolean {
    return this.options.spinMicros === 'adaptive';
  }

  private constructor(private readonly options: ThreadsOptions) {
    const total = options.count + 1;
    this.rings = Array.from({ length: total }, () =>
      // keepAlive false: no ref'd timer per park on the main thread (a cost on every wake-up);
      // the scheduler threads' Worker handles keep this process alive while any runs.
      RecordRing.create(options.ringBytes, {
        producers: 'multi',
        spinMicros: options.spinMicros === 'adaptive' ? 0 : options.spinMicros,
        keepAlive: false,
      }),
    );
    this.serials = new BigInt64Array(new SharedArrayBuffer(8 * total));
    this.refBlocks = new BigInt64Array(new SharedArrayBuffer(8 * total));
    this.names = SharedNames.create({ capacity: options.maxNames });
    this.heartbeats = new Int32Array(new SharedArrayBuffer(4 * total));
    this.workers = new Array(total).fill(undefined);
    this.lastBeat = new Array(total).fill(0);
    this.quietMs = new Array(total).fill(0);
    this.ready = new Array(total).fill(false);
    this.restarts = new Array(total).fill(0);
    const tick = Math.max(10, Math.floor(options.stallTimeoutMs / 4));
    this.watchdog = setInterval(() => this.checkHeartbeats(tick), tick);
    this.watchdog.unref();
  }

  /** Creates the shared memory and starts every scheduler thread; resolves when all are ready. */
  static async start(options: ThreadsOptions): Promise<SchedulerThreads> {
    const threads = new SchedulerThreads(options);
    await Promise.all(Array.from({ length: options.count }, (_, i) => threads.startThread(i + 1, 0, 0)));
    return threads;
  }

  get count(): number {
    return this.options.count;
  }

  /** Scheduler threads running now (0 once shutdown has joined them all). */
  liveThreads(): number {
    return this.workers.filter((w) => w !== undefined).length;
  }

  private startThread(id: number, deadBelow: number, refsDeadBelow: number): Promise<void> {
    const data: ThreadData = {
      id,
      rings: this.rings.map((r) => r.buffer),
      serials: this.serials.buffer as SharedArrayBuffer,
      refBlocks: this.refBlocks.buffer as SharedArrayBuffer,
      names: this.names.buffer,
      heartbeats: this.heartbeats.buffer as SharedArrayBuffer,
      binaries: this.options.binaries,
      heartbeatMs: Math.max(5, Math.floor(this.options.stallTimeoutMs / 10)),
      deadBelow,
      refsDeadBelow,
      spinMicros: this.options.spinMicros,
      processBudget: this.options.processBudget,
      sliceBudget: this.options.sliceBudget,
      logLevel: this.options.logLevel,
    };
    const worker = startWorker(siblingModule('scheduler-thread'), {
      workerData: data,
      resourceLimits: this.options.resourceLimits,
      name: `postbox-scheduler-${id}`,
    });
    this.workers[id] = worker;
    this.quietMs[id] = 0;
    this.ready[id] = false;
    const threadId = worker.threadId; // reads -1 once the thread has exited
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: ControlMessage) => {
        if (msg.type === 'ready') {
          ready = true;
          this.ready[id] = true;
          resolve();
        }
      });
      worker.on('error', (error) => {
        this.options.logger.error({ err: error, scheduler: id }, 'scheduler thread crashed');
        if (!ready) reject(error);
      });
      worker.on('exit', (code) => {
        if (this.workers[id] !== worker) return;
        this.workers[id] = undefined; // joined
        if (!ready) reject(new Error(`scheduler thread ${id} exited (code ${code}) before it was ready`));
        else if (!this.stopping) this.replace(id, threadId, code);
      });
    });
  }

  /** A scheduler thread died: its actors are gone (`scheduler_down`); start another in its place. */
  private replace(id: number, deadThreadId: number, code: number): void {
    this.options.logger.warn({ scheduler: id, code }, 'scheduler thread down; replacing it');
    this.restarts[id]!++;
    // If it died inside a write to the name table, take its lock back and repair the table.
    this.names.table.releaseDeadOwner(deadThreadId);
    this.names.table.unregisterScheduler(0, id);
    // Every serial handed out so far belongs to an actor of the dead thread, and every ref
    // serial in the blocks it reserved to one of its refs. The replacement's pids and refs come
    // after them, so a reply still on its way to an alias of the dead thread is dropped instead
    // of reaching a new actor's alias, and replies to the new aliases are not taken for stale.
    const deadBelow = Number(Atomics.load(this.serials, id));
    const refsDeadBelow = Number(Atomics.load(this.refBlocks, id)) * REF_BLOCK;
    this.onDown(id);
    for (const [other, w] of this.workers.entries()) {
      if (w && other !== id) w.postMessage({ type: 'scheduler_down', id } satisfies ControlMessage);
    }
    this.startThread(id, deadBelow, refsDeadBelow).catch((error) =>
      this.options.logger.error({ err: error, scheduler: id }, 'could not restart scheduler thread'),
    );
  }

  private checkHeartbeats(tickMs: number): void {
    for (let id = 1; id < this.workers.length; id++) {
      const worker = this.workers[id];
      if (worker === undefined || !this.ready[id]) continue;
      const beat = Atomics.load(this.heartbeats, id);
      if (beat !== this.lastBeat[id]) {
        this.lastBeat[id] = beat;
        this.quietMs[id] = 0;
        continue;
      }
      this.quietMs[id]! += tickMs;
      if (this.quietMs[id]! >= this.options.stallTimeoutMs) {
        this.options.logger.warn({ scheduler: id, stalledMs: this.quietMs[id] }, 'scheduler thread stalled; terminating it');
        this.quietMs[id] = -Infinity; // once
        void worker.terminate();
      }
    }
  }

  /** Sets scheduler `id`'s shared counters: next pid serial `pid`, next ref block `refBlock` (tests; see presetSerials). */
  presetSerials(id: number, pid: number | undefined, refBlock: number | undefined): void {
    // store: the next Atomics.add on any thread starts from here.
    if (pid !== undefined) Atomics.store(this.serials, id, BigInt(pid - 1));
    if (refBlock !== undefined) Atomics.store(this.refBlocks, id, BigInt(refBlock));
  }

  /** Kills a scheduler thread, as a fatal error would (for fault-injection tests). */
  async crash(id: number): Promise<void> {
    await this.workers[id]?.terminate();
  }

  /** Stops the actors of every thread (each as `stopActors`), then joins the threads. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    await Promise.all(
      this.workers.map((worker) => {
        if (worker === undefined) return undefined;
        return new Promise<void>((resolve) => {
          const force = setTimeout(() => void worker.terminate(), timeoutMs + 2_000);
          worker.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          worker.postMessage({ type: 'shutdown', timeoutMs } satisfies ControlMessage);
        });
      }),
    );
  }
}
