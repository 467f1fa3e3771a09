/**
 * Exit reasons as the behaviours read them (docs/otp.md has the table): a printable form for
 * errors and logs, and the pid exit signals from the system itself come from.
 */
import { Pid } from '../runtime/index.js';

/** A short printable form of an exit reason (or any value), for messages and logs. */
export function describeReason(reason: unknown): string {
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  if (reason instanceof Pid) return reason.toString();
  try {
    return JSON.stringify(reason) ?? String(reason);
  } catch {
    return String(reason);
  }
}

/**
 * True for the pid `system.exit` and `system.shutdown` send exit signals from: serial 0 of a
 * scheduler never names an actor (serials start at 1). A top-level server, which has no parent,
 * treats an exit signal from the system as one from its parent (OTP's application master).
 */
export function isSystemPid(pid: unknown): boolean {
  return pid instanceof Pid && pid.serial === 0;
}
