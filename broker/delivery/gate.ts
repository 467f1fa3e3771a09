/**
 * Which claimed delivery may start now (SPEC §3 "delivery tasks"): per-endpoint concurrency
 * limits, one circuit breaker per endpoint, and a separate lane (bulkhead) for endpoints
 * that are failing.
 *
 *   retriever's claim ──admit──► breaker open? ──yes──► hold back (released to the store
 *                                   │ no                 uncounted, due when it half-opens)
 *                        healthy ◄──┴──► failing: moves to the failing lane (its main permit is
 *                           │             returned at once; the lane has few slots, a full
 *                           ▼             lane holds back)
 *                 endpoint queue ──pump: running < perEndpoint and breaker allows──► start
 *   task ends ──finish(outcome)──► breaker learns, slot freed, pump that endpoint again
 *
 * Why healthy endpoints are never delayed by failing ones: a failing endpoint's deliveries
 * leave the main permits (which bound the retrievers' claims) as soon as they are admitted,
 * and wait only for the failing lane's own slots; an open breaker's deliveries go back to
 * the store. Within one endpoint, at most `perEndpoint` run at once and `maxQueued` wait.
 *
 * Pure: the dispatcher (an actor) owns one gate, turns `start` into delivery tasks, `holdBack`
 * into store releases and `permitsFreed` into main permits returned to the semaphore.
 */
import { CircuitBreaker, type BreakerSettings, type Clock, type EndpointHealth, type Ticket } from './breaker.js';

export interface GateSettings {
  /** Deliveries running at once per endpoint. */
  readonly perEndpoint: number;
  /** Deliveries waiting per endpoint beyond those running; more are held back. */
  readonly maxQueued: number;
  /** Slots of the failing lane, shared by every failing endpoint (running or waiting). */
  readonly failingLane: number;
  /** How long a delivery held back by a full queue or lane waits before it is claimed again. */
  readonly holdBackMs: number;
  /** A waiting delivery with less lease left than this is handed back instead of started
   * (its deadline would pass mid-request and the store would count a failed attempt). */
  readonly minLeaseLeftMs: number;
  readonly breaker: BreakerSettings;
}

/** What the gate needs of a delivery: its endpoint and its lease deadline. */
export interface Gated {
  readonly endpoint: string;
  readonly deadline: number;
}

export type LaneName = 'main' | 'failing';

export interface Started<T> {
  readonly item: T;
  readonly lane: LaneName;
  readonly ticket: Ticket;
}

/** What to do now. `permitsFreed`: main permits to return to the semaphore. */
export interface GateActions<T> {
  readonly start: Started<T>[];
  readonly holdBack: { readonly item: T; readonly retryAt: number }[];
  permitsFreed: number;
}

interface Endpoint<T> {
  readonly breaker: CircuitBreaker;
  readonly queue: { item: T; lane: LaneName }[];
  running: number;
}

export interface EndpointSnapshot {
  readonly endpoint: string;
  readonly state: string;
  readonly health: EndpointHealth;
  readonly running: number;
  readonly queued: number;
  readonly calls: number;
  readonly failures: number;
}

export class DeliveryGate<T extends Gated> {
  readonly #settings: GateSettings;
  readonly #clock: Clock;
  readonly #endpoints = new Map<string, Endpoint<T>>();
  #failingInUse = 0;

  constructor(settings: GateSettings, clock: Clock) {
    for (const name of ['perEndpoint', 'maxQueued', 'failingLane', 'holdBackMs', 'minLeaseLeftMs'] as const) {
      const v = settings[name];
      if (!Number.isInteger(v) || v < (name === 'maxQueued' || name === 'minLeaseLeftMs' ? 0 : 1)) throw new RangeError(`expected ${name} to be a positive integer, got: ${v}`);
    }
    this.#settings = settings;
    this.#clock = clock;
  }

  /** Slots of the failing lane in use. */
  get failingInUse(): number {
    return this.#failingInUse;
  }

