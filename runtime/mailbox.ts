/**
 * An actor's mailbox, split as in Erlang's design:
 *
 *   senders ──push──▶ public queue (inbox)          ─┐ appended, in order, when a receive
 *                                                    │ has scanned the private queue to its end
 *   owner ◀──take── private queue (items, with holes) ◀┘
 *
 * Only the owning actor (its scheduler thread) touches the private queue, so it needs no locks.
 * A Process is a Mailbox (a subclass), so an actor's queues cost no object of their own.
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
 *
 * A receive by pattern (`{ type: 'reply' }`, see ReceivePattern) is scanned by a loop of its own,
 * with no function call per message, and its Pattern remembers how far the mailbox is known not
 * to match it (its own mark): messages in the mailbox never change (they are the receiver's own
 * copies), so the next receive with an equal pattern starts there instead of at the oldest
 * message. A receive waiting behind K unrelated messages then costs O(new messages), not O(K),
 * and the result is still the first match in arrival order.
 */

/** Returned by `take` when no message matches. */
export const NO_MESSAGE: unique symbol = Symbol('postbox.no-message');
/**
 * The array an idle mailbox starts with (most actors wait with an empty mailbox; two real arrays
 * each would be most of an idle actor's size). Never pushed to: `push` replaces it first.
 */
const EMPTY: unknown[] = [];

/** `solo` when it holds no message (no message is a symbol: symbols are not sendable). */
const NONE: unique symbol = Symbol('postbox.none');

/** Marks a taken message inside the private queue. */
const HOLE: unique symbol = Symbol('postbox.hole');

export type Match = (message: any) => boolean;

/** A value a pattern may require of a field (compared with `===`). */
export type PatternValue = string | number | boolean | bigint | null | undefined;

/**
 * A declarative match (`ctx.receive({ type: 'reply' })`): a message matches when it is a plain
 * object that has each of the pattern's keys as an own property whose value is `===` the
 * pattern's.
 */
export type ReceivePattern = Readonly<Record<string, PatternValue>>;

const OBJECT_PROTO: object = Object.prototype;
const getPrototypeOf = Object.getPrototypeOf as (o: object) => object | null;
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A ReceivePattern checked and compiled (its keys and values in arrays), with the scan memo of
 * the actor that uses it: `arrival`/`epoch` form a MailboxMark below which no live message
 * matches it. Each actor keeps its own (the marks are positions in its mailbox).
 */
export class Pattern implements MailboxMark {
  readonly keys: string[];
  readonly values: PatternValue[];
  /** The first key and value: tested inline by the scan loop before anything else. */
  readonly key0: string;
  readonly value0: PatternValue;
  /** No live message before this arrival number matches (valid while `epoch` is the mailbox's). */
  arrival = 0;
  /** -1: nothing known yet. */
  epoch = -1;
  /**
   * Set by the receive: true when its scan starts at or before `arrival`, so every message it
   * passes over was tested and the memo may move forward; false when a ref mark made it start
   * later.
   */
  track = true;

  private constructor(keys: string[], values: PatternValue[]) {
    this.keys = keys;
    this.values = values;
    this.key0 = keys[0]!;
    this.value0 = values[0];
  }

  /**
   * Compiles `pattern`, or returns undefined when it is not a valid one: a plain object with at
   * least one own enumerable string key, each value a string, number, boolean, bigint, null or
   * undefined.
   */
  static compile(pattern: object): Pattern | undefined {
    const proto = getPrototypeOf(pattern);
    if (proto !== OBJECT_PROTO && proto !== null) return undefined;
    const keys: string[] = [];
    const values: PatternValue[] = [];
    for (const key in pattern) {
      if (!hasOwn.call(pattern, key)) continue;
      const v = (pattern as Record<string, unknown>)[key];
      if ((typeof v === 'object' && v !== null) || typeof v === 'function' || typeof v === 'symbol') return undefined;
      keys.push(key);
      values.push(v as PatternValue);
    }
    return keys.length === 0 ? undefined : new Pattern(keys, values);
  }

  /** True when `pattern` has exactly this pattern's keys, in order, with the same values. */
  sameAs(pattern: object): boolean {
    const proto = getPrototypeOf(pattern);
    if (proto !== OBJECT_PROTO && proto !== null) return false;
    const keys = this.keys;
    const values = this.values;
    let i = 0;
    for (const key in pattern) {
      if (!hasOwn.call(pattern, key)) continue;
      if (i === keys.length || keys[i] !== key || !Object.is(values[i], (pattern as Record<string, unknown>)[key])) return false;
      i++;
    }
    return i === keys.length;
  }

