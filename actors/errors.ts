/**
 * Error classes of the OTP behaviours, one per condition (STYLE.md), exported together so
 * callers can `instanceof`. What a caller should expect to handle (a server that is gone, a call
 * that timed out) rejects with these; misuse of the API throws the runtime's BadArgError.
 */
import type { ExitReason } from '../runtime/index.js';
import { describeReason } from './reasons.js';

/** A call got no reply within its timeout. No late reply will land in the caller's mailbox. */
export class CallTimeoutError extends Error {
  override name = 'CallTimeoutError';
  readonly server: unknown;
  readonly timeoutMs: number;
  constructor(server: unknown, timeoutMs: number) {
    super(`call to ${describeReason(server)} got no reply within ${timeoutMs} ms`);
    this.server = server;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The server exited before it replied: `reason` is its exit reason (`noproc` when it was not
 * running at all, see NoProcError). When the reason is an Error it is also the `cause`.
 */
export class CallExitError extends Error {
  override name = 'CallExitError';
  readonly server: unknown;
  readonly reason: ExitReason;
  constructor(server: unknown, reason: ExitReason) {
    super(`call to ${describeReason(server)} failed: the server exited (${describeReason(reason)})`, {
      cause: reason instanceof Error ? reason : undefined,
    });
    this.server = server;
    this.reason = reason;
  }
}

/** The call's target is not running: a dead pid, a name nobody holds, or a via key not registered. `reason` is `'noproc'`. */
export class NoProcError extends CallExitError {
  override name = 'NoProcError';
  constructor(server: unknown) {
    super(server, 'noproc');
    this.message = `call to ${describeReason(server)} failed: no such process (noproc)`;
  }
}

/**
 * The exit reason of a GenServer whose callback returned something that is not one of its
 * tagged results. `callback` names it; `value` (not sent to other threads: it may not be
 * sendable) is what it returned.
 */
export class BadReturnValueError extends Error {
  override name = 'BadReturnValueError';
  readonly callback: string;
  declare readonly value: unknown;
  constructor(callback: string, value: unknown) {
    super(`${callback} returned ${describeValue(value)}; expected one of its tagged results (see docs/otp.md)`);
    this.callback = callback;
    // Not enumerable: the reason travels in DOWN and EXIT messages, and the value may be a function.
    Object.defineProperty(this, 'value', { value, enumerable: false });
  }
}

/** A task exited without a result: `reason` is its exit reason (`noproc` if it had already been awaited or was gone). */
export class TaskExitError extends Error {
  override name = 'TaskExitError';
  readonly reason: ExitReason;
  constructor(reason: ExitReason) {
    super(`task exited: ${describeReason(reason)}`, { cause: reason instanceof Error ? reason : undefined });
    this.reason = reason;
  }
}

/** `Task.await` gave up after its timeout; the task has been shut down. */
export class TaskTimeoutError extends Error {
  override name = 'TaskTimeoutError';
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`task did not finish within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'function') return `a function (${v.name || 'anonymous'})`;
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return String(v);
  }
}

/**
 * True for a BadReturnValueError, also after it crossed a send (errors arrive as Error with the
 * same name, so `instanceof` holds only where it was made).
 */
export function isBadReturnValue(reason: unknown): reason is Error & { callback?: string } {
  return reason instanceof Error && reason.name === 'BadReturnValueError';
}
