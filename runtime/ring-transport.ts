/**
 * The transport between scheduler threads: every scheduler consumes one multi-producer
 * RecordRing (its public queue) and produces into everyone else's. A frame is one msgpackr
 * value: `[kind, ...fields]`, the message itself encoded inside (one encode per send).
 *
 *   sender thread                                   receiver thread
 *   Scheduler ─send(pid)─▶ RingTransport.sendMessage      consume loop: ring.drain(frames)
 *     encode([MSG, serial, alias?, msg])                    decode ─▶ Scheduler.deliverLocal /
 *     ring[pid.scheduler].tryPush ── full? ─▶ overflow        exitSignal / acceptLink / adoptSpawn …
 *     queue (async push, order kept)                     then yields to the event loop; parks on
 *     too big? ─▶ CHUNK frames, reassembled               the doorbell when the ring is empty
 *
 * Per-pair order holds because one thread pushes its frames to a ring in send order (the
 * overflow queue and the chunks keep that order) and the ring is FIFO.
 */
import { RecordRing } from 'sharedarraybuffer-queue';
import type { Spawnable, SpawnOptions } from './context.js';
import { decodeFrom, encode, encodeFrame } from './codec.js';
import { BadArgError } from './errors.js';
import { Pid, Ref } from './pid.js';
import type { Process } from './process.js';
import { pidKey, REF_BLOCK, type Scheduler, type Transport } from './scheduler.js';
import type { DownMessage, ExitReason } from './signals.js';

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
  /** Shared pid-serial counters, one Int32 per scheduler (Atomics.add hands out serials). */
  serials: Int32Array;
  /** Shared counters of ref-serial blocks (`REF_BLOCK` serials each), one Int32 per scheduler. */
  refBlocks: Int32Array;
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
}

const CHUNK_BYTES_FRACTION = 4;
/** Stands in for a frame already pushed from an overflow queue (lets its bytes be collected). */
const NOTHING = new Uint8Array(0);

export class RingTransport implements Transport {
  private scheduler!: Scheduler;
  private readonly self: number;
  private readonly rings: RecordRing[];
  private readonly serials: Int32Array;
  private readonly refBlocks: Int32Array;
  private readonly loadDefinition: DefinitionLoader;
  private readonly deadBelow: number;
  private readonly refsDeadBelow: number;
  private readonly onError: (error: unknown) => void;
  /** Frames waiting for room in a full ring, per destination scheduler; order is kept. */
  private readonly overflow = new Map<number, Uint8Array[]>();
  /** Partial chunked frames, per source scheduler. */
  private readonly partial = new Map<number, Uint8Array[]>();
  private stopped = false;
  private consuming: Promise<void> | null = null;
  private readonly onFrame = (bytes: Uint8Array, offset: number, length: number): void => {
    try {
      this.dispatch(decodeFrom(bytes, offset, offset + length) as unknown[]);
    } catch (e) {
      this.onError(e);
    }
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
  }

  /** Binds the scheduler frames are delivered to, and starts consuming our ring. */
  attach(scheduler: Scheduler): void {
    this.scheduler = scheduler;
    this.consuming = this.consume();
  }

  /** Stops consuming (the ring is left as it is). Resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Wake our own consumer if it is parked.
    this.rings[this.self]!.tryPush(encode([Frame.Name, null, null]));
    await this.consuming;
  }

  /** Allocates the next pid serial of scheduler `id` (shared by every thread). */
  allocateSerial(id: number): number {
    return Atomics.add(this.serials, id, 1) + 1; // add returns the old value: serials start at 1
  }

  /**
   * Reserves the next block of `REF_BLOCK` ref serials of scheduler `id` and returns its first.
   * Only that scheduler's thread reserves (no contention); the counter outlives the thread, so
   * its replacement starts above every ref the dead thread made.
   */
  reserveRefs(id: number): number {
    // add: atomic against nothing in use (one thread per id), but it leaves the count where
    // the main thread reads it (Atomics.load) once the thread is gone, whatever core it ran on.
    return Atomics.add(this.refBlocks, id, 1) * REF_BLOCK + 1;
  }

  // ── Transport: outgoing ─────────────────────────────────────────────────────

  sendMessage(to: Pid | Ref, message: unknown): void {
    // encodeFrame: an unsendable value is reported at its path in the message (msg.a[2]).
    this.push(to.scheduler, encodeFrame([Frame.Message, to.serial, to instanceof Ref ? 1 : 0], message));
  }

  exitSignal(from: Pid, to: Pid, reason: ExitReason, viaLink: boolean): void {
    this.push(to.scheduler, encode([Frame.Exit, to.serial, from, reason, viaLink ? 1 : 0]));
  }

  link(from: Pid, to: Pid): void {
    this.push(to.scheduler, encode([Frame.Link, to.serial, from]));
  }

  unlink(from: Pid, to: Pid): void {
    this.push(to.scheduler, encode([Frame.Unlink, to.serial, from]));
  }

  monitor(watcher: Pid, target: Pid, ref: Ref): void {
    this.push(target.scheduler, encode([Frame.Monitor, target.serial, watcher, ref]));
  }

  down(watcher: Pid, down: DownMessage): void {
    this.push(watcher.scheduler, encode([Frame.Down, watcher.serial, down]));
  }

  demonitor(_watcher: Pid, target: Pid, ref: Ref): void {
    this.push(target.scheduler, encode([Frame.Demonitor, target.serial, ref]));
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
    this.push(target, encode([Frame.Spawn, serial, body]));
    return pid;
  }

  /** Tells the owner of `pid` that it now holds `name` (registered from another thread). */
  adoptName(pid: Pid, name: string): void {
    this.push(pid.scheduler, encode([Frame.Name, pid.serial, name]));
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
      out.push(encode([Frame.Chunk, this.self, last, frame.subarray(at, Math.min(frame.length, at + size))]));
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
    while (!this.stopped) {
      const n = ring.drain(this.onFrame, 4096);
      if (n > 0) {
        // Let the actors just woken run, and timers and I/O, before the next batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
      } else {
        await ring.waitForRecords();
      }
    }
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
    this.dispatch(decodeFrom(whole, 0, whole.length) as unknown[]);
  }
}