  /** The rest of `matches`, for an `m` whose value at `key0` is `===` `value0`. */
  private rest(m: object): boolean {
    if (getPrototypeOf(m) !== OBJECT_PROTO || !hasOwn.call(m, this.key0)) return false;
    const keys = this.keys;
    const values = this.values;
    for (let k = 1; k < keys.length; k++) {
      const key = keys[k]!;
      if ((m as Record<string, unknown>)[key] !== values[k] || !hasOwn.call(m, key)) return false;
    }
    return true;
  }

  /** True when message `m` matches: a plain object with each key its own, each value `===`. */
  matches(m: unknown): boolean {
    return typeof m === 'object' && m !== null && (m as Record<string, unknown>)[this.key0] === this.value0 && this.rest(m);
  }
}

/**
 * What selective receive leaves behind in a mailbox, kept apart from it (made on first use):
 * the holes taken messages left in the private queue, and how often positions were renumbered.
 */
class Scars {
  /** Holes in the private queue's [head, end). */
  holes = 0;
  /** Bumped by every compaction that renumbers positions (marks of an older epoch are void). */
  epoch = 0;
}

/** A position in the mailbox recorded when a ref was made. */
export interface MailboxMark {
  readonly arrival: number;
  readonly epoch: number;
}

export class Mailbox {
  // Both queues are arrays with explicit ends instead of `length`: truncating an array is a
  // runtime call in V8, too slow for the once-per-message reset of a drained queue. Taken slots
  // are cleared (undefined or HOLE), so nothing stale is kept alive past its end.
  //
  // Fields in the order the hot path touches them (a send, then the receiver's take): V8 lays
  // them out in this order, so one delivery touches one or two cache lines of the process.

  /**
   * The public queue's only message, or NONE. A message arriving at an empty public queue waits
   * here, in the process object itself, not in `inbox`: an actor that keeps up with its messages
   * (a ring, ping-pong, a request/reply) never touches its two arrays, each two more objects
   * (array and backing store) a hop would otherwise bring into cache. Invariant: when set,
   * `inboxEnd` is 0 (a second message moves it to `inbox` first, keeping arrival order).
   */
  declare private solo: unknown;
  /** Public queue: messages pushed by senders, not yet seen by a receive, in [0, inboxEnd). */
  declare private inboxEnd: number;
  /** Messages ever pushed (the arrival number the next message gets). */
  declare private arrivals: number;
  /** Private queue: messages in arrival order in [head, end); taken ones are HOLE. */
  declare private head: number;
  declare private end: number;
  /** Save pointer of the current receive, as an arrival number. */
  declare private scanAt: number;
  // The fields below are set by `initCold`, last in the constructor of the class that is made
  // (a Process's last): V8 lays fields out in the order they are first set, so these come after
  // the subclass's hot fields and a hop (which, thanks to `solo`, touches none of them) spans
  // fewer cache lines of the process.
  /** The arrays of the two queues (see `inboxEnd` and `head`). */
  declare private inbox: unknown[];
  declare private items: unknown[];
  /**
   * Holes and renumberings (see Scars): null until a receive first takes a message from the
   * middle of the private queue or renumbers it, which most actors never do.
   */
  declare private scars: Scars | null;

  // Every field is declared, not defined, and set here: a base class with field definitions
  // makes its subclass's `super()` a generic construct call in V8 (Node 20), not inlined into
  // the spawn (Process extends Mailbox).
  constructor() {
    this.solo = NONE;
    this.inboxEnd = 0;
    this.arrivals = 0;
    this.head = 0;
    this.end = 0;
    this.scanAt = 0;
    if (new.target === Mailbox) this.initCold();
  }

  /** Sets the cold fields (above); a subclass calls it last in its constructor. */
  protected initCold(): void {
    this.inbox = EMPTY;
    this.items = EMPTY;
    this.scars = null;
  }

  /**
   * Arrival number of `items[0]`. No field: every message pushed is in exactly one place (the
   * private queue's [0, end), `solo` or the inbox), so base + end + publicLength === arrivals.
   */
  private get base(): number {
    return this.arrivals - this.end - this.publicLength;
  }

  /** Holes in [head, end). */
  private get holes(): number {
    const scars = this.scars;
    return scars === null ? 0 : scars.holes;
  }