  /** A claimed delivery arrives, holding one main permit. */
  admit(item: T): GateActions<T> {
    const actions: GateActions<T> = { start: [], holdBack: [], permitsFreed: 0 };
    const ep = this.#endpoint(item.endpoint);
    const health = ep.breaker.health();
    if (health === 'open') {
      actions.holdBack.push({ item, retryAt: ep.breaker.retryAt ?? this.#clock() });
      actions.permitsFreed++;
      return actions;
    }
    let lane: LaneName = 'main';
    if (health === 'failing') {
      actions.permitsFreed++; // out of the main lane now: healthy endpoints get the permit
      if (this.#failingInUse >= this.#settings.failingLane) {
        actions.holdBack.push({ item, retryAt: this.#clock() + this.#settings.holdBackMs });
        return actions;
      }
      this.#failingInUse++;
      lane = 'failing';
    }
    ep.queue.push({ item, lane });
    this.#pump(ep, actions);
    if (ep.queue.length > this.#settings.maxQueued) {
      // It could not start and the queue is full: the newest waits in the store instead.
      const last = ep.queue.pop()!;
      this.#leave(last.lane, actions);
      actions.holdBack.push({ item: last.item, retryAt: this.#clock() + this.#settings.holdBackMs });
    }
    return actions;
  }

  /** A started delivery ended: `ok` true/false is the endpoint's answer, null means no
   * answer (its task died; the breaker learns nothing). */
  finish(started: Started<T>, ok: boolean | null): GateActions<T> {
    const actions: GateActions<T> = { start: [], holdBack: [], permitsFreed: 0 };
    const ep = this.#endpoints.get(started.item.endpoint);
    this.#leave(started.lane, actions);
    if (!ep) return actions;
    ep.running = Math.max(0, ep.running - 1);
    if (ok === null) ep.breaker.abandon(started.ticket);
    else ep.breaker.record(started.ticket, ok);
    this.#pump(ep, actions);
    this.#forgetIfIdle(started.item.endpoint, ep);
    return actions;
  }

  /** Every endpoint the gate remembers, for stats and tests. */
  snapshot(): EndpointSnapshot[] {
    return [...this.#endpoints].map(([endpoint, ep]) => ({
      endpoint,
      state: ep.breaker.state,
      health: ep.breaker.health(),
      running: ep.running,
      queued: ep.queue.length,
      ...ep.breaker.window(),
    }));
  }

  /** Starts what the endpoint's limit and breaker allow; holds everything back if it opened. */
  #pump(ep: Endpoint<T>, actions: GateActions<T>): void {
    while (ep.queue.length > 0) {
      if (ep.breaker.health() === 'open') {
        const retryAt = ep.breaker.retryAt ?? this.#clock();
        for (const { item, lane } of ep.queue.splice(0)) {
          this.#leave(lane, actions);
          actions.holdBack.push({ item, retryAt });
        }
        return;
      }
      if (ep.running >= this.#settings.perEndpoint) return;
      const head = ep.queue[0];
      if (head.item.deadline - this.#clock() < this.#settings.minLeaseLeftMs) {
        ep.queue.shift();
        this.#leave(head.lane, actions);
        actions.holdBack.push({ item: head.item, retryAt: this.#clock() });
        continue;
      }
      const ticket = ep.breaker.tryAcquire();
      if (ticket === null) return; // half-open with its probes out: wait for their answer
      ep.queue.shift();
      ep.running++;
      actions.start.push({ item: head.item, lane: head.lane, ticket });
    }
  }

  #leave(lane: LaneName, actions: GateActions<T>): void {
    if (lane === 'main') actions.permitsFreed++;
    else this.#failingInUse--;
  }

  #endpoint(endpoint: string): Endpoint<T> {
    let ep = this.#endpoints.get(endpoint);
    if (!ep) {
      ep = { breaker: new CircuitBreaker(this.#settings.breaker, this.#clock), queue: [], running: 0 };
      this.#endpoints.set(endpoint, ep);
    }
    return ep;
  }

  /** Endpoints come and go with subscriptions: keep only those with something to remember. */
  #forgetIfIdle(endpoint: string, ep: Endpoint<T>): void {
    if (ep.running === 0 && ep.queue.length === 0 && ep.breaker.isIdle()) this.#endpoints.delete(endpoint);
  }
}
