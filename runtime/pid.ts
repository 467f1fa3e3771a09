/**
 * Process identifiers and references: small immutable values that name an actor (or a
 * request) wherever it lives. They are sendable (the codec has extension types for both) and
 * compare by value with `equals` (a pid decoded on another thread is a new object).
 */

const getPrototypeOf = Object.getPrototypeOf as (o: object) => object | null;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * True when `a` and `b` are of the same kind (both pids or both refs) and name the same thing.
 * The numbers first, then the prototypes: after those loads V8 knows both maps and folds
 * getPrototypeOf to a constant; on its own it is a runtime call (see isPid). Not by
 * `constructor`, which an own property may hide.
 */
function sameIdentifier(a: Pid | Ref, b: unknown): boolean {
  return (
    typeof b === 'object' &&
    b !== null &&
    (b as Pid | Ref).serial === a.serial &&
    (b as Pid | Ref).scheduler === a.scheduler &&
    (b as Pid | Ref).node === a.node &&
    getPrototypeOf(b) === getPrototypeOf(a)
  );
}

// Pid and Ref share no base class though they share their shape (three numbers naming something
// on a node's scheduler) and their methods. The base they had defined those three fields, and a
// base class with field definitions makes its subclass's `super()` a generic construct call in
// V8 (Node 20), never inlined (~300 instructions per object under callgrind); a ref is made per
// GenServer call, a pid per spawn. Their own fields are declared and set in the constructor, not
// defined, for a like reason: field definitions run as a function of their own. A base of
// methods alone (no fields, no constructor) was tried to share equals/toJSON/inspect: `new Ref`
// stayed in baseline code behind the generic construct stub (~+600 instructions per call under
// callgrind), so the three small methods are written twice.

/** Names an actor: `<node.scheduler.serial>`, like an Erlang pid. */
export class Pid {
  declare readonly node: number;
  declare readonly scheduler: number;
  declare readonly serial: number;
  /**
   * The live actor this pid names, when it was made by this thread's scheduler (internal: a send
   * then skips the process-table lookup). Pids are shared, not copied, on their own thread, so
   * every copy has it; a pid decoded from another thread does not. Cleared when the actor exits.
   */
  declare local: unknown;

  constructor(node: number, scheduler: number, serial: number) {
    this.node = node;
    this.scheduler = scheduler;
    this.serial = serial;
    this.local = undefined;
  }

  /** True when `other` is a pid naming the same actor. */
  equals(other: unknown): boolean {
    return sameIdentifier(this, other);
  }

  toString(): string {
    return `<${this.node}.${this.scheduler}.${this.serial}>`;
  }

  toJSON(): string {
    return this.toString();
  }

  [INSPECT](): string {
    return this.toString();
  }
}

/** A unique reference, like Erlang's `make_ref()`: `#Ref<node.scheduler.serial>`. */
export class Ref {
  declare readonly node: number;
  declare readonly scheduler: number;
  declare readonly serial: number;
  /**
   * Internal: the monitor whose alias this ref is, when this thread's scheduler made it with
   * `monitor(pid, {alias})` (Scheduler.monitorAlias). A send to the ref on its own thread (refs
   * are shared there, not copied) finds the monitor here, not in the scheduler's alias table; the
   * ref enters that table only when it is encoded for another thread (`exportRef`), since a copy
   * decoded there, or sent back from there, is a new object without this field.
   */
  declare monitor: unknown;

  constructor(node: number, scheduler: number, serial: number) {
    this.node = node;
    this.scheduler = scheduler;
    this.serial = serial;
    this.monitor = undefined;
  }

  /** True when `other` is a ref naming the same reference. */
  equals(other: unknown): boolean {
    return sameIdentifier(this, other);
  }

  toString(): string {
    return `#Ref<${this.node}.${this.scheduler}.${this.serial}>`;
  }

  toJSON(): string {
    return this.toString();
  }

  [INSPECT](): string {
    return this.toString();
  }
}

let exportHook: (ref: Ref) => void = () => {};

/** Set once by the scheduler module: publishes a monitor alias in its scheduler's alias table. */
export function setRefExportHook(hook: (ref: Ref) => void): void {
  exportHook = hook;
}

/**
 * Called by the encoders for every ref they write for another thread: a ref that is a monitor's
 * alias (`Ref.monitor`) becomes reachable through the scheduler's alias table, where messages
 * sent to a copy of it arrive.
 */
export function exportRef(ref: Ref): void {
  if (ref.monitor !== undefined) exportHook(ref);
}

const PID_PROTO: object = Pid.prototype;

/**
 * `v instanceof Pid`, fast for a pid itself. On hot paths V8 (Node 20) compiles `instanceof` of
 * an imported class to a generic builtin call (≈230 instructions under callgrind), and
 * `Object.getPrototypeOf` on its own to a runtime call (≈125); a `constructor` load is a map
 * check, after which getPrototypeOf folds to a constant. Same answer for anything: whatever the
 * fast test does not take (a subclass's instance, an own `constructor`) takes the instanceof.
 */
export function isPid(v: unknown): v is Pid {
  if (typeof v !== 'object' || v === null) return false;
  return ((v as Pid).constructor === Pid && getPrototypeOf(v) === PID_PROTO) || v instanceof Pid;
}

const REF_PROTO: object = Ref.prototype;

/** `v instanceof Ref`, fast for a ref itself (as isPid). */
export function isRef(v: unknown): v is Ref {
  if (typeof v !== 'object' || v === null) return false;
  return ((v as Ref).constructor === Ref && getPrototypeOf(v) === REF_PROTO) || v instanceof Ref;
}

/** True when `a` and `b` name the same actor; accepts anything. */
export function samePid(a: unknown, b: unknown): boolean {
  return isPid(a) && a.equals(b);
}