  /** Bumped by every compaction that renumbers positions. */
  private get epoch(): number {
    const scars = this.scars;
    return scars === null ? 0 : scars.epoch;
  }

  /** Appends a message to the public queue. */
  push(message: unknown): void {
    this.arrivals++;
    if (this.inboxEnd === 0) {
      if (this.solo === NONE) {
        this.solo = message;
        return;
      }
      this.spillSolo();
    }
    this.inbox[this.inboxEnd++] = message;
  }

  /** Moves the waiting `solo` message to the (empty) public queue array. */
  private spillSolo(): void {
    if (this.inbox === EMPTY) this.inbox = [];
    this.inbox[0] = this.solo;
    this.inboxEnd = 1;
    this.solo = NONE;
  }

  /** Messages waiting, in both queues. */
  get length(): number {
    return this.end - this.head - this.holes + this.publicLength;
  }

  /** Messages in the public queue, not yet moved to the private one. */
  get publicLength(): number {
    return this.solo === NONE ? this.inboxEnd : 1;
  }

  /** The position a receive may later start from (see `beginReceive`). */
  mark(): MailboxMark {
    return { arrival: this.arrivals, epoch: this.epoch };
  }

  /** `mark()` written into `into` (an actor reuses one for its last ref: no object per ref). */
  markInto(into: { arrival: number; epoch: number }): void {
    into.arrival = this.arrivals;
    into.epoch = this.epoch;
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
   * Starts a receive by pattern `p`: from its memo when that is still valid (no message before it
   * matches `p`), or from `since` (a ref mark) when that is later still; then the messages in
   * between go untested, so this receive must not move the memo (`p.track` false).
   */
  beginPatternReceive(p: Pattern, since?: MailboxMark): void {
    let start = this.base + this.head;
    if (p.epoch === this.epoch && p.arrival > start) start = p.arrival;
    const fromMemo = start;
    if (since !== undefined && since.epoch === this.epoch && since.arrival > start) start = since.arrival;
    p.track = start === fromMemo;
    this.scanAt = start;
  }

  /**
   * Takes the first message, from the save pointer on, that `match` accepts (any message when
   * `match` is undefined), or returns NO_MESSAGE and leaves the save pointer at the end so the
   * next call tests only messages that arrived since.
   */
  take(match: Match | Pattern | undefined): unknown {
    // By typeof, not instanceof: V8 leaves this instanceof as a generic builtin call (≈230
    // instructions, measured with callgrind), and a Pattern is the only object `match` can be.
    if (typeof match === 'object') return this.takePattern(match);
    const solo = this.solo;
    if (solo !== NONE && this.soloIsNext()) {
      // The one waiting message, with nothing before it: tested where it is (see `solo`).
      if (match === undefined || match(solo)) return this.takeSolo();
      this.passSolo();
      return NO_MESSAGE;
    }
    for (;;) {
      const items = this.items;
      const n = this.end;
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

  /**
   * `take` for a pattern: the first key's value is compared inline (no call per message); only a
   * message that passes is checked further. Moves the pattern's memo (when it tracks) to the
   * message taken, or to the end when none matches: everything before was tested.
   */
  private takePattern(p: Pattern): unknown {
    const solo = this.solo;
    if (solo !== NONE && this.soloIsNext()) {
      if (p.matches(solo)) {
        if (p.track) {
          p.arrival = this.arrivals - 1;
          p.epoch = this.epoch;
        }
        return this.takeSolo();
      }
      this.passSolo();
      if (p.track) {
        p.arrival = this.scanAt;
        p.epoch = this.epoch;
      }
      return NO_MESSAGE;
    }
    const key = p.key0;
    const value = p.value0;
    for (;;) {
      const items = this.items;
      const n = this.end;
      let i = this.scanAt - this.base;
      if (i < this.head) i = this.head;
      for (; i < n; i++) {
        const m = items[i];
        // HOLE is a symbol: not an object.
        if (typeof m === 'object' && m !== null && (m as Record<string, unknown>)[key] === value && p.matches(m)) {
          if (p.track) {
            p.arrival = this.base + i;
            p.epoch = this.epoch;
          }
          return this.takeAt(i);
        }
      }
      if (this.scanAt < this.base + n) this.scanAt = this.base + n;
      if (!this.appendInbox()) {
        if (p.track) {
          p.arrival = this.scanAt;
          p.epoch = this.epoch;
        }
        return NO_MESSAGE;
      }
    }
  }

  /**
   * True when `solo` (set) is the next message the current receive tests: the private queue is
   * empty and the save pointer is not past it (a ref mark made after it arrived skips it).
   */
  private soloIsNext(): boolean {
    return this.head === this.end && this.scanAt < this.arrivals;
  }

  /** Takes `solo`, leaving the numbering as moving it to the private queue and taking it there would. */
  private takeSolo(): unknown {
    const m = this.solo;
    this.solo = NONE;
    this.head = this.end = 0; // no holes: the private queue is empty (`base` follows: arrivals)
    return m;
  }

  /** `solo` did not match: it moves to the private queue, and the scan goes on past it. */
  private passSolo(): void {
    this.appendInbox();
    this.scanAt = this.arrivals;
  }

  /** Removes every message `match` accepts (used to flush DOWN messages); returns how many. */
  removeAll(match: Match): number {
    this.appendInbox();
    const kept: unknown[] = [];
    let removed = 0;
    for (let i = this.head; i < this.end; i++) {
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
    for (let i = this.head; i < this.end; i++) if (this.items[i] !== HOLE) out.push(this.items[i]);
    if (this.solo !== NONE) out.push(this.solo);
    for (let i = 0; i < this.inboxEnd; i++) out.push(this.inbox[i]);
    return out;
  }

  /** Drops every message (the owner exited). */
  clear(): void {
    this.items = EMPTY;
    this.inbox = EMPTY;
    this.solo = NONE;
    this.end = this.inboxEnd = this.head = 0;
    if (this.scars !== null) this.scars.holes = 0;
    this.scanAt = this.arrivals;
  }

  /** Moves the public queue to the end of the private one; false when it was empty. */
  private appendInbox(): boolean {
    if (this.solo !== NONE) this.spillSolo();
    const count = this.inboxEnd;
    if (count === 0) return false;
    const inbox = this.inbox;
    if (this.head === this.end) {
      // Private queue is drained: swap the arrays instead of copying (the common case of an
      // actor keeping up with its messages). The old private array, all cleared, becomes the
      // inbox, unless a burst made it large: then let it go.
      const old = this.items;
      this.items = inbox;
      this.end = count;
      this.head = 0; // no holes: the private queue was empty
      this.inbox = old.length > 4096 ? EMPTY : old;
    } else {
      const items = this.items;
      let end = this.end;
      for (let k = 0; k < count; k++) {
        items[end++] = inbox[k];
        inbox[k] = undefined;
      }
      this.end = end;
    }
    this.inboxEnd = 0;
    return true;
  }

  private takeAt(i: number): unknown {
    const items = this.items;
    const m = items[i];
    if (i === this.head) {
      items[i] = undefined;
      let h = i + 1;
      const end = this.end;
      if (h < end && items[h] === HOLE) {
        const scars = this.scars!; // a hole was made
        do {
          items[h] = undefined;
          h++;
          scars.holes--;
        } while (h < end && items[h] === HOLE);
      }
      if (h === end) {
        // Everything is taken: restart the array at the next arrival number (`base` follows).
        this.head = this.end = 0;
        if (items.length > 4096) this.items = EMPTY;
      } else {
        this.head = h;
      }
    } else if (i === this.end - 1) {
      // The newest message (typically a reply behind older unmatched ones): shrink, no hole.
      items[i] = undefined;
      let e = i;
      while (items[e - 1] === HOLE) {
        items[--e] = undefined;
        this.scars!.holes--; // a hole was made
      }
      // `base` follows (base + end + publicLength === arrivals): older entries now map to arrival
      // numbers a little higher than their own, so a ref mark can only start scanning earlier,
      // never later.
      this.end = e;
    } else {
      items[i] = HOLE;
      const scars = (this.scars ??= new Scars());
      scars.holes++;
      if (scars.holes > 64 && scars.holes * 2 > this.end - this.head) this.compact();
    }
    return m;
  }

  /** Drops holes and the consumed prefix; renumbers positions, so older marks become invalid. */
  private compact(): void {
    const live: unknown[] = [];
    for (let i = this.head; i < this.end; i++) if (this.items[i] !== HOLE) live.push(this.items[i]);
    this.renumber(live);
  }

  private renumber(live: unknown[]): void {
    this.items = live;
    this.end = live.length; // `base` follows
    this.head = 0;
    const scars = (this.scars ??= new Scars());
    scars.holes = 0;
    scars.epoch++;
  }
}
