/**
 * The transport between scheduler threads: every scheduler consumes one multi-producer
 * RecordRing (its public queue) and produces into everyone else's. Frames to one destination
 * are batched: each send appends its frame to that destination's WireWriter, and the batch
 * goes into the ring as one record at the end of the current JavaScript job (a microtask), or
 * at once when it reaches BATCH_BYTES. A record is a run of frames, each `[u32 length][frame]`:
 *
 *   MESSAGE  [0x4d][alias 0|1][serial float64][message: codec-wire writeMessage]
 *   MONITOR  [0x4f][target serial float64][watcher pid][ref]     ids: [node u32][scheduler u32][serial float64]
 *   DEMONITOR [0x44][target serial float64][ref]
 *   PACKED   [0x50][msgpackr `[kind, ...fields]`]       exit, link, spawn, chunk, name, down …
 *
 *   sender thread                                   receiver thread
 *   Scheduler ─send(pid)─▶ RingTransport.sendMessage      consume loop: ring.drain(records)
 *     writeMessage into batch[pid.scheduler]                each frame ─▶ Scheduler.deliverLocal /
 *   end of job (or batch full) ─▶ flush:                    exitSignal / acceptLink / adoptSpawn …
 *     ring.tryPush(batch) ── full? ─▶ overflow queue      then yields to the event loop; parks on
 *     too big? ─▶ CHUNK frames, reassembled               the doorbell when the ring is empty
 *
 * Per-pair order holds because one thread appends its frames for a ring to one batch in send
 * order, pushes batches in order (the overflow queue and the chunks keep that order) and the
 * ring is FIFO. A thread that dies or stalls in the middle of a job loses the frames of that
 * job not yet pushed, as messages in flight to a node that goes down are lost.
 */
import { RecordRing } from 'sharedarraybuffer-queue';
import { AdaptiveSpin, spinFor } from './adaptive-spin.js';
import type { Spawnable, SpawnOptions } from './context.js';
import { decodeFrom, encode, encodeFrame } from './codec.js';
import { readMessage, WireWriter, writeMessage } from './codec-wire.js';
import { BadArgError } from './errors.js';
import { Pid, Ref, exportRef, isRef } from './pid.js';
import type { Process } from './process.js';
import { checkSerial, pidKey, REF_BLOCK, type Scheduler, type Transport } from './scheduler.js';
import type { DownMessage, ExitReason } from './signals.js';
import { queueJob } from './microtask.js';

/** Frame kinds; the first element of every frame. */
export const Frame = {
  Message: 0,
  Exit: 1,
  Link: 2,
  Unlink: 3,
  Monitor: 4,
  Demonitor: 5,
  Spawn: 6,
  Chunk: 7,
  Name: 8,
  Down: 9,
} as const;

/** How a thread finds the module of an actor definition (import, then the export by name). */
export type DefinitionLoader = (module: string, name: string) => Promise<Spawnable<any[]>>;

export interface RingTransportOptions {
  /** This scheduler's id (the ring it consumes). */
  self: number;
  /** Every scheduler's ring, by id (our own included). */
  rings: RecordRing[];
  /** Shared pid-serial counters, one 64-bit word per scheduler (Atomics.add hands out serials). */
  serials: BigInt64Array;
  /** Shared counters of ref-serial blocks (`REF_BLOCK` serials each), one 64-bit word per scheduler. */
  refBlocks: BigInt64Array;
  loadDefinition: DefinitionLoader;
  /** Serials at or below this were born on a scheduler thread this one replaced: frames for them are dropped. */
  deadBelow?: number;
  /**
   * Ref serials at or below this were made by a thread this one replaced: messages to those
   * aliases are dropped. Refs count apart from pids (their own shared counter), so an alias
   * made here must not be judged by `deadBelow`.
   */
  refsDeadBelow?: number;
  /** Called on a frame that could not be handled (logged by the caller). */
  onError?: (error: unknown) => void;
  /**
   * Learn how long to poll our ring before parking (adaptive-spin.ts); the rings are then made
   * with `spinMicros: 0`. Without it the rings' own fixed spin applies.
   */
  adaptiveSpin?: boolean;
}

