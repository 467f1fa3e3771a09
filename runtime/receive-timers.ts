/**
 * The timeouts of one scheduler's waiting receives, behind a single Node timer.
 *
 *   receive(match, ms) ──add──▶ heap of (deadline, seq, waiter)  ──one setTimeout, for the earliest──┐
 *   message arrives    ──cancel (the waiter forgets its seq: the entry goes stale, O(1))            │
 *   fire ◀──────────────────────────────────────────────────────────────────────────────────────────┘
 *     pops due entries; a live one (its waiter still holds its seq) times out; re-arms for the next
 *
 * Why not a setTimeout per receive: nearly every receive with a timeout is a call's wait for its
 * reply, which comes long before the timeout. Node's timer per receive (a Timeout object, a clock
 * read through the binding, and its per-duration list made and dropped when it empties) measured
 * ~15% of a same-thread GenServer call. Here a receive costs a clock read and a heap push, and a
 * cancel a counter. Stale entries are dropped when they reach the top, and all at once when they
 * outnumber the live ones, so a flood of answered calls keeps the heap small.
 *
 * The Node timer is ref'd only while a live entry exists, as the per-receive timers were: a
 * pending receive timeout keeps the process alive, an answered one does not.
 *
 * Entries are added lazily: `add` only notes (waiter, ms), and a microtask queued for the first
 * note of a turn reads the clock once and moves the notes still live into the heap. A call
 * answered in the same run of the scheduler (same thread: nearly every one) then costs no clock
 * read and no heap entry at all. The deadline counts from that microtask, after the current
 * drain slice, so a timeout may fire up to one slice late (never early), like any Node timer
 * behind busy code.
 *
 * Trade-off: a stale entry still references its waiter, so an actor that exited while waiting
 * with a timeout stays reachable until its entry reaches the top (its deadline) or a rebuild
 * drops it; a cleared Node timer let it go at once.
 */
import { queueJob } from './microtask.js';

/** What waits: the process, which keeps the seq of its pending timeout (0: none). */
export interface TimeoutWaiter {
  receiveTimer: number;
  onReceiveTimeout(): void;
}

/** Stale entries tolerated before the heap is rebuilt from its live ones. */
const REBUILD_STALE = 1024;
/** Node's timer limit: a longer delay is armed in steps. */
const MAX_DELAY = 2 ** 31 - 1;

export class ReceiveTimers {
  // A binary min-heap by (deadline, seq) in parallel arrays, `size` entries long.
  private deadlines: number[] = [];
  private seqs: number[] = [];
  private waiters: (TimeoutWaiter | undefined)[] = [];
  private size = 0;
  private seq = 0;
  /** Entries whose waiter still holds their seq. */
  private live = 0;
  private stale = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The deadline `timer` was armed for. */
  private armedFor = Infinity;
  // Notes of `add` not yet in the heap (see above), `notes` long; seqs above `heapSeq` are notes.
  private noteWaiters: (TimeoutWaiter | undefined)[] = [];
  private noteSeqs: number[] = [];
  private noteMs: number[] = [];
  private notes = 0;
  private heapSeq = 0;

  /** Times `waiter` out after `ms` (> 0, finite) unless cancelled; returns the seq it must keep in `receiveTimer`. */
  add(waiter: TimeoutWaiter, ms: number): number {
    const seq = ++this.seq;
    const i = this.notes++;
    this.noteWaiters[i] = waiter;
    this.noteSeqs[i] = seq;
    this.noteMs[i] = ms;
    if (i === 0) queueJob(this.flushNotes);
    return seq;
  }

  /** The waiter got its message (or exited): its pending timeout will not fire. */
  cancel(waiter: TimeoutWaiter): void {
    if (waiter.receiveTimer > this.heapSeq) {
      waiter.receiveTimer = 0; // a note: flushNotes skips it
      return;
    }
    waiter.receiveTimer = 0; // its entry is now stale
    this.stale++;
    if (--this.live === 0) this.timer?.unref();
    if (this.stale > REBUILD_STALE && this.stale > this.live) this.rebuild();
  }

  /** Moves the notes whose waiters still wait into the heap, with deadlines from now. */
  private readonly flushNotes = (): void => {
    const n = this.notes;
    const now = performance.now();
    for (let i = 0; i < n; i++) {
      const waiter = this.noteWaiters[i]!;
      const seq = this.noteSeqs[i]!;
      this.noteWaiters[i] = undefined;
      if (waiter.receiveTimer !== seq) continue; // answered (or waiting again: a later note)
      const deadline = now + this.noteMs[i]!;
      this.push(deadline, seq, waiter);
      this.live++;
      if (deadline < this.armedFor) this.arm(deadline);
      else if (this.live === 1) this.timer?.ref();
    }
    this.notes = 0;
    this.heapSeq = this.seq;
  };

  private readonly fire = (): void => {
    this.timer = null;
    this.armedFor = Infinity;
    // Node's clock is the loop's, in whole ms, so a timer may run up to 1 ms before our precise
    // deadline; count those as due rather than arm again for the remainder.
    const now = performance.now() + 1;
    while (this.size > 0) {
      const waiter = this.waiters[0]!;
      const live = waiter.receiveTimer === this.seqs[0];
      if (live && this.deadlines[0]! > now) break;
      this.pop();
      if (!live) {
        this.stale--;
        continue;
      }
      this.live--;
      waiter.receiveTimer = 0;
      waiter.onReceiveTimeout();
    }
    if (this.size > 0) this.arm(this.deadlines[0]!);
  };

  private arm(deadline: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(this.fire, Math.min(MAX_DELAY, Math.max(1, Math.ceil(deadline - performance.now()))));
    if (this.live === 0) this.timer.unref();
  }

  private rebuild(): void {
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const w = this.waiters[i]!;
      if (w.receiveTimer !== this.seqs[i]) continue;
      this.deadlines[n] = this.deadlines[i]!;
      this.seqs[n] = this.seqs[i]!;
      this.waiters[n] = w;
      n++;
    }
    for (let i = n; i < this.size; i++) this.waiters[i] = undefined;
    this.size = n;
    this.stale = 0;
    // Floyd's heapify of what is left.
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private before(i: number, j: number): boolean {
    const di = this.deadlines[i]!;
    const dj = this.deadlines[j]!;
    return di < dj || (di === dj && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    const d = this.deadlines[i]!;
    this.deadlines[i] = this.deadlines[j]!;
    this.deadlines[j] = d;
    const s = this.seqs[i]!;
    this.seqs[i] = this.seqs[j]!;
    this.seqs[j] = s;
    const w = this.waiters[i];
    this.waiters[i] = this.waiters[j];
    this.waiters[j] = w;
  }

  private push(deadline: number, seq: number, waiter: TimeoutWaiter): void {
    let i = this.size++;
    this.deadlines[i] = deadline;
    this.seqs[i] = seq;
    this.waiters[i] = waiter;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const last = --this.size;
    if (last > 0) {
      this.deadlines[0] = this.deadlines[last]!;
      this.seqs[0] = this.seqs[last]!;
      this.waiters[0] = this.waiters[last];
    }
    this.waiters[last] = undefined;
    if (last > 1) this.siftDown(0);
  }

  private siftDown(i: number): void {
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const child = r < n && this.before(r, l) ? r : l;
      if (!this.before(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }
}
