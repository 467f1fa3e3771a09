/**
 * Error classes of the runtime, one per condition (STYLE.md), so callers can `instanceof`.
 * Misuse of the API throws these at the call; expected outcomes come back as results instead.
 */

/** A send to a name nobody holds (Erlang's `badarg`), or another argument the runtime rejects. */
export class BadArgError extends Error {
  override name = 'BadArgError';
}

/**
 * Thrown inside an actor's own code when it calls its context after it has exited (killed by
 * another actor, or ended by `ctx.exit`). It unwinds the actor's function; the runtime swallows it.
 */
export class ActorExitedError extends Error {
  override name = 'ActorExitedError';
  readonly reason: unknown;
  constructor(reason: unknown) {
    super(`actor has exited (reason: ${describeReason(reason)})`);
    this.reason = reason;
  }
}

/** The system was shut down: no more spawns or sends through it. */
export class SystemStoppedError extends Error {
  override name = 'SystemStoppedError';
}

/**
 * A scheduler has handed out every pid (or ref) serial it has (2^44 − 1, SERIAL_LIMIT in
 * scheduler.ts: 204 days at a million spawns per second on one scheduler, 28 years at 20,000).
 * Thrown by the spawn or makeRef that would need one more; serials are never reused.
 */
export class SerialsExhaustedError extends Error {
  override name = 'SerialsExhaustedError';
}

/** A short printable form of an exit reason, for messages and logs. */
export function describeReason(reason: unknown): string {
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  try {
    return JSON.stringify(reason) ?? String(reason);
  } catch {
    return String(reason);
  }
}
