/**
 * Supervisor reports through pino (OTP's supervisor reports): one line per event, with the
 * supervisor, the child (`child: {id, pid, type}`), the reason and, for an Error, its stack
 * (`{report, supervisor, child, reason, stack}`). Orderly exits
 * (`normal`, `shutdown`, `{shutdown: x}`) are never reported as crashes.
 *
 * The logger is the one of the scheduler the supervisor runs on (the system's logger, or the one
 * passed to `start({logger})`).
 */
import type { Logger } from 'pino';
import type { Context, ExitReason, Pid } from '../runtime/index.js';
import type { Process } from '../runtime/internal.js';
import { describeReason } from './reasons.js';

/** What a report names. */
export interface ChildRef {
  id: string;
  pid: Pid | undefined;
  type: 'worker' | 'supervisor';
}

export type Report =
  /** A child exited with an abnormal reason (not during a shutdown the supervisor asked for). */
  | 'child_terminated'
  /** A child was restarted (any reason, orderly ones included: permanent children). */
  | 'child_restarted'
  /** A child did not stop as asked: it ended with another reason, or was killed after its timeout. */
  | 'shutdown_error'
  /** A child could not be (re)started. */
  | 'start_error'
  /** Too many restarts in the period: the supervisor gives up and exits `shutdown`. */
  | 'reached_max_restart_intensity';

/** The pino logger of the scheduler `ctx` runs on (undefined when none was set). */
export function loggerOf(ctx: Context): Logger | undefined {
  // The runtime gives contexts no public logger yet (see the report to the runtime owner);
  // the Process behind every context carries its scheduler's.
  return (ctx as unknown as Process).scheduler?.logger;
}

/** Logs one supervisor report. */
export function report(ctx: Context, kind: Report, child: ChildRef | undefined, reason: ExitReason, extra: Record<string, unknown> = {}): void {
  const logger = loggerOf(ctx);
  if (logger === undefined || !logger.isLevelEnabled(kind === 'child_restarted' ? 'info' : 'error')) return;
  const fields: Record<string, unknown> = {
    report: kind,
    supervisor: ctx.self.toString(),
    // Nested: a top-level `pid` would clash with pino's own (the OS process id).
    ...(child ? { child: { id: child.id, pid: child.pid?.toString(), type: child.type } } : {}),
    reason: describeReason(reason),
    ...extra,
  };
  if (reason instanceof Error && reason.stack !== undefined) fields.stack = reason.stack;
  const message =
    kind === 'child_terminated'
      ? `supervised child ${child?.id} crashed: ${fields.reason}`
      : kind === 'child_restarted'
        ? `supervised child ${child?.id} restarted`
        : kind === 'shutdown_error'
          ? `supervised child ${child?.id} did not shut down cleanly: ${fields.reason}`
          : kind === 'start_error'
            ? `supervised child ${child?.id} failed to start: ${fields.reason}`
            : `supervisor ${fields.supervisor} reached its restart intensity; shutting down`;
  if (kind === 'child_restarted') logger.info(fields, message);
  else logger.error(fields, message);
}
