/**
 * How long an idle scheduler thread polls its ring before parking, learned from what the last
 * waits were like (the adaptive spinning of mutexes in operating systems and JVMs).
 *
 * Parking costs a wake-up of about 50–100 µs on the machines we measure, paid by every message
 * of a round trip between threads; polling costs a core while it lasts. So a thread spins only
 * while spinning pays:
 *
 *   parked, woken soon (< SHORT_PARK)  ─▶ a peer is answering quickly: spin next time, START µs,
 *                                          doubled after each spin that still had to park, to MAX
 *   spin caught the records            ─▶ keep the budget; forget past misses
 *   MISSES spins in a row missed        ─▶ stop spinning for `rest` waits (doubling, to MAX_REST)
 *   parked long                         ─▶ stop spinning (traffic is sparse: nothing to catch)
 *
 * A thread that receives a steady stream, or nothing, never spins; two threads in a
 * conversation both end up spinning, and their round trip drops from two wake-ups to a few µs.
 * With more busy threads than cores a spin cannot be answered in time (the peer is waiting for
 * the core), misses pile up and spinning stops.
 */

/** A park that ended sooner than this means a peer answered quickly (wake-up latency included). */
const SHORT_PARK_MS = 0.3;
/** First spin budget, µs. */
const START_MICROS = 25;
/** Largest spin budget, µs: must exceed one wake-up of the peer for both sides to end up spinning. */
const MAX_MICROS = 100;
/** Consecutive missed spins after which spinning rests. */
const MISSES = 3;
/** Longest rest, in waits. */
const MAX_REST = 1024;

export class AdaptiveSpin {
  /** µs to poll before the next park; 0: park at once. */
  budget = 0;
  private misses = 0;
  /** Waits left before spinning may start again. */
  private resting = 0;
  private rest = 8;

  /** The last spin found records before its budget ran out. */
  caught(): void {
    this.misses = 0;
    this.rest = 8;
  }

  /**
   * The thread parked for `ms` (after a spin of `spun` µs that found nothing, or none): set
   * the budget of the next wait.
   */
  parked(ms: number, spun: number): void {
    if (spun > 0 && ++this.misses >= MISSES) {
      this.misses = 0;
      this.resting = this.rest;
      this.rest = Math.min(MAX_REST, this.rest * 2);
      this.budget = 0;
      return;
    }
    if (this.resting > 0) {
      this.resting--;
      return;
    }
    if (ms >= SHORT_PARK_MS) {
      this.budget = 0;
      return;
    }
    this.budget = spun > 0 ? Math.min(MAX_MICROS, spun * 2) : START_MICROS;
  }
}

/** Polls `ready` for up to `micros` µs; true as soon as it is (the ring package's own poll). */
export { spin as spinFor } from 'sharedarraybuffer-queue';
