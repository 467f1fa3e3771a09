/**
 * A small reference interpreter of Erlang's mailbox semantics, for property tests: actors with
 * a mailbox list, sends that append, selective receives that take the first match in arrival
 * order (leaving the rest in order), receives that poll (`after 0`) or block until a matching
 * message arrives, and commands that queue behind a blocked receive.
 */

/** Predicates a model receive may use, by id (the runtime actor uses the same table). */
export const PREDICATES: ((v: number) => boolean)[] = [
  () => true,
  (v) => v % 2 === 0,
  (v) => v % 2 === 1,
  (v) => v % 3 === 0,
  (v) => v > 50,
  (v) => v < 0, // never: values are >= 0
  // Received on the runtime by the pattern of the same index in PATTERNS (`{ r: v % 3 }`).
  (v) => v % 3 === 0,
  (v) => v % 3 === 1,
  (v) => v % 3 === 2,
];

/**
 * The runtime's receive for predicate `i`: a pattern where one is given (data messages carry
 * `r: v % 3`, see dataMessage), else a function testing PREDICATES[i].
 */
export const PATTERNS: ({ r: number } | undefined)[] = PREDICATES.map((_, i) => (i >= 6 ? { r: i - 6 } : undefined));

/** The message carrying value `v` on the runtime. */
export function dataMessage(v: number): { v: number; r: number } {
  return { v, r: v % 3 };
}

export type Command =
  | { kind: 'send'; from: 'driver' | number; to: number; v: number }
  | { kind: 'recv'; actor: number; pred: number; block: boolean };

/** What an actor observed, in order: received values, or 'timeout' for a poll that found nothing. */
export type Event = number | 'timeout';

interface ModelActor {
  mailbox: number[];
  /** Predicate of the receive it is blocked in, if any. */
  blockedOn: number | null;
  /** Commands waiting behind a blocked receive. */
  backlog: Command[];
  events: Event[];
}

export class ErlangModel {
  readonly actors: ModelActor[];
  /** What the actors have told the driver so far: one per receive result and per send done. */
  outputs = 0;

  constructor(count: number) {
    this.actors = Array.from({ length: count }, () => ({ mailbox: [], blockedOn: null, backlog: [], events: [] }));
  }

  run(cmd: Command): void {
    const owner = cmd.kind === 'send' ? cmd.from : cmd.actor;
    if (owner !== 'driver' && this.actors[owner]!.blockedOn !== null) {
      this.actors[owner]!.backlog.push(cmd);
      return;
    }
    this.execute(cmd);
  }

  private execute(cmd: Command): void {
    if (cmd.kind === 'send') {
      this.deliver(cmd.to, cmd.v);
      if (cmd.from !== 'driver') this.outputs++; // the actor acknowledges its send
      return;
    }
    const a = this.actors[cmd.actor]!;
    const i = a.mailbox.findIndex(PREDICATES[cmd.pred]!);
    if (i >= 0) {
      a.events.push(a.mailbox.splice(i, 1)[0]!);
      this.outputs++;
    } else if (cmd.block) {
      a.blockedOn = cmd.pred;
    } else {
      a.events.push('timeout');
      this.outputs++;
    }
  }

  private deliver(to: number, v: number): void {
    const a = this.actors[to]!;
    if (a.blockedOn !== null && PREDICATES[a.blockedOn]!(v)) {
      a.blockedOn = null;
      a.events.push(v);
      this.outputs++;
      this.resume(to);
    } else {
      a.mailbox.push(v);
    }
  }

  /** Runs an unblocked actor's backlog until it blocks again or runs out. */
  private resume(index: number): void {
    const a = this.actors[index]!;
    while (a.blockedOn === null && a.backlog.length > 0) this.execute(a.backlog.shift()!);
  }

  /** Final state per actor: events, and the mailbox left (null when blocked: it cannot drain). */
  result(): { events: Event[]; blocked: boolean; left: number[] }[] {
    return this.actors.map((a) => ({ events: a.events, blocked: a.blockedOn !== null, left: a.mailbox }));
  }
}
