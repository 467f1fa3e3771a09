/**
 * The retriever pool's permit count (SPEC §3 "retrievers"): a semaphore bounding how many
 * claimed deliveries the delivery component holds at once, whose limit follows the backlog.
 *
 * A claim that came back full (as many leases as permits asked for) means more is waiting:
 * the limit doubles, up to `max`. A claim that came back empty means the lane is idle: the
 * limit halves, down to `min`. Doubling and halving (rather than ±1) reach either end in a
 * few claims, and a shrink below what is in use only stops new grants until enough return.
 * Pure: the dispatcher owns one and asks it.
 */

export interface PermitSettings {
  readonly min: number;
  readonly max: number;
}

export class AdaptivePermits {
  readonly #min: number;
  readonly #max: number;
  #limit: number;
  #inUse = 0;

  constructor({ min, max }: PermitSettings) {
    if (!Number.isInteger(min) || min < 1) throw new RangeError(`expected minPermits to be an integer ≥ 1, got: ${min}`);
    if (!Number.isInteger(max) || max < min) throw new RangeError(`expected maxPermits to be an integer ≥ minPermits (${min}), got: ${max}`);
    this.#min = min;
    this.#max = max;
    this.#limit = min;
  }

  get limit(): number {
    return this.#limit;
  }

  get inUse(): number {
    return this.#inUse;
  }

  available(): number {
    return Math.max(0, this.#limit - this.#inUse);
  }

  /** Takes up to `wanted` permits; returns how many it got (0 when none are free). */
  take(wanted: number): number {
    const n = Math.max(0, Math.min(wanted, this.available()));
    this.#inUse += n;
    return n;
  }

  /** Returns permits. Giving back more than were taken is a bug in the caller: it throws. */
  give(n: number): void {
    if (n < 0 || n > this.#inUse) throw new RangeError(`cannot give back ${n} permits: ${this.#inUse} in use`);
    this.#inUse -= n;
  }

  /** Learns from one claim: `asked` leases wanted, `got` came back. */
  observe(asked: number, got: number): void {
    if (asked > 0 && got >= asked) this.#limit = Math.min(this.#max, this.#limit * 2);
    else if (got === 0) this.#limit = Math.max(this.#min, Math.ceil(this.#limit / 2));
  }
}
