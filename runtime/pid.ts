/**
 * Process identifiers and references: small immutable values that name an actor (or a
 * request) wherever it lives. They are sendable (the codec has extension types for both) and
 * compare by value with `equals` (a pid decoded on another thread is a new object).
 */

/** What pids and refs share: three numbers naming something on a node's scheduler. */
abstract class Identifier {
  readonly node: number;
  readonly scheduler: number;
  readonly serial: number;

  constructor(node: number, scheduler: number, serial: number) {
    this.node = node;
    this.scheduler = scheduler;
    this.serial = serial;
  }

  /** True when `other` is of the same kind and names the same thing. */
  equals(other: unknown): boolean {
    return (
      other instanceof Identifier &&
      Object.getPrototypeOf(other) === Object.getPrototypeOf(this) &&
      other.serial === this.serial &&
      other.scheduler === this.scheduler &&
      other.node === this.node
    );
  }

  abstract toString(): string;

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Names an actor: `<node.scheduler.serial>`, like an Erlang pid. */
export class Pid extends Identifier {
  /**
   * The live actor this pid names, when it was made by this thread's scheduler (internal: a send
   * then skips the process-table lookup). Pids are shared, not copied, on their own thread, so
   * every copy has it; a pid decoded from another thread does not. Cleared when the actor exits.
   */
  local: unknown = undefined;

  toString(): string {
    return `<${this.node}.${this.scheduler}.${this.serial}>`;
  }
}

/** A unique reference, like Erlang's `make_ref()`: `#Ref<node.scheduler.serial>`. */
export class Ref extends Identifier {
  /**
   * Internal: the monitor whose alias this ref is, when this thread's scheduler made it with
   * `monitor(pid, {alias})` (Scheduler.monitorAlias). A send to the ref on its own thread (refs
   * are shared there, not copied) finds the monitor here, not in the scheduler's alias table; the
   * ref enters that table only when it is encoded for another thread (`exportRef`), since a copy
   * decoded there, or sent back from there, is a new object without this field.
   */
  monitor: unknown = undefined;

  toString(): string {
    return `#Ref<${this.node}.${this.scheduler}.${this.serial}>`;
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

const getPrototypeOf = Object.getPrototypeOf as (o: object) => object | null;
const PID_PROTO: object = Pid.prototype;

/**
 * `v instanceof Pid`, fast for a pid itself: on hot paths V8 (Node 20) compiles `instanceof` of
 * an imported class to a generic builtin call (≈230 instructions under callgrind); a prototype
 * compare is a load. Same answer for anything (a subclass's instance takes the instanceof).
 */
export function isPid(v: unknown): v is Pid {
  return typeof v === 'object' && v !== null && (getPrototypeOf(v) === PID_PROTO || v instanceof Pid);
}

/** True when `a` and `b` name the same actor; accepts anything. */
export function samePid(a: unknown, b: unknown): boolean {
  return isPid(a) && a.equals(b);
}
