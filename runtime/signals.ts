/**
 * The values the runtime itself puts in mailboxes or returns from receive: exit reasons,
 * `EXIT` messages (trapped exit signals), `DOWN` messages (monitors) and the receive timeout.
 * They are plain data so they can be matched, forwarded and sent like any other message.
 */
import { Pid, Ref } from './pid.js';

/**
 * Why an actor ended. Any sendable value may be a reason; these are the ones the runtime gives
 * meaning to (see docs/guide.md's table).
 */
export type ExitReason =
  | 'normal'
  | 'shutdown'
  | 'kill'
  | 'killed'
  | 'noproc'
  | 'scheduler_down'
  | Error
  | { shutdown: unknown }
  | (string & {})
  | unknown;

/** A trapped exit signal, delivered as a message: Erlang's `{'EXIT', From, Reason}`. */
export interface ExitMessage {
  readonly type: 'EXIT';
  readonly from: Pid;
  readonly reason: ExitReason;
}

/** A monitor's notice that its target ended: Erlang's `{'DOWN', Ref, process, Pid, Reason}`. */
export interface DownMessage {
  readonly type: 'DOWN';
  readonly ref: Ref;
  readonly pid: Pid;
  readonly reason: ExitReason;
}

/** What a receive resolves to when its timeout passes: distinct from every message (a symbol cannot be sent). */
export const TIMEOUT: unique symbol = Symbol('postbox.timeout');
export type Timeout = typeof TIMEOUT;

export function isExitMessage(msg: unknown): msg is ExitMessage {
  return typeof msg === 'object' && msg !== null && (msg as ExitMessage).type === 'EXIT' && (msg as ExitMessage).from instanceof Pid;
}

export function isDownMessage(msg: unknown): msg is DownMessage {
  return typeof msg === 'object' && msg !== null && (msg as DownMessage).type === 'DOWN' && (msg as DownMessage).ref instanceof Ref;
}

/** `normal` and `shutdown` (also `{shutdown: x}`) are orderly ends: never crashes, never restart a transient child. */
export function isOrderlyExit(reason: unknown): boolean {
  return (
    reason === 'normal' ||
    reason === 'shutdown' ||
    (typeof reason === 'object' && reason !== null && !(reason instanceof Error) && 'shutdown' in reason)
  );
}