const CHUNK_BYTES_FRACTION = 4;
/** A batch this large is pushed at once, without waiting for the end of the job. */
const BATCH_BYTES = 64 * 1024;
/** Frame formats inside a record (the first byte of a frame). */
const MESSAGE = 0x4d;
const PACKED = 0x50;
/** Monitor and demonitor frames, written by hand: a cross-thread GenServer call sends one of each. */
const MONITOR = 0x4f;
const DEMONITOR = 0x44;
/** Bytes of a pid or ref in a MONITOR or DEMONITOR frame. */
const ID_BYTES = 16;
/** Bytes of a message frame before its message: format, alias flag, serial. */
const MESSAGE_HEAD = 10;
/**
 * Longest the consume loop goes without a turn of the event loop while its actors answer what
 * it drains (the conversation fast path in `consume`), ms.
 */
const FAST_PATH_MS = 1;
/** Stands in for a frame already pushed from an overflow queue (lets its bytes be collected). */
const NOTHING = new Uint8Array(0);

export class RingTransport implements Transport {
  private scheduler!: Scheduler;
  private readonly self: number;
  private readonly rings: RecordRing[];
  private readonly serials: BigInt64Array;
  private readonly refBlocks: BigInt64Array;
  private readonly loadDefinition: DefinitionLoader;
  private readonly deadBelow: number;
  private readonly refsDeadBelow: number;
  private readonly onError: (error: unknown) => void;
  private readonly spin: AdaptiveSpin | null;
  /** Frames waiting for room in a full ring, per destination scheduler; order is kept. */
  private readonly overflow = new Map<number, Uint8Array[]>();
  /** Partial chunked frames, per source scheduler. */
  private readonly partial = new Map<number, Uint8Array[]>();
  /** The batch of frames being written for each destination scheduler. */
  private readonly batches: WireWriter[];
  /** Destinations whose batch holds frames, in the order they got their first. */
  private readonly dirty: number[] = [];
  /**
   * The destination whose batch holds a spawn frame not yet pushed, or -1. The new pid may
   * travel in any frame written after the spawn; were that frame's batch pushed first, its
   * receiver could send to the pid before the actor exists on its thread, and the message
   * would be dropped as to a dead pid. So the spawn's batch is pushed as soon as a frame for
   * another destination is written (and before a name makes the pid visible): every frame
   * that can carry the pid enters a ring after the spawn has entered its own.
   */
  private spawnPending = -1;
  private flushQueued = false;
  /** True while the consume loop dispatches a drain: the flush is queued once it is over (consume). */
  private dispatching = false;
  /** Records pushed (or queued behind a full ring) so far: tells the consume loop its actors sent something. */
  private pushes = 0;
  /** True while a frame is being written (a getter in a message could send meanwhile). */
  private writing = false;
  /** Frames sent from inside the writing of another one: appended once that one is done. */
  private nested: { target: number; frame: Uint8Array }[] = [];
  private readonly flushAll = (): void => {
    this.flushQueued = false;
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) this.flush(dirty[i]!);
    dirty.length = 0;
  };
  /** The pid of the last message delivered from the ring (dispatchMessage). */
  private lastTo: Pid | null = null;
  private stopped = false;
  private consuming: Promise<void> | null = null;
  /** A DataView over the ring we consume (its frames are read in place). */
  private readonly view: DataView;
  private readonly onRecord = (bytes: Uint8Array, offset: number, length: number): void => {
    this.dispatchRecord(bytes, this.view, offset, offset + length);
  };

  constructor(options: RingTransportOptions) {
    this.self = options.self;
    this.rings = options.rings;
    this.serials = options.serials;
    this.refBlocks = options.refBlocks;
    this.loadDefinition = options.loadDefinition;
    this.deadBelow = options.deadBelow ?? 0;
    this.refsDeadBelow = options.refsDeadBelow ?? 0;
    this.onError = options.onError ?? (() => {});
    this.spin = options.adaptiveSpin ? new AdaptiveSpin() : null;
    this.batches = this.rings.map(() => new WireWriter());
    this.view = new DataView(this.rings[this.self]!.buffer);
  }

  /** Binds the scheduler frames are delivered to, and starts consuming our ring. */
  attach(scheduler: Scheduler): void {
    this.scheduler = scheduler;
    this.consuming = this.consume();
  }

  /** Stops consuming (the ring is left as it is). Resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.flushAll();
    // Wake our own consumer if it is parked.
    this.send(this.self, encode([Frame.Name, null, null]));
    this.flush(this.self);
    await this.consuming;
  }

  /**
   * Allocates the next pid serial of scheduler `id` (shared by every thread). 64-bit words: an
   * Int32 counter went negative after 2^31 spawns, and every frame for such a pid was then
   * dropped as for a dead thread's actor. (≈20 ns more per spawn than Int32 on the CI box.)
   */
  allocateSerial(id: number): number {
    // add returns the old value: serials start at 1.
    return checkSerial(Number(Atomics.add(this.serials, id, 1n)) + 1, id, 'pid');
  }

  /**
   * Reserves the next block of `REF_BLOCK` ref serials of scheduler `id` and returns its first.
   * Only that scheduler's thread reserves (no contention); the counter outlives the thread, so
   * its replacement starts above every ref the dead thread made.
   */
  reserveRefs(id: number): number {
    // add: atomic against nothing in use (one thread per id), but it leaves the count where
    // the main thread reads it (Atomics.load) once the thread is gone, whatever core it ran on.
    return Number(Atomics.add(this.refBlocks, id, 1n)) * REF_BLOCK + 1;
  }

  // ── Transport: outgoing ─────────────────────────────────────────────────────

  sendMessage(to: Pid | Ref, message: unknown): void {
    const target = to.scheduler;
    const w = this.batchFor(target);
    if (w === undefined) return; // no such scheduler: like a dead pid, dropped
    if (this.writing) {
      // Sent by a getter of a message being written: the general way, appended after it.
      this.nested.push({ target, frame: encodeFrame([Frame.Message, to.serial, isRef(to) ? 1 : 0], message) });
      return;
    }
    const start = w.length;
    const at = w.reserve(4 + MESSAGE_HEAD);
    w.bytes[at + 4] = MESSAGE;
    w.bytes[at + 5] = isRef(to) ? 1 : 0;
    w.view.setFloat64(at + 6, to.serial, true);
    this.writing = true;
    try {
      // An unsendable value is reported at its path in the message (msg.a[2]); w is left as it was.
      writeMessage(w, message);
    } catch (e) {
      w.length = start;
      throw e;
    } finally {
      this.writing = false;
    }
    w.view.setUint32(at, w.length - at - 4, true);
    this.written(target, w, start);
    if (this.nested.length > 0) this.appendNested();
  }

  exitSignal(from: Pid, to: Pid, reason: ExitReason, viaLink: boolean): void {
    this.send(to.scheduler, encode([Frame.Exit, to.serial, from, reason, viaLink ? 1 : 0]));
  }

  link(from: Pid, to: Pid): void {
    this.send(to.scheduler, encode([Frame.Link, to.serial, from]));
  }

  unlink(from: Pid, to: Pid): void {
    this.send(to.scheduler, encode([Frame.Unlink, to.serial, from]));
  }

  monitor(watcher: Pid, target: Pid, ref: Ref): void {
    exportRef(ref); // a monitor's alias leaves its thread (see Ref.monitor)
    if (!this.writeIdFrame(target.scheduler, MONITOR, target.serial, watcher, ref)) {
      this.send(target.scheduler, encode([Frame.Monitor, target.serial, watcher, ref]));
    }
  }

  down(watcher: Pid, down: DownMessage): void {
    this.send(watcher.scheduler, encode([Frame.Down, watcher.serial, down]));
  }

  demonitor(_watcher: Pid, target: Pid, ref: Ref): void {
    if (!this.writeIdFrame(target.scheduler, DEMONITOR, target.serial, ref, null)) {
      this.send(target.scheduler, encode([Frame.Demonitor, target.serial, ref]));
    }
  }

  /**
   * Appends a MONITOR or DEMONITOR frame for `target`: format, target serial, then `first` and
   * `second` (if any) as ids. False when the frame must take the general way instead (written
   * from inside another frame's writing, or no such scheduler).
   */
  private writeIdFrame(target: number, format: number, serial: number, first: Pid | Ref, second: Ref | null): boolean {
    const w = this.batchFor(target);
    if (w === undefined || this.writing) return false;
    const body = 1 + 8 + (second === null ? 1 : 2) * ID_BYTES;
    const start = w.length;
    const at = w.reserve(4 + body);
    const view = w.view;
    view.setUint32(at, body, true);
    w.bytes[at + 4] = format;
    view.setFloat64(at + 5, serial, true);
    writeId(view, at + 13, first);
    if (second !== null) writeId(view, at + 13 + ID_BYTES, second);
    this.written(target, w, start);
    return true;
  }

  spawn(actor: Spawnable<any[]>, args: unknown[], options: SpawnOptions, linkTo: Pid | undefined, parent: Pid | undefined): Pid {
    const target = options.scheduler!;
    if (!Number.isInteger(target) || target < 0 || target >= this.rings.length) {
      throw new BadArgError(`spawn: expected a scheduler id from 0 to ${this.rings.length - 1}, got: ${String(target)}`);
    }
    if (typeof actor === 'function') throw new BadArgError('spawn: a bare function cannot run on another scheduler');
    // Encode first: unsendable arguments throw here, before a serial is spent or a link made.
    const body = encodeFrame([actor.module, actor.name, linkTo ?? null, parent ?? null], args);
    const serial = this.allocateSerial(target);
    const pid = new Pid(this.scheduler.node, target, serial);
    const linker = linkTo === undefined ? undefined : this.scheduler.local(linkTo);
    if (linker !== undefined) (linker.links ??= new Map()).set(pidKey(pid), pid);
    this.send(target, encode([Frame.Spawn, serial, body]));
    this.spawnPending = target;
    return pid;
  }

  /**
   * The batch for `target`, about to get a frame: a spawn waiting in another destination's
   * batch is pushed first, since this frame may carry its pid (see `spawnPending`).
   */
  private batchFor(target: number): WireWriter | undefined {
    if (this.spawnPending !== -1 && this.spawnPending !== target) this.pushPendingSpawn();
    return this.batches[target];
  }

  /** Pushes the batch holding a spawn frame, if one is waiting (see `spawnPending`). */
  pushPendingSpawn(): void {
    if (this.spawnPending !== -1) this.flush(this.spawnPending); // flush clears spawnPending
  }

  /** Tells the owner of `pid` that it now holds `name` (registered from another thread). */
  adoptName(pid: Pid, name: string): void {
    this.send(pid.scheduler, encode([Frame.Name, pid.serial, name]));
  }

  /** Appends a PACKED frame (msgpackr bytes of `[kind, ...fields]`) to the batch for `target`. */
  private send(target: number, packed: Uint8Array): void {
    const w = this.batchFor(target);
    if (w === undefined) return; // no such scheduler: like a dead pid, dropped
    if (this.writing) {
      this.nested.push({ target, frame: packed });
      return;
    }
    const start = w.length;
    const at = w.reserve(5 + packed.length);
    w.view.setUint32(at, 1 + packed.length, true);
    w.bytes[at + 4] = PACKED;
    w.bytes.set(packed, at + 5);
    this.written(target, w, start);
  }

  /** A frame was appended at `start`: queue the flush with the first, push a full batch now. */
  private written(target: number, w: WireWriter, start: number): void {
    if (start === 0) {
      this.dirty.push(target);
      if (!this.dispatching) this.queueFlush();
    }
    if (w.length >= BATCH_BYTES) this.flush(target);
  }

  /** Pushes the batches at the end of the current job (a microtask), once however many frames. */
  private queueFlush(): void {
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueJob(this.flushAll);
    }
  }

  private appendNested(): void {
    const nested = this.nested;
    this.nested = [];
    for (const { target, frame } of nested) this.send(target, frame);
  }

  /** Pushes the batch for `target` (if any) into its ring, in order behind earlier ones. */
  private flush(target: number): void {
    if (target === this.spawnPending) this.spawnPending = -1;
    const w = this.batches[target]!;
    if (w.length === 0) return;
    this.pushes++;
    const record = w.bytes.subarray(0, w.length);
    const ring = this.rings[target]!;
    if (this.overflow.size === 0 || !this.overflow.has(target)) {
      if (record.length <= ring.maxRecordBytes && ring.tryPush(record)) {
        w.reset(BATCH_BYTES * 2);
        return;
      }
    }
    this.push(target, record.slice());
    w.reset(BATCH_BYTES * 2);
  }

  private push(target: number, frame: Uint8Array): void {
    const ring = this.rings[target];
    if (ring === undefined) return; // no such scheduler: like a dead pid, dropped
    const waiting = this.overflow.get(target);
    if (waiting === undefined) {
      if (frame.length <= ring.maxRecordBytes && ring.tryPush(frame)) return;
      if (frame.length > ring.maxRecordBytes) {
        this.pushChunks(target, ring, frame);
        return;
      }
      this.overflow.set(target, [frame]);
      void this.flushOverflow(target, ring);
    } else if (frame.length > ring.maxRecordBytes) {
      for (const chunk of this.chunksOf(ring, frame)) waiting.push(chunk);
    } else {
      waiting.push(frame);
    }
  }

  /** Splits a frame larger than the ring can hold into CHUNK frames (reassembled in order). */
  private chunksOf(ring: RecordRing, frame: Uint8Array): Uint8Array[] {
    const size = Math.max(64, Math.floor(ring.maxRecordBytes / CHUNK_BYTES_FRACTION));
    const out: Uint8Array[] = [];
    for (let at = 0; at < frame.length; at += size) {
      const last = at + size >= frame.length ? 1 : 0;
      const packed = encode([Frame.Chunk, this.self, last, frame.subarray(at, Math.min(frame.length, at + size))]);
      const record = new Uint8Array(5 + packed.length);
      new DataView(record.buffer).setUint32(0, 1 + packed.length, true);
      record[4] = PACKED;
      record.set(packed, 5);
      out.push(record);
    }
    return out;
  }

  private pushChunks(target: number, ring: RecordRing, frame: Uint8Array): void {
    const chunks = this.chunksOf(ring, frame);
    let i = 0;
    while (i < chunks.length && ring.tryPush(chunks[i]!)) i++;
    if (i < chunks.length) {
      this.overflow.set(target, chunks.slice(i));
      void this.flushOverflow(target, ring);
    }
  }

  /** Pushes a destination's overflow in order, waiting for room; later sends queue behind it. */
  private async flushOverflow(target: number, ring: RecordRing): Promise<void> {
    const queue = this.overflow.get(target)!;
    let next = 0;
    while (next < queue.length) {
      // Push whatever fits now; wait for room only when the ring is full.
      while (next < queue.length && ring.tryPush(queue[next]!)) queue[next++] = NOTHING;
      if (next < queue.length) {
        await ring.push(queue[next]!);
        queue[next++] = NOTHING;
      }
      if (next > 65_536) {
        // Drop the pushed prefix now and then (shift() per frame is O(n) on large arrays).
        queue.splice(0, next);
        next = 0;
      }
    }
    this.overflow.delete(target);
  }

  // ── incoming ────────────────────────────────────────────────────────────────

  private async consume(): Promise<void> {
    const ring = this.rings[this.self]!;
    const spin = this.spin;
    const hasRecords = () => ring.hasRecords();
    // When the event loop last had a turn (timers, I/O): the fast path below skips turns for at most FAST_PATH_MS.
    let turnAt = performance.now();
    while (!this.stopped) {
      const pushes = this.pushes;
      this.dispatching = true;
      let n: number;
      try {
        n = ring.drain(this.onRecord, 4);
      } finally {
        this.dispatching = false;
        // Frames the dispatch wrote (a call's DEMONITOR) are pushed after the actors it woke have
        // run, in one record with what they send (the next call's MONITOR and request).
        if (this.dirty.length > 0) this.queueFlush();
      }
      if (n > 0) {
        // One microtask hop: the scheduler's drain (queued when a message woke an actor) runs
        // first, and generator actors answer within it.
        await undefined;
        if (this.flushQueued) this.flushAll(); // written after the queued flush ran: push it now
        if (this.pushes !== pushes && performance.now() - turnAt < FAST_PATH_MS) {
          // A conversation: what the woken actors sent is in a ring and its answer may be back
          // within a spin. Poll again at once instead of a turn of the event loop (a few µs each
          // way of every cross-thread call); timers and I/O get a turn at least every FAST_PATH_MS.
          continue;
        }
        // Let the actors just woken run, and timers and I/O, before the next batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
        turnAt = performance.now();
      } else if (spin === null) {
        await ring.waitForRecords();
        turnAt = performance.now();
      } else {
        const budget = spin.budget;
        if (budget > 0 && spinFor(hasRecords, budget)) {
          spin.caught();
          continue;
        }
        const parkedAt = performance.now();
        await ring.waitForRecords();
        turnAt = performance.now();
        spin.parked(turnAt - parkedAt, budget);
      }
    }
  }

  /** Handles the frames of one record, `bytes[start, end)`; a bad frame is reported, the rest still handled. */
  private dispatchRecord(bytes: Uint8Array, view: DataView, start: number, end: number): void {
    let at = start;
    while (at < end) {
      const length = view.getUint32(at, true);
      const frame = at + 4;
      at = frame + length;
      try {
        const format = bytes[frame];
        if (format === MESSAGE) this.dispatchMessage(bytes, view, frame, at);
        else if (format === MONITOR) {
          this.dispatch([Frame.Monitor, view.getFloat64(frame + 1, true), readId(view, frame + 9, Pid), readId(view, frame + 9 + ID_BYTES, Ref)]);
        } else if (format === DEMONITOR) {
          this.dispatch([Frame.Demonitor, view.getFloat64(frame + 1, true), readId(view, frame + 9, Ref)]);
        } else this.dispatch(decodeFrom(bytes, frame + 1, at) as unknown[]);
      } catch (e) {
        this.onError(e);
      }
    }
  }

  private dispatchMessage(bytes: Uint8Array, view: DataView, frame: number, end: number): void {
    const alias = bytes[frame + 1] === 1;
    const serial = view.getFloat64(frame + 2, true);
    // A message to an alias names a ref serial, which counts apart from pid serials.
    if (serial <= (alias ? this.refsDeadBelow : this.deadBelow)) return; // to an actor of a dead thread
    const s = this.scheduler;
    const message = readMessage(bytes, view, frame + MESSAGE_HEAD, end);
    if (alias) {
      s.deliverLocal(new Ref(s.node, this.self, serial), message);
      return;
    }
    // A run of messages to one actor (a stream, a fan-in) reuses its pid: deliverLocal keeps none.
    let to = this.lastTo;
    if (to === null || to.serial !== serial) this.lastTo = to = new Pid(s.node, this.self, serial);
    s.deliverLocal(to, message);
  }

  private dispatch(f: unknown[]): void {
    const s = this.scheduler;
    const kind = f[0] as number;
    if (kind === Frame.Chunk) {
      this.reassemble(f[1] as number, f[2] as number, f[3] as Uint8Array);
      return;
    }
    const serial = f[1] as number;
    // A message to an alias names a ref serial, which counts apart from pid serials.
    const deadBelow = kind === Frame.Message && f[2] === 1 ? this.refsDeadBelow : this.deadBelow;
    if (serial !== null && serial <= deadBelow && kind !== Frame.Name) {
      this.answerDead(kind, serial, f);
      return;
    }
    switch (kind) {
      case Frame.Message: {
        const to = f[2] === 1 ? new Ref(s.node, this.self, serial) : new Pid(s.node, this.self, serial);
        s.deliverLocal(to, f[3]);
        return;
      }
      case Frame.Exit:
        s.exitSignal(f[2] as Pid, new Pid(s.node, this.self, serial), f[3], f[4] === 1);
        return;
      case Frame.Link:
        s.acceptLink(f[2] as Pid, new Pid(s.node, this.self, serial));
        return;
      case Frame.Unlink:
        s.local(new Pid(s.node, this.self, serial))?.links?.delete(pidKey(f[2] as Pid));
        return;
      case Frame.Monitor:
        s.acceptMonitor(f[2] as Pid, new Pid(s.node, this.self, serial), f[3] as Ref);
        return;
      case Frame.Down:
        s.acceptDown(new Pid(s.node, this.self, serial), f[2] as DownMessage);
        return;
      case Frame.Demonitor:
        s.acceptDemonitor(new Pid(s.node, this.self, serial), f[2] as Ref);
        return;
      case Frame.Spawn:
        this.adopt(serial, f[2] as Uint8Array);
        return;
      case Frame.Name: {
        if (serial === null) return; // the wake-up frame of stop()
        const p = s.local(new Pid(s.node, this.self, serial));
        const name = f[2] as string;
        if (p === undefined || p.registeredName !== null) {
          // Registered from another thread for an actor that is gone or already named: undo.
          if (s.whereis(name)?.serial === serial) s.nameService.unregister(name);
        } else {
          p.registeredName = name;
        }
        return;
      }
      default:
        throw new Error(`ring frame of unknown kind ${String(kind)}`);
    }
  }

  /** A spawn from another thread: the actor exists at once; it starts when its module has loaded. */
  private adopt(serial: number, body: Uint8Array): void {
    const [module, name, linkTo, parent, args] = decodeFrom(body, 0, body.length) as [string, string, Pid | null, Pid | null, unknown[]];
    const p: Process = this.scheduler.adoptSpawn(serial, linkTo, parent);
    this.loadDefinition(module, name).then(
      (def) => this.scheduler.startBody(p, def, args),
      (error) => this.scheduler.exitProcess(p, error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** A frame for an actor of the thread this one replaced: it is gone, answer as for a dead pid. */
  private answerDead(kind: number, serial: number, f: unknown[]): void {
    const s = this.scheduler;
    const dead = new Pid(s.node, this.self, serial);
    if (kind === Frame.Link) this.exitSignal(dead, f[2] as Pid, 'noproc', true); // ends the linker's half
    else if (kind === Frame.Monitor) this.down(f[2] as Pid, { type: 'DOWN', ref: f[3] as Ref, pid: dead, reason: 'noproc' });
  }

  private reassemble(source: number, last: number, bytes: Uint8Array): void {
    let parts = this.partial.get(source);
    if (parts === undefined) this.partial.set(source, (parts = []));
    parts.push(bytes.slice()); // the view is only valid during the drain callback
    if (last !== 1) return;
    this.partial.delete(source);
    const total = parts.reduce((n, p) => n + p.length, 0);
    const whole = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      whole.set(p, at);
      at += p.length;
    }
    this.dispatchRecord(whole, new DataView(whole.buffer), 0, whole.length);
  }
}

/** Writes a pid or ref as `[node u32][scheduler u32][serial float64]` (ID_BYTES). */
function writeId(view: DataView, at: number, id: Pid | Ref): void {
  view.setUint32(at, id.node, true);
  view.setUint32(at + 4, id.scheduler, true);
  view.setFloat64(at + 8, id.serial, true);
}

function readId<T extends Pid | Ref>(view: DataView, at: number, Kind: new (node: number, scheduler: number, serial: number) => T): T {
  return new Kind(view.getUint32(at, true), view.getUint32(at + 4, true), view.getFloat64(at + 8, true));
}
