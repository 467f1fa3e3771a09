/**
 * The settings of webhook delivery: what the broker passes (`DeliveryOptions`, every field
 * optional) and the complete, checked form the actors use (`DeliverySettings`). Plain data,
 * so it can cross threads in child specs and spawn arguments.
 */
import { assertSettings, DEFAULT_BREAKER, type BreakerSettings } from './breaker.js';

export interface DeliveryOptions {
  /** Retriever actors claiming from the push lane. Default 2. */
  readonly retrievers?: number;
  /** The permit count's floor and ceiling (deliveries held at once). Defaults 16 and 512. */
  readonly minPermits?: number;
  readonly maxPermits?: number;
  /** Most leases one claim takes. Default 64. */
  readonly claimBatch?: number;
  /** A 2xx must arrive within this. Default 10 000 ms. */
  readonly deliveryTimeoutMs?: number;
  /** Lease = deliveryTimeoutMs + leaseMarginMs: room for waiting at the endpoint's limit and
   * for the store's answer. A delivery still waiting when less than deliveryTimeoutMs +
   * leaseMarginMs/2 of its lease is left goes back to the store uncounted. A task that dies is
   * redelivered after its lease. Default 20 000 ms, at least 100. */
  readonly leaseMarginMs?: number;
  /** Deliveries running at once per endpoint URL. Default 16. */
  readonly perEndpointConcurrency?: number;
  /** Deliveries waiting per endpoint beyond those running. Default 64. */
  readonly maxQueuedPerEndpoint?: number;
  /** Slots of the bulkhead lane shared by failing endpoints. Default 32. */
  readonly failingLaneSize?: number;
  /** How long a delivery held back by a full queue or lane stays in the store. Default 1000 ms. */
  readonly holdBackMs?: number;
  /** Circuit breaker per endpoint. Defaults: DEFAULT_BREAKER. */
  readonly breaker?: Partial<BreakerSettings>;
  /** Longest sleep of an idle retriever (it wakes earlier at the next due time or a publish). Default 1000 ms. */
  readonly pollMs?: number;
  /** Scheduler ids to spread delivery tasks over, round robin. Default: the dispatcher's own. */
  readonly schedulers?: readonly number[];
}

export interface DeliverySettings {
  readonly retrievers: number;
  readonly minPermits: number;
  readonly maxPermits: number;
  readonly claimBatch: number;
  readonly deliveryTimeoutMs: number;
  readonly leaseMs: number;
  readonly perEndpointConcurrency: number;
  readonly maxQueuedPerEndpoint: number;
  readonly failingLaneSize: number;
  readonly holdBackMs: number;
  readonly breaker: BreakerSettings;
  readonly pollMs: number;
  readonly schedulers: readonly number[];
}

/** Fills in defaults and checks every field; misuse throws "expected X, got: Y". */
export function resolveOptions(options: DeliveryOptions = {}): DeliverySettings {
  const int = (name: keyof DeliveryOptions, fallback: number, min = 1): number => {
    const v = options[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`expected delivery option ${name} to be an integer ≥ ${min}, got: ${String(v)}`);
    return v;
  };
  const minPermits = int('minPermits', 16);
  const deliveryTimeoutMs = int('deliveryTimeoutMs', 10_000);
  const breaker = { ...DEFAULT_BREAKER, ...options.breaker };
  assertSettings(breaker);
  const schedulers = options.schedulers ?? [];
  if (!Array.isArray(schedulers) || !schedulers.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new RangeError(`expected delivery option schedulers to be scheduler ids, got: ${JSON.stringify(schedulers)}`);
  }
  return {
    retrievers: int('retrievers', 2),
    minPermits,
    maxPermits: int('maxPermits', Math.max(512, minPermits), minPermits),
    claimBatch: int('claimBatch', 64),
    deliveryTimeoutMs,
    leaseMs: deliveryTimeoutMs + int('leaseMarginMs', 20_000, 100),
    perEndpointConcurrency: int('perEndpointConcurrency', 16),
    maxQueuedPerEndpoint: int('maxQueuedPerEndpoint', 64, 0),
    failingLaneSize: int('failingLaneSize', 32),
    holdBackMs: int('holdBackMs', 1_000),
    breaker,
    pollMs: int('pollMs', 1_000),
    schedulers: [...schedulers],
  };
}
