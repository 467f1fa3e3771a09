/**
 * A circuit breaker for one webhook endpoint (SPEC §3 "delivery tasks"): open after a failure
 * ratio in a sliding window with a minimum of calls, half-open probes after a cool-down,
 * closed again on a probe's success.
 *
 *   closed ──ratio ≥ failureRatio over ≥ minCalls──► open ──openMs──► half_open
 *     ▲                                               ▲                  │ │
 *     └────────────────── a probe succeeds ───────────┼──────────────────┘ │
 *                                                     └── a probe fails ───┘
 *
 * Pure: no timers, no I/O; time comes from an injected clock, so the rules are tested without
 * waiting. The dispatcher asks `tryAcquire` before each call and reports the outcome with the
 * ticket it got, so an outcome of a call started before the breaker opened (a slow timeout)
 * is not mistaken for a probe's.
 */

export interface BreakerSettings {
  /** Length of the sliding window of outcomes. */
  readonly windowMs: number;
  /** Fewer calls than this in the window never open the breaker. */
  readonly minCalls: number;
  /** Failures / calls in the window at which it opens, in (0, 1]. */
  readonly failureRatio: number;
  /** How long it stays open before letting probes through. */
  readonly openMs: number;
  /** Probes allowed at once while half-open. */
  readonly halfOpenProbes: number;
}

export const DEFAULT_BREAKER: BreakerSettings = Object.freeze({ windowMs: 30_000, minCalls: 5, failureRatio: 0.5, openMs: 5_000, halfOpenProbes: 1 });

export type Clock = () => number;
export type BreakerState = 'closed' | 'open' | 'half_open';
/** What the endpoint looks like to the dispatcher: `failing` endpoints go to the bulkhead lane. */
export type EndpointHealth = 'healthy' | 'failing' | 'open';
/** Permission for one call: a normal call (closed) or a probe (half-open). */
export type Ticket = 'call' | 'probe';

/** The window is cut in this many buckets; an outcome leaves it within windowMs/BUCKETS of its age. */
const BUCKETS = 10;

export class CircuitBreaker {
  readonly #settings: BreakerSettings;
  readonly #clock: Clock;
  readonly #bucketMs: number;
  /** Per bucket: the bucket number (time / bucketMs) it holds, its calls and failures. */
  readonly #epochs = new Array<number>(BUCKETS).fill(-Infinity);
  readonly #calls = new Array<number>(BUCKETS).fill(0);
  readonly #failures = new Array<number>(BUCKETS).fill(0);
  #state: 'closed' | 'open' = 'closed';
  #openUntil = 0;
  #probesOut = 0;

  constructor(settings: BreakerSettings, clock: Clock) {
    assertSettings(settings);
    this.#settings = settings;
    this.#clock = clock;
    this.#bucketMs = Math.max(1, settings.windowMs / BUCKETS);
  }

  /** The state now; an open breaker whose cool-down has passed reads half_open. */
  get state(): BreakerState {
    if (this.#state === 'open') return this.#clock() >= this.#openUntil ? 'half_open' : 'open';
    return 'closed';
  }

  /** When an open breaker starts letting probes through; null unless open. */
  get retryAt(): number | null {
    return this.state === 'open' ? this.#openUntil : null;
  }

  /**
   * `open`: calls are held back; `failing`: half-open, or closed with failures making up at
   * least `failureRatio` of the window even below `minCalls` (an endpoint that just started
   * failing goes to the bulkhead before it has failed often enough to open); else `healthy`.
   */
  health(): EndpointHealth {
    const state = this.state;
    if (state === 'open') return 'open';
    if (state === 'half_open') return 'failing';
    const { calls, failures } = this.window();
    return failures > 0 && failures >= calls * this.#settings.failureRatio ? 'failing' : 'healthy';
  }

  /** May a call start now? Closed: a `call`; half-open: a `probe` while fewer than
   * `halfOpenProbes` are out; open: null. The caller must later `record` or `abandon` it. */
  tryAcquire(): Ticket | null {
    const state = this.state;
    if (state === 'closed') return 'call';
    if (state === 'half_open' && this.#probesOut < this.#settings.halfOpenProbes) {
      this.#probesOut++;
      return 'probe';
    }
    return null;
  }

  /** The outcome of a call `tryAcquire` allowed. */
  record(ticket: Ticket, ok: boolean): void {
    if (ticket === 'probe') {
      this.#probesOut = Math.max(0, this.#probesOut - 1);
      if (this.#state !== 'open') return; // another probe already decided
      if (ok) this.#close();
      else this.#open();
      return;
    }
    // A call started while closed that ends while open: the breaker already decided without it.
    if (this.#state !== 'closed') return;
    this.#count(ok);
    const { calls, failures } = this.window();
    if (calls >= this.#settings.minCalls && failures >= calls * this.#settings.failureRatio) this.#open();
  }

  /** A call that ended without an outcome (its task was killed): frees a probe slot, counts nothing. */
  abandon(ticket: Ticket): void {
    if (ticket === 'probe') this.#probesOut = Math.max(0, this.#probesOut - 1);
  }

  /** Calls and failures in the sliding window now. */
  window(): { calls: number; failures: number } {
    const now = Math.floor(this.#clock() / this.#bucketMs);
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.#epochs[i] > now - BUCKETS) {
        calls += this.#calls[i];
        failures += this.#failures[i];
      }
    }
    return { calls, failures };
  }

  /** True when forgetting this breaker changes nothing (closed, no failure remembered, no probe out). */
  isIdle(): boolean {
    return this.#state === 'closed' && this.#probesOut === 0 && this.window().failures === 0;
  }

  #count(ok: boolean): void {
    const epoch = Math.floor(this.#clock() / this.#bucketMs);
    const i = ((epoch % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.#epochs[i] !== epoch) {
      this.#epochs[i] = epoch;
      this.#calls[i] = 0;
      this.#failures[i] = 0;
    }
    this.#calls[i]++;
    if (!ok) this.#failures[i]++;
  }

  #open(): void {
    this.#state = 'open';
    this.#openUntil = this.#clock() + this.#settings.openMs;
  }

  #close(): void {
    // A fresh window: the failures that opened it must not reopen it at the next failure.
    this.#state = 'closed';
    this.#epochs.fill(-Infinity);
  }
}

/** Misuse throws at once ("expected X, got: Y"). */
export function assertSettings(s: BreakerSettings): void {
  const positiveInt = (name: keyof BreakerSettings) => {
    if (!Number.isInteger(s[name]) || s[name] < 1) throw new RangeError(`expected breaker.${name} to be an integer ≥ 1, got: ${s[name]}`);
  };
  positiveInt('windowMs');
  positiveInt('minCalls');
  positiveInt('openMs');
  positiveInt('halfOpenProbes');
  if (!(s.failureRatio > 0 && s.failureRatio <= 1)) throw new RangeError(`expected breaker.failureRatio in (0, 1], got: ${s.failureRatio}`);
}
