/**
 * An actor's mailbox, split as in Erlang's design:
 *
 *   senders ──push──▶ public queue (inbox)          ─┐ appended, in order, when a receive
 *                                                    │ has scanned the private queue to its end
 *   owner ◀──take── private queue (items, with holes) ◀┘
 *
 * Only the owning actor (its scheduler thread) touches the private queue, so it needs no locks.
 * On other threads the public queue is fed from the thread's SharedArrayBuffer inbox; here it
 * is the array senders on this thread push to.
 *
 * Selective receive keeps a save pointer (`scanAt`, an absolute arrival number): a waiting
 * receive tests each message at most once, so a wake-up costs O(new messages), not O(mailbox).
 * A receive may also start at a mark recorded when a ref was made (Erlang's `make_ref()`
 * optimisation): messages that arrived before the ref existed cannot carry it.
 *
 * Positions are absolute arrival numbers: `items[i]` arrived as message number `base + i`.
 * Taking a message from the middle leaves a hole; holes at the front are dropped as the head
 * passes them, and when holes outnumber live messages the array is compacted, which renumbers
 * positions (`epoch` changes, and marks from an older epoch fall back to scanning from the head).
 */

/** Returned by `take` when no message matches. */
export const NO_MESSAGE: unique symbol = Symbol('postbox.no-message');
/** Marks a taken message inside the private queue. */
const HOLE: unique symbol = Symbol('postbox.hole');

export type Match = (message: any) => boolean;

/** A position in the mailbox recorded when a ref was made. */
export interface MailboxMark {
  readonly arrival: number;
  readonly epoch: number;
}

export class Mailbox {
  /** Private queue: messages in arrival order; taken ones are HOLE. */
  private items: unknown[] = [];
  /** Public queue: messages pushed by senders, not yet seen by a receive. */
  private inbox: unknown[] = [];
  /** Index of the first entry of `items` that may be live. */
  private head = 0;
  /** Arrival number of `items[0]`. */
  private base = 0;
  /** Holes at or after `head`. */
  private holes = 0;
  /** Save pointer of the current receive, as an arrival number. */
  private scanAt = 0;
  /** Messages ever pushed (the arrival number the next message gets). */
  private arrivals = 0;
  /** Bumped by every compaction that renumbers positions. */
  private epoch = 0;

  /** Appends a message to the public queue. */
  push(message: unknown): void {
    this.inbox.push(message);
    this.arrivals++;
  }

  /** Messages waiting, in both queues. */
  get length(): number {
    return this.items.length - this.head - this.holes + this.inbox.length;
  }

  /** Messages in the public queue, not yet moved to the private one. */
  get publicLength(): number {
    return this.inbox.length;
  }

  /** The position a receive may later start from (see `beginReceive`). */
  mark(): MailboxMark {
    return { arrival: this.arrivals, epoch: this.epoch };
  }

  /**
   * Starts a new receive: the save pointer goes back to the oldest message, or to `since` when
   * it is still valid (same epoch).
   */
  beginReceive(since?: MailboxMark): void {
    const oldest = this.base + this.head;
    this.scanAt = since !== undefined && since.epoch === this.epoch && since.arrival > oldest ? since.arrival : oldest;
  }

  /**
   * Takes the first message, from the save pointer on, that `match` accepts (any message when
   * `match` is undefined), or returns NO_MESSAGE and leaves the save pointer at the end so the
   * next call tests only messages that arrived since.
   */
  take(match: Match | undefined): unknown {
    for (;;) {
      const items = this.items;
      const n = items.length;
      let i = this.scanAt - this.base;
      if (i < this.head) i = this.head;
      for (; i < n; i++) {
        const m = items[i];
        if (m === HOLE) continue;
        if (match === undefined || match(m)) return this.takeAt(i);
      }
      // Everything up to the end is tested (a ref mark may already point past it).
      if (this.scanAt < this.base + n) this.scanAt = this.base + n;
      if (!this.appendInbox()) return NO_MESSAGE;
    }
  }

  /** Removes every message `match` accepts (used to flush DOWN messages); returns how many. */
  removeAll(match: Match): number {
    this.appendInbox();
    const kept: unknown[] = [];
    let removed = 0;
    for (let i = this.head; i < this.items.length; i++) {
      const m = this.items[i];
      if (m === HOLE) continue;
      if (match(m)) removed++;
      else kept.push(m);
    }
    if (removed > 0) this.renumber(kept);
    return removed;
  }

  /** Copies the waiting messages out, oldest first (for process info and diagnostics). */
  snapshot(): unknown[] {
    const out: unknown[] = [];
    for (let i = this.head; i < this.items.length; i++) if (this.items[i] !== HOLE) out.push(this.items[i]);
    for (const m of this.inbox) out.push(m);
    return out;
  }

  /** Drops every message (the owner exited). */
  clear(): void {
    this.items = [];
    this.inbox = [];
    this.head = this.holes = 0;
    this.base = this.scanAt = this.arrivals;
  }

  /** Moves the public queue to the end of the private one; false when it was empty. */
  private appendInbox(): boolean {
    const inbox = this.inbox;
    const count = inbox.length;
    if (count === 0) return false;
    const items = this.items;
    if (this.head === items.length) {
      // Private queue is drained: swap the arrays instead of copying (the common case of an
      // actor keeping up with its messages), keeping the old array for reuse as the inbox.
      this.base = this.arrivals - count;
      this.items = inbox;
      items.length = 0;
      this.inbox = items;
      this.head = 0;
      this.holes = 0;
    } else {
      for (let k = 0; k < count; k++) items.push(inbox[k]);
      inbox.length = 0;
    }
    return true;
  }

  private takeAt(i: number): unknown {
    const items = this.items;
    const m = items[i];
    if (i === this.head) {
      items[i] = undefined;
      let h = i + 1;
      while (h < items.length && items[h] === HOLE) {
        h++;
        this.holes--;
      }
      if (h === items.length) {
        // Everything before the end is gone: restart the array at the next arrival number.
        this.base += items.length;
        items.length = 0;
        this.head = 0;
        this.holes = 0;
      } else {
        this.head = h;
      }
    } else {
      items[i] = HOLE;
      this.holes++;
      if (this.holes > 64 && this.holes * 2 > items.length - this.head) this.compact();
    }
    return m;
  }

  /** Drops holes and the consumed prefix; renumbers positions, so older marks become invalid. */
  private compact(): void {
    const live: unknown[] = [];
    for (let i = this.head; i < this.items.length; i++) if (this.items[i] !== HOLE) live.push(this.items[i]);
    this.renumber(live);
  }

  private renumber(live: unknown[]): void {
    this.items = live;
    this.head = 0;
    this.holes = 0;
    // Invariant: base + items.length + inbox.length === arrivals.
    this.base = this.arrivals - this.inbox.length - live.length;
    this.epoch++;
  }
}
